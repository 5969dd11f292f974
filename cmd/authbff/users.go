package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"authbff/graph/auth"
)

const usersUsage = `Usage: authbff users SUBCOMMAND [flags] [ARGS]

  list [--search PREFIX] [--limit N] [--offset N] [--json]
        accounts, oldest first; --search matches the start of the e-mail or the
        username (ignoring case); --limit defaults to 50 (at most 1000)
  show <username-or-email> [--json]
        one account: memberships, live sessions, lockout state
  create <email> <username> [--verified] [--role ROLE]... [--json]
        create an account with the password read from stdin (same policy as
        registration) and a personal workspace; unverified accounts get the
        verification mail; --role sets global roles (default: user)
  delete <username-or-email> --yes
        erase the account (sessions, tokens, memberships, its invitations and
        outbox mail, its sole-member workspaces; audit rows anonymized). Refused
        while it is the only owner of an organization with other members.
  export <username-or-email>
        everything held about the account, as JSON (a GDPR access request)
  deactivate|activate <username-or-email>
        end the account's sessions and refuse its logins, or allow them again
  set-password <username-or-email>
        set a password read from stdin (same policy; ends every session; clears a lockout)

The database is AUTH_DATABASE_URL; it must exist and be migrated (authbff migrate up).
`

// users administers accounts. Passwords are read from stdin, never from the command line,
// where they would land in shell history and the process list.
func users(ctx context.Context, args []string, getenv func(string) string, std stdio) error {
	if len(args) == 0 {
		return usageError("a subcommand is required")
	}
	sub := args[0]
	fs := flag.NewFlagSet("users "+sub, flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	var search string
	var limit, offset int
	var verified, yes bool
	var roles []string
	want := 1
	switch sub {
	case "list":
		fs.StringVar(&search, "search", "", "e-mail or username prefix")
		fs.IntVar(&limit, "limit", 50, "page size")
		fs.IntVar(&offset, "offset", 0, "accounts to skip")
		want = 0
	case "create":
		fs.BoolVar(&verified, "verified", false, "mark the address verified")
		fs.Func("role", "a global role (repeatable)", func(v string) error { roles = append(roles, v); return nil })
		want = 2
	case "delete":
		fs.BoolVar(&yes, "yes", false, "confirm the erasure")
	case "show", "export", "deactivate", "activate", "set-password":
	default:
		return usageError("unknown subcommand %q", sub)
	}
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != want {
		return usageError("users %s takes %d argument(s), got %d", sub, want, len(pos))
	}
	if sub == "delete" && !yes {
		return usageError("users delete erases the account for good: add --yes")
	}
	_, st, svc, err := openOperator(ctx, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	out := std.out
	switch sub {
	case "list":
		page, total, err := svc.ListAccounts(ctx, auth.AccountFilter{Prefix: search, Limit: limit, Offset: offset})
		if err != nil {
			return describe(err)
		}
		if *asJSON {
			return writeJSON(out, map[string]any{"total": total, "offset": offset, "accounts": page})
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tUSERNAME\tEMAIL\tACTIVE\tVERIFIED\tCREATED")
		for _, a := range page {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%t\t%s\n", a.ID, a.Username, a.Email, a.Active, a.Verified, a.CreatedAt.UTC().Format(time.RFC3339))
		}
		tw.Flush()
		fmt.Fprintf(out, "%d of %d account(s) from offset %d\n", len(page), total, offset)
	case "show":
		d, err := svc.ShowAccount(ctx, pos[0])
		if err != nil {
			return describe(err)
		}
		if *asJSON {
			return writeJSON(out, d)
		}
		printAccount(out, d)
	case "create":
		password, err := readPassword(std.in)
		if err != nil {
			return err
		}
		a, err := svc.CreateAccount(ctx, auth.CreateAccountInput{Email: pos[0], Username: pos[1], Password: password,
			Verified: verified, Roles: roles})
		if err != nil {
			return describe(err)
		}
		if *asJSON {
			return writeJSON(out, a)
		}
		fmt.Fprintf(out, "created %s (%s, %s)\n", a.Username, a.Email, a.ID)
	case "delete":
		if err := svc.EraseAccount(ctx, pos[0]); err != nil {
			return describe(err)
		}
		fmt.Fprintf(out, "%s: erased\n", pos[0])
	case "export":
		x, err := svc.ExportAccount(ctx, pos[0])
		if err != nil {
			return describe(err)
		}
		return writeJSON(out, x)
	case "deactivate", "activate":
		if err := svc.SetActive(ctx, pos[0], sub == "activate"); err != nil {
			return describe(err)
		}
		fmt.Fprintf(out, "%s: %sd\n", pos[0], sub)
	case "set-password":
		password, err := readPassword(std.in)
		if err != nil {
			return err
		}
		if err := svc.SetPassword(ctx, auth.SetPasswordInput{Identifier: pos[0], NewPassword: password}); err != nil {
			return describe(err)
		}
		fmt.Fprintf(out, "%s: password set, every session ended\n", pos[0])
	}
	return nil
}

// readPassword reads one line from stdin.
func readPassword(in io.Reader) (string, error) {
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printAccount(w io.Writer, d *auth.AccountDetails) {
	ts := func(t *time.Time) string {
		if t == nil {
			return "never"
		}
		return t.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(w, "id          %s\nusername    %s\nemail       %s\nactive      %t\nverified    %t\nroles       %s\ncreated     %s\nlast login  %s\n",
		d.ID, d.Username, d.Email, d.Active, d.Verified, strings.Join(d.Roles, ","), d.CreatedAt.UTC().Format(time.RFC3339), ts(d.LastLogin))
	lock := "no"
	if d.LockedOut {
		lock = "yes: password login disabled until a reset (authbff users set-password)"
	}
	fmt.Fprintf(w, "failed logins %d, locked out: %s\n", d.FailedLogins, lock)
	fmt.Fprintf(w, "memberships (%d):\n", len(d.Memberships))
	for _, m := range d.Memberships {
		personal := ""
		if m.Personal {
			personal = " (personal)"
		}
		fmt.Fprintf(w, "  %s %s%s: %s\n", m.OrgID, m.OrgName, personal, m.Role)
	}
	fmt.Fprintf(w, "live sessions (%d):\n", len(d.LiveSessions))
	for _, x := range d.LiveSessions {
		fmt.Fprintf(w, "  %s last used %s from %s (%s)\n", x.ID, x.LastUsedAt.UTC().Format(time.RFC3339), x.IP, x.UserAgent)
	}
}

// describe turns a domain error into one line for the terminal.
func describe(err error) error {
	var ae *auth.Error
	if !errors.As(err, &ae) {
		return err
	}
	if ae.Code == auth.CodeValidation && len(ae.Fields) > 0 {
		return fmt.Errorf("%s: %s", ae.Fields[0].Field, ae.Fields[0].Msg)
	}
	return errors.New(ae.Message)
}
