package graph_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"authbff/rest/apitest"
)

// userSelection selects every field of User, in schema order.
const userSelection = `id email username fullName authProvider isActive isVerified roles avatarUrl bio
	timezone locale preferences settings createdAt updatedAt lastLogin defaultWorkspaceId hasPassword`

// userKeys are the fields of User, for the exact key set of an answer.
var userKeys = []string{"id", "email", "username", "fullName", "authProvider", "isActive", "isVerified", "roles",
	"avatarUrl", "bio", "timezone", "locale", "preferences", "settings", "createdAt", "updatedAt", "lastLogin",
	"defaultWorkspaceId", "hasPassword"}

const (
	registerOp = `mutation Register($input: RegisterInput!) { register(input: $input) {
		accessToken refreshToken tokenType expiresIn user { ` + userSelection + ` } } }`
	loginOp = `mutation Login($input: LoginInput!) { login(input: $input) {
		accessToken refreshToken tokenType expiresIn user { ` + userSelection + ` } } }`
	meOp      = `query Me { me { ` + userSelection + ` } }`
	refreshOp = `mutation Refresh($refreshToken: String!) { refreshToken(refreshToken: $refreshToken) {
		accessToken refreshToken tokenType expiresIn } }`
	updateProfileOp = `mutation UpdateProfile($input: UpdateProfileInput!) { updateProfile(input: $input) { ` +
		userSelection + ` } }`
	changePasswordOp = `mutation ChangePassword($input: ChangePasswordInput!) { changePassword(input: $input) }`
	resetPasswordOp  = `mutation ResetPassword($input: ResetPasswordInput!) { resetPassword(input: $input) }`
	verifyEmailOp    = `mutation VerifyEmail($token: String!) { verifyEmail(token: $token) }`
	resendOp         = `mutation Resend($email: String!) { resendVerification(email: $email) }`
	forgotOp         = `mutation Forgot($email: String!) { forgotPassword(email: $email) }`
	switchOrgOp      = `mutation Switch($orgId: ID!) { switchOrg(orgId: $orgId) { accessToken tokenType expiresIn orgId } }`
	logoutOp         = `mutation { logout }`
)

// testPassword is the password every account of these tests starts with.
const testPassword = "correct horse battery staple"

// account is a user registered over GraphQL, with its first tokens and user object.
type account struct {
	ID, Email, Username, Password string
	Access, Refresh               string
	WorkspaceID                   string
	User                          map[string]any
}

// register creates an account over GraphQL and fails the test unless it succeeds.
func register(t testing.TB, e *apitest.Env, username string) *account {
	t.Helper()
	a := &account{Email: username + "@example.com", Username: username, Password: testPassword}
	r := e.For(t).GraphQL(registerOp, map[string]any{"input": map[string]any{
		"email": a.Email, "username": a.Username, "password": a.Password}}, "")
	p := obj(t, data(t, r)["register"])
	a.User = obj(t, p["user"])
	a.ID, _ = a.User["id"].(string)
	a.WorkspaceID, _ = a.User["defaultWorkspaceId"].(string)
	a.Access, _ = p["accessToken"].(string)
	a.Refresh, _ = p["refreshToken"].(string)
	if a.ID == "" || a.Access == "" || a.Refresh == "" {
		t.Fatalf("register %s: incomplete answer %s", username, r.Raw)
	}
	return a
}

// data fails the test unless r has data and no errors, and returns the data.
func data(t testing.TB, r *apitest.GQLResponse) map[string]any {
	t.Helper()
	if len(r.Errors) > 0 || r.Data == nil {
		t.Fatalf("want data without errors, got %d %s", r.Status, r.Raw)
	}
	return r.Data
}

// oneError fails the test unless r has exactly one error, with code, and no data for its
// root field; it returns the error.
func oneError(t testing.TB, r *apitest.GQLResponse, code string) apitest.GQLError {
	t.Helper()
	if len(r.Errors) != 1 {
		t.Fatalf("want one %s error, got %d %s", code, r.Status, r.Raw)
	}
	g := r.Errors[0]
	if g.Code() != code {
		t.Fatalf("extensions.code = %q, want %q: %s", g.Code(), code, r.Raw)
	}
	if _, ok := g.Extensions["details"]; !ok {
		t.Errorf("error has no extensions.details: %s", r.Raw)
	}
	for k, v := range r.Data {
		if v != nil {
			t.Errorf("data.%s = %v alongside the error, want null", k, v)
		}
	}
	return g
}

// wantError checks one error's code and message; details, when not nil, must equal
// extensions.details as JSON.
func wantError(t testing.TB, r *apitest.GQLResponse, code, msg string, details any) apitest.GQLError {
	t.Helper()
	g := oneError(t, r, code)
	if msg != "" && g.Message != msg {
		t.Errorf("message = %q, want %q", g.Message, msg)
	}
	if details != nil {
		jsonEqual(t, "extensions.details", g.Extensions["details"], details)
	}
	return g
}

// entries returns extensions.details of a VALIDATION_ERROR as a list of objects.
func entries(t testing.TB, g apitest.GQLError) []map[string]any {
	t.Helper()
	list, ok := g.Extensions["details"].([]any)
	if !ok {
		t.Fatalf("extensions.details is %T, want a list of entries: %v", g.Extensions["details"], g.Extensions)
	}
	out := make([]map[string]any, len(list))
	for i, x := range list {
		out[i] = obj(t, x)
	}
	return out
}

// obj asserts v is a JSON object.
func obj(t testing.TB, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("want a JSON object, got %T %v", v, v)
	}
	return m
}

// canon is v as canonical JSON (object keys sorted, numbers as written).
func canon(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %v: %v", v, err)
	}
	var x any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&x); err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(x)
	return string(b)
}

// jsonEqual compares got and want as JSON values.
func jsonEqual(t testing.TB, what string, got, want any) {
	t.Helper()
	if g, w := canon(t, got), canon(t, want); g != w {
		t.Errorf("%s:\n got  %s\n want %s", what, g, w)
	}
}

var (
	timestampRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)
	uuidRE      = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// timestamp checks a DateTime value (RFC 3339, UTC, microseconds, Z) lies within a
// minute of the service clock and returns it.
func timestamp(t testing.TB, e *apitest.Env, field string, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	if !timestampRE.MatchString(s) {
		t.Fatalf("%s = %v, want UTC RFC 3339 with microseconds and Z", field, v)
	}
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("%s = %q: %v", field, s, err)
	}
	if now := e.Clock.Now(); ts.Before(now.Add(-time.Minute)) || ts.After(now.Add(time.Second)) {
		t.Errorf("%s = %s, want about now (%s)", field, s, now.UTC().Format(time.RFC3339Nano))
	}
	return ts
}

// aTimestamp in a wanted user says the field must hold a current timestamp.
const aTimestamp = "<timestamp>"

// checkUser compares a User answer with want: exactly userKeys; createdAt and updatedAt
// must be current timestamps, and so must any field want sets to aTimestamp; lastLogin
// is not compared when want lacks it; every other field equals want's.
func checkUser(t testing.TB, e *apitest.Env, got map[string]any, want map[string]any) {
	t.Helper()
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	wantKeys := slices.Clone(userKeys)
	slices.Sort(wantKeys)
	if !slices.Equal(keys, wantKeys) {
		t.Errorf("user keys = %v, want %v", keys, wantKeys)
	}
	if id, _ := got["id"].(string); !uuidRE.MatchString(id) {
		t.Errorf("id = %v, want a UUID", got["id"])
	}
	timestamp(t, e, "createdAt", got["createdAt"])
	timestamp(t, e, "updatedAt", got["updatedAt"])
	g, w := map[string]any{}, map[string]any{}
	for k, v := range want {
		if v == aTimestamp {
			timestamp(t, e, k, got[k])
			continue
		}
		g[k], w[k] = got[k], v
	}
	jsonEqual(t, "user", g, w)
}

// freshUser is the User of an account just registered with username (no full name).
func freshUser(a *account) map[string]any {
	return map[string]any{
		"id": a.ID, "email": a.Email, "username": a.Username, "fullName": nil, "authProvider": "local",
		"isActive": true, "isVerified": false, "roles": []any{"user"}, "avatarUrl": nil, "bio": nil,
		"timezone": nil, "locale": nil, "preferences": map[string]any{}, "settings": map[string]any{},
		"defaultWorkspaceId": a.WorkspaceID, "hasPassword": true,
	}
}

// restError checks a REST error envelope: status, error code and message (if not empty),
// status_code and the timestamp's shape; it returns the envelope.
func restError(t testing.TB, r *apitest.Response, status int, code, msg string) map[string]any {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d: %s", r.Status, status, r.Body)
	}
	m := r.Object(t)
	if m["error"] != code {
		t.Errorf("error = %v, want %s", m["error"], code)
	}
	if msg != "" && m["message"] != msg {
		t.Errorf("message = %v, want %q", m["message"], msg)
	}
	if m["status_code"] != json.Number(itoa(status)) {
		t.Errorf("status_code = %v, want %d", m["status_code"], status)
	}
	if _, ok := m["details"].(map[string]any); !ok {
		t.Errorf("details = %v, want an object", m["details"])
	}
	if status == http.StatusUnauthorized && r.Header.Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("WWW-Authenticate = %q, want Bearer", r.Header.Get("WWW-Authenticate"))
	}
	return m
}

// rest422 checks a FastAPI-style 422 and returns its entries.
func rest422(t testing.TB, r *apitest.Response) []map[string]any {
	t.Helper()
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status = %d, want 422: %s", r.Status, r.Body)
	}
	list, ok := r.Object(t)["detail"].([]any)
	if !ok {
		t.Fatalf("422 without a detail list: %s", r.Body)
	}
	out := make([]map[string]any, len(list))
	for i, x := range list {
		out[i] = obj(t, x)
	}
	return out
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// camel is the GraphQL name of a REST body key (new_password → newPassword).
func camel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}
