package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"authbff/graph/auth"
	"authbff/graph/auth/commonpw"
	"authbff/rest/apitest"
	"authbff/server"
)

// GraphQL hardening (issue 4): depth, complexity and parser token limits, switchable
// introspection and playground, GET for queries only, JSON as the only POST transport,
// bodies never echoed, and the password policy on every mutation that sets a password.

// hdGraphQL returns an option changing the GraphQL options of the router.
func hdGraphQL(f func(o *server.Options)) apitest.Option { return apitest.WithServer(f) }

// hdPost posts a GraphQL query (no variables).
func hdPost(e *apitest.Env, query, token string) *apitest.GQLResponse {
	return e.GraphQL(query, nil, token)
}

// hdRefused fails unless r has no data and exactly one error with code whose message
// contains msg; it returns the error.
func hdRefused(t testing.TB, r *apitest.GQLResponse, code, msg string) apitest.GQLError {
	t.Helper()
	if r.Status >= 500 {
		t.Fatalf("status %d: %s", r.Status, r.Raw)
	}
	if len(r.Errors) != 1 {
		t.Fatalf("want one error, got %s", r.Raw)
	}
	for k, v := range r.Data {
		if v != nil {
			t.Errorf("data.%s = %v, want nothing executed", k, v)
		}
	}
	g := r.Errors[0]
	if g.Code() != code || !strings.Contains(g.Message, msg) {
		t.Errorf("error = %q %q, want %s containing %q", g.Code(), g.Message, code, msg)
	}
	return g
}

// hdRegister creates an account over GraphQL selecting only the access token (cheap in
// depth and complexity) and returns it.
func hdRegister(t testing.TB, e *apitest.Env, username, password string) string {
	t.Helper()
	r := e.GraphQL(`mutation($input: RegisterInput!) { register(input: $input) { accessToken } }`,
		map[string]any{"input": map[string]any{"email": username + "@example.com", "username": username, "password": password}}, "")
	m, _ := data(t, r)["register"].(map[string]any)
	tok, _ := m["accessToken"].(string)
	if tok == "" {
		t.Fatalf("register %s: %s", username, r.Raw)
	}
	return tok
}

// hdUsers counts the accounts in the database.
func hdUsers(t testing.TB, e *apitest.Env) int {
	t.Helper()
	n, err := e.DB.User.Query().Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// hdNoErrorLogs fails if the service logged at error level (an unexpected failure).
func hdNoErrorLogs(t testing.TB, e *apitest.Env) {
	t.Helper()
	for _, r := range e.Logs.Records() {
		if r.Level >= slog.LevelError {
			t.Errorf("error logged: %s", r)
		}
	}
}

const hdPassword = "Violet-Kettle-Orbit-42"

func TestDepthLimit(t *testing.T) {
	t.Parallel()
	shallow := hdGraphQL(func(o *server.Options) { o.GraphQL.MaxDepth = 2 })
	cases := []struct {
		name, query string
	}{
		{"ErrNestedFields", `{ organizations { organization { id } } }`},
		{"ErrThroughFragments", `query { ...Q }
			fragment Q on Query { organizations { ...M } }
			fragment M on OrganizationMembership { organization { ...O } }
			fragment O on Organization { id }`},
		{"ErrThroughInlineFragments", `{ ... on Query { organizations { ... on OrganizationMembership { organization { id } } } } }`},
		{"ErrMutation", `mutation { createOrganization(name: "x") { organization { id } } }`},
		{"ErrDeepestOfSeveralBranches", `{ authConfig { allowRegistration } me { id } auditEvents { events { id } } }`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := apitest.New(t, shallow)
			hdRefused(t, hdPost(e, c.query, ""), "GRAPHQL_VALIDATION_FAILED", "Query is nested too deeply: depth 3 exceeds the limit of 2")
		})
	}
	t.Run("OKAtTheLimit", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, shallow)
		data(t, hdPost(e, `{ authConfig { allowRegistration } a: authConfig { ... on AuthConfig { allowRegistration } } }`, ""))
	})
	t.Run("ErrFragmentCycleRefusedNotHung", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, shallow)
		hdRefused(t, hdPost(e, `query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }`, ""),
			"GRAPHQL_VALIDATION_FAILED", "Cannot spread fragment")
	})
	t.Run("OKDefaultAllowsTheDeepestSchemaPath", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		tok := hdRegister(t, e, "deep", hdPassword)
		d := data(t, hdPost(e, `{ organizations { organization { id personal } } auditEvents { events { type } } }`, tok))
		if list, _ := d["organizations"].([]any); len(list) != 1 {
			t.Errorf("organizations = %v, want the personal workspace", d["organizations"])
		}
	})
}

func TestComplexityLimit(t *testing.T) {
	t.Parallel()
	tight := hdGraphQL(func(o *server.Options) { o.GraphQL.MaxComplexity = 5 })
	t.Run("ErrTooComplex", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, tight)
		// Twice: the second answer comes from the memo of the operation's complexity.
		for range 2 {
			hdRefused(t, hdPost(e, `{ me { id email username fullName authProvider isActive } }`, ""),
				"COMPLEXITY_LIMIT_EXCEEDED", "operation has complexity 7, which exceeds the limit of 5")
		}
		// With variables the complexity is computed each time (not memoized).
		for range 2 {
			hdRefused(t, hdPost(e, `query Q($a: Boolean = true) { me { id email username fullName authProvider isActive @include(if: $a) } }`, ""),
				"COMPLEXITY_LIMIT_EXCEEDED", "operation has complexity 7, which exceeds the limit of 5")
		}
	})
	t.Run("ErrAliasesAddUp", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, tight)
		hdRefused(t, hdPost(e, `{ a: authConfig { allowRegistration } b: authConfig { allowRegistration } c: authConfig { allowRegistration } }`, ""),
			"COMPLEXITY_LIMIT_EXCEEDED", "operation has complexity 6, which exceeds the limit of 5")
	})
	t.Run("OKAtTheLimit", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, tight)
		tok := hdRegister(t, e, "simple", hdPassword)
		for range 2 {
			d := data(t, hdPost(e, `{ me { id email username fullName } }`, tok))
			if m, _ := d["me"].(map[string]any); m["username"] != "simple" {
				t.Errorf("me = %v", d["me"])
			}
		}
	})
}

func TestParserTokenLimit(t *testing.T) {
	t.Parallel()
	t.Run("ErrHugeDocument", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		// 20,000 selections: more tokens than the default 15,000, less than the 1 MiB body cap.
		doc := "{ authConfig { " + strings.Repeat("allowRegistration ", 20000) + "} }"
		hdRefused(t, hdPost(e, doc, ""), "GRAPHQL_PARSE_FAILED", "exceeded token limit of 15000")
		hdNoErrorLogs(t, e)
	})
	t.Run("ErrConfiguredLimit", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, hdGraphQL(func(o *server.Options) { o.GraphQL.ParserTokenLimit = 50 }))
		doc := "{ authConfig { " + strings.Repeat("allowRegistration ", 60) + "} }"
		hdRefused(t, hdPost(e, doc, ""), "GRAPHQL_PARSE_FAILED", "exceeded token limit of 50")
		data(t, hdPost(e, `{ authConfig { allowRegistration } }`, ""))
	})
	t.Run("ErrBodyOverOneMiB", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		doc := "{ authConfig { " + strings.Repeat("allowRegistration ", 70000) + "} }"
		r := hdPost(e, doc, "")
		if r.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("status = %d, want 413", r.Status)
		}
		hdRefused(t, r, "PAYLOAD_TOO_LARGE", "")
	})
}

func TestIntrospectionSwitch(t *testing.T) {
	t.Parallel()
	off := hdGraphQL(func(o *server.Options) { o.GraphQL.Introspection = false })
	for _, q := range []struct{ name, query string }{
		{"ErrSchemaRefusedWhenOff", `{ __schema { types { name } } }`},
		{"ErrTypeRefusedWhenOff", `{ __type(name: "User") { fields { name } } }`},
	} {
		t.Run(q.name, func(t *testing.T) {
			t.Parallel()
			e := apitest.New(t, off)
			r := hdPost(e, q.query, "")
			if len(r.Errors) != 1 {
				t.Fatalf("want one error: %s", r.Raw)
			}
			for k, v := range r.Data {
				if v != nil {
					t.Errorf("data.%s = %v while introspection is off", k, v)
				}
			}
			// A refusal of client input, not a server failure: no INTERNAL_SERVER_ERROR
			// and nothing logged as an error.
			if c := r.Errors[0].Code(); c == "" || c == string(auth.CodeInternal) {
				t.Errorf("extensions.code = %q, want a client error code (GRAPHQL_VALIDATION_FAILED or FORBIDDEN): %s", c, r.Raw)
			}
			hdNoErrorLogs(t, e)
		})
	}
	t.Run("OKTypenameWhenOff", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, off)
		if d := data(t, hdPost(e, `{ __typename }`, "")); d["__typename"] != "Query" {
			t.Errorf("__typename = %v", d["__typename"])
		}
	})
	t.Run("OKSchemaWhenOn", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, hdGraphQL(func(o *server.Options) { o.GraphQL.Introspection = true }))
		d := data(t, hdPost(e, `{ __schema { types { name } } }`, ""))
		s, _ := d["__schema"].(map[string]any)
		if types, _ := s["types"].([]any); len(types) < 10 {
			t.Errorf("__schema.types = %v", s["types"])
		}
	})
}

func TestPlaygroundSwitch(t *testing.T) {
	t.Parallel()
	t.Run("ErrNotFoundWhenOff", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, hdGraphQL(func(o *server.Options) { o.Playground = false }))
		r := e.Do(http.MethodGet, "/playground", nil, "")
		if r.Status != http.StatusNotFound || !strings.Contains(string(r.Body), `"error":"NOT_FOUND"`) {
			t.Errorf("GET /playground = %d %s, want the 404 envelope", r.Status, r.Body)
		}
	})
	t.Run("OKServedWhenOn", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, hdGraphQL(func(o *server.Options) { o.Playground = true }))
		r := e.Do(http.MethodGet, "/playground", nil, "")
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Errorf("GET /playground = %d %q", r.Status, r.Header.Get("Content-Type"))
		}
	})
}

// hdGet sends a GraphQL GET request.
func hdGet(e *apitest.Env, params url.Values) *apitest.Response {
	return e.Do(http.MethodGet, "/graphql?"+params.Encode(), nil, "")
}

// hdErrorCode returns extensions.code of the only error of a raw GraphQL answer.
func hdErrorCode(t testing.TB, raw []byte) string {
	t.Helper()
	var resp struct {
		Errors []apitest.GQLError `json:"errors"`
		Data   json.RawMessage    `json:"data"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, raw)
	}
	if len(resp.Errors) != 1 {
		t.Fatalf("want one error: %s", raw)
	}
	if len(resp.Data) > 0 && string(resp.Data) != "null" {
		t.Errorf("data = %s, want none", resp.Data)
	}
	return resp.Errors[0].Code()
}

func TestGETForQueriesOnly(t *testing.T) {
	t.Parallel()
	const registerMutation = `mutation { register(input: {email: "get@example.com", username: "getter", password: "Violet-Kettle-Orbit-42"}) { accessToken } }`
	t.Run("OKQuery", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		r := hdGet(e, url.Values{"query": {`{ authConfig { allowRegistration } }`}})
		if r.Status != http.StatusOK || string(r.Body) != `{"data":{"authConfig":{"allowRegistration":true}}}` {
			t.Errorf("GET query = %d %s", r.Status, r.Body)
		}
	})
	for _, c := range []struct {
		name   string
		params url.Values
	}{
		{"ErrMutation", url.Values{"query": {registerMutation}}},
		{"ErrMutationChosenByOperationName", url.Values{
			"query":         {`query Q { authConfig { allowRegistration } } ` + strings.Replace(registerMutation, "mutation", "mutation M", 1)},
			"operationName": {"M"},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := apitest.New(t)
			r := hdGet(e, c.params)
			if r.Status != http.StatusMethodNotAllowed {
				t.Errorf("status = %d, want 405: %s", r.Status, r.Body)
			}
			if got := r.Header.Get("Allow"); got != http.MethodPost {
				t.Errorf("Allow = %q, want POST", got)
			}
			if code := hdErrorCode(t, r.Body); code != "METHOD_NOT_ALLOWED" {
				t.Errorf("extensions.code = %q, want METHOD_NOT_ALLOWED", code)
			}
			if n := hdUsers(t, e); n != 0 {
				t.Errorf("%d accounts after a GET mutation, want 0 (not executed)", n)
			}
		})
	}
}

func TestPOSTIsJSONOnly(t *testing.T) {
	t.Parallel()
	const secret = "Sup3r-Secret-Hunter2"
	mutation := `mutation { register(input: {email: "form@example.com", username: "former", password: "` + secret + `"}) { accessToken } }`
	operations, _ := json.Marshal(map[string]any{"query": mutation})

	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	_ = mw.WriteField("operations", string(operations))
	_ = mw.WriteField("map", "{}")
	_ = mw.Close()

	cases := []struct {
		name, contentType, body string
	}{
		{"ErrMultipart", mw.FormDataContentType(), mp.String()},
		{"ErrURLEncodedForm", "application/x-www-form-urlencoded", url.Values{"query": {mutation}}.Encode()},
		{"ErrTextPlain", "text/plain", string(operations)},
		{"ErrGraphQLMediaType", "application/graphql", mutation},
		{"ErrNoContentType", "", string(operations)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := apitest.New(t)
			r := e.Do(http.MethodPost, "/graphql", c.body, "", "Content-Type", c.contentType)
			if r.Status < 400 || r.Status >= 500 {
				t.Errorf("status = %d, want a 4xx refusal: %s", r.Status, r.Body)
			}
			if n := hdUsers(t, e); n != 0 {
				t.Errorf("%d accounts: the mutation ran", n)
			}
			if strings.Contains(string(r.Body), secret) {
				t.Errorf("the answer echoes the body: %s", r.Body)
			}
			// CONTRACT §5: every GraphQL error carries extensions.code, in a JSON answer.
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			if code := hdErrorCode(t, r.Body); code == "" {
				t.Errorf("error without extensions.code: %s", r.Body)
			}
		})
	}
}

func TestBodyNeverEchoed(t *testing.T) {
	t.Parallel()
	const secret = "Sup3r-Secret-Hunter2"
	cases := []struct {
		name, contentType, body string
		code                    string
	}{
		{"ErrTruncatedJSON", "application/json", `{"query":"mutation { login(input: {username: \"a\", password: \"` + secret, "BAD_REQUEST"},
		{"ErrNotAnObject", "application/json", `["` + secret + `"]`, "BAD_REQUEST"},
		{"ErrVariablesNotAnObject", "application/json", `{"query":"{ authConfig { allowRegistration } }","variables":"` + secret + `"}`, "BAD_REQUEST"},
		{"ErrQueryNotAString", "application/json", `{"query":{"password":"` + secret + `"}}`, "BAD_REQUEST"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := apitest.New(t)
			r := e.Do(http.MethodPost, "/graphql", c.body, "", "Content-Type", c.contentType)
			if r.Status != http.StatusBadRequest {
				t.Errorf("status = %d, want 400: %s", r.Status, r.Body)
			}
			if strings.Contains(string(r.Body), secret) {
				t.Errorf("the answer echoes the body: %s", r.Body)
			}
			if code := hdErrorCode(t, r.Body); code != c.code {
				t.Errorf("extensions.code = %q, want %s", code, c.code)
			}
			for _, rec := range e.Logs.Records() {
				if strings.Contains(rec.String(), secret) {
					t.Errorf("the log has the body: %s", rec)
				}
			}
		})
	}
	t.Run("ErrVariableOfWrongTypeNotEchoed", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		r := e.GraphQL(`mutation($input: LoginInput!) { login(input: $input) { accessToken } }`,
			map[string]any{"input": map[string]any{"username": "a", "password": map[string]any{"p": secret}}}, "")
		if len(r.Errors) != 1 || r.Errors[0].Code() != string(auth.CodeValidation) {
			t.Errorf("want one VALIDATION_ERROR: %s", r.Raw)
		}
		if strings.Contains(string(r.Raw), secret) {
			t.Errorf("the answer echoes the variable: %s", r.Raw)
		}
	})
}

// hdPolicyEntry is the VALIDATION_ERROR entry refusing the input field with reason.
func hdPolicyEntry(field, reason string) []any {
	return []any{map[string]any{"type": "value_error", "loc": []any{"input", field}, "msg": "Value error, " + reason,
		"input": "[redacted]", "ctx": map[string]any{"error": map[string]any{}}}}
}

// hdWantPolicy fails unless r is the one VALIDATION_ERROR refusing field with reason.
func hdWantPolicy(t testing.TB, r *apitest.GQLResponse, field, reason string) {
	t.Helper()
	g := hdRefused(t, r, string(auth.CodeValidation), auth.MsgValidation)
	got, _ := json.Marshal(g.Extensions["details"])
	want, _ := json.Marshal(hdPolicyEntry(field, reason))
	if string(got) != string(want) {
		t.Errorf("extensions.details:\n got  %s\n want %s", got, want)
	}
}

// The policy account: its username and e-mail local part differ, so each rule shows.
const (
	hdPolicyUser  = "Snoopy.Dog"
	hdPolicyEmail = "Dora.Explorer@example.com"
)

var hdPolicyCases = []struct{ name, password, reason string }{
	{"ErrCommon", "password123", commonpw.ReasonCommon},
	{"ErrCommonIgnoringCase", "PASSWORD123", commonpw.ReasonCommon},
	{"ErrEqualsUsernameIgnoringCase", "snoopy.DOG", commonpw.ReasonUsername},
	{"ErrEqualsEmailIgnoringCase", "dora.explorer@EXAMPLE.com", commonpw.ReasonEmail},
	{"ErrEqualsEmailLocalPartIgnoringCase", "DORA.explorer", commonpw.ReasonEmail},
}

const (
	hdRegisterOp = `mutation($input: RegisterInput!) { register(input: $input) { accessToken user { isVerified } } }`
	hdResetOp    = `mutation($input: ResetPasswordInput!) { resetPassword(input: $input) }`
	hdChangeOp   = `mutation($input: ChangePasswordInput!) { changePassword(input: $input) }`
)

func hdRegistration(password string, extra map[string]any) map[string]any {
	in := map[string]any{"email": hdPolicyEmail, "username": hdPolicyUser, "password": password}
	for k, v := range extra {
		in[k] = v
	}
	return map[string]any{"input": in}
}

func TestPasswordPolicyMutations(t *testing.T) {
	t.Parallel()
	if !commonpw.IsCommon("password123") {
		t.Fatal(`"password123" is not in the common-password list; pick another for these tests`)
	}
	t.Run("Register", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		for _, c := range hdPolicyCases {
			t.Run(c.name, func(t *testing.T) {
				hdWantPolicy(t, e.For(t).GraphQL(hdRegisterOp, hdRegistration(c.password, nil), ""), "password", c.reason)
			})
		}
		t.Run("OKStrongPassword", func(t *testing.T) {
			data(t, e.For(t).GraphQL(hdRegisterOp, hdRegistration(hdPassword, nil), ""))
		})
	})

	t.Run("RegisterWithInvite", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		owner := hdRegister(t, e, "owner", hdPassword)
		d := data(t, e.GraphQL(`mutation { createOrganization(name: "Peanuts") { organization { id } } }`, nil, owner))
		org := d["createOrganization"].(map[string]any)["organization"].(map[string]any)["id"]
		data(t, e.GraphQL(`mutation($org: ID!, $email: String!) { createInvite(orgId: $org, email: $email, role: MEMBER) { id } }`,
			map[string]any{"org": org, "email": hdPolicyEmail}, owner))
		token := e.WaitMail(hdPolicyEmail, "invite", 1).Token()
		withInvite := map[string]any{"inviteToken": token}
		for _, c := range hdPolicyCases {
			t.Run(c.name, func(t *testing.T) {
				hdWantPolicy(t, e.For(t).GraphQL(hdRegisterOp, hdRegistration(c.password, withInvite), ""), "password", c.reason)
			})
		}
		t.Run("OKStrongPassword", func(t *testing.T) {
			d := data(t, e.For(t).GraphQL(hdRegisterOp, hdRegistration(hdPassword, withInvite), ""))
			if u := d["register"].(map[string]any)["user"].(map[string]any); u["isVerified"] != true {
				t.Errorf("isVerified = %v, want true after an invitation", u["isVerified"])
			}
		})
	})

	t.Run("Reset", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		data(t, e.GraphQL(hdRegisterOp, hdRegistration(hdPassword, nil), ""))
		data(t, e.GraphQL(`mutation($email: String!) { forgotPassword(email: $email) }`, map[string]any{"email": hdPolicyEmail}, ""))
		token := e.WaitMail(hdPolicyEmail, "reset_password", 1).Token()
		reset := func(pw string) map[string]any {
			return map[string]any{"input": map[string]any{"token": token, "newPassword": pw}}
		}
		for _, c := range hdPolicyCases {
			t.Run(c.name, func(t *testing.T) {
				hdWantPolicy(t, e.For(t).GraphQL(hdResetOp, reset(c.password), ""), "newPassword", c.reason)
			})
		}
		t.Run("OKStrongPasswordWithTheSameToken", func(t *testing.T) {
			if d := data(t, e.For(t).GraphQL(hdResetOp, reset("Snoopy-Doghouse-7"), "")); d["resetPassword"] != true {
				t.Errorf("resetPassword = %v", d["resetPassword"])
			}
		})
	})

	t.Run("Change", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		d := data(t, e.GraphQL(hdRegisterOp, hdRegistration(hdPassword, nil), ""))
		tok := d["register"].(map[string]any)["accessToken"].(string)
		change := func(pw string) map[string]any {
			return map[string]any{"input": map[string]any{"currentPassword": hdPassword, "newPassword": pw}}
		}
		for _, c := range hdPolicyCases {
			t.Run(c.name, func(t *testing.T) {
				hdWantPolicy(t, e.For(t).GraphQL(hdChangeOp, change(c.password), tok), "newPassword", c.reason)
			})
		}
		t.Run("OKStrongPassword", func(t *testing.T) {
			if d := data(t, e.For(t).GraphQL(hdChangeOp, change("Snoopy-Doghouse-7"), tok)); d["changePassword"] != true {
				t.Errorf("changePassword = %v", d["changePassword"])
			}
		})
	})
}
