package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"authbff/migrations"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version = "dev"

const versionUsage = `Usage: authbff version

Prints the version of this binary, its VCS revision when known, the Go version, and
the newest migration it carries for each database dialect.
`

func versionCmd(_ context.Context, args []string, _ func(string) string, std stdio) error {
	if len(args) > 0 {
		return usageError("version takes no arguments")
	}
	rev := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				rev = " (" + s.Value + ")"
			}
		}
	}
	fmt.Fprintf(std.out, "authbff %s%s %s\nmigrations: sqlite %s, postgres %s\n", version, rev, runtime.Version(),
		migrations.Latest(migrations.SQLite), migrations.Latest(migrations.Postgres))
	return nil
}
