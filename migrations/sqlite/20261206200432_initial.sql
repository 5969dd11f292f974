-- Create "audit_events" table
CREATE TABLE `audit_events` (`id` uuid NOT NULL, `type` text NOT NULL, `user_id` uuid NULL, `session_id` uuid NULL, `ip` text NOT NULL DEFAULT (''), `user_agent` text NOT NULL DEFAULT (''), `data` text NOT NULL DEFAULT ('{}'), `created_at` datetime NOT NULL, PRIMARY KEY (`id`));
-- Create index "auditevent_user_id_created_at" to table: "audit_events"
CREATE INDEX `auditevent_user_id_created_at` ON `audit_events` (`user_id`, `created_at`);
-- Create index "auditevent_created_at" to table: "audit_events"
CREATE INDEX `auditevent_created_at` ON `audit_events` (`created_at`);
-- Create "invites" table
CREATE TABLE `invites` (`id` uuid NOT NULL, `email` text NOT NULL, `email_key` text NOT NULL, `role` text NOT NULL, `token_hash` blob NOT NULL, `invited_by` uuid NULL, `created_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `accepted_at` datetime NULL, `revoked_at` datetime NULL, `org_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `invites_organizations_invites` FOREIGN KEY (`org_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION);
-- Create index "invites_token_hash_key" to table: "invites"
CREATE UNIQUE INDEX `invites_token_hash_key` ON `invites` (`token_hash`);
-- Create index "invite_org_id_email_key" to table: "invites"
CREATE INDEX `invite_org_id_email_key` ON `invites` (`org_id`, `email_key`);
-- Create index "invite_pending_unique" to table: "invites"
CREATE UNIQUE INDEX `invite_pending_unique` ON `invites` (`org_id`, `email_key`) WHERE accepted_at IS NULL AND revoked_at IS NULL;
-- Create "mails" table
CREATE TABLE `mails` (`id` uuid NOT NULL, `kind` text NOT NULL, `to` text NOT NULL, `subject` text NOT NULL, `text_body` text NOT NULL, `html_body` text NOT NULL, `status` text NOT NULL DEFAULT ('pending'), `attempts` integer NOT NULL DEFAULT (0), `next_attempt_at` datetime NOT NULL, `last_error` text NOT NULL DEFAULT (''), `created_at` datetime NOT NULL, `sent_at` datetime NULL, PRIMARY KEY (`id`));
-- Create index "mail_status_next_attempt_at" to table: "mails"
CREATE INDEX `mail_status_next_attempt_at` ON `mails` (`status`, `next_attempt_at`);
-- Create "memberships" table
CREATE TABLE `memberships` (`id` uuid NOT NULL, `role` text NOT NULL, `created_at` datetime NOT NULL, `org_id` uuid NOT NULL, `user_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `memberships_organizations_memberships` FOREIGN KEY (`org_id`) REFERENCES `organizations` (`id`) ON DELETE NO ACTION, CONSTRAINT `memberships_users_memberships` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- Create index "membership_user_id_org_id" to table: "memberships"
CREATE UNIQUE INDEX `membership_user_id_org_id` ON `memberships` (`user_id`, `org_id`);
-- Create index "membership_org_id" to table: "memberships"
CREATE INDEX `membership_org_id` ON `memberships` (`org_id`);
-- Create "one_time_tokens" table
CREATE TABLE `one_time_tokens` (`id` uuid NOT NULL, `kind` text NOT NULL, `token_hash` blob NOT NULL, `created_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `used_at` datetime NULL, `user_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `one_time_tokens_users_tokens` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- Create index "one_time_tokens_token_hash_key" to table: "one_time_tokens"
CREATE UNIQUE INDEX `one_time_tokens_token_hash_key` ON `one_time_tokens` (`token_hash`);
-- Create index "onetimetoken_user_id_kind" to table: "one_time_tokens"
CREATE INDEX `onetimetoken_user_id_kind` ON `one_time_tokens` (`user_id`, `kind`);
-- Create "organizations" table
CREATE TABLE `organizations` (`id` uuid NOT NULL, `name` text NOT NULL, `personal` bool NOT NULL DEFAULT (false), `created_at` datetime NOT NULL, PRIMARY KEY (`id`));
-- Create "refresh_tokens" table
CREATE TABLE `refresh_tokens` (`id` uuid NOT NULL, `token_hash` blob NOT NULL, `parent_id` uuid NULL, `created_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `rotated_at` datetime NULL, `session_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `refresh_tokens_sessions_refresh_tokens` FOREIGN KEY (`session_id`) REFERENCES `sessions` (`id`) ON DELETE NO ACTION);
-- Create index "refresh_tokens_token_hash_key" to table: "refresh_tokens"
CREATE UNIQUE INDEX `refresh_tokens_token_hash_key` ON `refresh_tokens` (`token_hash`);
-- Create index "refreshtoken_session_id" to table: "refresh_tokens"
CREATE INDEX `refreshtoken_session_id` ON `refresh_tokens` (`session_id`);
-- Create index "refreshtoken_parent_id" to table: "refresh_tokens"
CREATE INDEX `refreshtoken_parent_id` ON `refresh_tokens` (`parent_id`);
-- Create "sessions" table
CREATE TABLE `sessions` (`id` uuid NOT NULL, `org_id` uuid NULL, `created_at` datetime NOT NULL, `last_used_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `revoked_at` datetime NULL, `revoke_reason` text NULL, `ip` text NOT NULL DEFAULT (''), `user_agent` text NOT NULL DEFAULT (''), `user_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `sessions_users_sessions` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- Create index "session_user_id_revoked_at" to table: "sessions"
CREATE INDEX `session_user_id_revoked_at` ON `sessions` (`user_id`, `revoked_at`);
-- Create "settings" table
CREATE TABLE `settings` (`id` text NOT NULL, `value` text NOT NULL, PRIMARY KEY (`id`));
-- Create "users" table
CREATE TABLE `users` (`id` uuid NOT NULL, `email` text NOT NULL, `email_key` text NOT NULL, `username` text NOT NULL, `username_key` text NOT NULL, `password_hash` text NULL, `auth_provider` text NOT NULL DEFAULT ('local'), `full_name` text NULL, `avatar_url` text NULL, `bio` text NULL, `timezone` text NULL, `locale` text NULL, `preferences` text NOT NULL DEFAULT ('{}'), `settings` text NOT NULL DEFAULT ('{}'), `roles` json NOT NULL, `is_active` bool NOT NULL DEFAULT (true), `is_verified` bool NOT NULL DEFAULT (false), `default_workspace_id` uuid NULL, `failed_logins` integer NOT NULL DEFAULT (0), `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `last_login` datetime NULL, PRIMARY KEY (`id`));
-- Create index "users_email_key_key" to table: "users"
CREATE UNIQUE INDEX `users_email_key_key` ON `users` (`email_key`);
-- Create index "users_username_key_key" to table: "users"
CREATE UNIQUE INDEX `users_username_key_key` ON `users` (`username_key`);
-- Create index "user_created_at" to table: "users"
CREATE INDEX `user_created_at` ON `users` (`created_at`);
