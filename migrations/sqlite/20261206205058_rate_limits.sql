-- Create "rate_limits" table
CREATE TABLE `rate_limits` (`id` text NOT NULL, `tat` integer NOT NULL, `hit` bool NOT NULL DEFAULT (false), PRIMARY KEY (`id`));
