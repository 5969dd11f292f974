package auth_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"authbff/ent/onetimetoken"
	"authbff/ent/session"
	"authbff/graph/auth"
	"authbff/rest/apitest"
)

// A new password or a deactivation ends the account's reset links and its sessions
// (all of them, or all but the caller's for a change of password), each path with its
// own revoke reason: one rule (signOutEverywhere), checked from every entry.
func TestNewPasswordOrDeactivationSignsOutEverywhere(t *testing.T) {
	t.Parallel()
	const newPW = "Brand-New-Walrus-77"
	for _, c := range []struct {
		name   string
		act    func(t *testing.T, e *apitest.Env, a *apitest.Account, resetToken string)
		reason string
		keep   bool // the caller's session (the first one) stays signed in
	}{
		{"ChangePasswordKeepsTheCaller", func(t *testing.T, e *apitest.Env, a *apitest.Account, _ string) {
			r := e.Do(http.MethodPut, "/v1/auth/me/password", map[string]any{"current_password": a.Password, "new_password": newPW}, a.Access)
			if r.Status != http.StatusOK {
				t.Fatalf("change password: %d %s", r.Status, r.Body)
			}
		}, "password_changed", true},
		{"ResetPassword", func(t *testing.T, e *apitest.Env, _ *apitest.Account, tok string) {
			if r := e.Do(http.MethodPost, "/v1/auth/reset-password", map[string]any{"token": tok, "new_password": newPW}, ""); r.Status != http.StatusOK {
				t.Fatalf("reset: %d %s", r.Status, r.Body)
			}
		}, "password_reset", false},
		{"OperatorSetPassword", func(t *testing.T, e *apitest.Env, a *apitest.Account, _ string) {
			if err := e.Svc.SetPassword(context.Background(), auth.SetPasswordInput{Identifier: a.Username, NewPassword: newPW}); err != nil {
				t.Fatal(err)
			}
		}, "password_set_by_operator", false},
		{"Deactivation", func(t *testing.T, e *apitest.Env, a *apitest.Account, _ string) {
			if err := e.Svc.SetActive(context.Background(), a.Username, false); err != nil {
				t.Fatal(err)
			}
		}, "deactivated", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := apitest.New(t).For(t)
			a := e.Register("leaver")
			other := login(t, e, a)
			bystander := e.Register("bystander")
			if r := e.Do(http.MethodPost, "/v1/auth/forgot-password", map[string]any{"email": a.Email}, ""); r.Status != http.StatusOK {
				t.Fatalf("forgot: %d %s", r.Status, r.Body)
			}
			tok := e.WaitMail(a.Email, "reset_password", 1).Token()

			c.act(t, e, a, tok)

			ctx := context.Background()
			uid := uuid.MustParse(a.UserID)
			ss, err := e.DB.Session.Query().Where(session.UserID(uid)).All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(ss) != 2 {
				t.Fatalf("%d sessions, want the two of the test", len(ss))
			}
			caller := jwtSid(t, a.Access)
			for _, s := range ss {
				live := s.RevokedAt == nil
				if wantLive := c.keep && s.ID.String() == caller; live != wantLive || !live && s.RevokeReason != c.reason {
					t.Errorf("session %s (caller %v): revoked %v reason %q; want revoked %v reason %q",
						s.ID, s.ID.String() == caller, !live, s.RevokeReason, !wantLive, c.reason)
				}
			}
			pending, err := e.DB.OneTimeToken.Query().Where(onetimetoken.UserID(uid),
				onetimetoken.KindEQ(onetimetoken.KindResetPassword), onetimetoken.UsedAtIsNil()).Count(ctx)
			if err != nil || pending != 0 {
				t.Errorf("%d reset links still usable (%v), want none", pending, err)
			}
			if r := e.Do(http.MethodGet, "/v1/auth/me", nil, other.Access); r.Status != http.StatusUnauthorized {
				t.Errorf("the other session's access token: %d, want 401", r.Status)
			}
			if r := e.Do(http.MethodGet, "/v1/auth/me", nil, bystander.Access); r.Status != http.StatusOK {
				t.Errorf("another account's session: %d, want 200 (untouched)", r.Status)
			}
		})
	}
}
