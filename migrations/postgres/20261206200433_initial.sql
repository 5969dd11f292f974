-- Create "audit_events" table
CREATE TABLE "audit_events" ("id" uuid NOT NULL, "type" character varying NOT NULL, "user_id" uuid NULL, "session_id" uuid NULL, "ip" character varying NOT NULL DEFAULT '', "user_agent" character varying NOT NULL DEFAULT '', "data" text NOT NULL DEFAULT '{}', "created_at" timestamptz NOT NULL, PRIMARY KEY ("id"));
-- Create index "auditevent_created_at" to table: "audit_events"
CREATE INDEX "auditevent_created_at" ON "audit_events" ("created_at");
-- Create index "auditevent_user_id_created_at" to table: "audit_events"
CREATE INDEX "auditevent_user_id_created_at" ON "audit_events" ("user_id", "created_at");
-- Create "mails" table
CREATE TABLE "mails" ("id" uuid NOT NULL, "kind" character varying NOT NULL, "to" character varying NOT NULL, "subject" character varying NOT NULL, "text_body" text NOT NULL, "html_body" text NOT NULL, "status" character varying NOT NULL DEFAULT 'pending', "attempts" bigint NOT NULL DEFAULT 0, "next_attempt_at" timestamptz NOT NULL, "last_error" character varying NOT NULL DEFAULT '', "created_at" timestamptz NOT NULL, "sent_at" timestamptz NULL, PRIMARY KEY ("id"));
-- Create index "mail_status_next_attempt_at" to table: "mails"
CREATE INDEX "mail_status_next_attempt_at" ON "mails" ("status", "next_attempt_at");
-- Create "organizations" table
CREATE TABLE "organizations" ("id" uuid NOT NULL, "name" character varying NOT NULL, "personal" boolean NOT NULL DEFAULT false, "created_at" timestamptz NOT NULL, PRIMARY KEY ("id"));
-- Create "settings" table
CREATE TABLE "settings" ("id" character varying NOT NULL, "value" character varying NOT NULL, PRIMARY KEY ("id"));
-- Create "invites" table
CREATE TABLE "invites" ("id" uuid NOT NULL, "email" character varying NOT NULL, "email_key" character varying NOT NULL, "role" character varying NOT NULL, "token_hash" bytea NOT NULL, "invited_by" uuid NULL, "created_at" timestamptz NOT NULL, "expires_at" timestamptz NOT NULL, "accepted_at" timestamptz NULL, "revoked_at" timestamptz NULL, "org_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "invites_organizations_invites" FOREIGN KEY ("org_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "invite_org_id_email_key" to table: "invites"
CREATE INDEX "invite_org_id_email_key" ON "invites" ("org_id", "email_key");
-- Create index "invite_pending_unique" to table: "invites"
CREATE UNIQUE INDEX "invite_pending_unique" ON "invites" ("org_id", "email_key") WHERE ((accepted_at IS NULL) AND (revoked_at IS NULL));
-- Create index "invites_token_hash_key" to table: "invites"
CREATE UNIQUE INDEX "invites_token_hash_key" ON "invites" ("token_hash");
-- Create "users" table
CREATE TABLE "users" ("id" uuid NOT NULL, "email" character varying NOT NULL, "email_key" character varying NOT NULL, "username" character varying NOT NULL, "username_key" character varying NOT NULL, "password_hash" character varying NULL, "auth_provider" character varying NOT NULL DEFAULT 'local', "full_name" character varying NULL, "avatar_url" character varying NULL, "bio" text NULL, "timezone" character varying NULL, "locale" character varying NULL, "preferences" text NOT NULL DEFAULT '{}', "settings" text NOT NULL DEFAULT '{}', "roles" jsonb NOT NULL, "is_active" boolean NOT NULL DEFAULT true, "is_verified" boolean NOT NULL DEFAULT false, "default_workspace_id" uuid NULL, "failed_logins" bigint NOT NULL DEFAULT 0, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "last_login" timestamptz NULL, PRIMARY KEY ("id"));
-- Create index "user_created_at" to table: "users"
CREATE INDEX "user_created_at" ON "users" ("created_at");
-- Create index "users_email_key_key" to table: "users"
CREATE UNIQUE INDEX "users_email_key_key" ON "users" ("email_key");
-- Create index "users_username_key_key" to table: "users"
CREATE UNIQUE INDEX "users_username_key_key" ON "users" ("username_key");
-- Create "memberships" table
CREATE TABLE "memberships" ("id" uuid NOT NULL, "role" character varying NOT NULL, "created_at" timestamptz NOT NULL, "org_id" uuid NOT NULL, "user_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "memberships_organizations_memberships" FOREIGN KEY ("org_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "memberships_users_memberships" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "membership_org_id" to table: "memberships"
CREATE INDEX "membership_org_id" ON "memberships" ("org_id");
-- Create index "membership_user_id_org_id" to table: "memberships"
CREATE UNIQUE INDEX "membership_user_id_org_id" ON "memberships" ("user_id", "org_id");
-- Create "one_time_tokens" table
CREATE TABLE "one_time_tokens" ("id" uuid NOT NULL, "kind" character varying NOT NULL, "token_hash" bytea NOT NULL, "created_at" timestamptz NOT NULL, "expires_at" timestamptz NOT NULL, "used_at" timestamptz NULL, "user_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "one_time_tokens_users_tokens" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "one_time_tokens_token_hash_key" to table: "one_time_tokens"
CREATE UNIQUE INDEX "one_time_tokens_token_hash_key" ON "one_time_tokens" ("token_hash");
-- Create index "onetimetoken_user_id_kind" to table: "one_time_tokens"
CREATE INDEX "onetimetoken_user_id_kind" ON "one_time_tokens" ("user_id", "kind");
-- Create "sessions" table
CREATE TABLE "sessions" ("id" uuid NOT NULL, "org_id" uuid NULL, "created_at" timestamptz NOT NULL, "last_used_at" timestamptz NOT NULL, "expires_at" timestamptz NOT NULL, "revoked_at" timestamptz NULL, "revoke_reason" character varying NULL, "ip" character varying NOT NULL DEFAULT '', "user_agent" character varying NOT NULL DEFAULT '', "user_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "sessions_users_sessions" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "session_user_id_revoked_at" to table: "sessions"
CREATE INDEX "session_user_id_revoked_at" ON "sessions" ("user_id", "revoked_at");
-- Create "refresh_tokens" table
CREATE TABLE "refresh_tokens" ("id" uuid NOT NULL, "token_hash" bytea NOT NULL, "parent_id" uuid NULL, "created_at" timestamptz NOT NULL, "expires_at" timestamptz NOT NULL, "rotated_at" timestamptz NULL, "session_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "refresh_tokens_sessions_refresh_tokens" FOREIGN KEY ("session_id") REFERENCES "sessions" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "refresh_tokens_token_hash_key" to table: "refresh_tokens"
CREATE UNIQUE INDEX "refresh_tokens_token_hash_key" ON "refresh_tokens" ("token_hash");
-- Create index "refreshtoken_parent_id" to table: "refresh_tokens"
CREATE INDEX "refreshtoken_parent_id" ON "refresh_tokens" ("parent_id");
-- Create index "refreshtoken_session_id" to table: "refresh_tokens"
CREATE INDEX "refreshtoken_session_id" ON "refresh_tokens" ("session_id");
