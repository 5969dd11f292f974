package main

import (
	"bytes"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"authbff/rest/apitest"
)

// TestUsersCommands: the operator commands act on the same database a server uses,
// and the server sees their effect at once.
func TestUsersCommands(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "auth.db")
	e := apitest.New(t, apitest.WithDatabase("sqlite:"+path))
	a := e.Register("opsuser")
	env := map[string]string{"AUTH_DATABASE_URL": "sqlite:" + path, "AUTH_HASH_MEMORY_KIB": "64", "AUTH_HASH_TIME": "1"}
	getenv := func(k string) string { return env[k] }
	cmd := func(stdin string, args ...string) (string, error) {
		var out, errOut bytes.Buffer
		if code := run(t.Context(), append([]string{"users"}, args...), getenv, strings.NewReader(stdin), &out, &errOut); code != 0 {
			return out.String(), errors.New(errOut.String())
		}
		return out.String(), nil
	}
	login := func(password string) int {
		return e.Do(http.MethodPost, "/v1/auth/login", map[string]any{"username": "opsuser", "password": password}, "").Status
	}

	if _, err := cmd("", "deactivate", "OPSUSER@example.com"); err != nil {
		t.Fatalf("deactivate: %v", err)
	}
	if r := e.Do(http.MethodGet, "/v1/auth/me", nil, a.Access); r.Status != 401 {
		t.Fatalf("me after deactivation: %d", r.Status)
	}
	if s := login(a.Password); s != 403 {
		t.Fatalf("login of a deactivated account: %d, want 403", s)
	}
	if _, err := cmd("", "activate", "opsuser"); err != nil {
		t.Fatalf("activate: %v", err)
	}
	if s := login(a.Password); s != 200 {
		t.Fatalf("login after activation: %d", s)
	}
	if _, err := cmd("password123\n", "set-password", "opsuser"); err == nil || !strings.Contains(err.Error(), "too common") {
		t.Fatalf("a common password was accepted: %v", err)
	}
	if _, err := cmd("opsuser\n", "set-password", "opsuser"); err == nil {
		t.Fatal("a password equal to the username was accepted")
	}
	out, err := cmd("a-Fresh-Operator-Secret-42\n", "set-password", "opsuser")
	if err != nil || !strings.Contains(out, "password set") {
		t.Fatalf("set-password: %q %v", out, err)
	}
	if s := login(a.Password); s != 401 {
		t.Fatalf("old password after set-password: %d", s)
	}
	if s := login("a-Fresh-Operator-Secret-42"); s != 200 {
		t.Fatalf("new password: %d", s)
	}
	if _, err := cmd("", "deactivate", "nobody"); err == nil || !strings.Contains(err.Error(), "No account") {
		t.Fatalf("unknown account: %v", err)
	}
	if _, err := cmd("", "delete", "opsuser"); err == nil {
		t.Fatal("an unknown subcommand was accepted")
	}
}
