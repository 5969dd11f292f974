package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"authbff/graph/auth"
	"authbff/rest/apitest"
)

// keysCmdResult is what one run of the binary's code produced.
type keysCmdResult struct {
	code           int
	stdout, stderr string
}

// runKeysCmd runs the binary's code in-process with env as its whole environment.
func runKeysCmd(t testing.TB, env map[string]string, args ...string) keysCmdResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
	if ctx.Err() != nil {
		t.Fatalf("authbff %s did not return within 20 s", strings.Join(args, " "))
	}
	return keysCmdResult{code, stdout.String(), stderr.String()}
}

// keysCmdEnv is an environment with a fresh SQLite database in t's temp dir.
func keysCmdEnv(t testing.TB, extra ...string) (map[string]string, string) {
	t.Helper()
	url := "sqlite:" + filepath.Join(t.TempDir(), "auth.db")
	env := map[string]string{"AUTH_DATABASE_URL": url, "AUTH_RATE_LIMITS": "off"}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	if r := runKeysCmd(t, map[string]string{"AUTH_DATABASE_URL": url}, "migrate", "up"); r.code != 0 {
		t.Fatalf("migrate up: %s", r.stderr)
	}
	return env, url
}

var (
	keysListLineRE = regexp.MustCompile(`^([0-9a-f]{16}) (HS256|EdDSA) (signs|verifies) created \S+Z( retired \S+Z)?$`)
	keysRotateRE   = regexp.MustCompile(`new signing key ([0-9a-f]{16}) \((HS256|EdDSA)\)`)
)

// keysListed runs `keys list` and returns its lines, each checked against the format.
func keysListed(t testing.TB, env map[string]string) [][]string {
	t.Helper()
	r := runKeysCmd(t, env, "keys", "list")
	if r.code != 0 {
		t.Fatalf("keys list: exit %d: %s", r.code, r.stderr)
	}
	var out [][]string
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		m := keysListLineRE.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("keys list line %q does not read `<kid> <alg> signs|verifies created <time> [retired <time>]`", line)
		}
		out = append(out, m)
	}
	return out
}

// keysRotated runs `keys rotate` and returns the new kid.
func keysRotated(t testing.TB, env map[string]string) (kid, alg string) {
	t.Helper()
	r := runKeysCmd(t, env, "keys", "rotate")
	if r.code != 0 {
		t.Fatalf("keys rotate: exit %d: %s", r.code, r.stderr)
	}
	m := keysRotateRE.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("keys rotate output %q does not name the new kid", r.stdout)
	}
	return m[1], m[2]
}

func TestKeysCommand(t *testing.T) {
	t.Parallel()

	t.Run("OKListNamesTheSigningKey", func(t *testing.T) {
		t.Parallel()
		env, _ := keysCmdEnv(t)
		if r := runKeysCmd(t, env, "keys", "list"); r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "no signing key yet") {
			t.Fatalf("keys list on a database no server has used: exit %d, %q %q; want no key and a note", r.code, r.stdout, r.stderr)
		}
		keysRotated(t, env)
		lines := keysListed(t, env)
		if len(lines) != 1 || lines[0][2] != "HS256" || lines[0][3] != "signs" || lines[0][4] != "" {
			t.Fatalf("keys list on a fresh database: %v, want one HS256 key that signs", lines)
		}
		if again := keysListed(t, env); again[0][1] != lines[0][1] || len(again) != 1 {
			t.Errorf("a second keys list shows %v, want the same single key %s (list must not rotate)", again, lines[0][1])
		}
	})

	t.Run("OKRotateNamesTheNewKid", func(t *testing.T) {
		t.Parallel()
		env, _ := keysCmdEnv(t)
		keysRotated(t, env)
		old := keysListed(t, env)[0][1]
		kid, alg := keysRotated(t, env)
		if kid == old || alg != "HS256" {
			t.Fatalf("rotate: kid %s alg %s, want a new HS256 kid (old %s)", kid, alg, old)
		}
		lines := keysListed(t, env)
		if len(lines) != 2 || lines[0][1] != kid || lines[0][3] != "signs" || lines[1][1] != old ||
			lines[1][3] != "verifies" || lines[1][4] == "" {
			t.Errorf("keys list after rotate: %v, want %s signing, then %s verifying and retired", lines, kid, old)
		}
	})

	t.Run("OKRotateEdDSA", func(t *testing.T) {
		t.Parallel()
		env, _ := keysCmdEnv(t, "AUTH_JWT_ALG", "EdDSA")
		if kid, alg := keysRotated(t, env); alg != "EdDSA" || kid == "" {
			t.Errorf("rotate with AUTH_JWT_ALG=EdDSA: kid %q alg %q", kid, alg)
		}
		for _, l := range keysListed(t, env) {
			if l[2] != "EdDSA" {
				t.Errorf("keys list with AUTH_JWT_ALG=EdDSA shows %q", l[0])
			}
		}
	})

	t.Run("OKRunningServerSignsWithRotatedKey", func(t *testing.T) {
		t.Parallel()
		env, url := keysCmdEnv(t)
		e := apitest.New(t, apitest.WithDatabase(url))
		a := e.Register("alice")
		kid, _ := keysRotated(t, env)
		// The server still accepts the token it signed before the rotation, and accepts a
		// token of the new key at once.
		if r := e.Do("GET", "/v1/auth/me", nil, a.Access); r.Status != 200 {
			t.Errorf("pre-rotation token after `keys rotate`: %d, want 200", r.Status)
		}
		e.Clock.Advance(61 * time.Second) // past the server's reload period
		// A login reloads a ring older than the period before it signs, so the first
		// login after the period signs with the new key.
		access, _ := e.Login("alice", a.Password)
		tok, _, err := jwt.NewParser().ParseUnverified(access, jwt.MapClaims{})
		if err != nil {
			t.Fatal(err)
		}
		if tok.Header["kid"] != kid {
			t.Fatalf("server signs with kid %v a minute after `keys rotate`, want %s", tok.Header["kid"], kid)
		}
	})

	t.Run("ErrRotateWithEnvSecret", func(t *testing.T) {
		t.Parallel()
		env, _ := keysCmdEnv(t, "AUTH_JWT_SECRET", strings.Repeat("s3cr3t-", 6))
		r := runKeysCmd(t, env, "keys", "rotate")
		if r.code != 1 || !strings.Contains(r.stderr, "AUTH_JWT_SECRET") || r.stdout != "" {
			t.Errorf("keys rotate with AUTH_JWT_SECRET: exit %d, stdout %q, stderr %q; want exit 1 and a message naming AUTH_JWT_SECRET",
				r.code, r.stdout, r.stderr)
		}
		if strings.Contains(r.stderr, strings.Repeat("s3cr3t-", 6)) {
			t.Errorf("the error shows the secret: %q", r.stderr)
		}
	})

	t.Run("ErrUnknownKeysSubcommand", func(t *testing.T) {
		t.Parallel()
		env, _ := keysCmdEnv(t)
		for _, args := range [][]string{{"keys"}, {"keys", "delete"}, {"keys", "list", "extra"}} {
			r := runKeysCmd(t, env, args...)
			if r.code == 0 || !strings.Contains(r.stderr, "keys list|rotate") {
				t.Errorf("authbff %s: exit %d, stderr %q; want a usage error", strings.Join(args, " "), r.code, r.stderr)
			}
		}
	})
}

func TestServeRefusesShortJWTSecret(t *testing.T) {
	t.Parallel()
	for _, secret := range []string{"tiny-s3cret", strings.Repeat("x", auth.MinSecretLen-1)} {
		env, _ := keysCmdEnv(t, "AUTH_JWT_SECRET", secret, "AUTH_ADDR", "127.0.0.1:0")
		r := runKeysCmd(t, env, "serve")
		if r.code == 0 {
			t.Fatalf("serve with a %d-byte AUTH_JWT_SECRET: exit 0, want non-zero", len(secret))
		}
		if !strings.Contains(r.stderr, "AUTH_JWT_SECRET") || !strings.Contains(r.stderr, "32") {
			t.Errorf("serve with a %d-byte AUTH_JWT_SECRET: stderr %q, want a message naming AUTH_JWT_SECRET and 32 bytes", len(secret), r.stderr)
		}
		if strings.Contains(r.stderr, secret) {
			t.Errorf("the error shows the secret: %q", r.stderr)
		}
	}
}

func TestJWTSecretLength(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		secret string
		ok     bool
	}{
		{"OKUnset", "", true},
		{"OK32Bytes", strings.Repeat("x", 32), true},
		{"Err31Bytes", strings.Repeat("x", 31), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := loadConfig(func(k string) string {
				if k == "AUTH_JWT_SECRET" {
					return tc.secret
				}
				return ""
			})
			if (err == nil) != tc.ok {
				t.Errorf("loadConfig with a %d-byte AUTH_JWT_SECRET: %v, want ok=%v", len(tc.secret), err, tc.ok)
			}
		})
	}
}
