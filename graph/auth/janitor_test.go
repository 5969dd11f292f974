package auth_test

import (
	"net/http"
	"testing"
	"time"

	"authbff/graph/auth"
	"authbff/rest/apitest"
)

// TestSweepDeletesOnlyDeadRows: a week after a session ends, it and its refresh tokens
// go; a live session, its rotated tokens (needed to detect reuse), and the audit trail stay.
func TestSweepDeletesOnlyDeadRows(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	ctx := t.Context()
	a := e.Register("sweeper")
	e.WaitMail(a.Email, "verify_email", 1)
	r := e.Do(http.MethodPost, "/v1/auth/refresh", map[string]any{"refresh_token": a.Refresh}, "")
	if r.Status != 200 {
		t.Fatalf("refresh: %d", r.Status)
	}
	gone, _ := e.Login("sweeper", a.Password)
	if r := e.Do(http.MethodPost, "/v1/auth/logout", nil, gone); r.Status != 200 {
		t.Fatalf("logout: %d", r.Status)
	}
	audits := e.DB.AuditEvent.Query().CountX(ctx)
	if n, err := e.Svc.Sweep(ctx); err != nil || n != 0 {
		t.Fatalf("sweep right away: %d rows, %v; want nothing deleted", n, err)
	}
	e.Clock.Advance(8 * 24 * time.Hour)
	n, err := e.Svc.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The logged-out session and its refresh token, and the used/expired verification token.
	if n != 3 {
		t.Fatalf("swept %d rows, want 3", n)
	}
	if c := e.DB.Session.Query().CountX(ctx); c != 1 {
		t.Fatalf("%d sessions left, want the live one", c)
	}
	if c := e.DB.RefreshToken.Query().CountX(ctx); c != 2 {
		t.Fatalf("%d refresh tokens left, want the live session's parent and child", c)
	}
	if c := e.DB.AuditEvent.Query().CountX(ctx); c != audits {
		t.Fatalf("audit rows %d, want %d kept", c, audits)
	}
}

// TestSweepEnforcesAuditRetention: audit events older than AUTH_AUDIT_RETENTION go,
// younger ones stay.
func TestSweepEnforcesAuditRetention(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.WithConfig(func(c *auth.Config) { c.AuditRetention = 30 * 24 * time.Hour }))
	ctx := t.Context()
	a := e.Register("historian")
	old := e.DB.AuditEvent.Query().CountX(ctx)
	if old == 0 {
		t.Fatal("premise: registering writes an audit event")
	}
	e.Clock.Advance(20 * 24 * time.Hour)
	e.Login(a.Username, a.Password)
	recent := e.DB.AuditEvent.Query().CountX(ctx) - old
	e.Clock.Advance(11 * 24 * time.Hour) // the first events are 31 days old, the login 11
	if _, err := e.Svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if c := e.DB.AuditEvent.Query().CountX(ctx); c != recent {
		t.Errorf("%d audit events left, want the %d younger than 30 days", c, recent)
	}
}
