package main

import (
	"context"
	"log/slog"

	"authbff/graph/auth"
)

// openFromEnv parses the environment and opens its database as openCurrent does: the
// start of every operator command.
func openFromEnv(ctx context.Context, getenv func(string) string) (config, *auth.Store, error) {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return cfg, nil, err
	}
	st, err := openCurrent(ctx, cfg)
	return cfg, st, err
}

// openCurrent opens the configured database for an operator command: the database must
// exist and be exactly at this binary's schema. Nothing is created or migrated; an
// error names the database that was looked at. AUTH_DB_* apply as for serve.
func openCurrent(ctx context.Context, cfg config) (*auth.Store, error) {
	st, err := auth.OpenWith(ctx, cfg.DatabaseURL, auth.OpenExisting, cfg.DB)
	if err != nil {
		return nil, err
	}
	if err := st.RequireCurrent(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// openForServe opens the database for serve. A current database is used as it is
// (SELECTs only: no DDL). A database that is behind is migrated under the migration lock
// when AUTH_AUTO_MIGRATE is on, and refused with what to run when it is off; a database
// that is ahead of the binary is always refused.
func openForServe(ctx context.Context, cfg config, log *slog.Logger) (*auth.Store, error) {
	mode := auth.OpenExisting
	if cfg.AutoMigrate {
		mode = auth.OpenOrCreate
	}
	st, err := auth.OpenWith(ctx, cfg.DatabaseURL, mode, cfg.DB)
	if err != nil {
		return nil, err
	}
	status, err := st.Status(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	if status.Current() {
		return st, nil
	}
	if !cfg.AutoMigrate || len(status.Unknown) > 0 || len(status.Altered) > 0 {
		st.Close()
		return nil, status.Check(st.Name)
	}
	done, err := st.Migrate(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	for _, m := range done {
		log.Info("migration applied", "version", m.Version, "name", m.Description, "database", st.Name)
	}
	return st, nil
}

// openOperator is the start of every operator command that runs the domain service:
// the environment parsed, its database opened (openFromEnv) and the service built
// (operatorService). The caller closes the store.
func openOperator(ctx context.Context, getenv func(string) string) (config, *auth.Store, *auth.Service, error) {
	cfg, st, err := openFromEnv(ctx, getenv)
	if err != nil {
		return cfg, nil, nil, err
	}
	svc, err := operatorService(ctx, cfg, st)
	if err != nil {
		st.Close()
		return cfg, nil, nil, err
	}
	return cfg, st, svc, nil
}

// operatorService builds the domain service for an operator command: no key or secret
// is created, and nothing is logged.
func operatorService(ctx context.Context, cfg config, st *auth.Store) (*auth.Service, error) {
	cfg.Auth.Log = slog.New(slog.DiscardHandler)
	cfg.Auth.Operator = true
	cfg.Auth.Store = st
	return auth.New(ctx, st.Client, cfg.Auth)
}
