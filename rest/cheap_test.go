package rest_test

// Cheap requests stay cheap for the server (issue 8 §5): refused attempts write at most
// one audit event per limit key and window.

import (
	"context"
	"strings"
	"testing"
	"time"

	"authbff/ent/auditevent"
	"authbff/graph/auth"
)

func TestRefusedAttemptsAuditOncePerKeyAndWindow(t *testing.T) {
	t.Parallel()
	e := limitsEnv(t, defaultLimits())
	ua := strings.Repeat("x", 512)
	count := func() int {
		n, err := e.DB.AuditEvent.Query().Where(auditevent.Type(auth.EventRateLimited)).Count(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Ten requests of fifty aliased logins each: 500 attempts, 470 refused by login_ip.
	for range 10 {
		r := e.Do("POST", "/graphql", obj{"query": aliasedLogins(distinctUnknown(50))}, "", "User-Agent", ua)
		wantStatus(t, r, 200)
	}
	if n := count(); n != 1 {
		t.Errorf("%d rate_limited audit rows after 470 refused attempts, want 1", n)
	}
	// The next window records again, once.
	e.Clock.Advance(auth.DefaultLimits[auth.LimitLoginIP].Window + time.Second)
	for range 2 {
		e.Do("POST", "/graphql", obj{"query": aliasedLogins(distinctUnknown(50))}, "", "User-Agent", ua)
	}
	if n := count(); n != 2 {
		t.Errorf("%d rate_limited audit rows after a second window, want 2", n)
	}
}
