package apitest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"net/url"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// PostgresEnv names the variable holding the URL of a PostgreSQL server whose user may
// create databases (CI sets it; see .ci/run). Unset: PostgreSQL tests are skipped.
const PostgresEnv = "AUTH_TEST_POSTGRES_URL"

// DatabaseEnv=postgres runs every test that does not choose its database on a fresh
// PostgreSQL database of AUTH_TEST_POSTGRES_URL instead of a SQLite file (.ci/run runs
// the HTTP suites both ways).
const DatabaseEnv = "AUTH_TEST_DATABASE"

// Postgres creates a fresh database on the server of AUTH_TEST_POSTGRES_URL for t, drops
// it afterwards, and returns its URL for WithDatabase. It skips t when the variable is unset.
func Postgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skip(PostgresEnv + " is not set")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	name := "authbff_test_" + strings.ToLower(rand.Text()[:12])
	if _, err := admin.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("creating database: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
