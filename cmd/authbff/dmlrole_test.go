package main

import (
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"authbff/rest/apitest"
)

// TestServeUnderDMLOnlyRole: the owner migrates; the service then runs under a role with
// only SELECT, INSERT, UPDATE and DELETE (the GRANTs README shows) and serves: a start on
// a current database runs no DDL. Under that role a database that is behind is refused
// with what to do instead of failing half-way.
func TestServeUnderDMLOnlyRole(t *testing.T) {
	t.Parallel()
	// A server of its own: the test creates roles, which the shared cluster's user may not.
	pg := apitest.StartPostgres(t)
	port := pg.Port()
	for _, q := range []string{
		"CREATE ROLE authbff_owner LOGIN PASSWORD 'owner-pw'",
		"CREATE ROLE authbff_app LOGIN PASSWORD 'app-pw'",
		"CREATE DATABASE auth OWNER authbff_owner",
		"CREATE DATABASE auth_empty OWNER authbff_owner",
	} {
		pg.Exec(q)
	}
	url := func(role, pw, db string) string {
		return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/%s?sslmode=disable", role, pw, port, db)
	}
	ownerURL, appURL := url("authbff_owner", "owner-pw", "auth"), url("authbff_app", "app-pw", "auth")

	if r := runIn(t, map[string]string{"AUTH_DATABASE_URL": ownerURL}, "", "migrate", "up"); r.code != 0 {
		t.Fatalf("migrate up as the owner: %s", r.stderr)
	}
	owner, err := sql.Open("pgx", ownerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	// The grants README shows (PostgreSQL 15+ already denies CREATE on public to others).
	for _, q := range []string{
		"REVOKE CREATE ON SCHEMA public FROM PUBLIC",
		"GRANT CONNECT ON DATABASE auth TO authbff_app",
		"GRANT USAGE ON SCHEMA public TO authbff_app",
		"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO authbff_app",
		"ALTER DEFAULT PRIVILEGES FOR ROLE authbff_owner IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO authbff_app",
	} {
		if _, err := owner.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	env := []string{"AUTH_DATABASE_URL=" + appURL}
	for round := range 2 { // the first start creates keys and secrets (DML), the second finds them
		c := spawnChild(t, env...)
		if err := c.waitListening(60 * time.Second); err != nil {
			t.Fatalf("start %d under the DML-only role: %v", round, err)
		}
		user := "dml" + strconv.Itoa(round)
		if s, m := post(t, c.url+"/v1/auth/register", map[string]any{"email": user + "@example.com", "username": user, "password": "dml-Role-Password-1"}); s != 200 {
			t.Fatalf("register under the DML-only role: %d %v", s, m)
		}
		if s, _ := post(t, c.url+"/v1/auth/login", map[string]any{"username": user, "password": "dml-Role-Password-1"}); s != 200 {
			t.Fatalf("login under the DML-only role: %d", s)
		}
		if strings.Contains(c.logs.String(), "migration applied") {
			t.Fatalf("a start on a current database applied migrations:\n%s", c.logs)
		}
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
	if r := runIn(t, map[string]string{"AUTH_DATABASE_URL": appURL}, "", "users", "list"); r.code != 0 || !strings.Contains(r.stdout, "dml1") {
		t.Fatalf("users list under the DML-only role: %q %q", r.stdout, r.stderr)
	}

	// An empty database under a role that may not create tables: the start fails with
	// the database named and the cause, nothing half-applied.
	c := spawnChild(t, "AUTH_DATABASE_URL="+url("authbff_app", "app-pw", "auth_empty"))
	if err := c.waitListening(60 * time.Second); err == nil {
		t.Fatal("serve started on an empty database under a role without CREATE")
	}
	if logs := c.logs.String(); !strings.Contains(logs, "auth_empty") || !strings.Contains(logs, "permission denied") {
		t.Fatalf("the refusal does not name the database and the cause:\n%s", logs)
	}
}
