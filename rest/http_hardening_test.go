package rest_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"authbff/graph/auth"
	"authbff/rest"
	"authbff/rest/apitest"
)

// HTTP hardening seen from a client (issue 4): security headers on every answer and the
// CORS allowlist.

var requestIDRE = regexp.MustCompile(`^[0-9a-f]{24}$`)

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := limitsEnv(t, map[string]auth.Limit{auth.LimitLoginIP: {N: 1, Window: time.Hour}})
	a := e.Register("headers")
	wantOK(t, e.Do(http.MethodPost, pLogin, obj{"username": a.Username, "password": a.Password}, ""))
	gqlGet := "/graphql?query=" + url.QueryEscape("{ authConfig { allowRegistration } }")
	cases := []struct {
		name         string
		method, path string
		body         any
		header       []string
		status       int
		noStore      bool
	}{
		{"OKConfig", http.MethodGet, pConfig, nil, nil, http.StatusOK, true},
		{"OKMe", http.MethodGet, pMe, nil, []string{"Authorization", "Bearer " + a.Access}, http.StatusOK, true},
		{"ErrUnauthorized", http.MethodGet, pMe, nil, nil, http.StatusUnauthorized, true},
		{"ErrValidation", http.MethodPost, pRegister, obj{}, nil, http.StatusUnprocessableEntity, true},
		{"ErrRateLimited", http.MethodPost, pLogin, obj{"username": a.Username, "password": a.Password}, nil, http.StatusTooManyRequests, true},
		{"ErrUnknownRoute", http.MethodGet, "/v1/auth/nope", nil, nil, http.StatusNotFound, true},
		{"ErrWrongMethod", http.MethodDelete, pLogin, nil, nil, http.StatusMethodNotAllowed, true},
		{"OKGraphQLPost", http.MethodPost, "/graphql", obj{"query": "{ authConfig { allowRegistration } }"}, nil, http.StatusOK, true},
		{"OKGraphQLGet", http.MethodGet, gqlGet, nil, nil, http.StatusOK, true},
		{"ErrGraphQLBadBody", http.MethodPost, "/graphql", "not json", nil, http.StatusBadRequest, true},
		{"ErrGraphQLForm", http.MethodPost, "/graphql", "query=x", []string{"Content-Type", "application/x-www-form-urlencoded"}, http.StatusUnsupportedMediaType, true},
		{"ErrRootNotFound", http.MethodGet, "/", nil, nil, http.StatusNotFound, false},
		{"OKPlayground", http.MethodGet, "/playground", nil, nil, http.StatusOK, false},
		{"OKJWKS", http.MethodGet, "/.well-known/jwks.json", nil, nil, http.StatusOK, false},
	}
	seen := map[string]string{}
	for _, c := range cases {
		r := e.Do(c.method, c.path, c.body, "", c.header...)
		t.Run(c.name, func(t *testing.T) {
			if r.Status != c.status {
				t.Errorf("status = %d, want %d: %.200s", r.Status, c.status, r.Body)
			}
			h := r.Header
			if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
			}
			if got := h.Get("Content-Security-Policy"); !strings.Contains(got, "frame-ancestors 'none'") {
				t.Errorf("Content-Security-Policy = %q, want frame-ancestors 'none'", got)
			}
			if c.noStore {
				if got := h.Get("Cache-Control"); got != "no-store" {
					t.Errorf("Cache-Control = %q, want no-store", got)
				}
			}
			if got := h.Get("Strict-Transport-Security"); got != "" {
				t.Errorf("Strict-Transport-Security = %q over plain HTTP, want none", got)
			}
			id := h.Get("X-Request-ID")
			if !requestIDRE.MatchString(id) {
				t.Errorf("X-Request-ID = %q, want 24 hex digits", id)
			}
			if prev, dup := seen[id]; dup {
				t.Errorf("X-Request-ID %s also answered %s", id, prev)
			}
			seen[id] = c.name
		})
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	const app = "https://app.example"
	allowApp := apitest.WithREST(func(o *rest.Options) { o.CORSOrigins = []string{app} })
	preflight := func(e *apitest.Env, origin, path string) *apitest.Response {
		return e.Do(http.MethodOptions, path, nil, "", "Origin", origin,
			"Access-Control-Request-Method", http.MethodPost,
			"Access-Control-Request-Headers", "authorization, content-type")
	}
	headerList := func(v string) []string {
		var out []string
		for _, s := range strings.Split(v, ",") {
			if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	noCORS := func(t *testing.T, r *apitest.Response) {
		t.Helper()
		for k := range r.Header {
			if strings.HasPrefix(strings.ToLower(k), "access-control-") {
				t.Errorf("%s: %q, want no CORS headers", k, r.Header.Get(k))
			}
		}
	}

	t.Run("OKPreflightFromAllowedOrigin", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, allowApp)
		for _, path := range []string{pLogin, pPassword, "/graphql"} {
			r := preflight(e, app, path)
			if r.Status != http.StatusOK && r.Status != http.StatusNoContent {
				t.Errorf("%s: preflight status %d: %s", path, r.Status, r.Body)
			}
			if got := r.Header.Get("Access-Control-Allow-Origin"); got != app {
				t.Errorf("%s: Access-Control-Allow-Origin = %q, want %q", path, got, app)
			}
			allowed := headerList(r.Header.Get("Access-Control-Allow-Headers"))
			for _, h := range []string{"authorization", "content-type"} {
				if !slices.Contains(allowed, h) {
					t.Errorf("%s: Access-Control-Allow-Headers = %q, want %s", path, r.Header.Get("Access-Control-Allow-Headers"), h)
				}
			}
			if methods := r.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(methods, http.MethodPost) {
				t.Errorf("%s: Access-Control-Allow-Methods = %q, want POST", path, methods)
			}
			if got := r.Header.Get("Access-Control-Allow-Credentials"); got != "" {
				t.Errorf("%s: Access-Control-Allow-Credentials = %q, want none (bearer tokens, no cookies)", path, got)
			}
		}
	})

	t.Run("OKRequestFromAllowedOriginExposesHeaders", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, allowApp)
		r := e.Do(http.MethodGet, pConfig, nil, "", "Origin", app)
		wantOK(t, r)
		if got := r.Header.Get("Access-Control-Allow-Origin"); got != app {
			t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, app)
		}
		exposed := headerList(r.Header.Get("Access-Control-Expose-Headers"))
		for _, h := range []string{"retry-after", "x-request-id"} {
			if !slices.Contains(exposed, h) {
				t.Errorf("Access-Control-Expose-Headers = %q, want %s", r.Header.Get("Access-Control-Expose-Headers"), h)
			}
		}
	})

	t.Run("ErrOtherOriginNotAllowed", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, allowApp)
		for _, origin := range []string{"https://evil.example", "http://app.example", "https://app.example.evil.example"} {
			for _, r := range []*apitest.Response{preflight(e, origin, pLogin), e.Do(http.MethodGet, pConfig, nil, "", "Origin", origin)} {
				if got := r.Header.Get("Access-Control-Allow-Origin"); got != "" {
					t.Errorf("origin %s: Access-Control-Allow-Origin = %q, want none", origin, got)
				}
			}
		}
	})

	t.Run("ErrPreflightFromOtherOriginIsAClear403", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, allowApp)
		for _, path := range []string{pLogin, "/graphql", "/no/such/route"} {
			r := preflight(e, "http://localhost:9999", path)
			wantError(t, r, http.StatusForbidden, "FORBIDDEN",
				"CORS preflight refused: this origin, method or header is not allowed (see AUTH_CORS_ORIGINS)",
				`{"origin":"http://localhost:9999"}`)
			noCORS(t, r)
		}
		// An allowed origin asking for a method the API never takes is refused alike.
		r := e.Do(http.MethodOptions, pLogin, nil, "", "Origin", app, "Access-Control-Request-Method", http.MethodDelete)
		if r.Status != http.StatusForbidden {
			t.Errorf("DELETE preflight: %d", r.Status)
		}
		// An allowed preflight is a 204.
		if r := preflight(e, app, pLogin); r.Status != http.StatusNoContent {
			t.Errorf("allowed preflight: %d", r.Status)
		}
	})

	t.Run("ErrNoOriginsConfiguredNoCORSHeaders", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		noCORS(t, preflight(e, app, pLogin))
		noCORS(t, preflight(e, app, "/graphql"))
		r := e.Do(http.MethodGet, pConfig, nil, "", "Origin", app)
		wantOK(t, r)
		noCORS(t, r)
	})
}

// TestRESTUnderTightestGraphQLLimits: the client-facing GraphQL caps bound documents
// clients write; the persisted operations of the REST routes are fixed, and the routes
// keep working under the tightest values cmd/authbff accepts (AUTH_GRAPHQL_MAX_DEPTH=2,
// AUTH_GRAPHQL_MAX_COMPLEXITY=10, AUTH_GRAPHQL_MAX_ROOT_FIELDS=1).
func TestRESTUnderTightestGraphQLLimits(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.WithREST(func(o *rest.Options) {
		o.GraphQL.MaxDepth, o.GraphQL.MaxComplexity, o.GraphQL.MaxRootFields = 2, 10, 1
	}))
	b := wantOK(t, e.Do(http.MethodPost, pRegister, obj{"email": "tight@example.com", "username": "tight", "password": strongPassword}, ""))
	access := str(t, b, "access_token")
	wantOK(t, e.Do(http.MethodPost, pLogin, obj{"username": "tight", "password": strongPassword}, ""))
	wantOK(t, e.Do(http.MethodGet, pMe, nil, access))
	wantOK(t, e.Do(http.MethodGet, pProfile, nil, access))
	wantOK(t, e.Do(http.MethodPut, pProfile, obj{"bio": "short"}, access))
	// The caps still hold on /graphql.
	r := e.GraphQL(`{ me { id email username fullName authProvider isActive isVerified roles avatarUrl bio } }`, nil, access)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "COMPLEXITY_LIMIT_EXCEEDED" {
		t.Errorf("a complex /graphql query: %s", r.Raw)
	}
}
