package auth_test

// Issue 12: a successful login runs fixed SQL (hotsql.go) instead of statements ent
// builds per request. The rows it writes must be the rows ent wrote: every column ent
// set, with values of the same types, so that ent reads them back unchanged everywhere
// else. Each test logs in through the production HTTP handler, then reads the user, the
// session, the refresh token, the audit event and the reset links back through ent and
// compares every field, on SQLite and on PostgreSQL.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"authbff/ent"
	"authbff/ent/auditevent"
	"authbff/ent/membership"
	"authbff/ent/onetimetoken"
	"authbff/ent/session"
	"authbff/graph/auth"
	"authbff/rest/apitest"
)

// loginAs signs in over REST with a User-Agent and returns the answer's object, failing
// unless it is a 200. before and after bound the service clock around the request.
func loginAs(t *testing.T, e *apitest.Env, username, password, ua string) (m map[string]any, before, after time.Time) {
	t.Helper()
	before = e.Clock.Now().UTC().Truncate(time.Microsecond)
	r := e.For(t).Do(http.MethodPost, "/v1/auth/login", map[string]any{"username": username, "password": password}, "",
		"User-Agent", ua)
	after = e.Clock.Now().UTC()
	if r.Status != http.StatusOK {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	return r.Object(t), before, after
}

func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %s, want %s", what, got.UTC().Format(time.RFC3339Nano), want.UTC().Format(time.RFC3339Nano))
	}
}

// TestLoginRowsAsEntWroteThem: the rows one login writes, field by field.
func TestLoginRowsAsEntWroteThem(t *testing.T) {
	t.Parallel()
	databases(t, func(t *testing.T, e *apitest.Env) {
		ctx := context.Background()
		a := e.For(t).Register("rows")
		uid := uuid.MustParse(a.UserID)
		ws := uuid.MustParse(a.WorkspaceID)
		// A reset link waiting in the mailbox, which the login must void, and one used
		// before, whose used_at must stay; the verification link of register must stay
		// unused.
		t0 := e.Clock.Now().UTC().Truncate(time.Microsecond)
		pending := e.DB.OneTimeToken.Create().SetID(uuid.New()).SetUserID(uid).SetKind(onetimetoken.KindResetPassword).
			SetTokenHash([]byte("pending-reset-link-hash-32-bytes")).SetCreatedAt(t0).SetExpiresAt(t0.Add(time.Hour)).SaveX(ctx)
		used := e.DB.OneTimeToken.Create().SetID(uuid.New()).SetUserID(uid).SetKind(onetimetoken.KindResetPassword).
			SetTokenHash([]byte("used-reset-link-hash-is-32-bytes")).SetCreatedAt(t0).SetExpiresAt(t0.Add(time.Hour)).
			SetUsedAt(t0).SaveX(ctx)
		old, err := e.DB.User.Get(ctx, uid)
		if err != nil {
			t.Fatal(err)
		}
		e.Clock.Advance(time.Minute) // the login's instant differs from register's
		ua := "login-sql-test/1 " + strings.Repeat("x", 600)
		m, before, after := loginAs(t, e, "ROWS@example.com", a.Password, ua) // by e-mail, any case
		sid := sessionID(t, m["access_token"].(string))

		// The session: every column ent's Create set, and the instant of the login.
		s, err := e.DB.Session.Get(ctx, sid)
		if err != nil {
			t.Fatalf("the session the token names: %v", err)
		}
		now := s.CreatedAt
		if now.Before(before) || now.After(after) {
			t.Errorf("session created_at %s outside the login [%s, %s]", now, before, after)
		}
		if s.UserID != uid {
			t.Errorf("session user_id = %s, want %s", s.UserID, uid)
		}
		if s.OrgID == nil || *s.OrgID != ws {
			t.Errorf("session org_id = %v, want the personal workspace %s", s.OrgID, ws)
		}
		sameTime(t, "session last_used_at", s.LastUsedAt, now)
		sameTime(t, "session expires_at", s.ExpiresAt, now.Add(auth.DefaultConfig().SessionMaxAge))
		if s.RevokedAt != nil || s.RevokeReason != "" {
			t.Errorf("a new session is revoked: %v %q", s.RevokedAt, s.RevokeReason)
		}
		if s.IP != "127.0.0.1" {
			t.Errorf("session ip = %q, want 127.0.0.1", s.IP)
		}
		if s.UserAgent != ua[:512] {
			t.Errorf("session user_agent = %q (%d bytes), want the first 512 bytes of the header", s.UserAgent, len(s.UserAgent))
		}
		if claimsOf(t, m["access_token"].(string))["org"] != ws.String() {
			t.Errorf("org claim = %v, want %s", claimsOf(t, m["access_token"].(string))["org"], ws)
		}

		// The first refresh token: the row it names, no parent, no legacy hash.
		rt := m["refresh_token"].(string)
		id := wantNewFormat(t, e, rt, sid)
		r, err := e.DB.RefreshToken.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(rt))
		if r.SecretHash == nil || !bytes.Equal(*r.SecretHash, sum[:]) {
			t.Errorf("secret_hash is not the SHA-256 of the token")
		}
		if r.ParentID != nil || r.RotatedAt != nil {
			t.Errorf("the first token has parent %v, rotated_at %v; want none", r.ParentID, r.RotatedAt)
		}
		sameTime(t, "refresh created_at", r.CreatedAt, now)
		exp := now.Add(auth.DefaultConfig().RefreshTTL)
		if end := now.Add(auth.DefaultConfig().SessionMaxAge); exp.After(end) {
			exp = end
		}
		sameTime(t, "refresh expires_at", r.ExpiresAt, exp)
		if n := e.DB.RefreshToken.Query().CountX(ctx); n != 2 { // register's and this one
			t.Errorf("%d refresh tokens, want 2", n)
		}

		// The user: last_login and failed_logins, nothing else (updated_at included: a
		// login is not an edit of the account, and ent's update did not set it).
		u, err := e.DB.User.Get(ctx, uid)
		if err != nil {
			t.Fatal(err)
		}
		if u.LastLogin == nil {
			t.Fatal("last_login not set")
		}
		sameTime(t, "last_login", *u.LastLogin, now)
		want := *old
		want.LastLogin, want.FailedLogins = u.LastLogin, 0
		want.Edges = u.Edges
		if got := *u; !sameUser(got, want) {
			t.Errorf("user after login:\n got %+v\nwant %+v", got, want)
		}
		// The answer shows the row as written, in the format /me answers it.
		me := e.For(t).Do(http.MethodGet, "/v1/auth/me", nil, m["access_token"].(string))
		if me.Status != http.StatusOK {
			t.Fatalf("me: %d %s", me.Status, me.Body)
		}
		loginUser, _ := json.Marshal(m["user"])
		meUser, _ := json.Marshal(me.Object(t))
		if !bytes.Equal(loginUser, meUser) {
			t.Errorf("login's user differs from /me's:\nlogin %s\n   me %s", loginUser, meUser)
		}
		if got := m["user"].(map[string]any)["last_login"]; got != now.Format("2006-01-02T15:04:05.999999") &&
			!strings.HasPrefix(str(got), now.Format("2006-01-02T15:04:05")) {
			t.Errorf("answer's last_login = %v, want the login's instant %s", got, now)
		}

		// The audit event, committed with the session: every column.
		ev, err := e.DB.AuditEvent.Query().Where(auditevent.Type(auth.EventLoginSucceeded)).Only(ctx)
		if err != nil {
			t.Fatalf("login_succeeded event: %v", err)
		}
		if ev.UserID == nil || *ev.UserID != uid || ev.SessionID == nil || *ev.SessionID != sid {
			t.Errorf("event user %v session %v, want %s %s", ev.UserID, ev.SessionID, uid, sid)
		}
		if ev.IP != "127.0.0.1" || ev.UserAgent != ua[:512] || ev.Data != "{}" {
			t.Errorf("event ip %q, user_agent %d bytes, data %q", ev.IP, len(ev.UserAgent), ev.Data)
		}
		if ev.ID.Version() != 4 {
			t.Errorf("event id %s is version %d, want a random (4) one", ev.ID, ev.ID.Version())
		}
		if ev.CreatedAt.Before(now) || ev.CreatedAt.After(after) {
			t.Errorf("event created_at %s outside [%s, %s]", ev.CreatedAt, now, after)
		}

		// The reset link is void at the login's instant; the verification link is not.
		toks, err := e.DB.OneTimeToken.Query().Where(onetimetoken.UserID(uid)).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var resets, verifies int
		for _, tk := range toks {
			switch tk.Kind {
			case onetimetoken.KindResetPassword:
				resets++
				switch {
				case tk.UsedAt == nil:
					t.Errorf("reset link %s still usable after a login", tk.ID)
				case tk.ID == pending.ID:
					sameTime(t, "reset link used_at", *tk.UsedAt, now)
				case tk.ID == used.ID:
					sameTime(t, "used reset link used_at", *tk.UsedAt, t0)
				}
			case onetimetoken.KindVerifyEmail:
				verifies++
				if tk.UsedAt != nil {
					t.Errorf("the login used the verification link")
				}
			}
		}
		if resets != 2 || verifies != 1 {
			t.Errorf("%d reset and %d verification links, want 2 and 1", resets, verifies)
		}

		// The session works as ent's did: /me, refresh, and the session list read it.
		p := mustRefresh(t, e, rt)
		wantMe(t, e, p.Access, true)
		list := e.For(t).Do(http.MethodGet, "/v1/auth/sessions", nil, p.Access)
		if list.Status == http.StatusOK && !bytes.Contains(list.Body, []byte(sid.String())) {
			t.Errorf("the session list does not show the new session: %s", list.Body)
		}
	})
}

// sameUser compares two users field by field (times by instant).
func sameUser(a, b ent.User) bool {
	eqT := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	eqS := func(x, y *string) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	eqU := func(x, y *uuid.UUID) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	ra, _ := json.Marshal(a.Roles)
	rb, _ := json.Marshal(b.Roles)
	return a.ID == b.ID && a.Email == b.Email && a.EmailKey == b.EmailKey && a.Username == b.Username &&
		a.UsernameKey == b.UsernameKey && eqS(a.PasswordHash, b.PasswordHash) && a.AuthProvider == b.AuthProvider &&
		eqS(a.FullName, b.FullName) && eqS(a.AvatarURL, b.AvatarURL) && eqS(a.Bio, b.Bio) && eqS(a.Timezone, b.Timezone) &&
		eqS(a.Locale, b.Locale) && a.Preferences == b.Preferences && a.Settings == b.Settings && bytes.Equal(ra, rb) &&
		a.IsActive == b.IsActive && a.IsVerified == b.IsVerified && eqU(a.DefaultWorkspaceID, b.DefaultWorkspaceID) &&
		a.FailedLogins == b.FailedLogins && a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt) &&
		eqT(a.LastLogin, b.LastLogin)
}

// TestLoginRehashOneStatement: a login whose stored hash has other parameters stores the
// new hash in the same UPDATE (and a login without a rehash keeps the stored one), and
// resets failed_logins.
func TestLoginRehashOneStatement(t *testing.T) {
	t.Parallel()
	for _, db := range []string{"SQLite", "PostgreSQL"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			url := "sqlite:" + t.TempDir() + "/auth.db"
			if db == "PostgreSQL" {
				url = apitest.Postgres(t)
			}
			ctx := context.Background()
			e := apitest.New(t, apitest.WithDatabase(url))
			a := e.Register("rehash")
			uid := uuid.MustParse(a.UserID)
			// Two wrong passwords first: the success resets the count.
			for range 2 {
				if r := e.Do(http.MethodPost, "/v1/auth/login", map[string]any{"username": a.Username, "password": "wrong"}, ""); r.Status != http.StatusUnauthorized {
					t.Fatalf("wrong password: %d %s", r.Status, r.Body)
				}
			}
			before := e.DB.User.GetX(ctx, uid)
			if before.FailedLogins != 2 {
				t.Fatalf("failed_logins = %d, want 2", before.FailedLogins)
			}
			loginAs(t, e, a.Username, a.Password, "ua")
			same := e.DB.User.GetX(ctx, uid)
			if *same.PasswordHash != *before.PasswordHash || same.FailedLogins != 0 {
				t.Errorf("a login without rehash changed the hash or kept failed_logins %d", same.FailedLogins)
			}
			// The same database served with stronger parameters: the next login rehashes.
			stronger := apitest.CheapHash
			stronger.MemoryKiB *= 2
			e2 := apitest.New(t, apitest.WithDatabase(url), apitest.WithConfig(func(c *auth.Config) { c.Hash = stronger }))
			loginAs(t, e2, a.Username, a.Password, "ua")
			after := e2.DB.User.GetX(ctx, uid)
			if *after.PasswordHash == *before.PasswordHash || !strings.Contains(*after.PasswordHash, "m=128,") {
				t.Errorf("hash after a rehash login: %q, want new parameters (m=128)", *after.PasswordHash)
			}
			if !after.UpdatedAt.Equal(before.UpdatedAt) {
				t.Errorf("updated_at moved from %s to %s", before.UpdatedAt, after.UpdatedAt)
			}
			// The new hash verifies.
			loginAs(t, e2, a.Username, a.Password, "ua")
			if again := e2.DB.User.GetX(ctx, uid); *again.PasswordHash != *after.PasswordHash {
				t.Errorf("a login with current parameters rehashed again")
			}
		})
	}
}

// TestLoginOrgChoice: the organization a session starts in (one statement now,
// ent's two queries before): the personal workspace while a member, else the oldest
// membership (ties by id), else none.
func TestLoginOrgChoice(t *testing.T) {
	t.Parallel()
	databases(t, func(t *testing.T, e *apitest.Env) {
		ctx := context.Background()
		a := e.For(t).Register("orgs")
		uid := uuid.MustParse(a.UserID)
		ws := uuid.MustParse(a.WorkspaceID)
		orgOf := func() *uuid.UUID {
			t.Helper()
			m, _, _ := loginAs(t, e, a.Username, a.Password, "ua")
			s, err := e.DB.Session.Get(ctx, sessionID(t, m["access_token"].(string)))
			if err != nil {
				t.Fatal(err)
			}
			claim, has := claimsOf(t, m["access_token"].(string))["org"]
			if (s.OrgID == nil) != (!has || claim == nil) || (s.OrgID != nil && claim != s.OrgID.String()) {
				t.Errorf("org claim %v, session org_id %v", claim, s.OrgID)
			}
			return s.OrgID
		}
		if got := orgOf(); got == nil || *got != ws {
			t.Fatalf("org = %v, want the personal workspace %s", got, ws)
		}
		// Other organizations: c joined first (older created_at) though created later,
		// and b and d joined at the same instant after it.
		t0 := e.Clock.Now().UTC().Truncate(time.Microsecond)
		newOrg := func(id string) uuid.UUID {
			o := uuid.MustParse(id)
			e.DB.Organization.Create().SetID(o).SetName("org " + id[:1]).SetCreatedAt(t0).ExecX(ctx)
			return o
		}
		b := newOrg("bbbbbbbb-0000-4000-8000-000000000000")
		c := newOrg("cccccccc-0000-4000-8000-000000000000")
		d := newOrg("dddddddd-0000-4000-8000-000000000000")
		join := func(o uuid.UUID, mid string, at time.Time) {
			e.DB.Membership.Create().SetID(uuid.MustParse(mid)).SetUserID(uid).SetOrgID(o).
				SetRole(membership.RoleMember).SetCreatedAt(at).ExecX(ctx)
		}
		join(b, "20000000-0000-4000-8000-000000000000", t0.Add(-time.Hour))
		join(d, "10000000-0000-4000-8000-000000000000", t0.Add(-time.Hour))
		join(c, "30000000-0000-4000-8000-000000000000", t0.Add(-2*time.Hour))
		// Still a member of the personal workspace: it wins over older memberships.
		if got := orgOf(); got == nil || *got != ws {
			t.Errorf("org = %v, want the personal workspace %s while a member", got, ws)
		}
		// No longer a member of it: the oldest membership.
		e.DB.Membership.Delete().Where(membership.UserID(uid), membership.OrgID(ws)).ExecX(ctx)
		if got := orgOf(); got == nil || *got != c {
			t.Errorf("org = %v, want the oldest membership %s", got, c)
		}
		// Of two joined at the same instant, the lower membership id.
		e.DB.Membership.Delete().Where(membership.UserID(uid), membership.OrgID(c)).ExecX(ctx)
		if got := orgOf(); got == nil || *got != d {
			t.Errorf("org = %v, want %s (same created_at, lower membership id)", got, d)
		}
		// No default workspace at all: the oldest membership.
		e.DB.User.UpdateOneID(uid).ClearDefaultWorkspaceID().ExecX(ctx)
		if got := orgOf(); got == nil || *got != d {
			t.Errorf("org = %v without a default workspace, want %s", got, d)
		}
		// No membership: no organization.
		e.DB.Membership.Delete().Where(membership.UserID(uid)).ExecX(ctx)
		if got := orgOf(); got != nil {
			t.Errorf("org = %s, want none without memberships", got)
		}
	})
}

// TestLoginEvictsOldest: beyond MaxSessions live sessions, the login ends the oldest
// (one UPDATE now, ent's SELECT and UPDATE before), with reason "evicted" at its instant;
// revoked and expired sessions do not count.
func TestLoginEvictsOldest(t *testing.T) {
	t.Parallel()
	for _, db := range []string{"SQLite", "PostgreSQL"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			opts := []apitest.Option{apitest.WithConfig(func(c *auth.Config) { c.MaxSessions = 2 })}
			if db == "PostgreSQL" {
				opts = append(opts, apitest.WithDatabase(apitest.Postgres(t)))
			} else {
				opts = append(opts, apitest.WithDatabase("sqlite:"+t.TempDir()+"/auth.db"))
			}
			e := apitest.New(t, opts...)
			ctx := context.Background()
			a := e.Register("evict")
			first := sessionID(t, a.Access)
			e.Clock.Advance(time.Second)
			m2, _, _ := loginAs(t, e, a.Username, a.Password, "ua")
			second := sessionID(t, m2["access_token"].(string))
			e.Clock.Advance(time.Second)
			m3, _, _ := loginAs(t, e, a.Username, a.Password, "ua")
			third := sessionID(t, m3["access_token"].(string))
			s1 := e.DB.Session.GetX(ctx, first)
			s3 := e.DB.Session.GetX(ctx, third)
			if s1.RevokedAt == nil || s1.RevokeReason != "evicted" {
				t.Fatalf("oldest session: revoked_at %v reason %q, want evicted", s1.RevokedAt, s1.RevokeReason)
			}
			sameTime(t, "evicted revoked_at", *s1.RevokedAt, s3.CreatedAt)
			live := e.DB.Session.Query().Where(session.RevokedAtIsNil()).IDsX(ctx)
			if len(live) != 2 || !containsID(live, second) || !containsID(live, third) {
				t.Errorf("live sessions %v, want %s and %s", live, second, third)
			}
			wantMe(t, e, a.Access, false)
			// A revoked session does not count: logging out of the second leaves room.
			if r := e.Do(http.MethodPost, "/v1/auth/logout", nil, m2["access_token"].(string)); r.Status != http.StatusOK {
				t.Fatalf("logout: %d %s", r.Status, r.Body)
			}
			e.Clock.Advance(time.Second)
			m4, _, _ := loginAs(t, e, a.Username, a.Password, "ua")
			if s := e.DB.Session.GetX(ctx, third); s.RevokedAt != nil {
				t.Errorf("the third session was evicted though only two were live")
			}
			if s := e.DB.Session.GetX(ctx, second); s.RevokeReason != "logout" {
				t.Errorf("the logged-out session's reason became %q", s.RevokeReason)
			}
			wantMe(t, e, m4["access_token"].(string), true)
			wantMe(t, e, m3["access_token"].(string), true)
		})
	}
}

func containsID(ids []uuid.UUID, id uuid.UUID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// TestAuditOutsideTx: the events recorded outside a transaction (s.db) run the same
// fixed INSERT: every column, with the data as JSON text.
func TestAuditOutsideTx(t *testing.T) {
	t.Parallel()
	databases(t, func(t *testing.T, e *apitest.Env) {
		ctx := context.Background()
		a := e.For(t).Register("auditx")
		p := login(t, e, a)
		res := e.For(t).GraphQL(`mutation { revokeOtherSessions }`, nil, p.Access, "User-Agent", "ua-audit")
		if len(res.Errors) > 0 || res.Status != http.StatusOK {
			t.Fatalf("revokeOtherSessions: %d %s", res.Status, res.Raw)
		}
		ev, err := e.DB.AuditEvent.Query().Where(auditevent.Type(auth.EventOtherSessionsGone)).Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		uid, sid := uuid.MustParse(a.UserID), sessionID(t, p.Access)
		if ev.UserID == nil || *ev.UserID != uid || ev.SessionID == nil || *ev.SessionID != sid {
			t.Errorf("event user %v session %v, want %s %s", ev.UserID, ev.SessionID, uid, sid)
		}
		if ev.Data != `{"count":1}` || ev.IP != "127.0.0.1" || ev.UserAgent != "ua-audit" {
			t.Errorf("event data %q ip %q user_agent %q", ev.Data, ev.IP, ev.UserAgent)
		}
		// An event without an account: user_id and session_id NULL.
		if r := e.For(t).Do(http.MethodPost, "/v1/auth/login", map[string]any{"username": "nobody", "password": "x"}, ""); r.Status != http.StatusUnauthorized {
			t.Fatalf("unknown login: %d %s", r.Status, r.Body)
		}
		f, err := e.DB.AuditEvent.Query().Where(auditevent.Type(auth.EventLoginFailed), auditevent.UserIDIsNil()).Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if f.SessionID != nil || f.Data != "{}" {
			t.Errorf("failed-login event session %v data %q", f.SessionID, f.Data)
		}
	})
}
