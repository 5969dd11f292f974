-- Modify "invites" table
ALTER TABLE "invites" DROP CONSTRAINT "invites_organizations_invites", ADD CONSTRAINT "invites_organizations_invites" FOREIGN KEY ("org_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE CASCADE;
-- Modify "memberships" table
ALTER TABLE "memberships" DROP CONSTRAINT "memberships_organizations_memberships", DROP CONSTRAINT "memberships_users_memberships", ADD CONSTRAINT "memberships_organizations_memberships" FOREIGN KEY ("org_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, ADD CONSTRAINT "memberships_users_memberships" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE;
-- Modify "one_time_tokens" table
ALTER TABLE "one_time_tokens" DROP CONSTRAINT "one_time_tokens_users_tokens", ADD CONSTRAINT "one_time_tokens_users_tokens" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE;
-- Modify "sessions" table
ALTER TABLE "sessions" DROP CONSTRAINT "sessions_users_sessions", ADD CONSTRAINT "sessions_users_sessions" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE;
-- Modify "refresh_tokens" table
ALTER TABLE "refresh_tokens" DROP CONSTRAINT "refresh_tokens_sessions_refresh_tokens", ADD CONSTRAINT "refresh_tokens_sessions_refresh_tokens" FOREIGN KEY ("session_id") REFERENCES "sessions" ("id") ON UPDATE NO ACTION ON DELETE CASCADE;
