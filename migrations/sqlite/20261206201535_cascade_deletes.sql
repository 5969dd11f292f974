-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_invites" table
CREATE TABLE `new_invites` (`id` uuid NOT NULL, `email` text NOT NULL, `email_key` text NOT NULL, `role` text NOT NULL, `token_hash` blob NOT NULL, `invited_by` uuid NULL, `created_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `accepted_at` datetime NULL, `revoked_at` datetime NULL, `org_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `invites_organizations_invites` FOREIGN KEY (`org_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE);
-- Copy rows from old table "invites" to new temporary table "new_invites"
INSERT INTO `new_invites` (`id`, `email`, `email_key`, `role`, `token_hash`, `invited_by`, `created_at`, `expires_at`, `accepted_at`, `revoked_at`, `org_id`) SELECT `id`, `email`, `email_key`, `role`, `token_hash`, `invited_by`, `created_at`, `expires_at`, `accepted_at`, `revoked_at`, `org_id` FROM `invites`;
-- Drop "invites" table after copying rows
DROP TABLE `invites`;
-- Rename temporary table "new_invites" to "invites"
ALTER TABLE `new_invites` RENAME TO `invites`;
-- Create index "invites_token_hash_key" to table: "invites"
CREATE UNIQUE INDEX `invites_token_hash_key` ON `invites` (`token_hash`);
-- Create index "invite_org_id_email_key" to table: "invites"
CREATE INDEX `invite_org_id_email_key` ON `invites` (`org_id`, `email_key`);
-- Create index "invite_pending_unique" to table: "invites"
CREATE UNIQUE INDEX `invite_pending_unique` ON `invites` (`org_id`, `email_key`) WHERE accepted_at IS NULL AND revoked_at IS NULL;
-- Create "new_memberships" table
CREATE TABLE `new_memberships` (`id` uuid NOT NULL, `role` text NOT NULL, `created_at` datetime NOT NULL, `org_id` uuid NOT NULL, `user_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `memberships_organizations_memberships` FOREIGN KEY (`org_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE, CONSTRAINT `memberships_users_memberships` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- Copy rows from old table "memberships" to new temporary table "new_memberships"
INSERT INTO `new_memberships` (`id`, `role`, `created_at`, `org_id`, `user_id`) SELECT `id`, `role`, `created_at`, `org_id`, `user_id` FROM `memberships`;
-- Drop "memberships" table after copying rows
DROP TABLE `memberships`;
-- Rename temporary table "new_memberships" to "memberships"
ALTER TABLE `new_memberships` RENAME TO `memberships`;
-- Create index "membership_user_id_org_id" to table: "memberships"
CREATE UNIQUE INDEX `membership_user_id_org_id` ON `memberships` (`user_id`, `org_id`);
-- Create index "membership_org_id" to table: "memberships"
CREATE INDEX `membership_org_id` ON `memberships` (`org_id`);
-- Create "new_one_time_tokens" table
CREATE TABLE `new_one_time_tokens` (`id` uuid NOT NULL, `kind` text NOT NULL, `token_hash` blob NOT NULL, `created_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `used_at` datetime NULL, `user_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `one_time_tokens_users_tokens` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- Copy rows from old table "one_time_tokens" to new temporary table "new_one_time_tokens"
INSERT INTO `new_one_time_tokens` (`id`, `kind`, `token_hash`, `created_at`, `expires_at`, `used_at`, `user_id`) SELECT `id`, `kind`, `token_hash`, `created_at`, `expires_at`, `used_at`, `user_id` FROM `one_time_tokens`;
-- Drop "one_time_tokens" table after copying rows
DROP TABLE `one_time_tokens`;
-- Rename temporary table "new_one_time_tokens" to "one_time_tokens"
ALTER TABLE `new_one_time_tokens` RENAME TO `one_time_tokens`;
-- Create index "one_time_tokens_token_hash_key" to table: "one_time_tokens"
CREATE UNIQUE INDEX `one_time_tokens_token_hash_key` ON `one_time_tokens` (`token_hash`);
-- Create index "onetimetoken_user_id_kind" to table: "one_time_tokens"
CREATE INDEX `onetimetoken_user_id_kind` ON `one_time_tokens` (`user_id`, `kind`);
-- Create "new_refresh_tokens" table
CREATE TABLE `new_refresh_tokens` (`id` uuid NOT NULL, `token_hash` blob NOT NULL, `parent_id` uuid NULL, `created_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `rotated_at` datetime NULL, `session_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `refresh_tokens_sessions_refresh_tokens` FOREIGN KEY (`session_id`) REFERENCES `sessions` (`id`) ON DELETE CASCADE);
-- Copy rows from old table "refresh_tokens" to new temporary table "new_refresh_tokens"
INSERT INTO `new_refresh_tokens` (`id`, `token_hash`, `parent_id`, `created_at`, `expires_at`, `rotated_at`, `session_id`) SELECT `id`, `token_hash`, `parent_id`, `created_at`, `expires_at`, `rotated_at`, `session_id` FROM `refresh_tokens`;
-- Drop "refresh_tokens" table after copying rows
DROP TABLE `refresh_tokens`;
-- Rename temporary table "new_refresh_tokens" to "refresh_tokens"
ALTER TABLE `new_refresh_tokens` RENAME TO `refresh_tokens`;
-- Create index "refresh_tokens_token_hash_key" to table: "refresh_tokens"
CREATE UNIQUE INDEX `refresh_tokens_token_hash_key` ON `refresh_tokens` (`token_hash`);
-- Create index "refreshtoken_session_id" to table: "refresh_tokens"
CREATE INDEX `refreshtoken_session_id` ON `refresh_tokens` (`session_id`);
-- Create index "refreshtoken_parent_id" to table: "refresh_tokens"
CREATE INDEX `refreshtoken_parent_id` ON `refresh_tokens` (`parent_id`);
-- Create "new_sessions" table
CREATE TABLE `new_sessions` (`id` uuid NOT NULL, `org_id` uuid NULL, `created_at` datetime NOT NULL, `last_used_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `revoked_at` datetime NULL, `revoke_reason` text NULL, `ip` text NOT NULL DEFAULT (''), `user_agent` text NOT NULL DEFAULT (''), `user_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `sessions_users_sessions` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE);
-- Copy rows from old table "sessions" to new temporary table "new_sessions"
INSERT INTO `new_sessions` (`id`, `org_id`, `created_at`, `last_used_at`, `expires_at`, `revoked_at`, `revoke_reason`, `ip`, `user_agent`, `user_id`) SELECT `id`, `org_id`, `created_at`, `last_used_at`, `expires_at`, `revoked_at`, `revoke_reason`, `ip`, `user_agent`, `user_id` FROM `sessions`;
-- Drop "sessions" table after copying rows
DROP TABLE `sessions`;
-- Rename temporary table "new_sessions" to "sessions"
ALTER TABLE `new_sessions` RENAME TO `sessions`;
-- Create index "session_user_id_revoked_at" to table: "sessions"
CREATE INDEX `session_user_id_revoked_at` ON `sessions` (`user_id`, `revoked_at`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
