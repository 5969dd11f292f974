package migrations_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	atlas "ariga.io/atlas/sql/migrate"
	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3"

	"authbff/graph/auth"
	"authbff/migrations"
	"authbff/migrations/plan"
)

// postgresURL returns a fresh database on AUTH_TEST_POSTGRES_URL's server (dropped after
// the test). Outside CI, without the variable, the test is skipped saying how to run it;
// in CI (CI set) a missing server is a failure.
func postgresURL(t *testing.T) string {
	t.Helper()
	base := os.Getenv("AUTH_TEST_POSTGRES_URL")
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("AUTH_TEST_POSTGRES_URL is not set in CI (.ci/run sets it)")
		}
		t.Skip("SKIPPED: needs PostgreSQL; run with AUTH_TEST_POSTGRES_URL=postgres://authbff:authbff@127.0.0.1:5432/authbff (a user that may create databases)")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	name := "authbff_mig_" + strings.ToLower(rand.Text()[:12])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") })
	u, _ := url.Parse(base)
	u.Path = "/" + name
	return u.String()
}

func openPG(t *testing.T, u string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openSQLite opens path as serve does (auth.Open: the same DSN and connector).
func openSQLite(t *testing.T, path string) *sql.DB {
	t.Helper()
	st, err := auth.Open(context.Background(), "sqlite:"+path, auth.OpenOrCreate)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st.DB
}

// copyDir copies a dialect's committed migrations into a temp dir.
func copyDir(t *testing.T, dialect string) string {
	t.Helper()
	src, err := migrations.Dir(dialect)
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	if err := os.CopyFS(dst, src); err != nil {
		t.Fatal(err)
	}
	return dst
}

// checkCurrent plans migrations from the ent schema on an empty dev database against a
// copy of the committed directory and fails if anything would be written: the ent
// schema and the committed migrations agree. It also validates atlas.sum.
func checkCurrent(t *testing.T, dialect string, dev *sql.DB) {
	t.Helper()
	dir := copyDir(t, dialect)
	ld, err := atlas.NewLocalDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := atlas.Validate(ld); err != nil {
		t.Fatalf("%s atlas.sum does not match the files (a migration was edited by hand?): %v", dialect, err)
	}
	before, _ := os.ReadDir(dir)
	if err := plan.Generate(context.Background(), dialect, dev, dir, "stale"); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadDir(dir)
	if len(after) != len(before) {
		var extra string
		for _, e := range after {
			if strings.Contains(e.Name(), "stale") {
				b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
				extra = string(b)
			}
		}
		t.Fatalf("the ent schema and the committed %s migrations disagree: run `make migration NAME=<what_changed>` and commit the result. It would add:\n%s", dialect, extra)
	}
}

func TestMigrationsMatchEntSchemaSQLite(t *testing.T) {
	t.Parallel()
	dev, err := sql.Open("sqlite3", "file:dev-"+rand.Text()+"?mode=memory&cache=shared&_fk=1")
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	dev.SetMaxOpenConns(1)
	checkCurrent(t, migrations.SQLite, dev)
}

func TestMigrationsMatchEntSchemaPostgres(t *testing.T) {
	t.Parallel()
	checkCurrent(t, migrations.Postgres, openPG(t, postgresURL(t)))
}

// TestSameVersionsPerDialect: every release ships a migration for both dialects.
func TestSameVersionsPerDialect(t *testing.T) {
	lite, err := migrations.Load(migrations.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := migrations.Load(migrations.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) == 0 || len(lite) != len(pg) {
		t.Fatalf("%d SQLite and %d PostgreSQL migrations, want the same non-zero number", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].Description != pg[i].Description {
			t.Errorf("migration %d: %q (sqlite) vs %q (postgres)", i, lite[i].Description, pg[i].Description)
		}
	}
}

type dialectCase struct {
	name    string
	dialect string
	open    func(t *testing.T) (*sql.DB, func() *sql.DB)
}

func dialects() []dialectCase {
	return []dialectCase{
		{"SQLite", migrations.SQLite, func(t *testing.T) (*sql.DB, func() *sql.DB) {
			path := filepath.Join(t.TempDir(), "m.db")
			return openSQLite(t, path), func() *sql.DB { return openSQLite(t, path) }
		}},
		{"Postgres", migrations.Postgres, func(t *testing.T) (*sql.DB, func() *sql.DB) {
			u := postgresURL(t)
			return openPG(t, u), func() *sql.DB { return openPG(t, u) }
		}},
	}
}

// TestUpStatusAheadAltered: up applies everything once, a second up applies nothing,
// status reads current; an unknown recorded version is "ahead" and refused; an altered
// checksum is refused.
func TestUpStatusAheadAltered(t *testing.T) {
	t.Parallel()
	for _, d := range dialects() {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, _ := d.open(t)
			st, err := migrations.ReadStatus(ctx, db, d.dialect)
			if err != nil {
				t.Fatal(err)
			}
			all, _ := migrations.Load(d.dialect)
			if st.Current() || len(st.Pending) != len(all) || st.Legacy {
				t.Fatalf("empty database: %+v, want every migration pending", st)
			}
			if err := st.Check("X"); err == nil || !strings.Contains(err.Error(), "not migrated") || !strings.Contains(err.Error(), "X") {
				t.Fatalf("Check on an empty database: %v", err)
			}
			done, err := migrations.Up(ctx, db, d.dialect, "X")
			if err != nil || len(done) != len(all) {
				t.Fatalf("up: %d applied, %v", len(done), err)
			}
			if done, err := migrations.Up(ctx, db, d.dialect, "X"); err != nil || len(done) != 0 {
				t.Fatalf("second up: %d applied, %v; want nothing", len(done), err)
			}
			if st, err = migrations.ReadStatus(ctx, db, d.dialect); err != nil || !st.Current() || st.Check("X") != nil {
				t.Fatalf("after up: %+v %v", st, err)
			}
			if _, err := db.Exec("INSERT INTO " + migrations.Table + " (version, description, checksum, applied_at) VALUES ('99991231000000', 'from_the_future', 'x', '2999-01-01T00:00:00Z')"); err != nil {
				t.Fatal(err)
			}
			st, _ = migrations.ReadStatus(ctx, db, d.dialect)
			if err := st.Check("X"); !errors.Is(err, migrations.ErrAhead) || !strings.Contains(err.Error(), "99991231000000") {
				t.Fatalf("ahead: %v", err)
			}
			if _, err := migrations.Up(ctx, db, d.dialect, "X"); !errors.Is(err, migrations.ErrAhead) {
				t.Fatalf("up on a database that is ahead: %v", err)
			}
			if _, err := db.Exec("DELETE FROM " + migrations.Table + " WHERE version = '99991231000000'"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec("UPDATE " + migrations.Table + " SET checksum = 'edited'"); err != nil {
				t.Fatal(err)
			}
			if _, err := migrations.Up(ctx, db, d.dialect, "X"); err == nil || !strings.Contains(err.Error(), "checksum") {
				t.Fatalf("up with an altered history: %v", err)
			}
		})
	}
}

// TestConcurrentUp: eight runs on separate handles at once; each migration is applied
// exactly once and every run succeeds.
func TestConcurrentUp(t *testing.T) {
	t.Parallel()
	for _, d := range dialects() {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			_, another := d.open(t)
			all, _ := migrations.Load(d.dialect)
			var wg sync.WaitGroup
			var mu sync.Mutex
			applied := 0
			start := make(chan struct{})
			for range 8 {
				db := another()
				wg.Go(func() {
					<-start
					done, err := migrations.Up(ctx, db, d.dialect, "X")
					if err != nil {
						t.Errorf("concurrent up: %v", err)
					}
					mu.Lock()
					applied += len(done)
					mu.Unlock()
				})
			}
			close(start)
			wg.Wait()
			if applied != len(all) {
				t.Fatalf("%d migrations applied in total, want %d (each once)", applied, len(all))
			}
		})
	}
}

// TestLegacyDatabaseIsBaselined: a database whose tables were created by the first
// migration's SQL (what auto-migration created before versioned migrations) but that
// has no history is recorded at the first version without running it again.
func TestLegacyDatabaseIsBaselined(t *testing.T) {
	t.Parallel()
	for _, d := range dialects() {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, _ := d.open(t)
			all, _ := migrations.Load(d.dialect)
			for _, s := range all[0].Stmts {
				if _, err := db.Exec(s); err != nil {
					t.Fatal(err)
				}
			}
			st, _ := migrations.ReadStatus(ctx, db, d.dialect)
			if !st.Legacy || st.Check("X") == nil || !strings.Contains(st.Check("X").Error(), "migrate up") {
				t.Fatalf("legacy database: %+v %v", st, st.Check("X"))
			}
			done, err := migrations.Up(ctx, db, d.dialect, "X")
			if err != nil || len(done) != len(all) {
				t.Fatalf("up on a legacy database: %d %v", len(done), err)
			}
			if st, _ := migrations.ReadStatus(ctx, db, d.dialect); !st.Current() {
				t.Fatalf("after baseline: %+v", st)
			}
		})
	}
}

// TestUpgradeKeepsEveryRow puts data in the schema of the first committed version, then
// migrates to the newest: every row of every table is still there. It holds for every
// future version: the seed only ever needs the first version's columns.
func TestUpgradeKeepsEveryRow(t *testing.T) {
	t.Parallel()
	for _, d := range dialects() {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, _ := d.open(t)
			all, _ := migrations.Load(d.dialect)
			if _, err := migrations.UpTo(ctx, db, d.dialect, "X", all[0].Version); err != nil {
				t.Fatal(err)
			}
			exec := func(q string, args ...any) {
				t.Helper()
				if d.dialect == migrations.Postgres {
					for i := 1; strings.Contains(q, "?"); i++ {
						q = strings.Replace(q, "?", "$"+strconv.Itoa(i), 1)
					}
				}
				if _, err := db.Exec(q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			counts := map[string]int{}
			for i := range 3 {
				uid, org, sid := uuid.New().String(), uuid.New().String(), uuid.New().String()
				name := "seed" + strconv.Itoa(i)
				exec("INSERT INTO users (id, email, email_key, username, username_key, password_hash, roles, created_at, updated_at, default_workspace_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
					uid, name+"@example.com", name+"@example.com", name, name, "$argon2id$x", `["user"]`, now, now, org)
				exec("INSERT INTO organizations (id, name, personal, created_at) VALUES (?, ?, ?, ?)", org, name+"'s workspace", true, now)
				exec("INSERT INTO memberships (id, role, created_at, org_id, user_id) VALUES (?, ?, ?, ?, ?)", uuid.New().String(), "owner", now, org, uid)
				exec("INSERT INTO sessions (id, org_id, created_at, last_used_at, expires_at, ip, user_agent, user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
					sid, org, now, now, now.Add(time.Hour), "192.0.2.1", "seed-agent", uid)
				exec("INSERT INTO refresh_tokens (id, token_hash, created_at, expires_at, session_id) VALUES (?, ?, ?, ?, ?)",
					uuid.New().String(), []byte("rt"+name), now, now.Add(time.Hour), sid)
				exec("INSERT INTO one_time_tokens (id, kind, token_hash, created_at, expires_at, user_id) VALUES (?, ?, ?, ?, ?, ?)",
					uuid.New().String(), "verify_email", []byte("ot"+name), now, now.Add(time.Hour), uid)
				exec("INSERT INTO invites (id, email, email_key, role, token_hash, invited_by, created_at, expires_at, org_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
					uuid.New().String(), "guest"+name+"@example.com", "guest"+name+"@example.com", "member", []byte("iv"+name), uid, now, now.Add(time.Hour), org)
				exec("INSERT INTO mails (id, kind, \"to\", subject, text_body, html_body, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
					uuid.New().String(), "verify_email", name+"@example.com", "Verify", "text", "<p>html</p>", now, now)
				exec("INSERT INTO audit_events (id, type, user_id, ip, user_agent, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
					uuid.New().String(), "registered", uid, "192.0.2.1", "seed-agent", "{}", now)
				exec("INSERT INTO settings (id, value) VALUES (?, ?)", "seed_"+name, "v")
			}
			tables := []string{"users", "organizations", "memberships", "sessions", "refresh_tokens", "one_time_tokens", "invites", "mails", "audit_events", "settings"}
			for _, tb := range tables {
				counts[tb] = 3
			}
			done, err := migrations.Up(ctx, db, d.dialect, "X")
			if err != nil || len(done) != len(all)-1 {
				t.Fatalf("upgrade from %s: %d applied, %v", all[0].Version, len(done), err)
			}
			for _, tb := range tables {
				var n int
				if err := db.QueryRow("SELECT count(*) FROM " + tb).Scan(&n); err != nil || n != counts[tb] {
					t.Errorf("%s: %d rows after the upgrade (%v), want %d", tb, n, err, counts[tb])
				}
			}
			var n int
			if err := db.QueryRow("SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id JOIN refresh_tokens r ON r.session_id = s.id").Scan(&n); err != nil || n != 3 {
				t.Errorf("rows no longer join after the upgrade: %d %v", n, err)
			}
			// The newest schema cascades: deleting a user takes its sessions, their refresh
			// tokens, its one-time tokens and memberships; deleting an organization its
			// invitations.
			exec("DELETE FROM users WHERE username = ?", "seed0")
			exec("DELETE FROM organizations WHERE name = ?", "seed1's workspace")
			for tb, want := range map[string]int{"sessions": 2, "refresh_tokens": 2, "one_time_tokens": 2, "memberships": 1, "invites": 2} {
				if err := db.QueryRow("SELECT count(*) FROM " + tb).Scan(&n); err != nil || n != want {
					t.Errorf("%s: %d rows after deleting a user and an organization (%v), want %d", tb, n, err, want)
				}
			}
		})
	}
}
