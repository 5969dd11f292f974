-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_refresh_tokens" table
CREATE TABLE `new_refresh_tokens` (`id` uuid NOT NULL, `token_hash` blob NULL, `secret_hash` blob NULL, `parent_id` uuid NULL, `created_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `rotated_at` datetime NULL, `session_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `refresh_tokens_sessions_refresh_tokens` FOREIGN KEY (`session_id`) REFERENCES `sessions` (`id`) ON DELETE CASCADE);
-- Copy rows from old table "refresh_tokens" to new temporary table "new_refresh_tokens"
INSERT INTO `new_refresh_tokens` (`id`, `token_hash`, `parent_id`, `created_at`, `expires_at`, `rotated_at`, `session_id`) SELECT `id`, `token_hash`, `parent_id`, `created_at`, `expires_at`, `rotated_at`, `session_id` FROM `refresh_tokens`;
-- Drop "refresh_tokens" table after copying rows
DROP TABLE `refresh_tokens`;
-- Rename temporary table "new_refresh_tokens" to "refresh_tokens"
ALTER TABLE `new_refresh_tokens` RENAME TO `refresh_tokens`;
-- Create index "refreshtoken_session_id" to table: "refresh_tokens"
CREATE INDEX `refreshtoken_session_id` ON `refresh_tokens` (`session_id`);
-- Create index "refreshtoken_parent_id" to table: "refresh_tokens"
CREATE INDEX `refreshtoken_parent_id` ON `refresh_tokens` (`parent_id`);
-- Create index "refresh_tokens_token_hash_key" to table: "refresh_tokens"
CREATE UNIQUE INDEX `refresh_tokens_token_hash_key` ON `refresh_tokens` (`token_hash`) WHERE token_hash IS NOT NULL;
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
