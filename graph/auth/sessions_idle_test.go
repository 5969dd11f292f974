package auth_test

import (
	"testing"
	"time"

	"authbff/graph/auth"
	"authbff/rest/apitest"
)

// TestSessionsHidesIdledOutSessions: a session whose refresh token went unused for
// RefreshTTL can never be used again, so `sessions` no longer lists it.
func TestSessionsHidesIdledOutSessions(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.WithConfig(func(c *auth.Config) { c.RefreshTTL = time.Hour }))
	a := e.Register("idler")
	e.Clock.Advance(2 * time.Hour)
	access, _ := e.Login("idler", a.Password)
	r := e.GraphQL(`{ sessions { id current } }`, nil, access)
	list, _ := r.Data["sessions"].([]any)
	if len(r.Errors) > 0 || len(list) != 1 || list[0].(map[string]any)["current"] != true {
		t.Fatalf("sessions after the first one idled out: %s", r.Raw)
	}
}
