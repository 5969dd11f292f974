package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"authbff/graph/auth"
	"authbff/migrations"
)

const migrateUsage = `Usage: authbff migrate up|status|plan

  up       apply the pending migrations (creates a SQLite file that does not exist).
           PostgreSQL: under pg_advisory_lock, so replicas and operators may run it at
           once; SQLite: in one exclusive transaction. A database created before
           versioned migrations is recorded as the first version.
  status   list applied and pending migrations (reads only); says "current",
           "behind" or "ahead" on its last line.
  plan     print the SQL that up would run (reads only).

The database is AUTH_DATABASE_URL. The history table is ` + migrations.Table + `.
`

func migrateCmd(ctx context.Context, args []string, getenv func(string) string, std stdio) error {
	if len(args) != 1 || (args[0] != "up" && args[0] != "status" && args[0] != "plan") {
		return usageError("want one of up, status, plan")
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	if args[0] == "up" {
		st, err := auth.Open(ctx, cfg.DatabaseURL, auth.OpenOrCreate)
		if err != nil {
			return err
		}
		defer st.Close()
		done, err := st.Migrate(ctx)
		if err != nil {
			return err
		}
		for _, m := range done {
			fmt.Fprintf(std.out, "applied %s %s\n", m.Version, m.Description)
		}
		fmt.Fprintf(std.out, "database %s is current at %s\n", st.Name, migrations.Latest(st.Dialect))
		return nil
	}
	st, err := auth.Open(ctx, cfg.DatabaseURL, auth.OpenExisting)
	if err != nil {
		return err
	}
	defer st.Close()
	status, err := st.Status(ctx)
	if err != nil {
		return err
	}
	if args[0] == "plan" {
		if len(status.Unknown) > 0 || len(status.Altered) > 0 {
			return status.Check(st.Name)
		}
		if len(status.Pending) == 0 {
			fmt.Fprintf(std.out, "-- database %s is current: up would run nothing\n", st.Name)
			return nil
		}
		fmt.Fprintf(std.out, "-- database %s: up would run %d migration(s)\n", st.Name, len(status.Pending))
		for i, m := range status.Pending {
			fmt.Fprintf(std.out, "\n-- migration %s %s\n", m.Version, m.Description)
			if status.Legacy && i == 0 {
				fmt.Fprintln(std.out, "-- (baseline: the tables exist already; recorded in the history without running)")
				continue
			}
			for _, s := range m.Stmts {
				fmt.Fprintln(std.out, strings.TrimSpace(s))
			}
		}
		return nil
	}
	fmt.Fprintf(std.out, "database %s (%s)\n", st.Name, st.Dialect)
	for _, r := range status.Applied {
		fmt.Fprintf(std.out, "applied  %s %s at %s\n", r.Version, r.Description, r.AppliedAt.UTC().Format(time.RFC3339))
	}
	for _, m := range status.Pending {
		fmt.Fprintf(std.out, "pending  %s %s\n", m.Version, m.Description)
	}
	switch {
	case status.Current():
		fmt.Fprintf(std.out, "current at %s\n", migrations.Latest(st.Dialect))
	case len(status.Unknown) > 0 || len(status.Altered) > 0:
		fmt.Fprintf(std.out, "ahead: %v\n", status.Check(st.Name))
	case status.Legacy:
		fmt.Fprintf(std.out, "behind: created before versioned migrations (no history); `authbff migrate up` records it as %s and applies the rest\n", status.Pending[0].Version)
	default:
		fmt.Fprintf(std.out, "behind by %d migration(s): run `authbff migrate up`\n", len(status.Pending))
	}
	return nil
}
