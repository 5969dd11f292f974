-- Create "rate_limits" table
CREATE TABLE "rate_limits" ("id" character varying NOT NULL, "tat" bigint NOT NULL, "hit" boolean NOT NULL DEFAULT false, PRIMARY KEY ("id"));
