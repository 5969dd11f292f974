package rest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"authbff/rest/apitest"
)

// userKeys are the reference's user object keys, in its order.
var userKeys = []string{
	"user_id", "email", "username", "full_name", "auth_provider", "is_active", "is_verified", "roles",
	"avatar_url", "bio", "timezone", "locale", "preferences", "settings", "created_at", "updated_at",
	"last_login", "default_workspace_id",
}

// profileKeys are the user keys plus has_password, in the reference's order.
var profileKeys = append(slices.Clone(userKeys), "has_password")

// authKeys are the keys of register and login answers; refreshKeys those of refresh;
// switchKeys those of switch-org; envelopeKeys those of every non-422 error.
var (
	authKeys     = []string{"access_token", "refresh_token", "token_type", "expires_in", "user"}
	refreshKeys  = []string{"access_token", "refresh_token", "token_type", "expires_in"}
	switchKeys   = []string{"access_token", "token_type", "expires_in", "org_id"}
	envelopeKeys = []string{"error", "message", "details", "timestamp", "status_code"}
)

var (
	uuidRE      = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	rfc3339ZRE  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$`)
	envelopeRE  = regexp.MustCompile(`^\{"error":("[A-Z_]+"),"message":("(?:[^"\\]|\\.)*"),"details":(\{.*\}),"timestamp":"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6})","status_code":(\d+)\}$`)
	timestampRE = regexp.MustCompile(`"timestamp":"[^"]*"`)
)

// Route paths.
const (
	pConfig     = "/v1/auth/config"
	pInviteInfo = "/v1/auth/invite-info"
	pMe         = "/v1/auth/me"
	pRegister   = "/v1/auth/register"
	pLogin      = "/v1/auth/login"
	pLogout     = "/v1/auth/logout"
	pVerify     = "/v1/auth/verify-email"
	pResend     = "/v1/auth/resend-verification"
	pRefresh    = "/v1/auth/refresh"
	pSwitchOrg  = "/v1/auth/switch-org"
	pForgot     = "/v1/auth/forgot-password"
	pReset      = "/v1/auth/reset-password"
	pProfile    = "/v1/auth/me/profile"
	pPassword   = "/v1/auth/me/password"
)

// obj is a JSON object body for Env.Do.
type obj = map[string]any

// objectKeys returns the keys of the JSON object raw, in the order they appear (the
// order a client that keeps it, such as Python's dict, would see).
func objectKeys(t testing.TB, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", raw)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatalf("reading key: %v: %s", err, raw)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("reading value of %q: %v: %s", k, err, raw)
		}
	}
	if _, err := dec.Token(); err != nil {
		t.Fatalf("unterminated object: %v: %s", err, raw)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		t.Fatalf("trailing data after the object: %s", raw)
	}
	return keys
}

// members returns the raw values of the JSON object raw by key.
func members(t testing.TB, raw []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, raw)
	}
	return m
}

// member returns the raw value of key in the JSON object raw (failing if absent).
func member(t testing.TB, raw []byte, key string) []byte {
	t.Helper()
	v, ok := members(t, raw)[key]
	if !ok {
		t.Fatalf("no key %q in %s", key, raw)
	}
	return v
}

// str returns the string value of key in the JSON object raw (failing if not a string).
func str(t testing.TB, raw []byte, key string) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(member(t, raw, key), &s); err != nil {
		t.Fatalf("%q is not a string: %s", key, raw)
	}
	return s
}

// wantKeys fails unless the JSON object raw has exactly keys, in that order.
func wantKeys(t testing.TB, raw []byte, keys ...string) {
	t.Helper()
	if got := objectKeys(t, raw); !slices.Equal(got, keys) {
		t.Errorf("keys:\n got %q\nwant %q\nbody %s", got, keys, raw)
	}
}

// wantJSONContent fails unless the response is declared JSON.
func wantJSONContent(t testing.TB, r *apitest.Response) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
}

// wantOK fails unless r is a 200 JSON answer, and returns its body.
func wantOK(t testing.TB, r *apitest.Response) []byte {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("status = %d, want 200: %s", r.Status, r.Body)
	}
	wantJSONContent(t, r)
	return r.Body
}

// wantNull fails unless r is a 200 whose body is the JSON literal null.
func wantNull(t testing.TB, r *apitest.Response) {
	t.Helper()
	wantOK(t, r)
	if string(r.Body) != "null" {
		t.Errorf("body = %s, want null", r.Body)
	}
}

// wantBody fails unless r has status and exactly body.
func wantBody(t testing.TB, r *apitest.Response, status int, body string) {
	t.Helper()
	if r.Status != status || string(r.Body) != body {
		t.Errorf("got %d %s\nwant %d %s", r.Status, r.Body, status, body)
	}
	wantJSONContent(t, r)
}

// want422 fails unless r is a 422 with exactly body.
func want422(t testing.TB, r *apitest.Response, body string) {
	t.Helper()
	wantBody(t, r, http.StatusUnprocessableEntity, body)
}

// envelope is a parsed error envelope.
type envelope struct {
	Code, Message string
	Details       string // compact JSON
	Timestamp     time.Time
	StatusCode    int
}

// wantError fails unless r is the error envelope, byte for byte in the contract's shape
// ({"error","message","details","timestamp","status_code"}, compact), with status,
// code, and (when message is not empty) message and details (compact JSON; "" for {}).
// A 401 must carry WWW-Authenticate: Bearer.
func wantError(t testing.TB, r *apitest.Response, status int, code, message, details string) envelope {
	t.Helper()
	if r.Status != status {
		t.Errorf("status = %d, want %d: %s", r.Status, status, r.Body)
	}
	wantJSONContent(t, r)
	wantKeys(t, r.Body, envelopeKeys...)
	m := envelopeRE.FindSubmatch(r.Body)
	if m == nil {
		t.Fatalf("not a compact error envelope: %s", r.Body)
	}
	var env envelope
	if err := json.Unmarshal(m[1], &env.Code); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(m[2], &env.Message); err != nil {
		t.Fatal(err)
	}
	env.Details = string(m[3])
	ts, err := time.Parse("2006-01-02T15:04:05.000000", string(m[4]))
	if err != nil {
		t.Errorf("timestamp %q: %v", m[4], err)
	}
	env.Timestamp = ts
	env.StatusCode, _ = strconv.Atoi(string(m[5]))
	if env.Code != code {
		t.Errorf("error = %q, want %q: %s", env.Code, code, r.Body)
	}
	if env.StatusCode != r.Status {
		t.Errorf("status_code = %d, HTTP status %d", env.StatusCode, r.Status)
	}
	if message != "" && env.Message != message {
		t.Errorf("message = %q, want %q", env.Message, message)
	}
	if env.Message == "" {
		t.Errorf("empty message: %s", r.Body)
	}
	if details == "" {
		details = "{}"
	}
	if env.Details != details {
		t.Errorf("details = %s, want %s", env.Details, details)
	}
	if status == http.StatusUnauthorized {
		if got := r.Header.Get("WWW-Authenticate"); got != "Bearer" {
			t.Errorf("WWW-Authenticate = %q, want Bearer", got)
		}
	}
	return env
}

// wantUnauthorized fails unless r is a 401 AUTHENTICATION_FAILED envelope.
func wantUnauthorized(t testing.TB, r *apitest.Response) {
	t.Helper()
	wantError(t, r, http.StatusUnauthorized, "AUTHENTICATION_FAILED", "", "")
}

// withoutTimestamp blanks the envelope's timestamp, to compare two envelopes.
func withoutTimestamp(b []byte) string {
	return timestampRE.ReplaceAllString(string(b), `"timestamp":""`)
}

// userWant are the values of a user object a test knows in advance.
type userWant struct {
	email, username string
	verified        bool
	loggedIn        bool // last_login set
}

// wantUser checks a user object (the 18 keys, in order) or, with profile, the profile
// (plus has_password), and returns its members.
func wantUser(t testing.TB, raw []byte, w userWant, profile bool) map[string]json.RawMessage {
	t.Helper()
	if profile {
		wantKeys(t, raw, profileKeys...)
	} else {
		wantKeys(t, raw, userKeys...)
	}
	m := members(t, raw)
	exact := map[string]string{
		"email":         strconv.Quote(w.email),
		"username":      strconv.Quote(w.username),
		"auth_provider": `"local"`,
		"is_active":     "true",
		"is_verified":   strconv.FormatBool(w.verified),
		"roles":         `["user"]`,
	}
	if profile {
		exact["has_password"] = "true"
	}
	for k, v := range exact {
		if string(m[k]) != v {
			t.Errorf("%s = %s, want %s", k, m[k], v)
		}
	}
	for _, k := range []string{"preferences", "settings"} {
		if !bytes.HasPrefix(m[k], []byte("{")) {
			t.Errorf("%s = %s, want an object", k, m[k])
		}
	}
	for _, k := range []string{"user_id", "default_workspace_id"} {
		if s := unquote(t, m[k]); !uuidRE.MatchString(s) {
			t.Errorf("%s = %s, want a UUID", k, m[k])
		}
	}
	stamps := []string{"created_at", "updated_at"}
	if w.loggedIn {
		stamps = append(stamps, "last_login")
	}
	for _, k := range stamps {
		if s := unquote(t, m[k]); !rfc3339ZRE.MatchString(s) {
			t.Errorf("%s = %s, want RFC 3339 UTC with Z", k, m[k])
		}
	}
	if !w.loggedIn && string(m["last_login"]) != "null" && !rfc3339ZRE.MatchString(unquote(t, m["last_login"])) {
		t.Errorf("last_login = %s, want null or an RFC 3339 UTC time", m["last_login"])
	}
	return m
}

// unquote decodes a JSON string value ("" for anything else).
func unquote(t testing.TB, raw json.RawMessage) string {
	t.Helper()
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

// wantTokens checks the token part of an answer (register, login, refresh).
func wantTokens(t testing.TB, raw []byte, refresh bool) {
	t.Helper()
	m := members(t, raw)
	if string(m["token_type"]) != `"bearer"` {
		t.Errorf("token_type = %s, want \"bearer\"", m["token_type"])
	}
	if string(m["expires_in"]) != "900" {
		t.Errorf("expires_in = %s, want 900", m["expires_in"])
	}
	if at := unquote(t, m["access_token"]); strings.Count(at, ".") != 2 {
		t.Errorf("access_token = %s, want a JWT", m["access_token"])
	}
	if refresh {
		if rt := unquote(t, m["refresh_token"]); len(rt) < 43 {
			t.Errorf("refresh_token = %s, want at least 256 bits", m["refresh_token"])
		}
	}
}

// register creates an account with the given e-mail and username over REST.
func register(t testing.TB, e *apitest.Env, email, username, password string) []byte {
	t.Helper()
	r := e.Do(http.MethodPost, pRegister, obj{"email": email, "username": username, "password": password}, "")
	return wantOK(t, r)
}

// mustDo sends a request and fails unless it answers 200; it returns the body.
func mustDo(t testing.TB, e *apitest.Env, method, path string, body any, token string) []byte {
	t.Helper()
	return wantOK(t, e.Do(method, path, body, token))
}

// rawRequest sends a request whose body is read from rd (chunked when rd is not a
// bytes or strings reader), with the given headers.
func rawRequest(t testing.TB, e *apitest.Env, method, path string, rd io.Reader, header ...string) *apitest.Response {
	t.Helper()
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.Server.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &apitest.Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}
