package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"authbff/ent/refreshtoken"
	"authbff/ent/session"
	"authbff/graph/auth"
	"authbff/rest/apitest"
)

func TestLogoutEndsSessionAtOnce(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("lou")
	other := login(t, e, a)
	rotated := mustRefresh(t, e, a.Refresh)

	r := e.Do(http.MethodPost, "/v1/auth/logout", nil, rotated.Access)
	if r.Status != http.StatusOK || string(r.Body) != "null" {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
	for _, tc := range []struct{ name, token string }{
		{"ErrAccessTokenUsedForLogout", rotated.Access},
		{"ErrEarlierAccessTokenOfSession", a.Access},
	} {
		t.Run(tc.name, func(t *testing.T) { wantMe(t, e, tc.token, false) })
	}
	t.Run("ErrRefreshTokenOfSession", func(t *testing.T) { wantRefreshRefused(t, e, rotated.Refresh) })
	t.Run("ErrLogoutAgain", func(t *testing.T) {
		checkEnvelope(t, e.For(t).Do(http.MethodPost, "/v1/auth/logout", nil, rotated.Access), http.StatusUnauthorized, "AUTHENTICATION_FAILED")
	})
	t.Run("OK_OtherSessionLives", func(t *testing.T) {
		wantMe(t, e, other.Access, true)
		mustRefresh(t, e, other.Refresh)
	})
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	const grace = 10 * time.Second

	t.Run("OK_EachChildRotatesOnce", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		a := e.Register("rot")
		seen := map[string]bool{a.Refresh: true}
		cur := pair{a.Access, a.Refresh}
		for range 3 {
			next := mustRefresh(t, e, cur.Refresh)
			if seen[next.Refresh] {
				t.Fatalf("refresh answered a refresh token already seen")
			}
			seen[next.Refresh] = true
			if sessionID(t, next.Access) != sessionID(t, a.Access) {
				t.Errorf("rotation changed the session")
			}
			wantMe(t, e, next.Access, true)
			cur = next
		}
	})
	t.Run("OK_ParentInGraceAnswersSameChild", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		a := e.Register("tabs")
		first := mustRefresh(t, e, a.Refresh)
		e.Clock.Advance(grace - 2*time.Second)
		again := mustRefresh(t, e, a.Refresh)
		if again.Refresh != first.Refresh {
			t.Errorf("parent inside the grace answered another child")
		}
		if again.Access == first.Access {
			t.Errorf("parent inside the grace answered the same access token, want a fresh one")
		}
		wantMe(t, e, again.Access, true)
		wantMe(t, e, first.Access, true)
		// The child is still good for its own one rotation.
		next := mustRefresh(t, e, first.Refresh)
		wantMe(t, e, next.Access, true)
	})
	t.Run("ErrParentAfterGraceRevokesSession", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		a := e.Register("thief")
		child := mustRefresh(t, e, a.Refresh)
		newest := mustRefresh(t, e, child.Refresh)
		e.Clock.Advance(grace + time.Second)
		wantRefreshRefused(t, e, a.Refresh)
		wantMe(t, e, newest.Access, false)
		wantRefreshRefused(t, e, newest.Refresh)
		assertRevoked(t, e, sessionID(t, a.Access))
	})
	t.Run("ErrChildReusedAfterGraceRevokesSession", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		a := e.Register("thief2")
		child := mustRefresh(t, e, a.Refresh)
		e.Clock.Advance(grace / 2)
		grandchild := mustRefresh(t, e, child.Refresh)
		e.Clock.Advance(grace + time.Second)
		wantRefreshRefused(t, e, child.Refresh)
		wantMe(t, e, grandchild.Access, false)
		wantRefreshRefused(t, e, grandchild.Refresh)
	})
	t.Run("ErrAnyReuseWithoutGrace", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, apitest.WithConfig(func(c *auth.Config) { c.RefreshReuseGrace = 0 }))
		a := e.Register("strict")
		child := mustRefresh(t, e, a.Refresh)
		wantRefreshRefused(t, e, a.Refresh)
		wantMe(t, e, child.Access, false)
		wantRefreshRefused(t, e, child.Refresh)
	})
}

// assertRevoked checks in the database that the session is revoked.
func assertRevoked(t testing.TB, e *apitest.Env, sid uuid.UUID) {
	t.Helper()
	s, err := e.DB.Session.Get(context.Background(), sid)
	if err != nil {
		t.Fatal(err)
	}
	if s.RevokedAt == nil {
		t.Errorf("session %s is not revoked in the database", sid)
	}
}

func TestConcurrentRefreshInsideGrace(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("racer")
	const n = 8
	// Half the tabs refresh over REST, half over GraphQL: one rotation for all.
	res := concurrently(e, n, http.MethodPost, "", func(i int) (string, any) {
		if i%2 == 0 {
			return "/v1/auth/refresh", map[string]any{"refresh_token": a.Refresh}
		}
		return "/graphql", map[string]any{"query": `mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }`,
			"variables": map[string]any{"t": a.Refresh}}
	})
	children := map[string]int{}
	for i, r := range res {
		if r.err != nil || r.status != http.StatusOK {
			t.Fatalf("refresh #%d: %v %d %s", i, r.err, r.status, r.body)
		}
		var m struct {
			RefreshToken string `json:"refresh_token"`
			AccessToken  string `json:"access_token"`
			Data         struct {
				R struct{ AccessToken, RefreshToken string } `json:"refreshToken"`
			} `json:"data"`
		}
		if err := json.Unmarshal(r.body, &m); err != nil {
			t.Fatal(err)
		}
		child, access := m.RefreshToken, m.AccessToken
		if i%2 == 1 {
			child, access = m.Data.R.RefreshToken, m.Data.R.AccessToken
		}
		if child == "" || access == "" {
			t.Fatalf("refresh #%d answered no tokens: %s", i, r.body)
		}
		wantMe(t, e, access, true)
		children[child]++
	}
	if len(children) != 1 {
		t.Fatalf("%d concurrent refreshes answered %d different children, want one", n, len(children))
	}
	sid := sessionID(t, a.Access)
	count, err := e.DB.RefreshToken.Query().Where(refreshtoken.SessionID(sid)).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if count != 2 {
		t.Errorf("session has %d refresh token rows, want 2 (the first and one child)", count)
	}
	for child := range children {
		mustRefresh(t, e, child)
	}
}

func TestGraceNeverRevivesDeadSession(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []apitest.Option
		kill func(t *testing.T, e *apitest.Env, a *apitest.Account, cur pair)
	}{
		{"ErrAfterLogout", nil, func(t *testing.T, e *apitest.Env, a *apitest.Account, cur pair) {
			if r := e.For(t).Do(http.MethodPost, "/v1/auth/logout", nil, cur.Access); r.Status != http.StatusOK {
				t.Fatalf("logout: %d %s", r.Status, r.Body)
			}
		}},
		{"ErrAfterPasswordChangeElsewhere", nil, func(t *testing.T, e *apitest.Env, a *apitest.Account, cur pair) {
			other := login(t, e, a)
			r := e.For(t).Do(http.MethodPut, "/v1/auth/me/password", map[string]any{"current_password": a.Password,
				"new_password": "a different passphrase"}, other.Access)
			if r.Status != http.StatusOK {
				t.Fatalf("change password: %d %s", r.Status, r.Body)
			}
		}},
		{"ErrAfterPasswordReset", nil, func(t *testing.T, e *apitest.Env, a *apitest.Account, cur pair) {
			resetPassword(t, e, a, "a different passphrase")
		}},
		{"ErrAfterDeactivation", nil, func(t *testing.T, e *apitest.Env, a *apitest.Account, cur pair) {
			deactivate(t, e, a)
		}},
		{"ErrAfterEviction", []apitest.Option{apitest.WithConfig(func(c *auth.Config) { c.MaxSessions = 1 })},
			func(t *testing.T, e *apitest.Env, a *apitest.Account, cur pair) {
				e.Clock.Advance(time.Millisecond)
				login(t, e, a)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := apitest.New(t, tc.opts...)
			a := e.Register("ghost")
			child := mustRefresh(t, e, a.Refresh)
			tc.kill(t, e, a, child)
			e.Clock.Advance(time.Second) // well inside the 10 s grace
			wantRefreshRefused(t, e, a.Refresh)
			wantRefreshRefused(t, e, child.Refresh)
			wantMe(t, e, child.Access, false)
		})
	}
}

// resetPassword runs forgot-password and reset-password for a over REST.
func resetPassword(t testing.TB, e *apitest.Env, a *apitest.Account, newPassword string) {
	t.Helper()
	se := e.For(t)
	n := len(mailsOf(e, a.Email, "reset_password")) + 1
	if r := se.Do(http.MethodPost, "/v1/auth/forgot-password", map[string]any{"email": a.Email}, ""); r.Status != http.StatusOK {
		t.Fatalf("forgot-password: %d %s", r.Status, r.Body)
	}
	tok := se.WaitMail(a.Email, "reset_password", n).Token()
	r := se.Do(http.MethodPost, "/v1/auth/reset-password", map[string]any{"token": tok, "new_password": newPassword}, "")
	if r.Status != http.StatusOK || string(r.Body) != "null" {
		t.Fatalf("reset-password: %d %s", r.Status, r.Body)
	}
}

func mailsOf(e *apitest.Env, to, kind string) []apitest.Mail {
	var out []apitest.Mail
	for _, m := range e.Logs.Mails(to) {
		if m.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

// deactivate sets is_active=false in the database, as an administrator would.
func deactivate(t testing.TB, e *apitest.Env, a *apitest.Account) {
	t.Helper()
	if err := e.DB.User.UpdateOneID(uuid.MustParse(a.UserID)).SetIsActive(false).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestRefreshLifetime(t *testing.T) {
	t.Parallel()
	short := apitest.WithConfig(func(c *auth.Config) {
		c.RefreshTTL = time.Hour
		c.SessionMaxAge = 150 * time.Minute
	})

	t.Run("ErrIdleAfterRefreshTTL", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, short)
		a := e.Register("idle")
		e.Clock.Advance(time.Hour + time.Second)
		wantRefreshRefused(t, e, a.Refresh)
	})
	t.Run("OK_EachUseRestartsIdleTTL", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, short)
		a := e.Register("busy")
		e.Clock.Advance(59 * time.Minute)
		p := mustRefresh(t, e, a.Refresh)
		e.Clock.Advance(59 * time.Minute)
		p = mustRefresh(t, e, p.Refresh)
		wantMe(t, e, p.Access, true)
		e.Clock.Advance(time.Hour + time.Second)
		wantRefreshRefused(t, e, p.Refresh)
	})
	t.Run("ErrNoRefreshOutlivesSessionMaxAge", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, short)
		a := e.Register("old")
		p := pair{a.Access, a.Refresh}
		for _, step := range []time.Duration{50 * time.Minute, 50 * time.Minute, 49 * time.Minute} {
			e.Clock.Advance(step)
			p = mustRefresh(t, e, p.Refresh)
		}
		// 149 min after login: the last child and its access token end with the session at 150 min.
		wantMe(t, e, p.Access, true)
		e.Clock.Advance(time.Minute + time.Second)
		wantRefreshRefused(t, e, p.Refresh)
		wantMe(t, e, p.Access, false)
	})
	t.Run("ErrExpiredAccessToken", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		a := e.Register("late")
		wantMe(t, e, a.Access, true)
		e.Clock.Advance(15*time.Minute + time.Second)
		wantMe(t, e, a.Access, false)
		p := mustRefresh(t, e, a.Refresh)
		wantMe(t, e, p.Access, true)
	})
}

// createOrg creates an organization owned by token's user and returns its id.
func createOrg(t testing.TB, e *apitest.Env, token, name string) string {
	t.Helper()
	r := e.For(t).GraphQL(`mutation($n: String!) { createOrganization(name: $n) { organization { id } } }`,
		map[string]any{"n": name}, token)
	if len(r.Errors) > 0 {
		t.Fatalf("createOrganization: %s", r.Raw)
	}
	id := str(r.Data["createOrganization"].(map[string]any)["organization"].(map[string]any)["id"])
	if id == "" {
		t.Fatalf("createOrganization: %s", r.Raw)
	}
	return id
}

func TestSwitchOrgIsRememberedBySession(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("sofia")
	stranger := e.Register("stranger")
	acme := createOrg(t, e, a.Access, "Acme")
	if got := str(claimsOf(t, a.Access)["org"]); got != a.WorkspaceID {
		t.Fatalf("first org claim %q, want the personal workspace %s", got, a.WorkspaceID)
	}

	r := e.Do(http.MethodPost, "/v1/auth/switch-org", map[string]any{"org_id": acme}, a.Access)
	if r.Status != http.StatusOK {
		t.Fatalf("switch-org: %d %s", r.Status, r.Body)
	}
	m := r.Object(t)
	if m["org_id"] != acme || m["token_type"] != "bearer" || str(claimsOf(t, str(m["access_token"]))["org"]) != acme {
		t.Fatalf("switch-org answer %s, want org %s in the token", r.Body, acme)
	}

	t.Run("OK_RefreshKeepsOrg", func(t *testing.T) {
		p := mustRefresh(t, e, a.Refresh)
		if got := str(claimsOf(t, p.Access)["org"]); got != acme {
			t.Errorf("org claim after refresh = %q, want %s", got, acme)
		}
		p = mustRefresh(t, e, p.Refresh)
		if got := str(claimsOf(t, p.Access)["org"]); got != acme {
			t.Errorf("org claim after a second refresh = %q, want %s", got, acme)
		}
		s, err := e.DB.Session.Get(context.Background(), sessionID(t, a.Access))
		if err != nil {
			t.Fatal(err)
		}
		if s.OrgID == nil || s.OrgID.String() != acme {
			t.Errorf("session org_id = %v, want %s", s.OrgID, acme)
		}
	})
	t.Run("OK_OtherSessionsKeepTheirOrg", func(t *testing.T) {
		p := login(t, e, a)
		if got := str(claimsOf(t, p.Access)["org"]); got != a.WorkspaceID {
			t.Errorf("a new session starts in %q, want the personal workspace %s", got, a.WorkspaceID)
		}
	})
	t.Run("ErrForbiddenNonMember", func(t *testing.T) {
		r := e.For(t).Do(http.MethodPost, "/v1/auth/switch-org", map[string]any{"org_id": stranger.WorkspaceID}, a.Access)
		env := checkEnvelope(t, r, http.StatusForbidden, "FORBIDDEN")
		if d, _ := env["details"].(map[string]any); d["required_permission"] != "org:access" {
			t.Errorf("details = %v, want required_permission org:access", env["details"])
		}
		// The refusal changed nothing: the session's org is still Acme.
		s, err := e.DB.Session.Get(context.Background(), sessionID(t, a.Access))
		if err != nil {
			t.Fatal(err)
		}
		if s.OrgID == nil || s.OrgID.String() != acme {
			t.Errorf("session org_id = %v after a refused switch, want %s", s.OrgID, acme)
		}
	})
}

func TestPasswordChangeRevokesOtherSessions(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("carla")
	first := pair{a.Access, a.Refresh}
	current := login(t, e, a)
	third := login(t, e, a)

	t.Run("ErrWrongCurrentRevokesNothing", func(t *testing.T) {
		r := e.For(t).Do(http.MethodPut, "/v1/auth/me/password", map[string]any{"current_password": "wrong password",
			"new_password": "a different passphrase"}, current.Access)
		checkEnvelope(t, r, http.StatusBadRequest, "INVALID_PASSWORD")
		wantMe(t, e, first.Access, true)
		wantMe(t, e, third.Access, true)
	})
	r := e.Do(http.MethodPut, "/v1/auth/me/password", map[string]any{"current_password": a.Password,
		"new_password": "a different passphrase"}, current.Access)
	if r.Status != http.StatusOK || string(r.Body) != "null" {
		t.Fatalf("change password: %d %s", r.Status, r.Body)
	}
	for _, tc := range []struct {
		name string
		p    pair
	}{{"ErrFirstSession", first}, {"ErrThirdSession", third}} {
		t.Run(tc.name, func(t *testing.T) {
			wantMe(t, e, tc.p.Access, false)
			wantRefreshRefused(t, e, tc.p.Refresh)
		})
	}
	t.Run("OK_CurrentSessionStays", func(t *testing.T) {
		wantMe(t, e, current.Access, true)
		p := mustRefresh(t, e, current.Refresh)
		wantMe(t, e, p.Access, true)
	})
}

func TestPasswordResetRevokesAllSessions(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("rhea")
	sessions := []pair{{a.Access, a.Refresh}, login(t, e, a)}
	resetPassword(t, e, a, "a different passphrase")
	for i, p := range sessions {
		wantMe(t, e, p.Access, false)
		wantRefreshRefused(t, e, p.Refresh)
		if t.Failed() {
			t.Fatalf("session #%d survived the reset", i+1)
		}
	}
	a.Password = "a different passphrase"
	login(t, e, a)
}

func TestOneTimeTokensSingleUseUnderConcurrency(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, kind, path string
		issue            func(t *testing.T, e *apitest.Env, a *apitest.Account)
		body             func(token string, i int) map[string]any
	}{
		{"OK_VerifyEmailOnce", "verify_email", "/v1/auth/verify-email", nil,
			func(token string, _ int) map[string]any { return map[string]any{"token": token} }},
		{"OK_ResetPasswordOnce", "reset_password", "/v1/auth/reset-password",
			func(t *testing.T, e *apitest.Env, a *apitest.Account) {
				if r := e.For(t).Do(http.MethodPost, "/v1/auth/forgot-password", map[string]any{"email": a.Email}, ""); r.Status != 200 {
					t.Fatalf("forgot-password: %d %s", r.Status, r.Body)
				}
			},
			func(token string, i int) map[string]any {
				return map[string]any{"token": token, "new_password": "passphrase number " + string(rune('a'+i))}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := apitest.New(t)
			a := e.Register("once")
			if tc.issue != nil {
				tc.issue(t, e, a)
			}
			tok := e.WaitMail(a.Email, tc.kind, 1).Token()
			const n = 8
			res := concurrently(e, n, http.MethodPost, tc.path, func(i int) (string, any) { return tc.path, tc.body(tok, i) })
			ok, invalid := 0, 0
			for i, r := range res {
				switch {
				case r.err != nil:
					t.Fatalf("request #%d: %v", i, r.err)
				case r.status == http.StatusOK && string(r.body) == "null":
					ok++
				case r.status == http.StatusBadRequest && bytes.Contains(r.body, []byte(`"error":"INVALID_TOKEN"`)):
					invalid++
				default:
					t.Errorf("request #%d: %d %s", i, r.status, r.body)
				}
			}
			if ok != 1 || invalid != n-1 {
				t.Errorf("%d successes and %d INVALID_TOKEN, want 1 and %d", ok, invalid, n-1)
			}
		})
	}
}

func TestAccessTokenForgeries(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef0123456789abcdef-test-secret")
	e := apitest.New(t, apitest.WithConfig(func(c *auth.Config) { c.JWTSecret = secret }))
	a := e.Register("alice")
	b := e.Register("bob")
	header, claims := jwtParts(t, a.Access)
	_, bClaims := jwtParts(t, b.Access)
	now := e.Clock.Now().Unix()
	with := func(m map[string]any, kv ...any) map[string]any {
		out := clone(m)
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(out, kv[i].(string))
			} else {
				out[kv[i].(string)] = kv[i+1]
			}
		}
		return out
	}
	// tamper swaps the payload of a genuine token, keeping its signature.
	tamper := func(c map[string]any) string {
		parts := bytes.Split([]byte(a.Access), []byte("."))
		return string(parts[0]) + "." + b64json(t, c) + "." + string(parts[2])
	}

	t.Run("OK_ResignedUnchanged", func(t *testing.T) {
		// The forging helper itself is sound: the same header and claims, signed with the
		// right secret, are accepted; so every refusal below is the check under test.
		wantMe(t, e, sign(t, header, claims, secret), true)
	})
	for _, tc := range []struct {
		name  string
		token string
	}{
		{"ErrAlgNone", sign(t, with(header, "alg", "none"), claims, nil)},
		{"ErrAlgNoneCapitalized", sign(t, with(header, "alg", "None"), claims, nil)},
		{"ErrAlgNoneWithOriginalSignature", sign(t, with(header, "alg", "none"), claims, nil) + a.Access[strings.LastIndex(a.Access, ".")+1:]},
		{"ErrOtherSecret", sign(t, header, claims, []byte("another-secret-of-32-bytes-or-more!!"))},
		{"ErrEmptySecret", sign(t, header, claims, []byte{})},
		{"ErrTamperedSub", tamper(with(claims, "sub", b.UserID))},
		{"ErrTamperedSid", tamper(with(claims, "sid", bClaims["sid"]))},
		{"ErrTamperedExp", tamper(with(claims, "exp", now+86400))},
		{"ErrSubOfAnotherUserSigned", sign(t, header, with(claims, "sub", b.UserID), secret)},
		{"ErrSidOfAnotherUserSigned", sign(t, header, with(claims, "sid", bClaims["sid"]), secret)},
		{"ErrUnknownSidSigned", sign(t, header, with(claims, "sid", uuid.NewString()), secret)},
		{"ErrTypJWT", sign(t, with(header, "typ", "JWT"), claims, secret)},
		{"ErrTypMissing", sign(t, with(header, "typ", nil), claims, secret)},
		{"ErrTypOther", sign(t, with(header, "typ", "rt+jwt"), claims, secret)},
		{"ErrWrongIssuer", sign(t, header, with(claims, "iss", "someone-else"), secret)},
		{"ErrNoIssuer", sign(t, header, with(claims, "iss", nil), secret)},
		{"ErrExpired", sign(t, header, with(claims, "iat", now-1000, "exp", now-100), secret)},
		{"ErrNoIat", sign(t, header, with(claims, "iat", nil), secret)},
		{"ErrNoExp", sign(t, header, with(claims, "exp", nil), secret)},
		{"ErrNoIatNoExp", sign(t, header, with(claims, "iat", nil, "exp", nil), secret)},
		{"ErrIssuedInFuture", sign(t, header, with(claims, "iat", now+3600, "exp", now+7200), secret)},
		{"ErrNoSub", sign(t, header, with(claims, "sub", nil), secret)},
		{"ErrNoSid", sign(t, header, with(claims, "sid", nil), secret)},
		{"ErrHS512RightSecret", sign(t, with(header, "alg", "HS512"), claims, secret)},
		{"ErrHS384RightSecret", sign(t, with(header, "alg", "HS384"), claims, secret)},
		{"ErrTwoSegments", a.Access[:strings.LastIndex(a.Access, ".")]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantMe(t, e, tc.token, false)
			// A forged token must not end, change or revoke anything either.
			r := e.For(t).Do(http.MethodPost, "/v1/auth/logout", nil, tc.token)
			checkEnvelope(t, r, http.StatusUnauthorized, "AUTHENTICATION_FAILED")
		})
	}
	t.Run("OK_GenuineTokensStillWork", func(t *testing.T) {
		wantMe(t, e, a.Access, true)
		wantMe(t, e, b.Access, true)
	})
}

// TestAccessTokenStrictParsing (issue 8 §6): dates must be JSON numbers and no "crit"
// header is understood; each forged token, correctly signed for a live session, is
// refused on both transports, each against its own account (an accepted forgery
// would log that account out).
func TestAccessTokenStrictParsing(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef0123456789abcdef-test-secret")
	e := apitest.New(t, apitest.WithConfig(func(c *auth.Config) { c.JWTSecret = secret }))
	now := e.Clock.Now().Unix()
	for i, tc := range []struct {
		name   string
		header []any // key, value pairs set in the header (nil value: deleted)
		claims []any
		ok     bool
	}{
		{"OK_FloatDatesAndNbf", nil, []any{"exp", float64(now+600) + 0.5, "nbf", now - 10}, true},
		{"ErrExpNumericString", nil, []any{"exp", fmt.Sprint(now + 86400)}, false},
		{"ErrIatNumericString", nil, []any{"iat", fmt.Sprint(now)}, false},
		{"ErrNbfNumericString", nil, []any{"nbf", fmt.Sprint(now - 10)}, false},
		{"ErrExpText", nil, []any{"exp", "tomorrow"}, false},
		{"ErrExpBool", nil, []any{"exp", true}, false},
		{"ErrIatObject", nil, []any{"iat", map[string]any{"t": now}}, false},
		{"ErrCritExp", []any{"crit", []any{"exp"}}, nil, false},
		{"ErrCritUnknown", []any{"crit", []any{"x-ext"}, "x-ext", true}, nil, false},
		{"ErrCritEmpty", []any{"crit", []any{}}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := e.Register(fmt.Sprintf("strict%d", i))
			header, claims := jwtParts(t, a.Access)
			set := func(m map[string]any, kv []any) map[string]any {
				out := clone(m)
				for j := 0; j+1 < len(kv); j += 2 {
					out[kv[j].(string)] = kv[j+1]
				}
				return out
			}
			tok := sign(t, set(header, tc.header), set(claims, tc.claims), secret)
			wantMe(t, e, tok, tc.ok)
			wantMe(t, e, a.Access, true) // nothing was ended by the attempt
		})
	}
}

func TestAccessTokenAudienceWhenConfigured(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef0123456789abcdef-test-secret")
	e := apitest.New(t, apitest.WithConfig(func(c *auth.Config) { c.JWTSecret = secret; c.Audience = "spa" }))
	a := e.Register("aud")
	header, claims := jwtParts(t, a.Access)
	t.Run("OK_WrittenAndAccepted", func(t *testing.T) {
		aud := claims["aud"]
		if aud != "spa" && !slices.Equal(toStrings(aud), []string{"spa"}) {
			t.Errorf("aud = %v, want spa", aud)
		}
		wantMe(t, e, a.Access, true)
	})
	for _, tc := range []struct {
		name string
		aud  any
	}{{"ErrMissing", nil}, {"ErrOther", "other"}} {
		t.Run(tc.name, func(t *testing.T) {
			c := clone(claims)
			if tc.aud == nil {
				delete(c, "aud")
			} else {
				c["aud"] = tc.aud
			}
			wantMe(t, e, sign(t, header, c, secret), false)
		})
	}
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		out = append(out, str(x))
	}
	return out
}

func TestDeactivatedAccount(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("dora")
	deactivate(t, e, a)

	t.Run("ErrAccessTokenAtOnce", func(t *testing.T) { wantMe(t, e, a.Access, false) })
	t.Run("ErrRefresh", func(t *testing.T) { wantRefreshRefused(t, e, a.Refresh) })
	t.Run("ErrForbiddenLoginWithRightPassword", func(t *testing.T) {
		r := e.For(t).Do(http.MethodPost, "/v1/auth/login", map[string]any{"username": a.Username, "password": a.Password}, "")
		checkEnvelope(t, r, http.StatusForbidden, "FORBIDDEN")
		g := e.For(t).GraphQL(`mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { accessToken } }`,
			map[string]any{"u": a.Username, "p": a.Password}, "")
		if len(g.Errors) != 1 || g.Errors[0].Code() != "FORBIDDEN" {
			t.Errorf("GraphQL login: %s, want FORBIDDEN", g.Raw)
		}
	})
	t.Run("ErrAuthenticationLoginWithWrongPassword", func(t *testing.T) {
		r := e.For(t).Do(http.MethodPost, "/v1/auth/login", map[string]any{"username": a.Username, "password": "wrong password"}, "")
		m := checkEnvelope(t, r, http.StatusUnauthorized, "AUTHENTICATION_FAILED")
		if m["message"] != auth.MsgInvalidLogin {
			t.Errorf("message = %v, want %q", m["message"], auth.MsgInvalidLogin)
		}
	})
	t.Run("OK_NoSessionWasStarted", func(t *testing.T) {
		n, err := e.DB.Session.Query().Where(session.UserID(uuid.MustParse(a.UserID))).Count(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%d sessions, want only the one from registration", n)
		}
	})
}

func TestUnknownUserAndWrongPasswordAnswerAlike(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("known")
	const wrong = "definitely not it"
	restAnswer := func(t *testing.T, username string) string {
		t.Helper()
		r := e.For(t).Do(http.MethodPost, "/v1/auth/login", map[string]any{"username": username, "password": wrong}, "")
		m := checkEnvelope(t, r, http.StatusUnauthorized, "AUTHENTICATION_FAILED")
		delete(m, "timestamp")
		b, _ := json.Marshal(m)
		return string(b) + " WWW-Authenticate=" + r.Header.Get("WWW-Authenticate")
	}
	gqlAnswer := func(t *testing.T, username string) string {
		t.Helper()
		r := e.For(t).GraphQL(`mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { accessToken } }`,
			map[string]any{"u": username, "p": wrong}, "")
		return string(r.Raw)
	}
	for _, tc := range []struct {
		name   string
		answer func(t *testing.T, username string) string
	}{{"OK_SameOverREST", restAnswer}, {"OK_SameOverGraphQL", gqlAnswer}} {
		t.Run(tc.name, func(t *testing.T) {
			known := tc.answer(t, a.Username)
			for _, other := range []string{"nobody", "nobody@example.com", a.Email} {
				if got := tc.answer(t, other); got != known {
					t.Errorf("login as %q answered\n %s\nwrong password answered\n %s", other, got, known)
				}
			}
			if !bytes.Contains([]byte(known), []byte(auth.MsgInvalidLogin)) {
				t.Errorf("answer %s lacks %q", known, auth.MsgInvalidLogin)
			}
		})
	}
}

func TestMaxSessionsEvictsOldest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		max  int // 0: the default
		live int
	}{{"OK_ConfiguredLimit", 3, 3}, {"OK_DefaultLimit", 0, 50}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := apitest.New(t, apitest.WithConfig(func(c *auth.Config) { c.MaxSessions = tc.max }))
			a := e.Register("many")
			sessions := []pair{{a.Access, a.Refresh}}
			for range tc.live {
				e.Clock.Advance(time.Millisecond)
				sessions = append(sessions, login(t, e, a))
			}
			wantMe(t, e, sessions[0].Access, false)
			wantRefreshRefused(t, e, sessions[0].Refresh)
			for _, i := range []int{1, len(sessions) - 1} {
				wantMe(t, e, sessions[i].Access, true)
			}
			mustRefresh(t, e, sessions[1].Refresh)
			n, err := e.DB.Session.Query().Where(session.UserID(uuid.MustParse(a.UserID)), session.RevokedAtIsNil()).
				Count(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.live {
				t.Errorf("%d live sessions, want %d", n, tc.live)
			}
		})
	}
}

func TestIssuedAccessTokenShape(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("shape")
	header, claims := jwtParts(t, a.Access)
	if header["alg"] != "HS256" || header["typ"] != "at+jwt" {
		t.Errorf("header %v, want alg HS256 and typ at+jwt", header)
	}
	for _, k := range []string{"sub", "sid", "org", "roles", "iat", "exp", "iss"} {
		if _, ok := claims[k]; !ok {
			t.Errorf("claims %v lack %s", claims, k)
		}
	}
	iat, _ := claims["iat"].(json.Number).Int64()
	exp, _ := claims["exp"].(json.Number).Int64()
	if claims["sub"] != a.UserID || claims["iss"] != "authbff" || exp-iat != 900 {
		t.Errorf("claims %v: want sub %s, iss authbff, a 900 s lifetime", claims, a.UserID)
	}
}

func TestLockoutAfterConsecutiveFailures(t *testing.T) {
	t.Parallel()
	const threshold = 3
	locked := apitest.WithConfig(func(c *auth.Config) { c.LockoutThreshold = threshold })
	loginAnswer := func(t *testing.T, e *apitest.Env, username, password string) (int, string) {
		t.Helper()
		r := e.For(t).Do(http.MethodPost, "/v1/auth/login", map[string]any{"username": username, "password": password}, "")
		if r.Status != http.StatusOK {
			m := r.Object(t)
			return r.Status, str(m["error"]) + ": " + str(m["message"])
		}
		return r.Status, ""
	}
	fail := func(t *testing.T, e *apitest.Env, a *apitest.Account, n int) {
		t.Helper()
		for range n {
			if st, _ := loginAnswer(t, e, a.Username, "wrong password"); st != http.StatusUnauthorized {
				t.Fatalf("wrong password: %d", st)
			}
		}
	}

	t.Run("ErrRightPasswordRefusedLikeWrongOne", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, locked)
		a := e.Register("locked")
		fail(t, e, a, threshold)
		st, msg := loginAnswer(t, e, a.Username, a.Password)
		wst, wmsg := loginAnswer(t, e, a.Username, "wrong password")
		ust, umsg := loginAnswer(t, e, "nobody", "wrong password")
		if st != http.StatusUnauthorized || st != wst || msg != wmsg || st != ust || msg != umsg {
			t.Errorf("locked login %d %q; wrong password %d %q; unknown user %d %q: want the same 401",
				st, msg, wst, wmsg, ust, umsg)
		}
		// A password reset lifts the lockout.
		resetPassword(t, e, a, "the replacement passphrase")
		if st, msg := loginAnswer(t, e, a.Username, "the replacement passphrase"); st != http.StatusOK {
			t.Errorf("login after the reset: %d %s", st, msg)
		}
	})
	t.Run("OK_SuccessResetsTheCount", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, locked)
		a := e.Register("forgetful")
		fail(t, e, a, threshold-1)
		login(t, e, a)
		fail(t, e, a, threshold-1)
		login(t, e, a)
	})
	t.Run("ErrWrongCurrentPasswordCountsAsFailure", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, locked)
		a := e.Register("changer")
		fail(t, e, a, threshold-1)
		r := e.For(t).Do(http.MethodPut, "/v1/auth/me/password", map[string]any{"current_password": "wrong password",
			"new_password": "a different passphrase"}, a.Access)
		checkEnvelope(t, r, http.StatusBadRequest, "INVALID_PASSWORD")
		if st, _ := loginAnswer(t, e, a.Username, a.Password); st != http.StatusUnauthorized {
			t.Errorf("login after %d failures: %d, want 401", threshold, st)
		}
	})
}
