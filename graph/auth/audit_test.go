package auth_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	_ "github.com/mattn/go-sqlite3"

	"authbff/ent"
	"authbff/ent/auditevent"
	"authbff/ent/mail"
	"authbff/graph/auth"
	"authbff/rest/apitest"
)

// auditWant is what an event's audit row must say.
type auditWant struct {
	user    string   // user_id, "" for none
	session string   // session_id when the event belongs to a session ("" : not checked)
	secrets []string // values that must not appear in the row
}

// auditRowsOf returns every audit row of type typ.
func auditRowsOf(t testing.TB, e *apitest.Env, typ string) []*ent.AuditEvent {
	t.Helper()
	rows, err := e.DB.AuditEvent.Query().Where(auditevent.Type(typ)).All(context.Background())
	if err != nil {
		t.Fatalf("reading audit rows: %v", err)
	}
	return rows
}

// auditInvite makes owner's organization and invites address into it as a member; it
// returns the organization id, the invite id and the invite token from the mail.
func auditInvite(t testing.TB, e *apitest.Env, owner *apitest.Account, address string) (org, invite, token string) {
	t.Helper()
	d := uaGQLOK(t, e, `mutation($n: String!) { createOrganization(name: $n) { organization { id } } }`,
		map[string]any{"n": "Acme " + address}, owner.Access)
	org = d["createOrganization"].(map[string]any)["organization"].(map[string]any)["id"].(string)
	d = uaGQLOK(t, e, `mutation($o: ID!, $e: String!) { createInvite(orgId: $o, email: $e, role: MEMBER) { id } }`,
		map[string]any{"o": org, "e": address}, owner.Access)
	invite = d["createInvite"].(map[string]any)["id"].(string)
	token = e.WaitMail(address, "invite", 1).Token()
	if token == "" {
		t.Fatal("invite mail has no token")
	}
	return org, invite, token
}

const auditPW = "Marble-Tapir-4417"

func TestAuditTrail(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		typ  string
		opts []apitest.Option
		act  func(t *testing.T, e *apitest.Env) auditWant
	}{
		{name: "RegisteredNamesNewUser", typ: auth.EventRegistered, act: func(t *testing.T, e *apitest.Env) auditWant {
			a := uaRegister(t, e, "alice", auditPW)
			return auditWant{a.UserID, jwtSid(t, a.Access), []string{auditPW, a.Access, a.Refresh}}
		}},
		{name: "LoginSucceededNamesUser", typ: auth.EventLoginSucceeded, act: func(t *testing.T, e *apitest.Env) auditWant {
			a := uaRegister(t, e, "alice", auditPW)
			access, refresh := uaLogin(t, e, "alice@example.com", auditPW)
			return auditWant{a.UserID, jwtSid(t, access), []string{auditPW, access, refresh}}
		}},
		{name: "LoginFailedKnownUserNamesUser", typ: auth.EventLoginFailed, act: func(t *testing.T, e *apitest.Env) auditWant {
			a := uaRegister(t, e, "alice", auditPW)
			r := uaDo(t, e, http.MethodPost, "/v1/auth/login", map[string]any{"username": "alice", "password": "Wrong-Gecko-1234"}, "")
			if r.Status != http.StatusUnauthorized {
				t.Fatalf("wrong password: %d %s", r.Status, r.Body)
			}
			return auditWant{user: a.UserID, secrets: []string{auditPW, "Wrong-Gecko-1234"}}
		}},
		{name: "LoginFailedUnknownUserNamesNoOne", typ: auth.EventLoginFailed, act: func(t *testing.T, e *apitest.Env) auditWant {
			r := uaDo(t, e, http.MethodPost, "/v1/auth/login", map[string]any{"username": "nobody", "password": "Wrong-Gecko-1234"}, "")
			if r.Status != http.StatusUnauthorized {
				t.Fatalf("unknown user: %d %s", r.Status, r.Body)
			}
			return auditWant{secrets: []string{"Wrong-Gecko-1234"}}
		}},
		{name: "LoggedOutNamesUser", typ: auth.EventLoggedOut, act: func(t *testing.T, e *apitest.Env) auditWant {
			a := uaRegister(t, e, "alice", auditPW)
			if r := uaDo(t, e, http.MethodPost, "/v1/auth/logout", nil, a.Access); r.Status != http.StatusOK {
				t.Fatalf("logout: %d %s", r.Status, r.Body)
			}
			return auditWant{a.UserID, jwtSid(t, a.Access), []string{auditPW, a.Access, a.Refresh}}
		}},
		{name: "RefreshReuseDetectedNamesUser", typ: auth.EventRefreshReuse, act: func(t *testing.T, e *apitest.Env) auditWant {
			a := uaRegister(t, e, "alice", auditPW)
			access, child := uaRefresh(t, e, a.Refresh)
			e.Clock.Advance(11 * time.Second) // past the 10 s reuse grace
			if s := uaRefreshStatus(t, e, a.Refresh); s != http.StatusUnauthorized {
				t.Fatalf("reuse after the grace: %d, want 401", s)
			}
			if s := uaRefreshStatus(t, e, child); s != http.StatusUnauthorized {
				t.Errorf("the child after detected reuse: %d, want 401", s)
			}
			return auditWant{a.UserID, jwtSid(t, a.Access), []string{auditPW, a.Access, a.Refresh, access, child}}
		}},
		{name: "PasswordChangedNamesUser", typ: auth.EventPasswordChanged, act: func(t *testing.T, e *apitest.Env) auditWant {
			a := uaRegister(t, e, "alice", auditPW)
			r := uaDo(t, e, http.MethodPut, "/v1/auth/me/password",
				map[string]any{"current_password": auditPW, "new_password": "Fresh-Narwhal-9090"}, a.Access)
			if r.Status != http.StatusOK {
				t.Fatalf("change password: %d %s", r.Status, r.Body)
			}
			return auditWant{a.UserID, jwtSid(t, a.Access), []string{auditPW, "Fresh-Narwhal-9090", a.Access}}
		}},
		{name: "PasswordResetNamesUser", typ: auth.EventPasswordReset, act: func(t *testing.T, e *apitest.Env) auditWant {
			a := uaRegister(t, e, "alice", auditPW)
			if r := uaDo(t, e, http.MethodPost, "/v1/auth/forgot-password", map[string]any{"email": a.Email}, ""); r.Status != http.StatusOK {
				t.Fatalf("forgot: %d %s", r.Status, r.Body)
			}
			tok := e.WaitMail(a.Email, "reset_password", 1).Token()
			r := uaDo(t, e, http.MethodPost, "/v1/auth/reset-password", map[string]any{"token": tok, "new_password": "Fresh-Narwhal-9090"}, "")
			if r.Status != http.StatusOK {
				t.Fatalf("reset: %d %s", r.Status, r.Body)
			}
			return auditWant{user: a.UserID, secrets: []string{auditPW, "Fresh-Narwhal-9090", tok}}
		}},
		{name: "EmailVerifiedNamesUser", typ: auth.EventEmailVerified, act: func(t *testing.T, e *apitest.Env) auditWant {
			a := uaRegister(t, e, "alice", auditPW)
			tok := e.WaitMail(a.Email, "verify_email", 1).Token()
			if r := uaDo(t, e, http.MethodPost, "/v1/auth/verify-email", map[string]any{"token": tok}, ""); r.Status != http.StatusOK {
				t.Fatalf("verify: %d %s", r.Status, r.Body)
			}
			return auditWant{user: a.UserID, secrets: []string{auditPW, tok}}
		}},
		{name: "InviteCreatedNamesInviter", typ: auth.EventInviteCreated, act: func(t *testing.T, e *apitest.Env) auditWant {
			a := uaRegister(t, e, "alice", auditPW)
			_, _, tok := auditInvite(t, e, a, "bob@example.com")
			return auditWant{a.UserID, jwtSid(t, a.Access), []string{auditPW, a.Access, tok}}
		}},
		{name: "InviteAcceptedNamesInvitee", typ: auth.EventInviteAccepted, act: func(t *testing.T, e *apitest.Env) auditWant {
			a := uaRegister(t, e, "alice", auditPW)
			org, _, tok := auditInvite(t, e, a, "bob@example.com")
			b := uaRegister(t, e, "bob", "Other-Walrus-5150")
			d := uaGQLOK(t, e, `mutation($t: String!) { acceptInvite(token: $t) { organization { id } role } }`, map[string]any{"t": tok}, b.Access)
			if m := d["acceptInvite"].(map[string]any); m["role"] != "MEMBER" || m["organization"].(map[string]any)["id"] != org {
				t.Fatalf("acceptInvite = %v", m)
			}
			return auditWant{b.UserID, jwtSid(t, b.Access), []string{auditPW, "Other-Walrus-5150", b.Access, tok}}
		}},
		{name: "InviteRevokedNamesRevoker", typ: auth.EventInviteRevoked, act: func(t *testing.T, e *apitest.Env) auditWant {
			a := uaRegister(t, e, "alice", auditPW)
			_, inv, tok := auditInvite(t, e, a, "carol@example.com")
			if d := uaGQLOK(t, e, `mutation($i: ID!) { revokeInvite(id: $i) }`, map[string]any{"i": inv}, a.Access); d["revokeInvite"] != true {
				t.Fatalf("revokeInvite = %v", d)
			}
			return auditWant{a.UserID, jwtSid(t, a.Access), []string{auditPW, a.Access, tok}}
		}},
		{name: "OrganizationSwitchedNamesUser", typ: auth.EventOrgSwitched, act: func(t *testing.T, e *apitest.Env) auditWant {
			a := uaRegister(t, e, "alice", auditPW)
			d := uaGQLOK(t, e, `mutation { createOrganization(name: "Acme") { organization { id } } }`, nil, a.Access)
			org := d["createOrganization"].(map[string]any)["organization"].(map[string]any)["id"].(string)
			r := uaDo(t, e, http.MethodPost, "/v1/auth/switch-org", map[string]any{"org_id": org}, a.Access)
			if r.Status != http.StatusOK {
				t.Fatalf("switch-org: %d %s", r.Status, r.Body)
			}
			return auditWant{a.UserID, jwtSid(t, a.Access), []string{auditPW, a.Access, r.Object(t)["access_token"].(string)}}
		}},
		{name: "RateLimitedNamesNoOne", typ: auth.EventRateLimited,
			opts: []apitest.Option{apitest.WithConfig(func(c *auth.Config) {
				c.RateLimits = map[string]auth.Limit{auth.LimitLoginIP: {N: 1, Window: time.Minute}}
			})},
			act: func(t *testing.T, e *apitest.Env) auditWant {
				uaRegister(t, e, "alice", auditPW)
				uaLogin(t, e, "alice", auditPW)
				r := uaDo(t, e, http.MethodPost, "/v1/auth/login", map[string]any{"username": "alice", "password": auditPW}, "")
				if r.Status != http.StatusTooManyRequests {
					t.Fatalf("second login in a minute with login_ip=1/1m: %d %s", r.Status, r.Body)
				}
				return auditWant{secrets: []string{auditPW}}
			}},
		{name: "SessionRevokedNamesUser", typ: auth.EventSessionRevoked, act: func(t *testing.T, e *apitest.Env) auditWant {
			a := uaRegister(t, e, "alice", auditPW)
			other, _ := uaLogin(t, e, "alice", auditPW)
			d := uaGQLOK(t, e, `mutation($id: ID!) { revokeSession(id: $id) }`, map[string]any{"id": jwtSid(t, other)}, a.Access)
			if d["revokeSession"] != true {
				t.Fatalf("revokeSession = %v", d)
			}
			return auditWant{a.UserID, jwtSid(t, a.Access), []string{auditPW, a.Access, other}}
		}},
		{name: "OtherSessionsRevokedNamesUser", typ: auth.EventOtherSessionsGone, act: func(t *testing.T, e *apitest.Env) auditWant {
			a := uaRegister(t, e, "alice", auditPW)
			other, _ := uaLogin(t, e, "alice", auditPW)
			if d := uaGQLOK(t, e, `mutation { revokeOtherSessions }`, nil, a.Access); fmt.Sprint(d["revokeOtherSessions"]) != "1" {
				t.Fatalf("revokeOtherSessions = %v, want 1", d)
			}
			return auditWant{a.UserID, jwtSid(t, a.Access), []string{auditPW, a.Access, other}}
		}},
		{name: "OrganizationCreatedNamesUser", typ: auth.EventOrgCreated, act: func(t *testing.T, e *apitest.Env) auditWant {
			a := uaRegister(t, e, "alice", auditPW)
			uaGQLOK(t, e, `mutation { createOrganization(name: "Acme") { role } }`, nil, a.Access)
			return auditWant{a.UserID, jwtSid(t, a.Access), []string{auditPW, a.Access}}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := apitest.New(t, tc.opts...)
			want := tc.act(t, e)
			rows := auditRowsOf(t, e, tc.typ)
			if len(rows) != 1 {
				t.Fatalf("%d %s rows, want 1: %v", len(rows), tc.typ, rows)
			}
			r := rows[0]
			switch {
			case want.user == "" && r.UserID != nil:
				t.Errorf("user_id = %v, want none", r.UserID)
			case want.user != "" && (r.UserID == nil || r.UserID.String() != want.user):
				t.Errorf("user_id = %v, want %s", r.UserID, want.user)
			}
			if want.session != "" && (r.SessionID == nil || r.SessionID.String() != want.session) {
				t.Errorf("session_id = %v, want %s", r.SessionID, want.session)
			}
			if r.IP != "127.0.0.1" {
				t.Errorf("ip = %q, want 127.0.0.1", r.IP)
			}
			if r.UserAgent != testUA {
				t.Errorf("user_agent = %q, want %q", r.UserAgent, testUA)
			}
			var data map[string]any
			if err := json.Unmarshal([]byte(r.Data), &data); err != nil {
				t.Errorf("data %q is not a JSON object: %v", r.Data, err)
			}
			if d := e.Clock.Now().Sub(r.CreatedAt); d < 0 || d > time.Minute {
				t.Errorf("created_at = %v, %v from the service clock", r.CreatedAt, d)
			}
			text := fmt.Sprintf("%s|%v|%v|%s|%s|%s", r.Type, r.UserID, r.SessionID, r.IP, r.UserAgent, r.Data)
			for _, s := range want.secrets {
				if s != "" && strings.Contains(text, s) {
					t.Errorf("audit row holds a secret %q: %s", s, text)
				}
			}
		})
	}
}

func TestAuditRateLimitedRecordsLimitName(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.WithConfig(func(c *auth.Config) {
		c.RateLimits = map[string]auth.Limit{auth.LimitLoginIP: {N: 1, Window: time.Minute}}
	}))
	for range 2 {
		uaDo(t, e, http.MethodPost, "/v1/auth/login", map[string]any{"username": "nobody", "password": "Wrong-Gecko-1234"}, "")
	}
	rows := auditRowsOf(t, e, auth.EventRateLimited)
	if len(rows) != 1 || !strings.Contains(rows[0].Data, auth.LimitLoginIP) {
		t.Fatalf("rate_limited rows = %v, want one naming %s", rows, auth.LimitLoginIP)
	}
}

const auditEventsQuery = `query($first: Int!, $after: String) {
  auditEvents(first: $first, after: $after) { events { id type sessionId ip userAgent data createdAt } nextCursor }
}`

// auditPages pages through the caller's events size at a time and returns them in order.
func auditPages(t testing.TB, e *apitest.Env, token string, size int) (events []map[string]any, pages int) {
	t.Helper()
	var after any
	for pages = 1; pages < 100; pages++ {
		d := uaGQLOK(t, e, auditEventsQuery, map[string]any{"first": size, "after": after}, token)
		page := d["auditEvents"].(map[string]any)
		evs := page["events"].([]any)
		if len(evs) > size {
			t.Fatalf("page %d has %d events, want at most %d", pages, len(evs), size)
		}
		for _, ev := range evs {
			events = append(events, ev.(map[string]any))
		}
		next, _ := page["nextCursor"].(string)
		if next == "" {
			if page["nextCursor"] != nil {
				t.Fatalf("nextCursor = %v, want a cursor or null", page["nextCursor"])
			}
			return events, pages
		}
		if len(evs) != size {
			t.Fatalf("page %d: %d events with a next cursor, want a full page of %d", pages, len(evs), size)
		}
		after = next
	}
	t.Fatal("pagination does not end")
	return nil, 0
}

func eventTypes(evs []map[string]any) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev["type"].(string)
	}
	return out
}

func TestAuditEventsPagination(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	step := func() { e.Clock.Advance(time.Second) }
	a := uaRegister(t, e, "alice", auditPW)
	step()
	b := uaRegister(t, e, "bob", "Other-Walrus-5150") // bob's events interleave with alice's
	step()
	second, _ := uaLogin(t, e, "alice", auditPW)
	step()
	uaDo(t, e, http.MethodPost, "/v1/auth/login", map[string]any{"username": "alice", "password": "Wrong-Gecko-1234"}, "")
	step()
	uaLogin(t, e, "bob", "Other-Walrus-5150")
	step()
	d := uaGQLOK(t, e, `mutation { createOrganization(name: "Acme") { organization { id } } }`, nil, a.Access)
	org := d["createOrganization"].(map[string]any)["organization"].(map[string]any)["id"].(string)
	step()
	uaDo(t, e, http.MethodPost, "/v1/auth/switch-org", map[string]any{"org_id": org}, a.Access)
	step()
	uaDo(t, e, http.MethodPost, "/v1/auth/logout", nil, second)
	step()
	want := []string{"logged_out", "organization_switched", "organization_created", "login_failed", "login_succeeded", "registered"}

	t.Run("OKNewestFirstWithoutGapsOrDuplicates", func(t *testing.T) {
		for _, size := range []int{1, 2, 4, 6, 100} {
			evs, pages := auditPages(t, e, a.Access, size)
			if got := eventTypes(evs); !slices.Equal(got, want) {
				t.Fatalf("first %d: types %v, want %v", size, got, want)
			}
			if wantPages := (len(want) + size - 1) / size; pages != wantPages && pages != wantPages+1 {
				t.Errorf("first %d: %d pages for %d events", size, pages, len(want))
			}
			seen := map[string]bool{}
			var prev time.Time
			for i, ev := range evs {
				id := ev["id"].(string)
				if seen[id] {
					t.Errorf("first %d: event %s twice", size, id)
				}
				seen[id] = true
				at, err := time.Parse(time.RFC3339Nano, ev["createdAt"].(string))
				if err != nil {
					t.Fatalf("createdAt %v: %v", ev["createdAt"], err)
				}
				if i > 0 && at.After(prev) {
					t.Errorf("first %d: event %d (%v) is newer than the one before (%v)", size, i, at, prev)
				}
				prev = at
				if ev["ip"] != "127.0.0.1" || ev["userAgent"] != testUA {
					t.Errorf("event %v: want ip 127.0.0.1 and the test user agent", ev)
				}
				if _, ok := ev["data"].(map[string]any); !ok {
					t.Errorf("event data %v is not an object", ev["data"])
				}
			}
		}
	})

	t.Run("OKFirstPageOfTwo", func(t *testing.T) {
		d := uaGQLOK(t, e, auditEventsQuery, map[string]any{"first": 2}, a.Access)
		page := d["auditEvents"].(map[string]any)
		if got := eventTypes(anyMaps(page["events"])); !slices.Equal(got, want[:2]) {
			t.Errorf("first page %v, want %v", got, want[:2])
		}
		if c, _ := page["nextCursor"].(string); c == "" {
			t.Errorf("nextCursor = %v, want a cursor", page["nextCursor"])
		}
		if data := anyMaps(page["events"])[1]["data"].(map[string]any); data["org_id"] != org {
			t.Errorf("organization_switched data = %v, want org_id %s", data, org)
		}
	})

	t.Run("OKOtherUsersEventsNeverAppear", func(t *testing.T) {
		bobIDs, err := e.DB.AuditEvent.Query().Where(auditevent.UserID(uuid.MustParse(b.UserID))).IDs(context.Background())
		if err != nil || len(bobIDs) != 2 {
			t.Fatalf("bob's rows: %v %v, want 2", bobIDs, err)
		}
		evs, _ := auditPages(t, e, a.Access, 3)
		for _, ev := range evs {
			for _, id := range bobIDs {
				if ev["id"] == id.String() {
					t.Errorf("alice sees bob's event %v", ev)
				}
			}
		}
		if got := eventTypes(func() []map[string]any { evs, _ := auditPages(t, e, b.Access, 1); return evs }()); !slices.Equal(got, []string{"login_succeeded", "registered"}) {
			t.Errorf("bob's events %v, want [login_succeeded registered]", got)
		}
	})

	t.Run("ErrValidation", func(t *testing.T) {
		cases := []struct {
			name  string
			first int
			after any
		}{
			{"FirstZero", 0, nil},
			{"FirstNegative", -1, nil},
			{"FirstOverMax", 101, nil},
			{"GarbageCursor", 2, "!!not a cursor!!"},
			{"Base64GarbageCursor", 2, "bm90LWEtY3Vyc29y"},
		}
		for _, tc := range cases {
			if code := uaGQLCode(t, e, auditEventsQuery, map[string]any{"first": tc.first, "after": tc.after}, a.Access); code != "VALIDATION_ERROR" {
				t.Errorf("%s: code %q, want VALIDATION_ERROR", tc.name, code)
			}
		}
	})

	t.Run("ErrAuthenticationRequired", func(t *testing.T) {
		if code := uaGQLCode(t, e, auditEventsQuery, map[string]any{"first": 2}, ""); code != "AUTHENTICATION_FAILED" {
			t.Errorf("code %q, want AUTHENTICATION_FAILED", code)
		}
	})
}

// TestAuditEventsPaginationTies pages through events recorded in the same microsecond.
func TestAuditEventsPaginationTies(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := uaRegister(t, e, "alice", auditPW)
	at := e.Clock.Now().UTC().Truncate(time.Microsecond).Add(time.Second)
	uid := uuid.MustParse(a.UserID)
	var want []string
	for range 7 {
		id := uuid.New()
		want = append(want, id.String())
		if err := e.DB.AuditEvent.Create().SetID(id).SetType(auth.EventLoginFailed).SetUserID(uid).
			SetIP("127.0.0.1").SetUserAgent(testUA).SetData("{}").SetCreatedAt(at).Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	evs, _ := auditPages(t, e, a.Access, 2)
	var got []string
	for _, ev := range evs {
		got = append(got, ev["id"].(string))
	}
	if len(got) != 8 || got[7] == "" || eventTypes(evs)[7] != auth.EventRegistered {
		t.Fatalf("got %d events %v, want the 7 tied ones then registered", len(got), eventTypes(evs))
	}
	slices.Sort(want)
	tied := slices.Clone(got[:7])
	slices.Sort(tied)
	if !slices.Equal(tied, want) {
		t.Errorf("tied events paged as %v, want each of %v once", tied, want)
	}
}

func anyMaps(v any) []map[string]any {
	var out []map[string]any
	for _, x := range v.([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

const sessionsQuery = `{ sessions { id createdAt lastUsedAt expiresAt ip userAgent activeOrgId current } }`

func sessionList(t testing.TB, e *apitest.Env, token string) []map[string]any {
	t.Helper()
	return anyMaps(uaGQLOK(t, e, sessionsQuery, nil, token)["sessions"])
}

func sessionIDs(ss []map[string]any) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s["id"].(string)
	}
	return out
}

// threeSessions registers alice and signs her in twice more, a second apart; it returns
// the access and refresh tokens of the sessions, oldest first.
func threeSessions(t testing.TB, e *apitest.Env) (a *apitest.Account, access, refresh [3]string) {
	t.Helper()
	a = uaRegister(t, e, "alice", auditPW)
	access[0], refresh[0] = a.Access, a.Refresh
	for i := 1; i < 3; i++ {
		e.Clock.Advance(time.Second)
		access[i], refresh[i] = uaLogin(t, e, "alice", auditPW)
	}
	return a, access, refresh
}

func TestSessions(t *testing.T) {
	t.Parallel()

	t.Run("OKListsLiveSessionsNewestFirst", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		a, access, _ := threeSessions(t, e)
		bob := uaRegister(t, e, "bob", "Other-Walrus-5150")
		e.Clock.Advance(time.Second)
		gone, _ := uaLogin(t, e, "alice", auditPW)
		if r := uaDo(t, e, http.MethodPost, "/v1/auth/logout", nil, gone); r.Status != http.StatusOK {
			t.Fatalf("logout: %d", r.Status)
		}
		ss := sessionList(t, e, access[1])
		want := []string{jwtSid(t, access[2]), jwtSid(t, access[1]), jwtSid(t, access[0])}
		if got := sessionIDs(ss); !slices.Equal(got, want) {
			t.Fatalf("sessions %v, want %v (live ones, newest first; no logged-out one, no other user's)", got, want)
		}
		for i, s := range ss {
			if cur := s["current"] == true; cur != (i == 1) {
				t.Errorf("session %d current = %v, want only the caller's", i, s["current"])
			}
			if s["ip"] != "127.0.0.1" || s["userAgent"] != testUA || s["activeOrgId"] != a.WorkspaceID {
				t.Errorf("session %v: want ip 127.0.0.1, the test user agent, the personal workspace", s)
			}
			created, err1 := time.Parse(time.RFC3339Nano, s["createdAt"].(string))
			used, err2 := time.Parse(time.RFC3339Nano, s["lastUsedAt"].(string))
			ends, err3 := time.Parse(time.RFC3339Nano, s["expiresAt"].(string))
			if err1 != nil || err2 != nil || err3 != nil || used.Before(created) || ends.Sub(created) != 720*time.Hour {
				t.Errorf("session times %v: want lastUsedAt ≥ createdAt and expiresAt = createdAt + 720h", s)
			}
		}
		if got := sessionIDs(sessionList(t, e, bob.Access)); !slices.Equal(got, []string{jwtSid(t, bob.Access)}) {
			t.Errorf("bob's sessions %v, want only his own", got)
		}
	})

	t.Run("OKRevokeOtherSessionKillsItsTokensAtOnce", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		_, access, refresh := threeSessions(t, e)
		d := uaGQLOK(t, e, `mutation($id: ID!) { revokeSession(id: $id) }`, map[string]any{"id": jwtSid(t, access[1])}, access[2])
		if d["revokeSession"] != true {
			t.Fatalf("revokeSession = %v", d)
		}
		if s := uaMeStatus(t, e, access[1]); s != http.StatusUnauthorized {
			t.Errorf("access token of the revoked session: %d, want 401", s)
		}
		if s := uaRefreshStatus(t, e, refresh[1]); s != http.StatusUnauthorized {
			t.Errorf("refresh token of the revoked session: %d, want 401", s)
		}
		for _, i := range []int{0, 2} {
			if s := uaMeStatus(t, e, access[i]); s != http.StatusOK {
				t.Errorf("session %d after revoking another: %d, want 200", i, s)
			}
		}
		want := []string{jwtSid(t, access[2]), jwtSid(t, access[0])}
		if got := sessionIDs(sessionList(t, e, access[2])); !slices.Equal(got, want) {
			t.Errorf("sessions %v, want %v", got, want)
		}
		if code := uaGQLCode(t, e, `mutation($id: ID!) { revokeSession(id: $id) }`, map[string]any{"id": jwtSid(t, access[1])}, access[2]); code != "NOT_FOUND" {
			t.Errorf("revoking it again: %q, want NOT_FOUND", code)
		}
	})

	t.Run("OKRevokeCurrentSessionLogsOut", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		_, access, refresh := threeSessions(t, e)
		d := uaGQLOK(t, e, `mutation($id: ID!) { revokeSession(id: $id) }`, map[string]any{"id": jwtSid(t, access[2])}, access[2])
		if d["revokeSession"] != true {
			t.Fatalf("revokeSession = %v", d)
		}
		if s := uaMeStatus(t, e, access[2]); s != http.StatusUnauthorized {
			t.Errorf("caller's access token after revoking its own session: %d, want 401", s)
		}
		if s := uaRefreshStatus(t, e, refresh[2]); s != http.StatusUnauthorized {
			t.Errorf("caller's refresh token after revoking its own session: %d, want 401", s)
		}
		if s := uaMeStatus(t, e, access[0]); s != http.StatusOK {
			t.Errorf("another session: %d, want 200", s)
		}
	})

	t.Run("ErrNotFoundForSomeoneElsesOrUnknownSession", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		_, access, refresh := threeSessions(t, e)
		bob := uaRegister(t, e, "bob", "Other-Walrus-5150")
		for name, id := range map[string]string{
			"SomeoneElses": jwtSid(t, access[0]),
			"RandomUUID":   uuid.NewString(),
			"NotAUUID":     "not-a-session",
		} {
			if code := uaGQLCode(t, e, `mutation($id: ID!) { revokeSession(id: $id) }`, map[string]any{"id": id}, bob.Access); code != "NOT_FOUND" {
				t.Errorf("%s: code %q, want NOT_FOUND", name, code)
			}
		}
		for i := range 3 {
			if s := uaMeStatus(t, e, access[i]); s != http.StatusOK {
				t.Errorf("alice's session %d after bob's attempt: %d, want 200", i, s)
			}
		}
		if _, next := uaRefresh(t, e, refresh[0]); next == "" {
			t.Error("alice's refresh token no longer works")
		}
		if s := uaMeStatus(t, e, bob.Access); s != http.StatusOK {
			t.Errorf("bob's own session: %d, want 200", s)
		}
		if n := len(auditRowsOf(t, e, auth.EventSessionRevoked)); n != 0 {
			t.Errorf("%d session_revoked rows after failed attempts, want 0", n)
		}
	})

	t.Run("OKRevokeOtherSessionsLeavesOnlyCurrent", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		_, access, refresh := threeSessions(t, e)
		bob := uaRegister(t, e, "bob", "Other-Walrus-5150")
		d := uaGQLOK(t, e, `mutation { revokeOtherSessions }`, nil, access[1])
		if fmt.Sprint(d["revokeOtherSessions"]) != "2" {
			t.Fatalf("revokeOtherSessions = %v, want 2", d["revokeOtherSessions"])
		}
		ss := sessionList(t, e, access[1])
		if got := sessionIDs(ss); !slices.Equal(got, []string{jwtSid(t, access[1])}) || ss[0]["current"] != true {
			t.Errorf("sessions after revokeOtherSessions %v, want only the current one", ss)
		}
		for _, i := range []int{0, 2} {
			if s := uaMeStatus(t, e, access[i]); s != http.StatusUnauthorized {
				t.Errorf("session %d access: %d, want 401", i, s)
			}
			if s := uaRefreshStatus(t, e, refresh[i]); s != http.StatusUnauthorized {
				t.Errorf("session %d refresh: %d, want 401", i, s)
			}
		}
		if s := uaMeStatus(t, e, bob.Access); s != http.StatusOK {
			t.Errorf("another user's session: %d, want 200", s)
		}
		if d := uaGQLOK(t, e, `mutation { revokeOtherSessions }`, nil, access[1]); fmt.Sprint(d["revokeOtherSessions"]) != "0" {
			t.Errorf("second revokeOtherSessions = %v, want 0", d["revokeOtherSessions"])
		}
	})

	t.Run("ExpiredSessionsAreNeitherRevokedNorCounted", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, apitest.WithConfig(func(c *auth.Config) { c.SessionMaxAge = time.Hour }))
		a := uaRegister(t, e, "alice", auditPW) // session 0 ends at t0+1h
		e.Clock.Advance(40 * time.Minute)
		_, refresh1 := uaLogin(t, e, "alice", auditPW) // session 1 ends at t0+1h40m
		e.Clock.Advance(30 * time.Minute)              // session 0 is over, session 1 lives
		access1, _ := uaRefresh(t, e, refresh1)
		if got := sessionIDs(sessionList(t, e, access1)); !slices.Equal(got, []string{jwtSid(t, access1)}) {
			t.Errorf("sessions %v, want only the live one", got)
		}
		if code := uaGQLCode(t, e, `mutation($id: ID!) { revokeSession(id: $id) }`, map[string]any{"id": jwtSid(t, a.Access)}, access1); code != "NOT_FOUND" {
			t.Errorf("revoking an expired session: %q, want NOT_FOUND (not a live session)", code)
		}
		if d := uaGQLOK(t, e, `mutation { revokeOtherSessions }`, nil, access1); fmt.Sprint(d["revokeOtherSessions"]) != "0" {
			t.Errorf("revokeOtherSessions with only an expired other session = %v, want 0", d["revokeOtherSessions"])
		}
	})

	t.Run("ErrAuthenticationRequired", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		for _, q := range []string{sessionsQuery, `mutation { revokeOtherSessions }`, `mutation { revokeSession(id: "x") }`} {
			if code := uaGQLCode(t, e, q, nil, ""); code != "AUTHENTICATION_FAILED" {
				t.Errorf("%s without a token: %q, want AUTHENTICATION_FAILED", q, code)
			}
		}
	})
}

// secretSet collects every secret a story uses, with the forms in which it could leak.
type secretSet struct{ needles map[string]string } // needle → what it is

func (s *secretSet) add(what string, values ...string) {
	if s.needles == nil {
		s.needles = map[string]string{}
	}
	for _, v := range values {
		if v == "" {
			continue
		}
		s.needles[v] = what
		if parts := strings.Split(v, "."); len(parts) == 3 { // a JWT: its signature alone too
			s.needles[parts[2]] = what + " (signature)"
		} else {
			s.needles[hex.EncodeToString([]byte(v))] = what + " (hex)"
		}
	}
}

// find returns a description of every secret in text.
func (s *secretSet) find(text string) []string {
	var out []string
	for n, what := range s.needles {
		if strings.Contains(text, n) {
			out = append(out, what)
		}
	}
	return out
}

// waitMailDelivered runs outbox passes until the outbox holds no undelivered message.
func waitMailDelivered(t testing.TB, e *apitest.Env) {
	t.Helper()
	e.For(t).AwaitMail("every message delivered", func() bool {
		n, err := e.DB.Mail.Query().Where(mail.StatusNEQ(mail.StatusSent)).Count(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return n == 0
	})
}

// TestNoSecretInLogsOrDatabase runs every flow that handles a secret, then scans every
// log line and every stored row for any password or token the story used (CONTRACT §7).
func TestNoSecretInLogsOrDatabase(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "auth.db")
	e := apitest.New(t, apitest.WithDatabase("sqlite:"+path))
	var sec secretSet
	ok := func(r *apitest.Response, what string) *apitest.Response {
		t.Helper()
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", what, r.Status, r.Body)
		}
		return r
	}

	// Register, verify the address, sign in, refresh.
	pw1 := "Velvet-Otter-2291"
	sec.add("password", pw1)
	a := uaRegister(t, e, "alice", pw1)
	sec.add("register tokens", a.Access, a.Refresh)
	verify := e.WaitMail(a.Email, "verify_email", 1).Token()
	sec.add("verification token", verify)
	ok(uaDo(t, e, http.MethodPost, "/v1/auth/verify-email", map[string]any{"token": verify}, ""), "verify")
	access, refresh := uaLogin(t, e, "alice", pw1)
	sec.add("login tokens", access, refresh)
	access, refresh = uaRefresh(t, e, refresh)
	sec.add("refreshed tokens", access, refresh)

	// Wrong passwords, over both transports; a too short new password (422).
	sec.add("wrong password", "Wrong-Pelican-7782", "Wrong-Gazelle-4410", "Tiny7!x")
	if r := uaDo(t, e, http.MethodPost, "/v1/auth/login", map[string]any{"username": "alice", "password": "Wrong-Pelican-7782"}, ""); r.Status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", r.Status)
	}
	if code := uaGQLCode(t, e, `mutation($in: LoginInput!) { login(input: $in) { accessToken } }`,
		map[string]any{"in": map[string]any{"username": "alice", "password": "Wrong-Gazelle-4410"}}, ""); code != "AUTHENTICATION_FAILED" {
		t.Fatalf("GraphQL wrong password: %s", code)
	}
	if r := uaDo(t, e, http.MethodPut, "/v1/auth/me/password", map[string]any{"current_password": pw1, "new_password": "Tiny7!x"}, access); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("short new password: %d %s", r.Status, r.Body)
	}

	// Change the password over GraphQL, with variables.
	pw2 := "Cobalt-Ferret-6613"
	sec.add("password", pw2)
	uaGQLOK(t, e, `mutation($in: ChangePasswordInput!) { changePassword(input: $in) }`,
		map[string]any{"in": map[string]any{"currentPassword": pw1, "newPassword": pw2}}, access)

	// Forgot and reset.
	ok(uaDo(t, e, http.MethodPost, "/v1/auth/forgot-password", map[string]any{"email": a.Email}, ""), "forgot")
	reset := e.WaitMail(a.Email, "reset_password", 1).Token()
	pw3 := "Saffron-Walrus-8854"
	sec.add("reset token", reset)
	sec.add("password", pw3)
	ok(uaDo(t, e, http.MethodPost, "/v1/auth/reset-password", map[string]any{"token": reset, "new_password": pw3}, ""), "reset")

	// Sign in over GraphQL, invite bob, who looks the invite up and accepts it.
	d := uaGQLOK(t, e, `mutation($in: LoginInput!) { login(input: $in) { accessToken refreshToken } }`,
		map[string]any{"in": map[string]any{"username": "alice@example.com", "password": pw3}}, "")
	login := d["login"].(map[string]any)
	access, refresh = login["accessToken"].(string), login["refreshToken"].(string)
	sec.add("GraphQL login tokens", access, refresh)
	org, _, invite := auditInvite(t, e, &apitest.Account{Access: access}, "bob@example.com")
	sec.add("invite token", invite)
	ok(uaDo(t, e, http.MethodGet, "/v1/auth/invite-info?token="+url.QueryEscape(invite), nil, ""), "invite-info")
	vars, _ := json.Marshal(map[string]any{"t": invite})
	ok(uaDo(t, e, http.MethodGet, "/graphql?query="+url.QueryEscape(`query($t: String!) { inviteInfo(token: $t) { valid } }`)+
		"&variables="+url.QueryEscape(string(vars)), nil, ""), "GET /graphql inviteInfo")
	pwB := "Indigo-Lynx-3307"
	sec.add("password", pwB)
	b := uaRegister(t, e, "bob", pwB)
	sec.add("bob's tokens", b.Access, b.Refresh)
	uaGQLOK(t, e, `mutation($t: String!) { acceptInvite(token: $t) { role } }`, map[string]any{"t": invite}, b.Access)
	sw := ok(uaDo(t, e, http.MethodPost, "/v1/auth/switch-org", map[string]any{"org_id": org}, b.Access), "switch-org")
	sec.add("switched access token", sw.Object(t)["access_token"].(string))

	// Log out.
	ok(uaDo(t, e, http.MethodPost, "/v1/auth/logout", nil, access), "logout alice")
	uaGQLOK(t, e, `mutation { logout }`, nil, b.Access)

	waitMailDelivered(t, e)

	t.Run("OKNoSecretInLogs", func(t *testing.T) {
		records := e.Logs.Records()
		if len(records) == 0 {
			t.Fatal("no log records to scan")
		}
		mailLines := 0
		for _, r := range records {
			if strings.HasPrefix(r.Message, "mail ") {
				// The log mailer's deliberate development output: it must hold the
				// links (this proves the scan would see a token), and nothing else may.
				if len(sec.find(r.String())) > 0 {
					mailLines++
				}
				continue
			}
			if found := sec.find(r.String()); len(found) > 0 {
				t.Errorf("log record holds %v: %s", found, r)
			}
		}
		if mailLines < 3 {
			t.Errorf("only %d mail log lines hold a token; the scan is not seeing the tokens it looks for", mailLines)
		}
	})

	t.Run("OKNoSecretInDatabase", func(t *testing.T) {
		dump := apitest.DumpDatabase(t, "sqlite:"+path)
		for _, table := range []string{"audit_events", "settings", "sessions", "refresh_tokens", "one_time_tokens", "invites", "users", "mails"} {
			if dump.Rows(table) == 0 {
				t.Errorf("table %s is empty: the story should have written to it", table)
			}
		}
		for _, c := range dump.Cells {
			// The value as stored and, for binary columns, as hex.
			if found := sec.find(string(c.Value) + " " + hex.EncodeToString(c.Value)); len(found) > 0 {
				t.Errorf("%s holds %v", c, found)
			}
		}
	})

	t.Run("OKDeliveredMailKeepsNoBody", func(t *testing.T) {
		ms, err := e.DB.Mail.Query().All(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) < 4 {
			t.Fatalf("%d mails in the outbox, want at least verify, reset, password changed, invite", len(ms))
		}
		for _, m := range ms {
			if m.Status != mail.StatusSent || m.TextBody != "" || m.HTMLBody != "" {
				t.Errorf("mail %s (%s): status %s, text %d bytes, html %d bytes; want sent with no body",
					m.ID, m.Kind, m.Status, len(m.TextBody), len(m.HTMLBody))
			}
		}
	})
}
