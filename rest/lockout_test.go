package rest_test

// Strangers must not lock an owner out (issue 8 §3): failed-login limits keyed per
// account and client under a higher per-account ceiling, silent per-address limits on
// forgot-password, the lockout mail; and clients keyed by IPv4 address or IPv6 /64.

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"authbff/ent/mail"
	"authbff/graph/auth"
	"authbff/rest"
	"authbff/rest/apitest"
)

// behindProxy believes X-Forwarded-For from the test client, so each request may come
// from any client address.
var behindProxy = apitest.WithREST(func(o *rest.Options) {
	o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
})

// from sends a request as if from client address ip.
func from(e *apitest.Env, ip, method, path string, body any) *apitest.Response {
	return e.Do(method, path, body, "", "X-Forwarded-For", ip)
}

func TestStrangerCannotLockOwnerOut(t *testing.T) {
	t.Parallel()
	login := func(e *apitest.Env, ip, user, pw string) *apitest.Response {
		return from(e, ip, http.MethodPost, pLogin, obj{"username": user, "password": pw})
	}
	t.Run("OK_OwnerFromAnotherClientAfterTenFailures", func(t *testing.T) {
		t.Parallel()
		e := limitsEnv(t, defaultLimits(), behindProxy)
		a := e.Register("owner")
		for i := range 10 {
			wantUnauthorized(t, login(e, "203.0.113.1", a.Username, fmt.Sprintf("guess-%d", i)))
		}
		// The attacker's client is limited, even with the right password…
		wantLimited(t, login(e, "203.0.113.1", a.Username, a.Password), 15*time.Minute)
		// …the owner's is not.
		wantStatus(t, login(e, "198.51.100.7", a.Email, a.Password), http.StatusOK)
	})
	t.Run("Err429DistributedGuessingCapped", func(t *testing.T) {
		t.Parallel()
		total := auth.DefaultLimits[auth.LimitLoginAccountTotal]
		e := limitsEnv(t, defaultLimits(), behindProxy)
		a := e.Register("owner")
		for i := range total.N {
			wantUnauthorized(t, login(e, fmt.Sprintf("203.0.113.%d", i%250+1), a.Username, fmt.Sprintf("guess-%d", i)))
		}
		wantLimited(t, login(e, "192.0.2.99", a.Username, "guess-next"), 15*time.Minute)
		// Unknown identifiers are capped alike (no enumeration by the ceiling).
		for i := range total.N {
			wantUnauthorized(t, login(e, fmt.Sprintf("203.0.113.%d", i%250+1), "ghost", fmt.Sprintf("guess-%d", i)))
		}
		known := login(e, "192.0.2.98", a.Username, "guess-next")
		unknown := login(e, "192.0.2.98", "ghost", "guess-next")
		// Both the same 429 envelope (retry_after depends on when each bucket filled).
		wantLimited(t, known, 15*time.Minute)
		wantLimited(t, unknown, 15*time.Minute)
	})
	t.Run("OK_UnknownIdentifierAnsweredAlikePerClient", func(t *testing.T) {
		t.Parallel()
		e := limitsEnv(t, defaultLimits(), behindProxy)
		e.Register("owner")
		for i := range 10 {
			k := login(e, "203.0.113.1", "owner", fmt.Sprintf("guess-%d", i))
			u := login(e, "203.0.113.2", "ghost", fmt.Sprintf("guess-%d", i))
			if k.Status != u.Status || withoutTimestamp(k.Body) != withoutTimestamp(u.Body) {
				t.Fatalf("known %d %s, unknown %d %s", k.Status, k.Body, u.Status, u.Body)
			}
		}
		// The same 429 envelope (retry_after may differ by a second: the buckets filled
		// a few milliseconds apart).
		k, u := login(e, "203.0.113.1", "owner", "x"), login(e, "203.0.113.2", "ghost", "x")
		if rk, ru := wantLimited(t, k, 15*time.Minute), wantLimited(t, u, 15*time.Minute); rk-ru > 1 || ru-rk > 1 {
			t.Errorf("retry_after known %d, unknown %d", rk, ru)
		}
	})
}

// countMails counts outbox rows of kind (delivered or not).
func countMails(t testing.TB, e *apitest.Env, kind string) int {
	t.Helper()
	n, err := e.DB.Mail.Query().Where(mail.Kind(kind)).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestStrangerCannotBlockOwnersReset(t *testing.T) {
	t.Parallel()
	e := limitsEnv(t, defaultLimits(), behindProxy)
	a := e.Register("owner")
	forgot := func(ip, email string) *apitest.Response {
		return from(e, ip, http.MethodPost, pForgot, obj{"email": email})
	}
	// The stranger asks eight times: five mails go out, then nothing, and the answers
	// never change (for an unknown address neither).
	for range 8 {
		k, u := forgot("203.0.113.1", a.Email), forgot("203.0.113.1", "ghost@example.com")
		wantNull(t, k)
		if k.Status != u.Status || string(k.Body) != string(u.Body) {
			t.Fatalf("known %d %s, unknown %d %s", k.Status, k.Body, u.Status, u.Body)
		}
	}
	e.WaitMail(a.Email, "reset_password", 5)
	// The owner, from elsewhere, still gets a working link.
	wantNull(t, forgot("198.51.100.7", a.Email))
	tok := e.WaitMail(a.Email, "reset_password", 6).Token()
	wantNull(t, e.Do(http.MethodPost, pReset, obj{"token": tok, "new_password": strongPassword}, ""))
	wantStatus(t, e.Do(http.MethodPost, pLogin, obj{"username": a.Username, "password": strongPassword}, ""), http.StatusOK)
	if n := countMails(t, e, "reset_password"); n != 6 {
		t.Errorf("%d reset mails, want 6 (5 for the stranger, 1 for the owner)", n)
	}
	// Many strangers together reach the per-address ceiling: then nothing more is sent.
	total := auth.DefaultLimits[auth.LimitForgotAddressTotal].N
	for i := range total {
		wantNull(t, forgot(fmt.Sprintf("192.0.2.%d", i+1), a.Email))
	}
	e.WaitMail(a.Email, "reset_password", total)
	// Requests are expanded in order: once another address's mail is out, every mail the
	// requests above could cause is too.
	b := e.Register("bystander")
	wantNull(t, forgot("192.0.2.200", b.Email))
	e.WaitMail(b.Email, "reset_password", 1)
	if n := countMails(t, e, "reset_password") - 1; n != total {
		t.Errorf("%d reset mails after the ceiling, want %d", n, total)
	}
}

func TestLockoutMailsOwnerOnce(t *testing.T) {
	t.Parallel()
	const threshold = 5
	e := apitest.New(t, apitest.WithConfig(func(c *auth.Config) {
		c.LockoutThreshold = threshold
		c.RateLimits = nil
		c.FrontendURL = "https://spa.example.test"
	}))
	a := e.Register("owner")
	login := func(pw string) *apitest.Response {
		return e.Do(http.MethodPost, pLogin, obj{"username": a.Username, "password": pw}, "")
	}
	for range threshold - 1 {
		wantUnauthorized(t, login("wrong-password"))
	}
	if n := countMails(t, e, auth.MailLocked); n != 0 {
		t.Fatalf("%d lockout mails before the lockout", n)
	}
	wantUnauthorized(t, login("wrong-password")) // the lockout engages
	m := e.WaitMail(a.Email, auth.MailLocked, 1)
	if m.Subject != "Password sign-in to your account is locked" || m.Token() == "" {
		t.Errorf("lockout mail: %+v", m)
	}
	for range 3 {
		wantUnauthorized(t, login("wrong-password"))
	}
	wantUnauthorized(t, login(a.Password)) // locked
	if n := countMails(t, e, auth.MailLocked); n != 1 {
		t.Errorf("%d lockout mails, want 1", n)
	}
	// The link unlocks: a new password, then the login works.
	wantNull(t, e.Do(http.MethodPost, pReset, obj{"token": m.Token(), "new_password": strongPassword}, ""))
	wantStatus(t, login(strongPassword), http.StatusOK)
	// A second lockout mails again.
	for range threshold {
		wantUnauthorized(t, login("wrong-password"))
	}
	e.WaitMail(a.Email, auth.MailLocked, 2)
}

func TestInviteLimitPerAddress(t *testing.T) {
	t.Parallel()
	e := limitsEnv(t, map[string]auth.Limit{auth.LimitInviteAddress: {N: 2, Window: 24 * time.Hour}})
	o1, o2 := e.Register("one"), e.Register("two")
	org1, org2 := ivCreateOrg(t, e, o1.Access, "One"), ivCreateOrg(t, e, o2.Access, "Two")
	inv := func(token, org, email string) *apitest.GQLResponse {
		return e.GraphQL(ivCreateInviteOp, obj{"orgId": org, "email": email, "role": "MEMBER"}, token)
	}
	wantNotLimited(t, inv(o1.Access, org1, "target@example.com"))
	wantNotLimited(t, inv(o2.Access, org2, "TARGET@example.com"))
	r := inv(o2.Access, org2, "target@example.com")
	if len(r.Errors) != 1 {
		t.Fatalf("want one error: %s", r.Raw)
	}
	wantGQLLimited(t, r.Errors[0], 24*time.Hour)
	wantRateLimitedAudit(t, e, auth.LimitInviteAddress)
	wantNotLimited(t, inv(o1.Access, org1, "someone-else@example.com"))
}

func TestIPv6ClientsLimitedPer64(t *testing.T) {
	t.Parallel()
	e := limitsEnv(t, map[string]auth.Limit{auth.LimitLoginIP: {N: 2, Window: time.Hour}}, behindProxy)
	login := func(ip string) *apitest.Response {
		return from(e, ip, http.MethodPost, pLogin, obj{"username": "nobody", "password": "wrong-password"})
	}
	wantUnauthorized(t, login("2001:db8:1:2::1"))
	wantUnauthorized(t, login("2001:db8:1:2:ffff:ffff:ffff:ffff"))
	// Another address of the same /64 (with a zone id, or written otherwise) shares it.
	wantLimited(t, login("2001:db8:1:2::99"), time.Hour)
	wantLimited(t, login("2001:DB8:1:2:0:0:0:7"), time.Hour)
	// The next /64 has its own bucket.
	wantUnauthorized(t, login("2001:db8:1:3::1"))
	// IPv4 is per address; an IPv4-mapped IPv6 address is that IPv4 address.
	wantUnauthorized(t, login("192.0.2.1"))
	wantUnauthorized(t, login("::ffff:192.0.2.1"))
	wantLimited(t, login("192.0.2.1"), time.Hour)
	wantUnauthorized(t, login("192.0.2.2"))
	// Zone ids are stripped: fe80::1%eth0 and fe80::2%eth1 are one link-local /64.
	wantUnauthorized(t, login("fe80::1%eth0"))
	wantUnauthorized(t, login("fe80::2%eth1"))
	wantLimited(t, login("fe80::3"), time.Hour)
}
