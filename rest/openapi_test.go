package rest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"authbff/graph/auth"
	"authbff/rest"
	"authbff/rest/apitest"
)

// loadOpenAPI fetches /openapi.json and validates it with kin-openapi (OpenAPI 3.1).
func loadOpenAPI(t *testing.T, e *apitest.Env) (*openapi3.T, []byte) {
	t.Helper()
	r := e.Do(http.MethodGet, "/openapi.json", nil, "")
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi.json: %d %q", r.Status, r.Header.Get("Content-Type"))
	}
	doc, err := openapi3.NewLoader().LoadFromData(r.Body)
	if err != nil {
		t.Fatalf("loading the document: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the document is not valid OpenAPI: %v", err)
	}
	return doc, r.Body
}

// The document describes the fifteen routes exactly, with bearer security where the
// route table needs a token, and a valid OpenAPI 3.1 document.
func TestOpenAPIDescribesTheRouteTable(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	doc, raw := loadOpenAPI(t, e)
	if doc.OpenAPI != "3.1.0" || !doc.IsOpenAPI31OrLater() {
		t.Errorf("openapi = %q", doc.OpenAPI)
	}
	table := rest.RouteTable()
	got := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			key := method + " " + path
			bearer := op.Security != nil && len(*op.Security) == 1 && (*op.Security)[0]["bearer"] != nil
			got[key] = bearer
			if _, ok := op.Responses.Map()["200"]; !ok {
				t.Errorf("%s: no 200", key)
			}
			if bearer {
				if _, ok := op.Responses.Map()["401"]; !ok {
					t.Errorf("%s: bearer route without a 401", key)
				}
			}
			if op.RequestBody != nil {
				if _, ok := op.Responses.Map()["422"]; !ok {
					t.Errorf("%s: body without a 422", key)
				}
			}
		}
	}
	if len(got) != 15 {
		t.Errorf("%d operations, want 15", len(got))
	}
	for k, bearer := range table {
		b, ok := got[k]
		if !ok {
			t.Errorf("route %s is not in the document", k)
		} else if b != bearer {
			t.Errorf("%s: bearer security %v, route table says %v", k, b, bearer)
		}
	}
	for k := range got {
		if _, ok := table[k]; !ok {
			t.Errorf("the document has %s, which is no route", k)
		}
	}
	// Field rules, as validate.go declares them.
	reg := doc.Paths.Find("/v1/auth/register").Post.RequestBody.Value.Content.Get("application/json").Schema.Value
	u := reg.Properties["username"].Value
	if u.MinLength != auth.UsernameMinLen || *u.MaxLength != auth.UsernameMaxLen || u.Pattern != auth.UsernamePattern {
		t.Errorf("username rules: %d %d %q", u.MinLength, *u.MaxLength, u.Pattern)
	}
	pw := reg.Properties["password"].Value
	if pw.MinLength != auth.PasswordMinLen || *pw.MaxLength != auth.PasswordMaxLen {
		t.Errorf("password rules: %d %d", pw.MinLength, *pw.MaxLength)
	}
	if em := reg.Properties["email"].Value; em.Format != "email" || *em.MaxLength != auth.EmailMaxLen {
		t.Errorf("email rules: %q %v", em.Format, em.MaxLength)
	}
	if !slices.Equal(reg.Required, []string{"email", "username", "password"}) {
		t.Errorf("register required: %v", reg.Required)
	}
	// Success keys in the order the answer writes them.
	var order struct {
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &order); err != nil {
		t.Fatal(err)
	}
	keys := schemaPropertyKeys(t, order.Components.Schemas["User"])
	want := []string{"user_id", "email", "username", "full_name", "auth_provider", "is_active", "is_verified", "roles",
		"avatar_url", "bio", "timezone", "locale", "preferences", "settings", "created_at", "updated_at", "last_login",
		"default_workspace_id"}
	if !slices.Equal(keys, want) {
		t.Errorf("User keys %v\nwant      %v", keys, want)
	}
	me := e.Register("keyorder")
	if k := topKeys(t, e.Do(http.MethodGet, "/v1/auth/me", nil, me.Access).Body); !slices.Equal(k, want) {
		t.Errorf("GET /me answers keys %v", k)
	}
}

// schemaPropertyKeys returns the keys of a schema's properties in document order.
func schemaPropertyKeys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return topKeys(t, m["properties"])
}

func topKeys(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", raw)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// checkingTransport validates every request a client sends and every answer the
// server gives against the document (kin-openapi's openapi3filter), as a generated
// client relying on it would.
type checkingTransport struct {
	t      *testing.T
	router routers.Router
	mu     sync.Mutex
	seen   map[string][]int // "METHOD path" → statuses validated
}

func (c *checkingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		c.t.Errorf("%s %s: not in the document: %v", req.Method, req.URL.Path, err)
		return http.DefaultTransport.RoundTrip(req)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	reqErr := openapi3filter.ValidateRequest(context.Background(), in)
	req.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	respBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	// A request the document forbids must be one the server refuses (a test of error
	// answers sends such on purpose), and one it allows must not be refused as input.
	if reqErr != nil && resp.StatusCode < 400 {
		c.t.Errorf("%s %s: the document refuses the request (%v) but the server answered %d", req.Method, req.URL.Path, reqErr, resp.StatusCode)
	}
	if reqErr == nil && resp.StatusCode == http.StatusUnprocessableEntity {
		// Rules JSON Schema states (presence, type, length, pattern) must agree; value
		// rules (a deliverable address, an IANA zone) are only described.
		var v struct {
			Detail []struct {
				Type string `json:"type"`
			} `json:"detail"`
		}
		_ = json.Unmarshal(respBody, &v)
		for _, d := range v.Detail {
			switch d.Type {
			case "missing", "string_type", "dict_type", "string_too_short", "string_too_long", "string_pattern_mismatch":
				c.t.Errorf("%s %s: the document allows %s but the server answered 422 %s", req.Method, req.URL.Path, body, respBody)
			}
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	out.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		c.t.Errorf("%s %s answered %d %s\nwhich the document does not describe: %v", req.Method, req.URL.Path, resp.StatusCode, respBody, err)
	}
	c.mu.Lock()
	key := req.Method + " " + route.Path
	c.seen[key] = append(c.seen[key], resp.StatusCode)
	c.mu.Unlock()
	return resp, nil
}

// A client that trusts /openapi.json meets no surprise: every route's success and its
// main errors, sent by a real client to the real server, match the document both ways.
func TestOpenAPIMatchesRealTraffic(t *testing.T) {
	t.Parallel()
	limits, err := auth.ParseLimits("login_ip=12/1h")
	if err != nil {
		t.Fatal(err)
	}
	e := apitest.New(t, apitest.WithConfig(func(c *auth.Config) { c.RateLimits = limits }))
	doc, _ := loadOpenAPI(t, e)
	doc.Servers = openapi3.Servers{{URL: e.URL}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	ct := &checkingTransport{t: t, router: router, seen: map[string][]int{}}
	e.Server.Client().Transport = ct

	call := func(method, path string, body any, token string, want int) *apitest.Response {
		t.Helper()
		r := e.Do(method, path, body, token)
		if r.Status != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, r.Status, r.Body, want)
		}
		return r
	}
	const pw = "a long enough passphrase"
	call("GET", "/v1/auth/config", nil, "", 200)
	reg := call("POST", "/v1/auth/register", map[string]any{"email": "ada@example.com", "username": "ada", "password": pw, "full_name": "Ada"}, "", 200).Object(t)
	access, refresh := reg["access_token"].(string), reg["refresh_token"].(string)
	call("POST", "/v1/auth/register", map[string]any{"email": "ADA@example.com", "username": "ada2", "password": pw}, "", 409)
	call("POST", "/v1/auth/register", map[string]any{"email": "nope", "username": "a!", "password": "short"}, "", 422)
	call("POST", "/v1/auth/register", "{not json", "", 422)
	call("POST", "/v1/auth/register", map[string]any{"email": "x@example.com", "username": "xyz", "password": pw, "invite_token": "bogus"}, "", 400)
	call("POST", "/v1/auth/register", "\xff\xfe", "", 400)
	call("POST", "/v1/auth/register", strings.Repeat(" ", 1<<20+1), "", 413)
	call("POST", "/v1/auth/login", map[string]any{"username": "ada", "password": "wrong password"}, "", 401)
	login := call("POST", "/v1/auth/login", map[string]any{"username": "ada@example.com", "password": pw}, "", 200).Object(t)
	access2 := login["access_token"].(string)
	call("GET", "/v1/auth/me", nil, access, 200)
	call("GET", "/v1/auth/me", nil, "", 401)
	call("GET", "/v1/auth/me/profile", nil, access, 200)
	call("PUT", "/v1/auth/me/profile", map[string]any{"bio": "hi", "timezone": "Europe/Paris", "preferences": map[string]any{"theme": "dark"}, "locale": nil}, access, 200)
	call("PUT", "/v1/auth/me/profile", map[string]any{"timezone": "Mars/Olympus", "avatar_url": "ftp://x"}, access, 422)
	call("PUT", "/v1/auth/me/password", map[string]any{"current_password": "wrong password", "new_password": "another long passphrase"}, access, 400)
	ws := reg["user"].(map[string]any)["default_workspace_id"].(string)
	call("POST", "/v1/auth/switch-org", map[string]any{"org_id": ws}, access, 200)
	call("POST", "/v1/auth/switch-org", map[string]any{"org_id": "00000000-0000-0000-0000-000000000000"}, access, 403)
	rot := call("POST", "/v1/auth/refresh", map[string]any{"refresh_token": refresh}, "", 200).Object(t)
	call("POST", "/v1/auth/refresh", map[string]any{"refresh_token": "not a token"}, "", 401)
	verify := e.WaitMail("ada@example.com", "verify_email", 1)
	call("POST", "/v1/auth/verify-email", map[string]any{"token": verify.Token()}, "", 200)
	call("POST", "/v1/auth/verify-email", map[string]any{"token": verify.Token()}, "", 400)
	call("POST", "/v1/auth/resend-verification", map[string]any{"email": "ada@example.com"}, "", 200)
	call("POST", "/v1/auth/resend-verification", map[string]any{"email": "@"}, "", 422)
	call("POST", "/v1/auth/forgot-password", map[string]any{"email": "ada@example.com"}, "", 200)
	reset := e.WaitMail("ada@example.com", "reset_password", 1)
	call("POST", "/v1/auth/reset-password", map[string]any{"token": reset.Token(), "new_password": "short"}, "", 422)
	call("POST", "/v1/auth/reset-password", map[string]any{"token": reset.Token(), "new_password": "a brand new passphrase"}, "", 200)
	call("POST", "/v1/auth/reset-password", map[string]any{"token": reset.Token(), "new_password": "a brand new passphrase"}, "", 400)
	call("GET", "/v1/auth/invite-info?token=unknown", nil, "", 200)
	call("GET", "/v1/auth/invite-info", nil, "", 422)
	// The reset ended every session; a new login gets a fresh one.
	call("POST", "/v1/auth/logout", nil, access2, 401)
	fresh := call("POST", "/v1/auth/login", map[string]any{"username": "ada", "password": "a brand new passphrase"}, "", 200).Object(t)
	tok := fresh["access_token"].(string)
	call("PUT", "/v1/auth/me/password", map[string]any{"current_password": "a brand new passphrase", "new_password": "yet another passphrase"}, tok, 200)
	call("POST", "/v1/auth/logout", nil, tok, 200)
	_ = rot
	for range 20 {
		if r := e.Do("POST", "/v1/auth/login", map[string]any{"username": "ghost", "password": "whatever it is"}, ""); r.Status == 429 {
			break
		}
	}

	ct.mu.Lock()
	defer ct.mu.Unlock()
	for route := range rest.RouteTable() {
		if !slices.Contains(ct.seen[route], 200) {
			t.Errorf("%s: no success was checked against the document (%v)", route, ct.seen[route])
		}
	}
	if !slices.Contains(ct.seen["POST /v1/auth/login"], 429) {
		t.Errorf("no 429 was checked: %v", ct.seen["POST /v1/auth/login"])
	}
	t.Logf("checked: %s", fmt.Sprint(ct.seen))
}
