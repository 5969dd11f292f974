-- Drop index "refresh_tokens_token_hash_key" from table: "refresh_tokens"
DROP INDEX "refresh_tokens_token_hash_key";
-- Modify "refresh_tokens" table
ALTER TABLE "refresh_tokens" ALTER COLUMN "token_hash" DROP NOT NULL, ADD COLUMN "secret_hash" bytea NULL;
-- Create index "refresh_tokens_token_hash_key" to table: "refresh_tokens"
CREATE UNIQUE INDEX "refresh_tokens_token_hash_key" ON "refresh_tokens" ("token_hash") WHERE (token_hash IS NOT NULL);
