package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"authbff/migrations"
	"authbff/rest/apitest"
)

// TestThreeReplicasStartTogetherOnEmptyPostgres: three `authbff serve` processes started
// at the same instant on an empty PostgreSQL database all serve (the migration lock
// makes one of them migrate and the others wait), five times in a row; an account
// registered through one logs in through the others.
func TestThreeReplicasStartTogetherOnEmptyPostgres(t *testing.T) {
	t.Parallel()
	for round := range 5 {
		url := apitest.Postgres(t)
		var replicas []*child
		for range 3 {
			replicas = append(replicas, spawnChild(t, "AUTH_DATABASE_URL="+url))
		}
		for i, c := range replicas {
			if err := c.waitListening(60 * time.Second); err != nil {
				t.Fatalf("round %d, replica %d: %v", round, i, err)
			}
		}
		user := fmt.Sprintf("replica%d", round)
		if status, m := post(t, replicas[0].url+"/v1/auth/register", map[string]any{
			"email": user + "@example.com", "username": user, "password": "replica-Password-1"}); status != 200 {
			t.Fatalf("round %d: register: %d %v", round, status, m)
		}
		for i, c := range replicas {
			status, m := post(t, c.url+"/v1/auth/login", map[string]any{"username": user, "password": "replica-Password-1"})
			if status != 200 {
				t.Fatalf("round %d: login through replica %d: %d %v", round, i, status, m)
			}
			// The replicas agreed on one signing secret (the first start's insert wins,
			// the others read it): a token one signed is good at every other.
			access, _ := m["access_token"].(string)
			for j, other := range replicas {
				if status := getMe(t, other.url, access); status != 200 {
					t.Fatalf("round %d: a token of replica %d at replica %d: %d", round, i, j, status)
				}
			}
		}
		applied := 0
		for _, c := range replicas {
			applied += strings.Count(c.logs.String(), "migration applied")
			_ = c.cmd.Process.Kill()
			<-c.exited
		}
		if all, _ := migrations.Load(migrations.Postgres); applied != len(all) {
			t.Fatalf("round %d: the replicas applied %d migrations between them, want %d (each once)", round, applied, len(all))
		}
	}
}

// serveOnce runs `authbff serve` in-process until it listens, then stops it; it returns
// the exit code and the log. A start that fails returns at once with its code.
func serveOnce(t *testing.T, env map[string]string) (int, string) {
	t.Helper()
	env["AUTH_ADDR"] = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	logs := readLogs(pr)
	exit := make(chan int, 1)
	go func() {
		code := run(ctx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), io.Discard, pw)
		pw.Close()
		exit <- code
	}()
	select {
	case <-logs.listening:
		cancel()
		code := <-exit
		<-logs.done
		return code, strings.Join(logs.all(), "\n")
	case code := <-exit:
		<-logs.done
		return code, strings.Join(logs.all(), "\n")
	case <-time.After(30 * time.Second):
		t.Fatalf("serve neither listened nor exited:\n%s", strings.Join(logs.all(), "\n"))
	}
	return 0, ""
}

// schemaFingerprint changes whenever DDL runs: SQLite's schema_version counts schema
// changes; on PostgreSQL every created object takes a new oid, and DROP/CREATE of an
// index (what auto-migration did to invite_pending_unique at every start) changes it.
func schemaFingerprint(t *testing.T, dialect, url string) string {
	t.Helper()
	q := "SELECT string_agg(oid::text || ':' || relname, ',' ORDER BY oid) FROM pg_class WHERE relnamespace = 'public'::regnamespace"
	if dialect == migrations.SQLite {
		q = "SELECT CAST(schema_version AS TEXT) FROM pragma_schema_version"
	}
	db := apitest.OpenReadOnly(t, url)
	defer db.Close()
	var v string
	if err := db.QueryRow(q).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSecondStartRunsNoDDL: the first start migrates; the second start on the now
// current database changes nothing in the schema.
func TestSecondStartRunsNoDDL(t *testing.T) {
	t.Parallel()
	cases := map[string]func(t *testing.T) string{
		migrations.SQLite:   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "auth.db") },
		migrations.Postgres: func(t *testing.T) string { return apitest.Postgres(t) },
	}
	for dialect, mk := range cases {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			url := mk(t)
			env := map[string]string{"AUTH_DATABASE_URL": url, "AUTH_HASH_MEMORY_KIB": "64", "AUTH_HASH_TIME": "1"}
			if code, log := serveOnce(t, env); code != 0 || !strings.Contains(log, "migration applied") {
				t.Fatalf("first start: exit %d\n%s", code, log)
			}
			before := schemaFingerprint(t, dialect, url)
			code, log := serveOnce(t, env)
			if code != 0 || strings.Contains(log, "migration applied") {
				t.Fatalf("second start: exit %d\n%s", code, log)
			}
			if after := schemaFingerprint(t, dialect, url); after != before {
				t.Fatalf("the second start changed the schema:\n before %s\n after  %s", before, after)
			}
		})
	}
}

// TestServeMigrationGuards: with AUTH_AUTO_MIGRATE=off a database that is behind (or
// missing) stops the start saying to run `authbff migrate up`, and nothing is created; a
// database migrated by a newer release is refused whatever the setting.
func TestServeMigrationGuards(t *testing.T) {
	t.Parallel()

	t.Run("ErrMissingDatabaseWithAutoMigrateOff", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "nothere", "auth.db")
		code, log := serveOnce(t, map[string]string{"AUTH_DATABASE_URL": "sqlite:" + path, "AUTH_AUTO_MIGRATE": "off"})
		if code != 1 || !strings.Contains(log, path) || !strings.Contains(log, "migrate up") {
			t.Fatalf("exit %d\n%s", code, log)
		}
		if _, err := os.Stat(filepath.Dir(path)); err == nil {
			t.Fatalf("serve created %s", filepath.Dir(path))
		}
	})

	t.Run("ErrBehindWithAutoMigrateOff", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "auth.db")
		db, err := sql.Open("sqlite3", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("CREATE TABLE unrelated (x int)"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		code, log := serveOnce(t, map[string]string{"AUTH_DATABASE_URL": "sqlite:" + path, "AUTH_AUTO_MIGRATE": "off"})
		if code != 1 || !strings.Contains(log, "authbff migrate up") || !strings.Contains(log, path) {
			t.Fatalf("exit %d\n%s", code, log)
		}
		r := runKeysCmd(t, map[string]string{"AUTH_DATABASE_URL": "sqlite:" + path}, "migrate", "status")
		if r.code != 0 || !strings.Contains(r.stdout, "behind by") {
			t.Fatalf("migrate status: %d %q %q", r.code, r.stdout, r.stderr)
		}
		r = runKeysCmd(t, map[string]string{"AUTH_DATABASE_URL": "sqlite:" + path}, "migrate", "plan")
		if r.code != 0 || !strings.Contains(r.stdout, "CREATE TABLE `users`") {
			t.Fatalf("migrate plan: %d %q %q", r.code, r.stdout, r.stderr)
		}
		if fp := schemaFingerprint(t, migrations.SQLite, "sqlite:"+path); fp != "1" {
			t.Fatalf("status/plan changed the schema (schema_version %s)", fp)
		}
		r = runKeysCmd(t, map[string]string{"AUTH_DATABASE_URL": "sqlite:" + path}, "migrate", "up")
		if r.code != 0 || !strings.Contains(r.stdout, "applied") || !strings.Contains(r.stdout, "is current") {
			t.Fatalf("migrate up: %d %q %q", r.code, r.stdout, r.stderr)
		}
		if code, log := serveOnce(t, map[string]string{"AUTH_DATABASE_URL": "sqlite:" + path, "AUTH_AUTO_MIGRATE": "off",
			"AUTH_HASH_MEMORY_KIB": "64", "AUTH_HASH_TIME": "1"}); code != 0 {
			t.Fatalf("serve after migrate up: exit %d\n%s", code, log)
		}
		r = runKeysCmd(t, map[string]string{"AUTH_DATABASE_URL": "sqlite:" + path}, "migrate", "plan")
		if r.code != 0 || !strings.Contains(r.stdout, "up would run nothing") {
			t.Fatalf("migrate plan on a current database: %d %q", r.code, r.stdout)
		}
	})

	t.Run("ErrDatabaseAhead", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "auth.db")
		env := map[string]string{"AUTH_DATABASE_URL": "sqlite:" + path}
		if r := runKeysCmd(t, env, "migrate", "up"); r.code != 0 {
			t.Fatal(r.stderr)
		}
		db, err := sql.Open("sqlite3", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("INSERT INTO " + migrations.Table + " VALUES ('29990101000000', 'from_a_newer_release', 'x', '2999-01-01T00:00:00Z')"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		for _, auto := range []string{"on", "off"} {
			env["AUTH_AUTO_MIGRATE"] = auto
			code, log := serveOnce(t, env)
			if code != 1 || !strings.Contains(log, "newer than this binary") || !strings.Contains(log, "29990101000000") {
				t.Fatalf("AUTH_AUTO_MIGRATE=%s: exit %d\n%s", auto, code, log)
			}
		}
		for _, args := range [][]string{{"migrate", "up"}, {"keys", "list"}, {"users", "list"}} {
			if r := runKeysCmd(t, env, args...); r.code != 1 || !strings.Contains(r.stderr, "newer than this binary") {
				t.Errorf("%v on a database that is ahead: %d %q", args, r.code, r.stderr)
			}
		}
	})
}

// getMe answers the status of GET /v1/auth/me with the bearer token.
func getMe(t *testing.T, base, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/auth/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
