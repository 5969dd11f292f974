package auth_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"authbff/graph/auth"
	"authbff/rest/apitest"
)

// TestUserConflictFromTypedSignals: a unique violation on users (the insert that loses a
// registration race) maps to CONFLICT with details.field username or email from typed
// signals — PostgreSQL's constraint name, or on SQLite a query in the same transaction —
// never from the driver's message text. Run on SQLite, and on PostgreSQL when
// AUTH_TEST_POSTGRES_URL is set.
func TestUserConflictFromTypedSignals(t *testing.T) {
	t.Parallel()
	dbs := map[string]func(t *testing.T) []apitest.Option{
		"SQLite": func(*testing.T) []apitest.Option { return nil },
		"PostgreSQL": func(t *testing.T) []apitest.Option {
			return []apitest.Option{apitest.WithDatabase(apitest.Postgres(t))}
		},
	}
	for name, opts := range dbs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := apitest.New(t, opts(t)...)
			e.Register("alice")
			cases := []struct {
				name, username, email, field string
			}{
				{"ErrUsernameTaken", "alice", "other@example.com", "username"},
				{"ErrEmailTaken", "bob", "alice@example.com", "email"},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					ctx := context.Background()
					tx, err := e.DB.Tx(ctx)
					if err != nil {
						t.Fatal(err)
					}
					defer tx.Rollback()
					now := time.Now()
					_, err = tx.User.Create().SetID(uuid.New()).SetEmail(c.email).SetEmailKey(c.email).
						SetUsername(c.username).SetUsernameKey(c.username).SetPasswordHash("x").
						SetRoles([]string{"user"}).SetCreatedAt(now).SetUpdatedAt(now).Save(ctx)
					if err == nil {
						t.Fatal("the duplicate was inserted")
					}
					var ae *auth.Error
					if !errors.As(auth.UserConflictForTest(ctx, tx, err, c.username), &ae) ||
						ae.Code != auth.CodeConflict || ae.Details["field"] != c.field {
						t.Fatalf("mapped to %v, want CONFLICT field %s", ae, c.field)
					}
				})
			}
		})
	}
}

// TestPostgresUsernameIndexName: the index name userConflict reads is the one the
// PostgreSQL migrations create on users.username_key.
func TestPostgresUsernameIndexName(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../migrations/postgres/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no PostgreSQL migrations: %v", err)
	}
	want := `CREATE UNIQUE INDEX "` + auth.PGUsernameIndex + `" ON "users" ("username_key")`
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), want) {
			return
		}
	}
	t.Fatalf("no migration has %s", want)
}
