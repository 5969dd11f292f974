package main

import (
	"context"
	"fmt"
	"time"
)

const keysUsage = `Usage: authbff keys list|rotate

  list     list the access-token signing keys kept in the database, newest (the signer)
           first: "<kid> <alg> signs|verifies created <time> [retired <time>]". Reads only.
  rotate   make a new key sign; older keys keep verifying until their tokens expire.
           Its algorithm is AUTH_JWT_ALG when set, else that of the current signing key
           (so an EdDSA database stays EdDSA), else HS256.

With AUTH_JWT_SECRET set the keys in the database are not used: rotate by changing it.
`

// keys administers the access-token signing keys kept in the database.
func keys(ctx context.Context, args []string, getenv func(string) string, std stdio) error {
	if len(args) != 1 || (args[0] != "list" && args[0] != "rotate") {
		return usageError("authbff keys list|rotate")
	}
	cfg, st, svc, err := openOperator(ctx, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	stored, err := svc.StoredKeys(ctx)
	if err != nil {
		return err
	}
	if args[0] == "rotate" {
		if !cfg.JWTAlgSet && len(stored) > 0 && stored[0].Alg != cfg.Auth.JWTAlg {
			// Without AUTH_JWT_ALG, a rotation keeps the signer's algorithm.
			cfg.Auth.JWTAlg = stored[0].Alg
			if svc, err = operatorService(ctx, cfg, st); err != nil {
				return err
			}
		}
		k, err := svc.RotateKeys(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(std.out, "new signing key %s (%s); running servers pick it up within a minute\n", k.KID, k.Alg)
		return nil
	}
	if len(cfg.Auth.JWTSecret) > 0 {
		fmt.Fprintln(std.err, "note: AUTH_JWT_SECRET is set, so servers sign with it and not with these keys")
	}
	if len(stored) == 0 {
		fmt.Fprintf(std.err, "database %s holds no signing key yet: the first `authbff serve` creates one\n", st.Name)
	}
	for i, k := range stored {
		state := "verifies"
		if i == 0 {
			state = "signs"
		}
		retired := ""
		if k.Retired != nil {
			retired = " retired " + k.Retired.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(std.out, "%s %s %s created %s%s\n", k.KID, k.Alg, state, k.Created.UTC().Format(time.RFC3339), retired)
	}
	return nil
}
