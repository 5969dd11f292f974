// Command authbff is the authentication service: `authbff serve` runs the HTTP server;
// the other commands are for operators. This package is the only place that reads the
// environment.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signalContext()
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// signalContext ends on SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

const usage = `authbff: authentication service (GraphQL + the legacy /v1/auth REST routes)

Usage:
  authbff serve                      run the HTTP server (configured by AUTH_* variables)
  authbff migrate up|status|plan     apply, show or print the schema migrations
  authbff keys list|rotate           list the signing keys (never their secrets), or rotate them
  authbff users list|show|create|delete|export|deactivate|activate|set-password
                                     administer accounts (authbff users -h)
  authbff backup FILE                online, consistent copy of a SQLite database
  authbff version                    the version of this binary and its newest migrations
  authbff help                       this help

Every command answers -h with its own usage. Commands other than serve and
migrate up never create or migrate a database: they name the database they
looked at and stop. See README.md for the AUTH_* variables.
`

// stdio is what a command reads and writes; run passes it down so tests drive the
// commands exactly as a terminal would.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// command is one subcommand: its usage (printed for -h, exit 0) and what it does.
type command struct {
	usage string
	run   func(ctx context.Context, args []string, getenv func(string) string, std stdio) error
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"serve":   {serveUsage, serve},
		"migrate": {migrateUsage, migrateCmd},
		"keys":    {keysUsage, keys},
		"users":   {usersUsage, users},
		"backup":  {backupUsage, backup},
		"version": {versionUsage, versionCmd},
	}
}

// errUsage marks a usage error: exit 2 with the command's usage.
var errUsage = errors.New("usage")

// usageError reports bad arguments; run prints the message and the command's usage.
func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
}

// run is main without the process: arguments, environment and standard streams are
// passed in, so tests run the binary's code in-process exactly as a terminal would.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "authbff: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if wantsHelp(args[1:]) {
		fmt.Fprint(stdout, c.usage)
		return 0
	}
	err := c.run(ctx, args[1:], getenv, stdio{stdin, stdout, stderr})
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, c.usage)
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "authbff %s: %s\n\n%s", args[0], strings.TrimPrefix(err.Error(), "usage: "), c.usage)
		return 2
	default:
		fmt.Fprintf(stderr, "authbff: %v\n", err)
		return 1
	}
}

// wantsHelp reports whether any argument asks for help (-h, --help, or "help" as the
// subcommand), so that `authbff users delete -h` prints usage and touches nothing.
func wantsHelp(args []string) bool {
	for i, a := range args {
		if a == "-h" || a == "--help" || a == "-help" || (i == 0 && a == "help") {
			return true
		}
		if a == "--" {
			return false
		}
	}
	return false
}

// parseFlags parses flags that may come before or after the positional arguments
// (`users show ada --json`) and returns the positional ones.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
