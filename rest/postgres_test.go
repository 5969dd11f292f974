package rest_test

import (
	"bytes"
	"net/http"
	"sync"
	"testing"

	"authbff/rest/apitest"
)

// These tests run the service on a real PostgreSQL (AUTH_TEST_POSTGRES_URL; CI starts
// one), as replicas would: the account story, the concurrency guarantees that rest on
// conditional updates, and two service instances sharing one database.

func TestPostgresAccountStory(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.WithDatabase(apitest.Postgres(t)))
	a := e.Register("pgalice")
	if r := e.Do(http.MethodPost, "/v1/auth/verify-email", map[string]any{"token": e.WaitMail(a.Email, "verify_email", 1).Token()}, ""); r.Status != 200 {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	access, refresh := e.Login("PGALICE", a.Password)
	me := e.Do(http.MethodGet, "/v1/auth/me", nil, access).Object(t)
	if me["is_verified"] != true || me["last_login"] == nil {
		t.Fatalf("me: %v", me)
	}
	r := e.Do(http.MethodPut, "/v1/auth/me/profile", `{"preferences":{"b":1,"a":2},"timezone":"Europe/Paris"}`, access)
	if r.Status != 200 || !bytes.Contains(r.Body, []byte(`"preferences":{"b":1,"a":2}`)) {
		t.Fatalf("profile: %d %s", r.Status, r.Body)
	}
	if r := e.Do(http.MethodPost, "/v1/auth/register", map[string]any{"email": "PGALICE@example.com", "username": "other", "password": "another-Secret-9"}, ""); r.Status != 409 {
		t.Fatalf("case-insensitive duplicate: %d %s", r.Status, r.Body)
	}
	r = e.Do(http.MethodPost, "/v1/auth/refresh", map[string]any{"refresh_token": refresh}, "")
	if r.Status != 200 {
		t.Fatalf("refresh: %d %s", r.Status, r.Body)
	}
	if r := e.Do(http.MethodPost, "/v1/auth/switch-org", map[string]any{"org_id": a.WorkspaceID}, access); r.Status != 200 {
		t.Fatalf("switch-org: %d %s", r.Status, r.Body)
	}
	if r := e.Do(http.MethodPost, "/v1/auth/logout", nil, access); r.Status != 200 {
		t.Fatalf("logout: %d", r.Status)
	}
	if r := e.Do(http.MethodGet, "/v1/auth/me", nil, access); r.Status != 401 {
		t.Fatalf("me after logout: %d", r.Status)
	}
}

func TestPostgresConcurrentRefreshOneChild(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.WithDatabase(apitest.Postgres(t)))
	a := e.Register("pgbob")
	const n = 8
	got := make([]string, n)
	status := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := e.Do(http.MethodPost, "/v1/auth/refresh", map[string]any{"refresh_token": a.Refresh}, "")
			status[i] = r.Status
			if r.Status == 200 {
				got[i], _ = r.Object(t)["refresh_token"].(string)
			}
		})
	}
	wg.Wait()
	for i := range n {
		if status[i] != 200 || got[i] != got[0] {
			t.Fatalf("refresh %d: status %d token %q, want 200 and %q", i, status[i], got[i], got[0])
		}
	}
	if c := e.DB.RefreshToken.Query().CountX(t.Context()); c != 2 {
		t.Fatalf("refresh token rows: %d, want 2 (the parent and one child)", c)
	}
}

func TestPostgresOneTimeTokenSingleUse(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.WithDatabase(apitest.Postgres(t)))
	a := e.Register("pgcarol")
	tok := e.WaitMail(a.Email, "verify_email", 1).Token()
	var ok, invalid int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			r := e.Do(http.MethodPost, "/v1/auth/verify-email", map[string]any{"token": tok}, "")
			mu.Lock()
			defer mu.Unlock()
			switch r.Status {
			case 200:
				ok++
			case 400:
				invalid++
			default:
				t.Errorf("verify: %d %s", r.Status, r.Body)
			}
		})
	}
	wg.Wait()
	if ok != 1 || invalid != 7 {
		t.Fatalf("successes %d, INVALID_TOKEN %d; want 1 and 7", ok, invalid)
	}
}

// TestPostgresReplicas: two instances on one database share the signing keys, sessions and
// revocations: a token from one works on the other, a logout on one acts on the other at
// once, and a key rotated on one is honoured by the other.
func TestPostgresReplicas(t *testing.T) {
	t.Parallel()
	db := apitest.Postgres(t)
	one := apitest.New(t, apitest.WithDatabase(db))
	two := apitest.New(t, apitest.WithDatabase(db))
	a := one.Register("pgdave")
	if r := two.Do(http.MethodGet, "/v1/auth/me", nil, a.Access); r.Status != 200 {
		t.Fatalf("me on the other replica: %d %s", r.Status, r.Body)
	}
	if _, err := one.Svc.RotateKeys(t.Context()); err != nil {
		t.Fatal(err)
	}
	access, _ := one.Login("pgdave", a.Password)
	if r := two.Do(http.MethodGet, "/v1/auth/me", nil, access); r.Status != 200 {
		t.Fatalf("token signed with the rotated key, on the other replica: %d %s", r.Status, r.Body)
	}
	if r := one.Do(http.MethodPost, "/v1/auth/logout", nil, access); r.Status != 200 {
		t.Fatalf("logout: %d", r.Status)
	}
	if r := two.Do(http.MethodGet, "/v1/auth/me", nil, access); r.Status != 401 {
		t.Fatalf("me on the other replica after logout: %d", r.Status)
	}
}
