package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"authbff/graph/auth"
)

const usersUsage = `Usage: authbff users deactivate|activate|set-password <username-or-email>
`

// users administers accounts: deactivate, activate, set-password (the new password is
// read from stdin, never from the command line, where it would land in shell history).
func users(ctx context.Context, args []string, getenv func(string) string, std stdio) error {
	stdin, stdout := std.in, std.out
	if len(args) != 2 || (args[0] != "deactivate" && args[0] != "activate" && args[0] != "set-password") {
		return usageError("authbff users deactivate|activate|set-password <username-or-email>")
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	st, err := openCurrent(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := operatorService(ctx, cfg, st)
	if err != nil {
		return err
	}
	who := args[1]
	switch args[0] {
	case "deactivate", "activate":
		if err := svc.SetActive(ctx, who, args[0] == "activate"); err != nil {
			return describe(err)
		}
		fmt.Fprintf(stdout, "%s: %sd\n", who, args[0])
	case "set-password":
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		password := strings.TrimRight(line, "\r\n")
		if err := svc.SetPassword(ctx, who, password); err != nil {
			return describe(err)
		}
		fmt.Fprintf(stdout, "%s: password set, every session ended\n", who)
	}
	return nil
}

// describe turns a domain error into one line for the terminal.
func describe(err error) error {
	var ae *auth.Error
	if !errors.As(err, &ae) {
		return err
	}
	if ae.Code == auth.CodeValidation && len(ae.Fields) > 0 {
		return errors.New(ae.Fields[0].Msg)
	}
	return errors.New(ae.Message)
}
