package rest_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"authbff/ent/membership"
	"authbff/ent/session"
	"authbff/graph/auth"
	"authbff/rest/apitest"
)

// Invariants under concurrency, on PostgreSQL with two replicas (two service instances
// on one database), where READ COMMITTED lets check-then-write rules race unless they
// lock what they read.

const raceTries = 20

// TestPostgresTwoOwnersSteppingDownKeepAnOwner: two owners demoting or removing
// themselves at the same instant through two replicas: exactly one succeeds, the other
// gets CONFLICT, and the organization always keeps an owner.
func TestPostgresTwoOwnersSteppingDownKeepAnOwner(t *testing.T) {
	t.Parallel()
	db := apitest.Postgres(t)
	one := apitest.New(t, apitest.WithDatabase(db), apitest.WithoutMailer())
	two := apitest.New(t, apitest.WithDatabase(db), apitest.WithoutMailer())
	a := one.Register("ownera")
	b := one.Register("ownerb")
	for try := range raceTries {
		g := one.GraphQL(`mutation($n: String!) { createOrganization(name: $n) { organization { id } } }`,
			map[string]any{"n": "race"}, a.Access)
		org := g.Data["createOrganization"].(map[string]any)["organization"].(map[string]any)["id"].(string)
		if err := one.DB.Membership.Create().SetID(uuid.New()).SetUserID(uuid.MustParse(b.UserID)).
			SetOrgID(uuid.MustParse(org)).SetRole(membership.RoleOwner).SetCreatedAt(time.Now()).Exec(t.Context()); err != nil {
			t.Fatal(err)
		}
		step := func(e *apitest.Env, acc *apitest.Account) *apitest.GQLResponse {
			if try%2 == 0 {
				return e.GraphQL(`mutation($o: ID!, $u: ID!) { setMemberRole(orgId: $o, userId: $u, role: MEMBER) { role } }`,
					map[string]any{"o": org, "u": acc.UserID}, acc.Access)
			}
			return e.GraphQL(`mutation($o: ID!, $u: ID!) { removeMember(orgId: $o, userId: $u) }`,
				map[string]any{"o": org, "u": acc.UserID}, acc.Access)
		}
		var ra, rb *apitest.GQLResponse
		var wg sync.WaitGroup
		wg.Go(func() { ra = step(one, a) })
		wg.Go(func() { rb = step(two, b) })
		wg.Wait()
		owners := one.DB.Membership.Query().Where(membership.OrgID(uuid.MustParse(org)), membership.RoleEQ(membership.RoleOwner)).CountX(t.Context())
		if owners != 1 {
			t.Fatalf("try %d: %d owners left (answers %s / %s)", try, owners, ra.Raw, rb.Raw)
		}
		ok, conflict := 0, 0
		for _, r := range []*apitest.GQLResponse{ra, rb} {
			switch {
			case len(r.Errors) == 0:
				ok++
			case r.Errors[0].Code() == "CONFLICT":
				conflict++
			default:
				t.Fatalf("try %d: %s", try, r.Raw)
			}
		}
		if ok != 1 || conflict != 1 {
			t.Fatalf("try %d: %d successes, %d conflicts", try, ok, conflict)
		}
	}
}

// TestPostgresSessionCapUnderConcurrentLogins: concurrent logins through two replicas
// never leave more live sessions than the cap.
func TestPostgresSessionCapUnderConcurrentLogins(t *testing.T) {
	t.Parallel()
	db := apitest.Postgres(t)
	capped := apitest.WithConfig(func(c *auth.Config) { c.MaxSessions = 3; c.RateLimits = nil })
	one := apitest.New(t, apitest.WithDatabase(db), apitest.WithoutMailer(), capped)
	two := apitest.New(t, apitest.WithDatabase(db), apitest.WithoutMailer(), capped)
	a := one.Register("capped")
	for try := range 5 {
		var wg sync.WaitGroup
		for i := range 8 {
			e := one
			if i%2 == 1 {
				e = two
			}
			wg.Go(func() {
				r := e.Do(http.MethodPost, "/v1/auth/login", map[string]any{"username": "capped", "password": a.Password}, "")
				if r.Status != 200 {
					t.Errorf("login: %d %s", r.Status, r.Body)
				}
			})
		}
		wg.Wait()
		live := one.DB.Session.Query().Where(session.UserID(uuid.MustParse(a.UserID)), session.RevokedAtIsNil()).CountX(t.Context())
		if live != 3 {
			t.Fatalf("try %d: %d live sessions, cap 3", try, live)
		}
	}
}

// TestPostgresConcurrentInviteAcceptance: one invitation accepted at once through two
// replicas joins once; the other answer is INVALID_TOKEN, never a 500.
func TestPostgresConcurrentInviteAcceptance(t *testing.T) {
	t.Parallel()
	db := apitest.Postgres(t)
	one := apitest.New(t, apitest.WithDatabase(db))
	two := apitest.New(t, apitest.WithDatabase(db), apitest.WithoutMailer())
	owner := one.Register("inviter")
	guest := one.Register("guest")
	for try := range 5 {
		g := one.GraphQL(`mutation($n: String!) { createOrganization(name: $n) { organization { id } } }`,
			map[string]any{"n": "invite race"}, owner.Access)
		org := g.Data["createOrganization"].(map[string]any)["organization"].(map[string]any)["id"].(string)
		inv := one.GraphQL(`mutation($o: ID!, $e: String!) { createInvite(orgId: $o, email: $e, role: MEMBER) { id } }`,
			map[string]any{"o": org, "e": guest.Email}, owner.Access)
		if len(inv.Errors) > 0 {
			t.Fatalf("invite: %s", inv.Raw)
		}
		tok := one.WaitMail(guest.Email, "invite", try+1).Token()
		var r1, r2 *apitest.GQLResponse
		var wg sync.WaitGroup
		accept := `mutation($t: String!) { acceptInvite(token: $t) { role } }`
		wg.Go(func() { r1 = one.GraphQL(accept, map[string]any{"t": tok}, guest.Access) })
		wg.Go(func() { r2 = two.GraphQL(accept, map[string]any{"t": tok}, guest.Access) })
		wg.Wait()
		ok := 0
		for _, r := range []*apitest.GQLResponse{r1, r2} {
			if len(r.Errors) == 0 {
				ok++
			} else if r.Errors[0].Code() != "INVALID_TOKEN" {
				t.Fatalf("accept: %s", r.Raw)
			}
		}
		members := one.DB.Membership.Query().Where(membership.OrgID(uuid.MustParse(org))).CountX(t.Context())
		if ok != 1 || members != 2 {
			t.Fatalf("try %d: %d acceptances, %d members", try, ok, members)
		}
	}
}

// TestPostgresSharedLoginLimit: wrong passwords sent alternately to two replicas hit the
// account limit at the same count as on one replica, and a restarted replica still
// refuses (the buckets are in the database).
func TestPostgresSharedLoginLimit(t *testing.T) {
	t.Parallel()
	db := apitest.Postgres(t)
	limits := apitest.WithConfig(func(c *auth.Config) { c.RateLimits, _ = auth.ParseLimits("on") })
	one := apitest.New(t, apitest.WithDatabase(db), apitest.WithoutMailer(), apitest.WithSharedLimits(), limits)
	two := apitest.New(t, apitest.WithDatabase(db), apitest.WithoutMailer(), apitest.WithSharedLimits(), limits)
	one.Register("limited")
	single := apitest.New(t, apitest.WithoutMailer(), limits)
	single.Register("limited")
	firstRefusal := func(envs ...*apitest.Env) int {
		for i := range 30 {
			e := envs[i%len(envs)]
			r := e.Do(http.MethodPost, "/v1/auth/login", map[string]any{"username": "limited", "password": "wrong-password"}, "")
			if r.Status == 429 {
				return i + 1
			}
			if r.Status != 401 {
				t.Fatalf("login: %d %s", r.Status, r.Body)
			}
		}
		return 0
	}
	want := firstRefusal(single)
	got := firstRefusal(one, two)
	if want != auth.DefaultLimits[auth.LimitLoginAccount].N+1 || got != want {
		t.Fatalf("first 429 at attempt %d on two replicas, %d on one", got, want)
	}
	restarted := apitest.New(t, apitest.WithDatabase(db), apitest.WithoutMailer(), apitest.WithSharedLimits(), limits)
	if r := restarted.Do(http.MethodPost, "/v1/auth/login", map[string]any{"username": "limited", "password": "wrong-password"}, ""); r.Status != 429 {
		t.Fatalf("after a restart: %d %s", r.Status, r.Body)
	}
}
