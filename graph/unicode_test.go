package graph_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"authbff/rest/apitest"
)

// Input the transports must agree on (issue 8 §6): invalid UTF-8 is a 400 BAD_REQUEST,
// a lone surrogate in a string is a validation entry naming the field, never a silent
// U+FFFD (two different passwords would otherwise become one); preferences and settings
// objects have one cap on depth and size.

// gqlRaw posts a raw GraphQL request body.
func gqlRaw(t *testing.T, e *apitest.Env, body, token string) (int, []apitest.GQLError, map[string]any) {
	t.Helper()
	r := e.Do(http.MethodPost, "/graphql", body, token)
	var out struct {
		Data   map[string]any
		Errors []apitest.GQLError
	}
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("%d %q: %v", r.Status, r.Body, err)
	}
	return r.Status, out.Errors, out.Data
}

// wantEntry checks a single VALIDATION_ERROR entry of the given type at loc.
func wantEntry(t *testing.T, errs []apitest.GQLError, typ string, loc []any, input any) {
	t.Helper()
	if len(errs) != 1 || errs[0].Code() != "VALIDATION_ERROR" {
		t.Fatalf("errors = %+v, want one VALIDATION_ERROR", errs)
	}
	details, _ := errs[0].Extensions["details"].([]any)
	if len(details) != 1 {
		t.Fatalf("details = %v", errs[0].Extensions["details"])
	}
	d, _ := details[0].(map[string]any)
	if d["type"] != typ || !reflect.DeepEqual(d["loc"], loc) || !reflect.DeepEqual(d["input"], input) {
		t.Errorf("entry = %v, want type %s loc %v input %v", d, typ, loc, input)
	}
	if typ == "string_unicode" && d["msg"] != "Input should be a valid string, unable to parse raw data as a unicode string" {
		t.Errorf("msg = %v", d["msg"])
	}
}

const loginDoc = `mutation($input: LoginInput!) { login(input: $input) { accessToken } }`

func TestGraphQLUnicode(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.WithoutMailer())
	a := e.Register("uni")
	t.Run("ErrInvalidUTF8InVariables", func(t *testing.T) {
		status, errs, _ := gqlRaw(t, e, `{"query":"`+loginDoc+`","variables":{"input":{"username":"uni","password":"p`+"\xff"+`assword1"}}}`, "")
		if status != http.StatusBadRequest || len(errs) != 1 || errs[0].Code() != "BAD_REQUEST" {
			t.Errorf("%d %+v, want 400 BAD_REQUEST", status, errs)
		}
	})
	t.Run("ErrInvalidUTF8InQuery", func(t *testing.T) {
		status, errs, _ := gqlRaw(t, e, "{\"query\":\"{ authConfig { allowRegistration } } # \xc3\"}", "")
		if status != http.StatusBadRequest || len(errs) != 1 || errs[0].Code() != "BAD_REQUEST" {
			t.Errorf("%d %+v, want 400 BAD_REQUEST", status, errs)
		}
	})
	t.Run("ErrLoneSurrogatePasswordVariable", func(t *testing.T) {
		status, errs, _ := gqlRaw(t, e, `{"query":"`+loginDoc+`","variables":{"input":{"username":"uni","password":"\ud800-`+a.Password[1:]+`"}}}`, "")
		if status != http.StatusOK {
			t.Errorf("status %d", status)
		}
		wantEntry(t, errs, "string_unicode", []any{"input", "password"}, "[redacted]")
	})
	t.Run("ErrLoneLowSurrogateInNestedVariable", func(t *testing.T) {
		_, errs, _ := gqlRaw(t, e, `{"query":"mutation($p: UpdateProfileInput!) { updateProfile(input: $p) { id } }",`+
			`"variables":{"p":{"bio":"ok","fullName":"Ada \udc00 L"}}}`, a.Access)
		wantEntry(t, errs, "string_unicode", []any{"p", "fullName"}, "Ada \uFFFD L")
	})
	t.Run("ErrLoneSurrogateInsidePreferences", func(t *testing.T) {
		_, errs, _ := gqlRaw(t, e, `{"query":"mutation($p: UpdateProfileInput!) { updateProfile(input: $p) { id } }",`+
			`"variables":{"p":{"preferences":{"themes":["dark","\ud83d"]}}}}`, a.Access)
		wantEntry(t, errs, "string_unicode", []any{"p", "preferences", "themes", float64(1)}, "\uFFFD")
	})
	t.Run("ErrLoneSurrogateInQueryText", func(t *testing.T) {
		status, errs, _ := gqlRaw(t, e, `{"query":"{ inviteInfo(token: \"a\ud800\") { valid } }"}`, "")
		if status != http.StatusBadRequest || len(errs) != 1 || errs[0].Code() != "BAD_REQUEST" {
			t.Errorf("%d %+v, want 400 BAD_REQUEST", status, errs)
		}
	})
	t.Run("ErrLoneSurrogateInlineLiteral", func(t *testing.T) {
		doc := `mutation { login(input: {username: "uni", password: "\ud800` + a.Password + `"}) { accessToken } }`
		raw, _ := json.Marshal(map[string]any{"query": doc})
		_, errs, _ := gqlRaw(t, e, string(raw), "")
		wantEntry(t, errs, "string_unicode", []any{"input", "password"}, "[redacted]")
	})
	t.Run("ErrLoneSurrogateInlineLiteralAfterNonASCII", func(t *testing.T) {
		doc := "query { a: inviteInfo(token: \"é😀\") { valid }\n  b: inviteInfo(token: \"x\\udfffy\") { valid } }"
		raw, _ := json.Marshal(map[string]any{"query": doc})
		_, errs, _ := gqlRaw(t, e, string(raw), "")
		wantEntry(t, errs, "string_unicode", []any{"token"}, "x\uFFFDy")
	})
	t.Run("OKPairedSurrogates", func(t *testing.T) {
		// A pair is one character: in a variable, in a literal, in a block string.
		_, errs, data := gqlRaw(t, e, `{"query":"mutation($p: UpdateProfileInput!) { updateProfile(input: $p) { fullName } }",`+
			`"variables":{"p":{"fullName":"Ada \ud83d\ude00"}}}`, a.Access)
		if len(errs) > 0 || data["updateProfile"].(map[string]any)["fullName"] != "Ada 😀" {
			t.Errorf("%+v %v", errs, data)
		}
		doc := `{ inviteInfo(token: "\ud83d\ude00 \u00e9 \\ud800") { valid } b: inviteInfo(token: """\ud800""") { valid } }`
		raw, _ := json.Marshal(map[string]any{"query": doc})
		_, errs, _ = gqlRaw(t, e, string(raw), "")
		if len(errs) > 0 {
			t.Errorf("%+v", errs)
		}
	})
	t.Run("ErrGETLoneSurrogateVariable", func(t *testing.T) {
		q := url.Values{"query": {`query($t: String!) { inviteInfo(token: $t) { valid } }`}, "variables": {`{"t":"\ud800"}`}}
		r := e.Do(http.MethodGet, "/graphql?"+q.Encode(), nil, "")
		var out struct{ Errors []apitest.GQLError }
		_ = json.Unmarshal(r.Body, &out)
		wantEntry(t, out.Errors, "string_unicode", []any{"t"}, "\uFFFD")
	})
	t.Run("ErrGETInvalidUTF8", func(t *testing.T) {
		r := e.Do(http.MethodGet, "/graphql?query=%7B%20__typename%20%7D%23%FF", nil, "")
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "BAD_REQUEST") {
			t.Errorf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("OKPasswordStillWorks", func(t *testing.T) {
		_, errs, data := gqlRaw(t, e, `{"query":"`+loginDoc+`","variables":{"input":{"username":"uni","password":"`+a.Password+`"}}}`, "")
		if len(errs) > 0 || data["login"] == nil {
			t.Errorf("%+v", errs)
		}
	})
}

func nested(depth int) string {
	return strings.Repeat(`{"a":`, depth-1) + `{}` + strings.Repeat(`}`, depth-1)
}

// TestObjectCaps: one cap on preferences/settings for both transports.
func TestObjectCaps(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.WithoutMailer())
	a := e.Register("caps")
	gql := func(t *testing.T, field, obj string) []apitest.GQLError {
		t.Helper()
		_, errs, _ := gqlRaw(t, e, `{"query":"mutation($p: UpdateProfileInput!) { updateProfile(input: $p) { id } }",`+
			`"variables":{"p":{"`+field+`":`+obj+`}}}`, a.Access)
		return errs
	}
	rest := func(t *testing.T, field, obj string) *apitest.Response {
		t.Helper()
		return e.Do(http.MethodPut, "/v1/auth/me/profile", `{"`+field+`":`+obj+`}`, a.Access)
	}
	big := `{"k":"` + strings.Repeat("x", 16<<10) + `"}`
	for _, c := range []struct {
		name, field, obj, reason string
	}{
		{"ErrTooDeep", "preferences", nested(21), "the object is nested more than 20 levels deep"},
		{"ErrNineThousandDeep", "settings", nested(9000), "the object is larger than 16384 bytes as JSON"},
		{"ErrTooLarge", "settings", big, "the object is larger than 16384 bytes as JSON"},
		{"ErrDeepArrays", "preferences", `{"a":` + strings.Repeat("[", 25) + strings.Repeat("]", 25) + `}`, "the object is nested more than 20 levels deep"},
	} {
		t.Run(c.name, func(t *testing.T) {
			errs := gql(t, c.field, c.obj)
			wantEntry(t, errs, "value_error", []any{"input", c.field}, nil)
			d := errs[0].Extensions["details"].([]any)[0].(map[string]any)
			if d["msg"] != "Value error, "+c.reason {
				t.Errorf("GraphQL msg = %v", d["msg"])
			}
			r := rest(t, c.field, c.obj)
			if c.name == "ErrNineThousandDeep" {
				// Deeper than the REST JSON decoder goes (500 levels): 400, as before.
				if r.Status != http.StatusBadRequest {
					t.Errorf("REST: %d %s", r.Status, r.Body)
				}
				return
			}
			want := `{"detail":[{"type":"value_error","loc":["body","` + c.field + `"],"msg":"Value error, ` + c.reason +
				`","input":null,"ctx":{"error":{}}}]}`
			if r.Status != http.StatusUnprocessableEntity || string(r.Body) != want {
				t.Errorf("REST: %d %s\nwant %s", r.Status, r.Body, want)
			}
		})
	}
	t.Run("OKAtTheLimits", func(t *testing.T) {
		if errs := gql(t, "preferences", nested(20)); len(errs) > 0 {
			t.Errorf("GraphQL: %+v", errs)
		}
		if r := rest(t, "settings", nested(20)); r.Status != http.StatusOK {
			t.Errorf("REST: %d %s", r.Status, r.Body)
		}
		if r := rest(t, "settings", `{"k":"`+strings.Repeat("x", 16<<10-10)+`"}`); r.Status != http.StatusOK {
			t.Errorf("REST: %d %s", r.Status, r.Body)
		}
	})
}
