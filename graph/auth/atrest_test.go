package auth_test

// A copy of the database must not hold a usable secret (issue 8 §2): with
// AUTH_SECRET_KEY set, the raw files (auth.db, -wal, -shm) hold no token, link,
// signing secret or refresh key after real flows, after a key rotation, and after the
// key is first set on a database that had them in clear.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"authbff/ent/mail"
	"authbff/graph/auth"
	"authbff/rest/apitest"
)

// needle is a secret and the byte forms it could be stored in.
type needle struct {
	name  string
	forms [][]byte
}

func tokenNeedle(name, tok string) needle {
	return needle{name, [][]byte{[]byte(tok), []byte(url.QueryEscape(tok))}}
}

// refreshNeedle is a refresh token and its secret part (tokens.go: the row id, not
// secret, then 32 secret bytes), raw and base64url: the database holds the id and the
// SHA-256 of the token, never the secret in any form.
func refreshNeedle(t *testing.T, name, tok string) []needle {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) != 48 {
		t.Fatalf("%s %q is not a 48-byte refresh token: %v", name, tok, err)
	}
	secret := b[16:]
	return []needle{tokenNeedle(name, tok),
		{name + " secret", [][]byte{secret, []byte(base64.RawURLEncoding.EncodeToString(secret)), []byte(hex.EncodeToString(secret))}}}
}

func keyNeedle(name string, key []byte) needle {
	return needle{name, [][]byte{key, []byte(hex.EncodeToString(key))}}
}

// scanFiles returns the needles found in the database file, its WAL and its shared
// memory file.
func scanFiles(t *testing.T, path string, needles []needle) []string {
	t.Helper()
	var found []string
	for _, suffix := range []string{"", "-wal", "-shm"} {
		raw, err := os.ReadFile(path + suffix)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range needles {
			for _, f := range n.forms {
				if len(f) > 0 && bytes.Contains(raw, f) {
					found = append(found, n.name+" in auth.db"+suffix)
					break
				}
			}
		}
	}
	return found
}

func newKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, auth.SecretKeyLen)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

// start opens a second service on the same database file.
func start(t *testing.T, dbURL string, log *slog.Logger, key []byte, old ...[]byte) (*auth.Service, error) {
	t.Helper()
	ctx := context.Background()
	db, err := auth.OpenDB(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return auth.New(ctx, db, auth.Config{AllowRegistration: true, Hash: apitest.CheapHash, SecretKey: key,
		SecretKeysOld: old, Log: log})
}

func TestDatabaseCopyHoldsNoUsableSecret(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "auth.db")
	dbURL := "sqlite:" + path
	k1, k2 := newKey(t), newKey(t)
	e := apitest.New(t, apitest.WithDatabase(dbURL), apitest.WithConfig(func(c *auth.Config) { c.SecretKey = k1 }))

	var needles []needle
	a := e.Register("alice")
	needles = append(needles, refreshNeedle(t, "refresh token", a.Refresh)...)
	needles = append(needles, tokenNeedle("access token", a.Access))
	// A rotation's child (its secret derived from the parent), and the same child
	// answered again inside the grace.
	child := e.Do(http.MethodPost, "/v1/auth/refresh", map[string]any{"refresh_token": a.Refresh}, "")
	again := e.Do(http.MethodPost, "/v1/auth/refresh", map[string]any{"refresh_token": a.Refresh}, "")
	if child.Status != http.StatusOK || again.Status != http.StatusOK {
		t.Fatalf("refresh: %d %s, then %d %s", child.Status, child.Body, again.Status, again.Body)
	}
	needles = append(needles, refreshNeedle(t, "rotated refresh token", child.Object(t)["refresh_token"].(string))...)
	needles = append(needles, tokenNeedle("verification token", e.WaitMail(a.Email, auth.MailVerify, 1).Token()))
	if r := e.Do(http.MethodPost, "/v1/auth/forgot-password", map[string]any{"email": a.Email}, ""); r.Status != http.StatusOK {
		t.Fatalf("forgot-password: %d %s", r.Status, r.Body)
	}
	needles = append(needles, tokenNeedle("reset token", e.WaitMail(a.Email, auth.MailReset, 1).Token()))
	g := e.GraphQL(`mutation { createOrganization(name: "Acme") { organization { id } } }`, nil, a.Access)
	org := g.Data["createOrganization"].(map[string]any)["organization"].(map[string]any)["id"]
	if r := e.GraphQL(`mutation($o: ID!) { createInvite(orgId: $o, email: "guest@example.com", role: MEMBER) { id } }`,
		map[string]any{"o": org}, a.Access); len(r.Errors) > 0 {
		t.Fatalf("createInvite: %s", r.Raw)
	}
	needles = append(needles, tokenNeedle("invite token", e.WaitMail("guest@example.com", auth.MailInvite, 1).Token()))
	if _, err := e.Svc.RotateKeys(ctx); err != nil {
		t.Fatal(err)
	}
	access, refresh := e.Login(a.Username, a.Password)
	needles = append(needles, refreshNeedle(t, "refresh token after rotation", refresh)...)
	secrets := e.Svc.SecretsForTest()
	if len(secrets) != 3 {
		t.Fatalf("want the refresh key and two signing keys, got %d secrets", len(secrets))
	}
	for _, s := range secrets {
		needles = append(needles, keyNeedle("server secret", s))
	}
	needles = append(needles, keyNeedle("AUTH_SECRET_KEY", k1), keyNeedle("new AUTH_SECRET_KEY", k2))
	if found := scanFiles(t, path, needles); len(found) > 0 {
		t.Errorf("with AUTH_SECRET_KEY set, the files hold: %v", found)
	}

	// Rotate AUTH_SECRET_KEY: the new key with the old one to read, then the new alone.
	t.Run("OK_RotateSecretKey", func(t *testing.T) {
		svc, err := start(t, dbURL, nil, k2, k1)
		if err != nil {
			t.Fatalf("start with the new key and AUTH_SECRET_KEY_OLD: %v", err)
		}
		if !equalSecrets(svc.SecretsForTest(), secrets) {
			t.Errorf("the secrets changed across a key rotation")
		}
		if _, err := start(t, dbURL, nil, k2); err != nil {
			t.Fatalf("start with the new key alone after the rotation: %v", err)
		}
		// The access token signed before still verifies.
		if p, err := svc.Authenticate(ctx, access); err != nil || p == nil {
			t.Errorf("access token after the key rotation: %v", err)
		}
		if found := scanFiles(t, path, needles); len(found) > 0 {
			t.Errorf("after rotating AUTH_SECRET_KEY, the files hold: %v", found)
		}
	})
	t.Run("ErrWrongKeyStopsStart", func(t *testing.T) {
		_, err := start(t, dbURL, nil, k1) // the old key, after the rotation
		if err == nil || !strings.Contains(err.Error(), "AUTH_SECRET_KEY does not decrypt the database's secrets") {
			t.Errorf("start with the old key: %v", err)
		}
		_, err = start(t, dbURL, nil, newKey(t))
		if err == nil || !strings.Contains(err.Error(), "AUTH_SECRET_KEY does not decrypt") {
			t.Errorf("start with a stranger's key: %v", err)
		}
		_, err = start(t, dbURL, nil, nil)
		if err == nil || !strings.Contains(err.Error(), "the database's secrets are encrypted: set AUTH_SECRET_KEY") {
			t.Errorf("start without a key: %v", err)
		}
	})
}

func equalSecrets(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

var bodyTokenRE = regexp.MustCompile(`token=([A-Za-z0-9_-]{20,})`)

// TestSecretKeyFirstSetEncryptsInPlace: a database used without AUTH_SECRET_KEY holds
// usable secrets (the attack); once the key is set, the next start seals them, scrubs
// the files, and everything keeps working: signing keys, pending mail with its link.
func TestSecretKeyFirstSetEncryptsInPlace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "auth.db")
	dbURL := "sqlite:" + path
	e := apitest.New(t, apitest.WithDatabase(dbURL), apitest.WithoutMailer())
	a := e.Register("bob")
	g := e.GraphQL(`mutation { createOrganization(name: "Acme") { organization { id } } }`, nil, a.Access)
	org := g.Data["createOrganization"].(map[string]any)["organization"].(map[string]any)["id"]
	if r := e.GraphQL(`mutation($o: ID!) { createInvite(orgId: $o, email: "guest@example.com", role: MEMBER) { id } }`,
		map[string]any{"o": org}, a.Access); len(r.Errors) > 0 {
		t.Fatalf("createInvite: %s", r.Raw)
	}
	// No mailer runs: the two messages (queued with their requests) stay pending.
	var pending []string
	rows, err := e.DB.Mail.Query().Where(mail.StatusEQ(mail.StatusPending)).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range rows {
		if s := bodyTokenRE.FindStringSubmatch(m.TextBody); s != nil {
			pending = append(pending, s[1])
		}
	}
	if len(pending) != 2 {
		t.Fatalf("want 2 pending mails with links (verify, invite), have %d", len(pending))
	}
	var needles []needle
	for _, tok := range pending {
		needles = append(needles, tokenNeedle("pending link", tok))
	}
	secrets := e.Svc.SecretsForTest()
	for _, s := range secrets {
		needles = append(needles, keyNeedle("server secret", s))
	}
	if found := scanFiles(t, path, needles); len(found) == 0 {
		t.Fatalf("premise: without AUTH_SECRET_KEY the files hold the secrets in clear")
	}

	key := newKey(t)
	logs := &apitest.LogBuffer{}
	svc, err := start(t, dbURL, slog.New(logs), key)
	if err != nil {
		t.Fatalf("first start with AUTH_SECRET_KEY: %v", err)
	}
	if found := scanFiles(t, path, needles); len(found) > 0 {
		t.Errorf("after the key was set, the files hold: %v", found)
	}
	if !equalSecrets(svc.SecretsForTest(), secrets) {
		t.Errorf("the secrets changed when they were encrypted")
	}
	if p, err := svc.Authenticate(ctx, a.Access); err != nil || p == nil {
		t.Errorf("access token signed before the key was set: %v", err)
	}
	// The pending mail, sealed in place, still goes out with its working link.
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { svc.RunMailer(mctx); close(done) }()
	defer func() { cancel(); <-done }()
	var verify string
	apitest.AwaitMail(t, svc, "the verification mail", func() bool {
		for _, m := range logs.Mails(a.Email) {
			if m.Kind == auth.MailVerify {
				verify = m.Token()
			}
		}
		return verify != ""
	})
	if verify != pending[0] && verify != pending[1] {
		t.Fatalf("verification link after sealing = %q, want one of the pending ones", verify)
	}
	if err := svc.VerifyEmail(ctx, auth.VerifyEmailInput{Token: verify}); err != nil {
		t.Errorf("verify with the sealed link: %v", err)
	}
}

// TestSecretKeyOnPostgres: the same sealing on PostgreSQL (no file to scan there: the
// rows themselves must hold no clear secret), the first-set migration and a rotation.
func TestSecretKeyOnPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := apitest.Postgres(t)
	e := apitest.New(t, apitest.WithDatabase(dbURL), apitest.WithoutMailer())
	a := e.Register("pat")
	secrets := e.Svc.SecretsForTest()
	k1, k2 := newKey(t), newKey(t)
	if _, err := start(t, dbURL, nil, k1); err != nil {
		t.Fatalf("first start with a key: %v", err)
	}
	svc, err := start(t, dbURL, nil, k2, k1)
	if err != nil {
		t.Fatalf("rotation: %v", err)
	}
	if !equalSecrets(svc.SecretsForTest(), secrets) {
		t.Errorf("the secrets changed")
	}
	if p, err := svc.Authenticate(ctx, a.Access); err != nil || p == nil {
		t.Errorf("access token after sealing: %v", err)
	}
	rows, err := e.DB.Setting.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if !strings.HasPrefix(r.Value, "enc:v1:") {
			t.Errorf("setting %s is not sealed", r.ID)
		}
	}
	mails, err := e.DB.Mail.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mails {
		if m.TextBody != "" && !strings.HasPrefix(m.TextBody, "enc:v1:") {
			t.Errorf("pending mail %s is not sealed", m.Kind)
		}
	}
	if _, err := start(t, dbURL, nil, k1); err == nil {
		t.Errorf("the old key alone still starts after the rotation")
	}
}
