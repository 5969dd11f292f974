package auth_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"authbff/ent/mail"
	"authbff/rest/apitest"
)

// secret is a value that must never be stored or logged in clear.
type secret struct {
	name, value string
	// stored: the value is a refresh, verification, reset or invite token, whose hash
	// lives in a token_hash column.
	stored bool
}

// forms are the byte strings a secret may leak as: itself and, for a base64url token,
// the random bytes it encodes.
func (s secret) forms() [][]byte {
	out := [][]byte{[]byte(s.value)}
	if b, err := base64.RawURLEncoding.DecodeString(s.value); err == nil && len(b) >= 16 {
		out = append(out, b)
	}
	return out
}

func TestTokensNeverStoredOrLoggedInClear(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "auth.db")
	e := apitest.New(t, apitest.WithDatabase("sqlite:"+path))
	ctx := context.Background()
	a := e.Register("secretive")
	var secrets []secret
	keep := func(name, value string, stored bool) {
		if value == "" {
			t.Fatalf("%s is empty", name)
		}
		secrets = append(secrets, secret{name, value, stored})
	}
	keep("password", a.Password, false)
	keep("first access token", a.Access, false)
	keep("first refresh token", a.Refresh, true)

	// Rotations, including the child answered again inside the grace.
	p1 := mustRefresh(t, e, a.Refresh)
	again := mustRefresh(t, e, a.Refresh)
	p2 := mustRefresh(t, e, p1.Refresh)
	keep("child refresh token", p1.Refresh, true)
	keep("grandchild refresh token", p2.Refresh, true)
	keep("access token from the grace", again.Access, false)

	// The verification token, used over GraphQL (variables are never logged).
	verify := e.WaitMail(a.Email, "verify_email", 1).Token()
	keep("verification token", verify, true)
	if g := e.GraphQL(`mutation($t: String!) { verifyEmail(token: $t) }`, map[string]any{"t": verify}, ""); len(g.Errors) > 0 {
		t.Fatalf("verifyEmail: %s", g.Raw)
	}

	// An invitation token, looked up through query strings on both transports.
	if g := e.GraphQL(`mutation($o: ID!) { createInvite(orgId: $o, email: "guest@example.com", role: MEMBER) { id } }`,
		map[string]any{"o": a.WorkspaceID}, p2.Access); len(g.Errors) > 0 {
		t.Fatalf("createInvite: %s", g.Raw)
	}
	inviteTok := e.WaitMail("guest@example.com", "invite", 1).Token()
	keep("invite token", inviteTok, true)
	if r := e.Do(http.MethodGet, "/v1/auth/invite-info?token="+url.QueryEscape(inviteTok), nil, ""); r.Status != http.StatusOK ||
		!bytes.Contains(r.Body, []byte(`"valid":true`)) {
		t.Fatalf("invite-info: %d %s", r.Status, r.Body)
	}
	q := url.Values{"query": {`query($t: String!) { inviteInfo(token: $t) { valid } }`}, "variables": {`{"t":"` + inviteTok + `"}`}}
	if r := e.Do(http.MethodGet, "/graphql?"+q.Encode(), nil, ""); r.Status != http.StatusOK || !bytes.Contains(r.Body, []byte(`"valid":true`)) {
		t.Fatalf("GET /graphql inviteInfo: %d %s", r.Status, r.Body)
	}

	// A reset token used, and a second one left pending.
	resetPassword(t, e, a, "the replacement passphrase")
	keep("new password", "the replacement passphrase", false)
	keep("used reset token", mailsOf(e, a.Email, "reset_password")[0].Token(), true)
	if r := e.Do(http.MethodPost, "/v1/auth/forgot-password", map[string]any{"email": a.Email}, ""); r.Status != http.StatusOK {
		t.Fatalf("forgot-password: %d %s", r.Status, r.Body)
	}
	keep("pending reset token", e.WaitMail(a.Email, "reset_password", 2).Token(), true)
	// Bad input echoes nothing either: a wrong login and a failed refresh.
	e.Do(http.MethodPost, "/v1/auth/login", map[string]any{"username": a.Username, "password": a.Password}, "")
	e.Do(http.MethodPost, "/v1/auth/refresh", map[string]any{"refresh_token": a.Refresh}, "")

	// Every message is delivered, so the outbox has dropped the bodies with their links.
	e.AwaitMail("every message delivered", func() bool {
		n, err := e.DB.Mail.Query().Where(mail.StatusNEQ(mail.StatusSent)).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n == 0
	})

	t.Run("OK_TokenHashColumns", func(t *testing.T) {
		var hashes [][]byte
		rts, err := e.DB.RefreshToken.Query().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rts {
			// Refresh tokens of this release are verified by secret_hash; token_hash is
			// for tokens issued before (tokens.go) and stays NULL.
			// (ent scans a NULL bytes column into a pointer to a nil slice.)
			secret, legacy := r.SecretHash != nil && *r.SecretHash != nil, r.TokenHash != nil && *r.TokenHash != nil
			if !secret || legacy {
				t.Errorf("refresh token row with secret_hash %v and token_hash %v, want a secret_hash only", secret, legacy)
				continue
			}
			hashes = append(hashes, *r.SecretHash)
		}
		ots, err := e.DB.OneTimeToken.Query().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range ots {
			hashes = append(hashes, r.TokenHash)
		}
		invs, err := e.DB.Invite.Query().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range invs {
			hashes = append(hashes, r.TokenHash)
		}
		if len(rts) < 3 || len(ots) < 3 || len(invs) < 1 {
			t.Fatalf("%d refresh, %d one-time and %d invite rows, want at least 3, 3 and 1", len(rts), len(ots), len(invs))
		}
		for _, h := range hashes {
			if len(h) < 32 {
				t.Errorf("a stored token hash of %d bytes, want a SHA-256", len(h))
			}
			for _, s := range secrets {
				for _, f := range s.forms() {
					if bytes.Contains(h, f) || bytes.Contains(f, h) {
						t.Errorf("a token_hash holds the %s in clear", s.name)
					}
				}
			}
		}
	})
	t.Run("OK_NoColumnOfAnyTableHoldsASecret", func(t *testing.T) {
		dump := apitest.DumpDatabase(t, "sqlite:"+path)
		if len(dump.Tables) < 5 {
			t.Fatalf("tables %v", dump.Tables)
		}
		cells := len(dump.Cells)
		for _, c := range dump.Cells {
			for _, s := range secrets {
				for _, f := range s.forms() {
					if bytes.Contains(c.Value, f) {
						t.Errorf("%s.%s holds the %s in clear", c.Table, c.Column, s.name)
					}
				}
			}
		}
		if cells == 0 {
			t.Fatal("scanned no cells")
		}
	})
	t.Run("OK_LogsHoldNoSecretOutsideLogMailer", func(t *testing.T) {
		recs := e.Logs.Records()
		mailLines, accessLines := 0, 0
		for _, r := range recs {
			line := r.String()
			if strings.HasPrefix(r.Message, "mail ") {
				mailLines++
				continue
			}
			if r.Attrs["path"] != "" {
				accessLines++
			}
			for _, s := range secrets {
				if strings.Contains(line, s.value) {
					t.Errorf("log line holds the %s: %s", s.name, line)
				}
			}
		}
		if mailLines < 4 || accessLines < 10 {
			t.Fatalf("%d mail lines and %d access log lines: the scan saw too little", mailLines, accessLines)
		}
		// The scan would have seen a token: the log mailer's own lines do hold them.
		found := false
		for _, m := range e.Logs.Mails(a.Email) {
			found = found || strings.Contains(m.Text, verify)
		}
		if !found {
			t.Errorf("the log mailer's lines do not show the verification link")
		}
	})
}
