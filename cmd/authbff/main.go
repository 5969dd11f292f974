// Command authbff is the authentication service: `authbff serve` runs the HTTP server.
// This package is the only place that reads the environment.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signalContext()
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// signalContext ends on SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

const usage = `authbff: authentication service (GraphQL + the legacy /v1/auth REST routes)

Usage:
  authbff serve         run the HTTP server (configured by AUTH_* environment variables)
  authbff keys list     list the access-token signing keys (never their secrets)
  authbff keys rotate   make a new key sign; older keys keep verifying until their tokens expire
  authbff users deactivate|activate <username-or-email>
                        end an account's sessions and refuse its logins, or allow them again
  authbff users set-password <username-or-email>
                        set a password read from stdin (same policy; ends every session)
  authbff help          show this help

See README.md for the configuration variables.
`

// run is main without the process: arguments, environment and output are passed in,
// so tests can run the binary's code in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		if err := serve(ctx, args[1:], getenv, stderr); err != nil {
			fmt.Fprintf(stderr, "authbff: %v\n", err)
			return 1
		}
		return 0
	case "keys":
		if err := keys(ctx, args[1:], getenv, stdout); err != nil {
			fmt.Fprintf(stderr, "authbff: %v\n", err)
			return 1
		}
		return 0
	case "users":
		if err := users(ctx, args[1:], getenv, os.Stdin, stdout); err != nil {
			fmt.Fprintf(stderr, "authbff: %v\n", err)
			return 1
		}
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "authbff: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
