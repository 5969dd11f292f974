package rest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"authbff/graph/auth"
	"authbff/rest"
	"authbff/rest/apitest"
)

// Panic recovery, from the outside: a panic deep in a request (inside the domain
// service, under a resolver; or in an HTTP handler outside GraphQL) answers the generic
// 500 of its transport with no internals, is logged once with the request id and the
// stack, and the server goes on serving.
//
// The panics come through real seams of the production wiring, not through test
// branches: auth.Config.LimitStore (an interface every rate-limited use case calls,
// here one that panics for one address) and rest.Options.ReadyChecks (a check that
// panics, as a broken dependency client might).

// panickingStore is a LimitStore that panics on keys holding trigger and otherwise
// behaves as the in-memory store.
type panickingStore struct {
	auth.LimitStore
	trigger string
	panics  atomic.Int32
}

func (s *panickingStore) Take(ctx context.Context, key string, l auth.Limit, cost int, now time.Time) (time.Duration, error) {
	if strings.Contains(key, s.trigger) {
		s.panics.Add(1)
		panic("limit store exploded for " + s.trigger + " (SELECT secret FROM internals)")
	}
	return s.LimitStore.Take(ctx, key, l, cost, now)
}

// errorRecords returns the log records at level ERROR or above that carry request id id.
func errorRecords(e *apitest.Env, id string) []apitest.Record {
	var out []apitest.Record
	for _, r := range e.Logs.Records() {
		if r.Level >= 8 /* slog.LevelError */ && r.Attrs["request_id"] == id {
			out = append(out, r)
		}
	}
	return out
}

// wantLoggedOnce fails unless exactly one ERROR record carries request id id, and it has
// the panic value and a stack.
func wantLoggedOnce(t *testing.T, e *apitest.Env, id, panicText string) {
	t.Helper()
	if id == "" {
		t.Fatal("no X-Request-ID on the answer")
	}
	recs := errorRecords(e, id)
	if len(recs) != 1 {
		t.Fatalf("%d error records with request_id %s, want exactly one: %v", len(recs), id, recs)
	}
	r := recs[0]
	if !strings.Contains(r.Attrs["panic"], panicText) || !strings.Contains(r.Attrs["stack"], "goroutine ") {
		t.Errorf("the record lacks the panic value or the stack: %v", r)
	}
}

func TestPanicInResolverAnswersGeneric500(t *testing.T) {
	t.Parallel()
	store := &panickingStore{LimitStore: auth.NewMemoryStore(0), trigger: "boom@example.com"}
	e := apitest.New(t, apitest.WithoutMailer(), apitest.WithConfig(func(c *auth.Config) {
		c.RateLimits, _ = auth.ParseLimits("on")
		c.LimitStore = store
	}))

	t.Run("REST", func(t *testing.T) {
		e := e.For(t)
		r := e.Do(http.MethodPost, "/v1/auth/forgot-password", obj{"email": "boom@example.com"}, "")
		wantError(t, r, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "An unexpected error occurred", "")
		if strings.Contains(string(r.Body), "exploded") || strings.Contains(string(r.Body), "SELECT") {
			t.Errorf("the answer shows internals: %s", r.Body)
		}
		wantLoggedOnce(t, e, r.Header.Get("X-Request-ID"), "limit store exploded")
	})

	t.Run("GraphQL", func(t *testing.T) {
		e := e.For(t)
		r := e.Do(http.MethodPost, "/graphql", obj{"query": `mutation { forgotPassword(email: "boom@example.com") }`}, "")
		if r.Status != http.StatusOK {
			t.Fatalf("status %d, want 200 (a field error): %s", r.Status, r.Body)
		}
		// The field is non-null, so its null reaches data (GraphQL's null propagation).
		want := `{"errors":[{"message":"An unexpected error occurred","path":["forgotPassword"],` +
			`"extensions":{"code":"INTERNAL_SERVER_ERROR","details":{}}}],"data":null}`
		if string(r.Body) != want {
			t.Errorf("got  %s\nwant %s", r.Body, want)
		}
		wantLoggedOnce(t, e, r.Header.Get("X-Request-ID"), "limit store exploded")
	})

	t.Run("StillServing", func(t *testing.T) {
		e := e.For(t)
		if n := store.panics.Load(); n < 2 {
			t.Fatalf("%d panics, want one per transport", n)
		}
		a := e.Register("after_panic")
		if r := e.Do(http.MethodGet, "/v1/auth/me", nil, a.Access); r.Status != http.StatusOK {
			t.Fatalf("GET /v1/auth/me after the panics: %d %s", r.Status, r.Body)
		}
		g := e.GraphQL(`mutation { forgotPassword(email: "after_panic@example.com") }`, nil, "")
		if len(g.Errors) != 0 || g.Data["forgotPassword"] != true {
			t.Fatalf("forgotPassword after the panics: %s", g.Raw)
		}
	})
}

func TestPanicInHandlerAnswersGeneric500(t *testing.T) {
	t.Parallel()
	var armed atomic.Bool
	armed.Store(true)
	e := apitest.New(t, apitest.WithoutMailer(), apitest.WithREST(func(o *rest.Options) {
		o.ReadyChecks = []rest.ReadyCheck{{Name: "flaky", Check: func(context.Context) error {
			if armed.Load() {
				panic(errors.New("ready check exploded: dial tcp 10.0.0.7:6379"))
			}
			return nil
		}}}
	}))
	r := e.Do(http.MethodGet, "/readyz", nil, "")
	wantError(t, r, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "An unexpected error occurred", "")
	if strings.Contains(string(r.Body), "10.0.0.7") || strings.Contains(string(r.Body), "exploded") {
		t.Errorf("the answer shows internals: %s", r.Body)
	}
	wantLoggedOnce(t, e, r.Header.Get("X-Request-ID"), "ready check exploded")

	armed.Store(false)
	if r := e.Do(http.MethodGet, "/readyz", nil, ""); r.Status != http.StatusOK {
		t.Fatalf("/readyz after the panic: %d %s", r.Status, r.Body)
	}
	a := e.Register("after_handler_panic")
	if g := e.GraphQL(`query { me { username } }`, nil, a.Access); len(g.Errors) != 0 {
		t.Fatalf("GraphQL after the panic: %s", g.Raw)
	}
}
