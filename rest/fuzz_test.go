package rest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"authbff/rest/apitest"
)

// The fuzz targets drive the production handler in-process. Whatever the input, the
// answer must be a well-formed JSON answer with a status below 500: bad input gets a
// clear error, never a crash or an internal error.

var fuzzRoutes = []struct{ method, path string }{
	{http.MethodPost, "/v1/auth/register"},
	{http.MethodPost, "/v1/auth/login"},
	{http.MethodPost, "/v1/auth/refresh"},
	{http.MethodPost, "/v1/auth/verify-email"},
	{http.MethodPost, "/v1/auth/resend-verification"},
	{http.MethodPost, "/v1/auth/forgot-password"},
	{http.MethodPost, "/v1/auth/reset-password"},
	{http.MethodPost, "/v1/auth/switch-org"},
	{http.MethodPut, "/v1/auth/me/profile"},
	{http.MethodPut, "/v1/auth/me/password"},
	{http.MethodGet, "/v1/auth/invite-info"},
}

var fuzzContentTypes = []string{"application/json", "", "text/plain", "application/merge-patch+json", "application/json; charset=utf-8", "multipart/form-data"}

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body.Bytes())
	}
	if !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("answer is not JSON (status %d): %q", rec.Code, rec.Body.Bytes())
	}
}

// FuzzRESTBody feeds arbitrary bodies, content types and query strings to every route
// that reads input, signed in (so authenticated routes reach their body decoding).
func FuzzRESTBody(f *testing.F) {
	seeds := []string{
		`{"email":"a@example.com","username":"alice","password":"correct horse battery"}`,
		`{"username":"alice","password":"x"}`, `{"email": }`, `[1,2]`, `null`, `"text"`, `{"a":NaN}`,
		`{"email":1e400}`, `{"preferences":{"b":1,"a":[true,null]}}`, "{\"token\":\"\xff\"}", `{"org_id":"not-a-uuid"}`,
		`{"refresh_token":"` + strings.Repeat("a", 300) + `"}`, strings.Repeat("[", 600), `{"full_name":"\ud800"}`,
		`{"current_password":"a","new_password":"bbbbbbbbbbbb"}`, `{"timezone":"Europe/Paris","locale":"en-US","avatar_url":"https://x"}`,
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint8(i), uint8(i), "token=abc")
	}
	e := apitest.New(f, apitest.WithoutMailer())
	a := e.Register("fuzzer")
	h := e.Server.Config.Handler
	f.Fuzz(func(t *testing.T, body []byte, route, ct uint8, query string) {
		r := fuzzRoutes[int(route)%len(fuzzRoutes)]
		req := httptest.NewRequest(r.method, r.path, bytes.NewReader(body))
		req.URL.RawQuery = query
		if c := fuzzContentTypes[int(ct)%len(fuzzContentTypes)]; c != "" {
			req.Header.Set("Content-Type", c)
		}
		req.Header.Set("Authorization", "Bearer "+a.Access)
		checkAnswer(t, serve(h, req))
	})
}

// FuzzBearer feeds arbitrary Authorization headers to an authenticated route: only a
// genuine token may pass, anything else is a 401.
func FuzzBearer(f *testing.F) {
	e := apitest.New(f, apitest.WithoutMailer())
	a := e.Register("bearer")
	parts := strings.Split(a.Access, ".")
	for _, s := range []string{"Bearer " + a.Access, "Bearer", "bearer x.y.z", "Basic dXNlcjpwYXNz", a.Access,
		"Bearer " + parts[0] + "." + parts[1] + ".", "Bearer eyJhbGciOiJub25lIn0." + parts[1] + ".",
		"Bearer " + strings.Repeat("A", 5000), "Bearer ..", "Bearer \x00"} {
		f.Add(s)
	}
	h := e.Server.Config.Handler
	f.Fuzz(func(t *testing.T, header string) {
		req := httptest.NewRequest(http.MethodGet, "/v1/auth/me", nil)
		req.Header["Authorization"] = []string{header}
		rec := serve(h, req)
		checkAnswer(t, rec)
		if rec.Code == http.StatusOK {
			if f := strings.Fields(header); len(f) != 2 || !strings.EqualFold(f[0], "bearer") || f[1] != a.Access {
				t.Fatalf("header %q authenticated", header)
			}
		}
		if rec.Code != http.StatusOK && rec.Code != http.StatusUnauthorized {
			t.Fatalf("status %d for header %q", rec.Code, header)
		}
	})
}

// fragmentDAGSeed is a chain of n fragments each spreading the next twice.
func fragmentDAGSeed(n int) string {
	var b strings.Builder
	b.WriteString("query { ...F0 }\n")
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ... on Query { ...F%d } }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Query { __typename }\n", n)
	return b.String()
}

// FuzzGraphQL feeds arbitrary documents, variables and operation names to /graphql.
func FuzzGraphQL(f *testing.F) {
	for _, s := range [][2]string{
		{`{ me { id email } }`, `{}`},
		{`mutation($i: LoginInput!) { login(input: $i) { accessToken } }`, `{"i":{"username":"u","password":"p"}}`},
		{`mutation { register(input:{email:"x", username:"y", password:"z"}) { accessToken } }`, ``},
		{`query Q($t: String!) { inviteInfo(token: $t) { email valid } }`, `{"t": 5}`},
		{`{ __schema { types { name fields { name type { name ofType { name } } } } } }`, `null`},
		{`fragment F on Query { ...F } { ...F }`, `{}`},
		{strings.Repeat("{ me ", 200) + strings.Repeat("}", 200), `{}`},
		{`mutation($p: JSONObject) { updateProfile(input:{preferences:$p}) { id } }`, `{"p":[1]}`},
		{`{ auditEvents(first: -1, after: "!!") { nextCursor } }`, `{}`},
		// Costly shapes (issue 8 §1): a fragment DAG, a repeated field, repeated aliases,
		// directives, variables, nested inline fragments, deep nesting, a fragment cycle
		// under a field.
		{fragmentDAGSeed(8), `{}`},
		{"{ authConfig { " + strings.Repeat("allowRegistration ", 40) + "} }", `{}`},
		{"{ authConfig { a: allowRegistration a: allowRegistration b: allowRegistration } }", `{}`},
		{"{ authConfig { allowRegistration " + strings.Repeat("@include(if: true) ", 10) + "} }", `{}`},
		{`query($a: Boolean = true, $b: Boolean!) { authConfig { allowRegistration @skip(if: $a) @include(if: $b) } }`, `{"b": true}`},
		{strings.Repeat("{ ... on Query ", 12) + "{ __typename }" + strings.Repeat(" }", 12), `{}`},
		{strings.Repeat("[", 130) + strings.Repeat("]", 130), `{}`},
		{`{ me { ...U } } fragment U on User { id ...V } fragment V on User { ...U }`, `{}`},
		// Lone surrogates (issue 8 §6), in a literal and in a variable.
		{`{ inviteInfo(token: "a\ud800b") { valid } }`, `{}`},
		{`query($t: String!) { inviteInfo(token: $t) { valid } }`, `{"t":"\udc00"}`},
		{`mutation($p: JSONObject) { updateProfile(input:{preferences:$p}) { id } }`, `{"p":{"\ud800":["\ud83d\ude00"]}}`},
	} {
		f.Add(s[0], s[1], "")
	}
	e := apitest.New(f, apitest.WithoutMailer())
	a := e.Register("graphql")
	h := e.Server.Config.Handler
	f.Fuzz(func(t *testing.T, query, variables, opName string) {
		body := map[string]any{"query": query, "operationName": opName}
		if json.Valid([]byte(variables)) {
			body["variables"] = json.RawMessage(variables)
		}
		raw, err := json.Marshal(body)
		if err != nil {
			t.Skip()
		}
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+a.Access)
		rec := serve(h, req)
		checkAnswer(t, rec)
		if bytes.Contains(rec.Body.Bytes(), []byte(`"INTERNAL_SERVER_ERROR"`)) {
			t.Fatalf("internal error for %q: %s", query, rec.Body.Bytes())
		}
	})
}
