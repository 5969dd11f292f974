package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"authbff/graph/auth"
)

// keys administers the access-token signing keys kept in the database.
func keys(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 1 || (args[0] != "list" && args[0] != "rotate") {
		return fmt.Errorf("usage: authbff keys list|rotate")
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	db, err := auth.OpenDB(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	cfg.Auth.Log = slog.New(slog.DiscardHandler)
	svc, err := auth.New(ctx, db, cfg.Auth)
	if err != nil {
		return err
	}
	if args[0] == "rotate" {
		k, err := svc.RotateKeys(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "new signing key %s (%s); running servers pick it up within a minute\n", k.KID, k.Alg)
		return nil
	}
	for i, k := range svc.Keys() {
		state := "verifies"
		if i == 0 {
			state = "signs"
		}
		retired := ""
		if k.Retired != nil {
			retired = " retired " + k.Retired.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(stdout, "%s %s %s created %s%s\n", k.KID, k.Alg, state, k.Created.UTC().Format(time.RFC3339), retired)
	}
	return nil
}
