package main

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"authbff/rest/apitest"
)

// cmdEnv is an environment naming a SQLite file in t's temp dir (not created).
func cmdEnv(t *testing.T) (map[string]string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "auth.db")
	return map[string]string{"AUTH_DATABASE_URL": "sqlite:" + path, "AUTH_HASH_MEMORY_KIB": "64", "AUTH_HASH_TIME": "1"}, path
}

// runIn runs the binary's code in-process with stdin.
func runIn(t *testing.T, env map[string]string, stdin string, args ...string) keysCmdResult {
	t.Helper()
	var out, errOut strings.Builder
	code := run(t.Context(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errOut)
	return keysCmdResult{code, out.String(), errOut.String()}
}

// TestEveryCommandAnswersHelp: -h and --help print the command's usage on stdout with
// exit 0, and touch no database.
func TestEveryCommandAnswersHelp(t *testing.T) {
	t.Parallel()
	env, path := cmdEnv(t)
	cmds := [][]string{{}, {"serve"}, {"migrate"}, {"migrate", "up"}, {"migrate", "status"}, {"migrate", "plan"},
		{"keys"}, {"keys", "list"}, {"keys", "rotate"}, {"users"}, {"users", "list"}, {"users", "show"},
		{"users", "create"}, {"users", "delete"}, {"users", "export"}, {"users", "deactivate"}, {"users", "activate"},
		{"users", "set-password"}, {"backup"}, {"version"}}
	for _, c := range cmds {
		for _, h := range []string{"-h", "--help"} {
			r := runIn(t, env, "", append(c, h)...)
			if r.code != 0 || !strings.Contains(r.stdout, "Usage") || r.stderr != "" {
				t.Errorf("authbff %s %s: exit %d, stdout %q, stderr %q", strings.Join(c, " "), h, r.code, r.stdout, r.stderr)
			}
		}
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("a --help created the database")
	}
	if r := runIn(t, env, "", "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "authbff ") || !strings.Contains(r.stdout, "migrations: sqlite 2") {
		t.Errorf("version: %d %q", r.code, r.stdout)
	}
	if r := runIn(t, env, "", "users", "frob"); r.code != 2 || !strings.Contains(r.stderr, `unknown subcommand "frob"`) || !strings.Contains(r.stderr, "Usage") {
		t.Errorf("unknown users subcommand: %d %q", r.code, r.stderr)
	}
}

// TestCommandsNeverCreateADatabase: pointed at a missing database, every command but
// migrate up and serve says so, names the file, and creates nothing; pointed at a
// database without the schema it says to run migrate up.
func TestCommandsNeverCreateADatabase(t *testing.T) {
	t.Parallel()
	env, path := cmdEnv(t)
	cmds := [][]string{{"keys", "list"}, {"keys", "rotate"}, {"users", "list"}, {"users", "show", "x"},
		{"users", "export", "x"}, {"users", "delete", "x", "--yes"}, {"users", "deactivate", "x"},
		{"migrate", "status"}, {"migrate", "plan"}, {"backup", filepath.Join(t.TempDir(), "b.db")}}
	for _, c := range cmds {
		r := runIn(t, env, "", c...)
		if r.code != 1 || !strings.Contains(r.stderr, path) || !strings.Contains(r.stderr, "does not exist") {
			t.Errorf("authbff %s on a missing database: exit %d, stderr %q", strings.Join(c, " "), r.code, r.stderr)
		}
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("a command created the database")
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil { // an empty file: SQLite's empty database
		t.Fatal(err)
	}
	for _, c := range [][]string{{"keys", "list"}, {"users", "list"}} {
		if r := runIn(t, env, "", c...); r.code != 1 || !strings.Contains(r.stderr, "not migrated") || !strings.Contains(r.stderr, path) ||
			!strings.Contains(r.stderr, "authbff migrate up") {
			t.Errorf("authbff %s on an unmigrated database: exit %d, stderr %q", strings.Join(c, " "), r.code, r.stderr)
		}
	}
}

// TestKeysRotateKeepsEdDSA: on an EdDSA database, keys rotate without AUTH_JWT_ALG makes
// an EdDSA key (it used to switch the service to HS256), and keys list changes nothing.
func TestKeysRotateKeepsEdDSA(t *testing.T) {
	t.Parallel()
	env, _ := cmdEnv(t)
	if r := runIn(t, env, "", "migrate", "up"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	env["AUTH_JWT_ALG"] = "EdDSA"
	if r := runIn(t, env, "", "keys", "rotate"); r.code != 0 || !strings.Contains(r.stdout, "EdDSA") {
		t.Fatalf("rotate EdDSA: %q %q", r.stdout, r.stderr)
	}
	delete(env, "AUTH_JWT_ALG")
	before := runIn(t, env, "", "keys", "list").stdout
	if r := runIn(t, env, "", "keys", "list"); r.stdout != before || strings.Contains(r.stdout, "HS256") {
		t.Fatalf("keys list without AUTH_JWT_ALG on an EdDSA database: %q then %q", before, r.stdout)
	}
	if r := runIn(t, env, "", "keys", "rotate"); r.code != 0 || !strings.Contains(r.stdout, "(EdDSA)") {
		t.Fatalf("rotate without AUTH_JWT_ALG on an EdDSA database: %q %q", r.stdout, r.stderr)
	}
	// A serve start without AUTH_JWT_ALG keeps the EdDSA signer as well.
	before = runIn(t, env, "", "keys", "list").stdout
	if code, log := serveOnce(t, env); code != 0 {
		t.Fatalf("serve on the EdDSA database: exit %d\n%s", code, log)
	}
	if after := runIn(t, env, "", "keys", "list").stdout; after != before {
		t.Fatalf("a serve start without AUTH_JWT_ALG changed the keys:\n%s\nthen\n%s", before, after)
	}
}

// TestUsersLifecycleCommands: create (password from stdin), list/search with paging,
// show, export, delete — as an operator types them, against the database a server uses.
func TestUsersLifecycleCommands(t *testing.T) {
	t.Parallel()
	env, path := cmdEnv(t)
	e := apitest.New(t, apitest.WithDatabase("sqlite:"+path))
	e.Register("alpha1")
	e.Register("alpha2")
	e.Register("beta")

	r := runIn(t, env, "Operator-Made-Secret-7\n", "users", "create", "Gamma@Example.com", "gamma", "--verified", "--role", "user", "--role", "support", "--json")
	if r.code != 0 {
		t.Fatalf("create: %d %s", r.code, r.stderr)
	}
	var created map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &created); err != nil || created["username"] != "gamma" || created["is_verified"] != true {
		t.Fatalf("create --json: %v %s", err, r.stdout)
	}
	if s, _ := post(t, e.URL+"/v1/auth/login", map[string]any{"username": "gamma", "password": "Operator-Made-Secret-7"}); s != 200 {
		t.Fatalf("login with the operator-made password: %d", s)
	}
	if r := runIn(t, env, "password123\n", "users", "create", "d@example.com", "delta"); r.code != 1 || !strings.Contains(r.stderr, "common") {
		t.Fatalf("create with a common password: %d %q", r.code, r.stderr)
	}
	if r := runIn(t, env, "Another-Good-Secret-8\n", "users", "create", "alpha1@example.com", "other"); r.code != 1 || !strings.Contains(strings.ToLower(r.stderr), "email") {
		t.Fatalf("create with a taken e-mail: %d %q", r.code, r.stderr)
	}

	r = runIn(t, env, "", "users", "list", "--search", "ALPHA", "--limit", "1", "--json")
	var page struct {
		Total    int              `json:"total"`
		Accounts []map[string]any `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &page); err != nil || page.Total != 2 || len(page.Accounts) != 1 || page.Accounts[0]["username"] != "alpha1" {
		t.Fatalf("list --search ALPHA --limit 1: %v %s", err, r.stdout)
	}
	r = runIn(t, env, "", "users", "list", "--search", "alpha", "--limit", "1", "--offset", "1")
	if r.code != 0 || !strings.Contains(r.stdout, "alpha2") || strings.Contains(r.stdout, "alpha1") || !strings.Contains(r.stdout, "1 of 2") {
		t.Fatalf("list page 2: %q", r.stdout)
	}

	r = runIn(t, env, "", "users", "show", "alpha1", "--json")
	var shown map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &shown); err != nil || len(shown["memberships"].([]any)) != 1 ||
		len(shown["live_sessions"].([]any)) != 1 || shown["locked_out"] != false {
		t.Fatalf("show --json: %v %s", err, r.stdout)
	}
	if r := runIn(t, env, "", "users", "show", "alpha1"); r.code != 0 || !strings.Contains(r.stdout, "live sessions (1)") || !strings.Contains(r.stdout, "locked out: no") {
		t.Fatalf("show: %q", r.stdout)
	}

	r = runIn(t, env, "", "users", "export", "alpha1@example.com")
	var x map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &x); err != nil || len(x["sessions"].([]any)) != 1 || len(x["audit_events"].([]any)) == 0 ||
		len(x["mails"].([]any)) != 1 || x["account"].(map[string]any)["email"] != "alpha1@example.com" {
		t.Fatalf("export: %v %s", err, r.stdout)
	}
	if strings.Contains(r.stdout, "argon2") || strings.Contains(strings.ToLower(r.stdout), "token_hash") {
		t.Fatalf("export shows a secret: %s", r.stdout)
	}

	if r := runIn(t, env, "", "users", "delete", "alpha1"); r.code != 2 || !strings.Contains(r.stderr, "--yes") {
		t.Fatalf("delete without --yes: %d %q", r.code, r.stderr)
	}
	if r := runIn(t, env, "", "users", "delete", "alpha1", "--yes"); r.code != 0 || !strings.Contains(r.stdout, "erased") {
		t.Fatalf("delete: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if hits := apitest.FindInDatabase(t, "sqlite:"+path, "alpha1"); len(hits) > 0 {
		t.Fatalf("personal data left after users delete:\n%s", strings.Join(hits, "\n"))
	}
	if r := runIn(t, env, "", "users", "show", "alpha1"); r.code != 1 || !strings.Contains(r.stderr, "No account") {
		t.Fatalf("show after delete: %d %q", r.code, r.stderr)
	}

	// The copy is taken while the server writes: registrations run until it is done.
	backupPath := filepath.Join(t.TempDir(), "copy.db")
	stop := make(chan struct{})
	written := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				written <- n
				return
			default:
			}
			u := "busy" + strconv.Itoa(n)
			if s, _ := post(t, e.URL+"/v1/auth/register", map[string]any{"email": u + "@example.com", "username": u, "password": "busy-Writer-Pass-1"}); s == 200 {
				n++
			}
		}
	}()
	r = runIn(t, env, "", "backup", backupPath)
	close(stop)
	busy := <-written
	if r.code != 0 {
		t.Fatalf("backup: %s", r.stderr)
	}
	if r := runIn(t, env, "", "backup", backupPath); r.code != 1 || !strings.Contains(r.stderr, "exists") {
		t.Fatalf("backup over an existing file: %d %q", r.code, r.stderr)
	}
	if fi, err := os.Stat(backupPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", fi, err)
	}
	copyEnv := map[string]string{"AUTH_DATABASE_URL": "sqlite:" + backupPath}
	r = runIn(t, copyEnv, "", "users", "list", "--json", "--limit", "1000")
	var copied struct {
		Total int `json:"total"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &copied); r.code != 0 || err != nil || copied.Total < 3 || copied.Total > 3+busy {
		t.Fatalf("the backup is not a usable database (%d accounts, %d written during the copy): %q %q", copied.Total, busy, r.stdout, r.stderr)
	}
	db, err := sql.Open("sqlite3", "file:"+backupPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	var orphans int
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check of the copy: %q %v", check, err)
	}
	// Consistent: every account in the copy has its personal workspace membership.
	if err := db.QueryRow("SELECT count(*) FROM users u WHERE NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id)").Scan(&orphans); err != nil || orphans != 0 {
		t.Fatalf("%d accounts without their membership in the copy (%v)", orphans, err)
	}
}
