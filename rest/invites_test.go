package rest_test

// Invitations over the legacy REST routes (issue 3; CONTRACT §4 register with invite_token,
// GET /v1/auth/invite-info, POST /v1/auth/switch-org, refresh). Invitations themselves are
// GraphQL-only (createInvite), so the tests make them there. Every identifier of this file
// starts with iv so that it cannot collide with the helpers of other files.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"authbff/graph/auth"
	"authbff/rest/apitest"
)

const ivFrontend = "https://spa.example.test"

const (
	ivCreateOrgOp    = `mutation($name: String!) { createOrganization(name: $name) { organization { id } } }`
	ivCreateInviteOp = `mutation($orgId: ID!, $email: String!, $role: OrgRole!) {
		createInvite(orgId: $orgId, email: $email, role: $role) { id email role } }`
	ivRevokeInviteOp  = `mutation($id: ID!) { revokeInvite(id: $id) }`
	ivInvitesOp       = `query($orgId: ID!) { invites(orgId: $orgId) { id email role invitedBy } }`
	ivOrganizationsOp = `query { organizations { organization { id personal } role active } }`
)

const ivInvalidInfo = `{"email":null,"valid":false}`

// ivEnv starts a service with a known front-end URL.
func ivEnv(t *testing.T, opts ...apitest.Option) *apitest.Env {
	t.Helper()
	base := apitest.WithConfig(func(c *auth.Config) { c.FrontendURL = ivFrontend })
	return apitest.New(t, append([]apitest.Option{base}, opts...)...)
}

// ivGQL runs a GraphQL operation and fails unless it answers data without errors.
func ivGQL(t testing.TB, e *apitest.Env, query string, vars map[string]any, token string) map[string]any {
	t.Helper()
	r := e.For(t).GraphQL(query, vars, token)
	if len(r.Errors) > 0 || r.Data == nil {
		t.Fatalf("GraphQL: want data without errors, got %d %s", r.Status, r.Raw)
	}
	return r.Data
}

// ivGQLError runs a GraphQL operation and fails unless it answers one error with code;
// it returns extensions.details.
func ivGQLError(t testing.TB, e *apitest.Env, query string, vars map[string]any, token, code string) map[string]any {
	t.Helper()
	r := e.For(t).GraphQL(query, vars, token)
	if len(r.Errors) != 1 || r.Errors[0].Code() != code {
		t.Fatalf("GraphQL: want one %s error, got %d %s", code, r.Status, r.Raw)
	}
	d, _ := r.Errors[0].Extensions["details"].(map[string]any)
	return d
}

// ivCreateOrg creates an organization owned by token's user and returns its id.
func ivCreateOrg(t testing.TB, e *apitest.Env, token, name string) string {
	t.Helper()
	d := ivGQL(t, e, ivCreateOrgOp, map[string]any{"name": name}, token)
	id, _ := d["createOrganization"].(map[string]any)["organization"].(map[string]any)["id"].(string)
	if id == "" {
		t.Fatalf("createOrganization: no id in %v", d)
	}
	return id
}

// ivInvite invites email into org and returns the invite id and the token of the n-th
// invitation mail to that address.
func ivInvite(t testing.TB, e *apitest.Env, token, org, email, role string, n int) (id, tok string) {
	t.Helper()
	d := ivGQL(t, e, ivCreateInviteOp, map[string]any{"orgId": org, "email": email, "role": role}, token)
	id, _ = d["createInvite"].(map[string]any)["id"].(string)
	tok = e.For(t).WaitMail(email, "invite", n).Token()
	if id == "" || tok == "" {
		t.Fatalf("invite %s: id %q, mailed token %q", email, id, tok)
	}
	return id, tok
}

// ivInfo calls GET /v1/auth/invite-info and returns the body, failing unless 200 JSON.
func ivInfo(t testing.TB, e *apitest.Env, tok string) string {
	t.Helper()
	r := e.For(t).Do(http.MethodGet, "/v1/auth/invite-info?token="+url.QueryEscape(tok), nil, "")
	if r.Status != http.StatusOK {
		t.Fatalf("invite-info: %d %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("invite-info Content-Type = %q, want application/json", ct)
	}
	return string(r.Body)
}

// ivValidInfo is the exact invite-info answer for a pending invite to email.
func ivValidInfo(email string) string { return `{"email":"` + email + `","valid":true}` }

// ivRegister posts /v1/auth/register with an invite token.
func ivRegister(t testing.TB, e *apitest.Env, email, username, tok string) *apitest.Response {
	t.Helper()
	return e.For(t).Do(http.MethodPost, "/v1/auth/register", map[string]any{"email": email, "username": username,
		"password": "a long enough secret", "invite_token": tok}, "")
}

// ivObject decodes a JSON object body, failing unless status matches.
func ivObject(t testing.TB, r *apitest.Response, status int) map[string]any {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d: %s", r.Status, status, r.Body)
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

// ivEnvelope checks an error envelope's status, code and message and returns it.
func ivEnvelope(t testing.TB, r *apitest.Response, status int, code, msg string) map[string]any {
	t.Helper()
	m := ivObject(t, r, status)
	if m["error"] != code || (msg != "" && m["message"] != msg) {
		t.Errorf("envelope = %s, want error %s message %q", r.Body, code, msg)
	}
	if _, ok := m["details"].(map[string]any); !ok {
		t.Errorf("details = %v, want an object", m["details"])
	}
	return m
}

var ivTimestampRE = regexp.MustCompile(`"timestamp":"[^"]*"`)

// ivWithoutTimestamp is an envelope's body with its timestamp blanked.
func ivWithoutTimestamp(b []byte) string {
	return ivTimestampRE.ReplaceAllString(string(b), `"timestamp":"…"`)
}

// ivKeys lists the top-level keys of a JSON object body in order.
func ivKeys(t testing.TB, body []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", body)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// ivOrgClaim decodes an access token's payload and returns its org claim.
func ivOrgClaim(t testing.TB, tok string) any {
	t.Helper()
	return apitest.Claims(t, tok)["org"]
}

// ivRole returns the caller's role in org over GraphQL ("" when not a member).
func ivRole(t testing.TB, e *apitest.Env, access, org string) string {
	t.Helper()
	list, _ := ivGQL(t, e, ivOrganizationsOp, nil, access)["organizations"].([]any)
	for _, x := range list {
		m := x.(map[string]any)
		if m["organization"].(map[string]any)["id"] == org {
			return m["role"].(string)
		}
	}
	return ""
}

func TestInviteInfoRESTExactAnswers(t *testing.T) {
	t.Parallel()
	e := ivEnv(t)
	owner := e.For(t).Register("ivinfoowner")
	org := ivCreateOrg(t, e, owner.Access, "Info")
	t.Run("pending invite is valid with its address", func(t *testing.T) {
		t.Parallel()
		_, tok := ivInvite(t, e, owner.Access, org, "ivpending@example.com", "MEMBER", 1)
		if got := ivInfo(t, e, tok); got != ivValidInfo("ivpending@example.com") {
			t.Errorf("invite-info = %s", got)
		}
	})
	t.Run("unknown token is invalid", func(t *testing.T) {
		t.Parallel()
		if got := ivInfo(t, e, "no-such-invite"); got != ivInvalidInfo {
			t.Errorf("invite-info = %s, want %s", got, ivInvalidInfo)
		}
	})
	t.Run("used invite is invalid", func(t *testing.T) {
		t.Parallel()
		_, tok := ivInvite(t, e, owner.Access, org, "ivused@example.com", "MEMBER", 1)
		ivObject(t, ivRegister(t, e, "ivused@example.com", "ivused", tok), http.StatusOK)
		if got := ivInfo(t, e, tok); got != ivInvalidInfo {
			t.Errorf("invite-info = %s, want %s", got, ivInvalidInfo)
		}
	})
	t.Run("revoked invite is invalid", func(t *testing.T) {
		t.Parallel()
		id, tok := ivInvite(t, e, owner.Access, org, "ivrevoked@example.com", "MEMBER", 1)
		ivGQL(t, e, ivRevokeInviteOp, map[string]any{"id": id}, owner.Access)
		if got := ivInfo(t, e, tok); got != ivInvalidInfo {
			t.Errorf("invite-info = %s, want %s", got, ivInvalidInfo)
		}
	})
	t.Run("expired invite is invalid", func(t *testing.T) {
		t.Parallel()
		e := ivEnv(t) // own clock
		o := e.For(t).Register("ivexpowner")
		org := ivCreateOrg(t, e, o.Access, "Expiring")
		_, tok := ivInvite(t, e, o.Access, org, "ivlate@example.com", "MEMBER", 1)
		e.Clock.Advance(7*24*time.Hour + time.Minute)
		if got := ivInfo(t, e, tok); got != ivInvalidInfo {
			t.Errorf("invite-info after 7 days + 1 min = %s, want %s", got, ivInvalidInfo)
		}
	})
	t.Run("empty token is invalid", func(t *testing.T) {
		t.Parallel()
		r := e.For(t).Do(http.MethodGet, "/v1/auth/invite-info?token=", nil, "")
		if r.Status != http.StatusOK || string(r.Body) != ivInvalidInfo {
			t.Errorf("invite-info?token= = %d %s, want 200 %s", r.Status, r.Body, ivInvalidInfo)
		}
	})
	t.Run("missing token is a 422 on the query parameter", func(t *testing.T) {
		t.Parallel()
		r := e.For(t).Do(http.MethodGet, "/v1/auth/invite-info", nil, "")
		m := ivObject(t, r, http.StatusUnprocessableEntity)
		list, _ := m["detail"].([]any)
		if len(list) != 1 {
			t.Fatalf("detail = %s, want one entry", r.Body)
		}
		if loc, _ := json.Marshal(list[0].(map[string]any)["loc"]); string(loc) != `["query","token"]` {
			t.Errorf("loc = %s, want [\"query\",\"token\"]", loc)
		}
	})
}

func TestRegisterRESTWithInviteToken(t *testing.T) {
	t.Parallel()
	e := ivEnv(t)
	owner := e.For(t).Register("ivregowner")
	org := ivCreateOrg(t, e, owner.Access, "Joinable")
	t.Run("matching address joins with invited role and is verified", func(t *testing.T) {
		t.Parallel()
		_, tok := ivInvite(t, e, owner.Access, org, "IvJoiner@example.com", "ADMIN", 1)
		r := ivRegister(t, e, "ivjoiner@EXAMPLE.COM", "ivjoiner", tok)
		m := ivObject(t, r, http.StatusOK)
		user, _ := m["user"].(map[string]any)
		if user["is_verified"] != true {
			t.Errorf("user.is_verified = %v, want true", user["is_verified"])
		}
		access, _ := m["access_token"].(string)
		if got := ivOrgClaim(t, access); got != user["default_workspace_id"] {
			t.Errorf("org claim = %v, want the personal workspace %v", got, user["default_workspace_id"])
		}
		if role := ivRole(t, e, access, org); role != "ADMIN" {
			t.Errorf("role in the inviting organization = %q, want ADMIN", role)
		}
		if got := ivInfo(t, e, tok); got != ivInvalidInfo {
			t.Errorf("invite-info after use = %s, want %s", got, ivInvalidInfo)
		}
		ivEnvelope(t, ivRegister(t, e, "ivjoiner2@example.com", "ivjoiner2", tok), http.StatusBadRequest, "INVALID_TOKEN", "")
	})
	t.Run("consumed invite cannot register the same address again", func(t *testing.T) {
		t.Parallel()
		_, tok := ivInvite(t, e, owner.Access, org, "ivonce@example.com", "MEMBER", 1)
		ivObject(t, ivRegister(t, e, "ivonce@example.com", "ivonce", tok), http.StatusOK)
		r := ivRegister(t, e, "ivonce@example.com", "ivonce2", tok)
		if r.Status != http.StatusBadRequest && r.Status != http.StatusConflict {
			t.Errorf("second registration with a used invite = %d %s, want 400 INVALID_TOKEN or 409", r.Status, r.Body)
		}
	})
	t.Run("different address is 400 invalid token and the invite stays usable", func(t *testing.T) {
		t.Parallel()
		_, tok := ivInvite(t, e, owner.Access, org, "ivright@example.com", "MEMBER", 1)
		ivEnvelope(t, ivRegister(t, e, "ivwrong@example.com", "ivwrong", tok), http.StatusBadRequest, "INVALID_TOKEN", "")
		if got := ivInfo(t, e, tok); got != ivValidInfo("ivright@example.com") {
			t.Errorf("invite-info = %s, want still valid", got)
		}
	})
	t.Run("unknown token is 400 invalid token", func(t *testing.T) {
		t.Parallel()
		ivEnvelope(t, ivRegister(t, e, "ivghost@example.com", "ivghost", "no-such-invite"), http.StatusBadRequest, "INVALID_TOKEN", "")
	})
	t.Run("conflicting registration does not consume the invite", func(t *testing.T) {
		t.Parallel()
		_, tok := ivInvite(t, e, owner.Access, org, "ivconflict@example.com", "MEMBER", 1)
		r := ivRegister(t, e, "ivconflict@example.com", "ivregowner", tok) // username taken
		ivEnvelope(t, r, http.StatusConflict, "CONFLICT", "")
		if got := ivInfo(t, e, tok); got != ivValidInfo("ivconflict@example.com") {
			t.Errorf("invite-info after a refused registration = %s, want still valid", got)
		}
		ivObject(t, ivRegister(t, e, "ivconflict@example.com", "ivconflict", tok), http.StatusOK)
	})
	t.Run("null invite_token is like none", func(t *testing.T) {
		t.Parallel()
		r := e.For(t).Do(http.MethodPost, "/v1/auth/register", map[string]any{"email": "ivnull@example.com",
			"username": "ivnull", "password": "a long enough secret", "invite_token": nil}, "")
		m := ivObject(t, r, http.StatusOK)
		if u, _ := m["user"].(map[string]any); u["is_verified"] != false {
			t.Errorf("is_verified = %v, want false without an invitation", u["is_verified"])
		}
		if role := ivRole(t, e, m["access_token"].(string), org); role != "" {
			t.Errorf("joined the organization as %q without an invitation", role)
		}
	})
	t.Run("non-string invite_token is a 422 string_type", func(t *testing.T) {
		t.Parallel()
		r := e.For(t).Do(http.MethodPost, "/v1/auth/register", map[string]any{"email": "ivnum@example.com",
			"username": "ivnum", "password": "a long enough secret", "invite_token": 12345}, "")
		m := ivObject(t, r, http.StatusUnprocessableEntity)
		list, _ := m["detail"].([]any)
		if len(list) != 1 {
			t.Fatalf("detail = %s, want one entry", r.Body)
		}
		entry := list[0].(map[string]any)
		if loc, _ := json.Marshal(entry["loc"]); string(loc) != `["body","invite_token"]` || entry["type"] != "string_type" {
			t.Errorf("entry = %v, want string_type at [\"body\",\"invite_token\"]", entry)
		}
	})
	t.Run("revoked token is 400 invalid token", func(t *testing.T) {
		t.Parallel()
		id, tok := ivInvite(t, e, owner.Access, org, "ivrevreg@example.com", "MEMBER", 1)
		ivGQL(t, e, ivRevokeInviteOp, map[string]any{"id": id}, owner.Access)
		ivEnvelope(t, ivRegister(t, e, "ivrevreg@example.com", "ivrevreg", tok), http.StatusBadRequest, "INVALID_TOKEN", "")
	})
}

func TestRegisterRESTWithInviteWhileRegistrationDisabled(t *testing.T) {
	t.Parallel()
	// The owner registers while sign-up is open; a second service on the same database,
	// with sign-up closed, serves the rest.
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "auth.db")
	open := ivEnv(t, apitest.WithDatabase(dbURL), apitest.WithoutMailer())
	owner := open.Register("ivclosedowner")
	e := ivEnv(t, apitest.WithDatabase(dbURL), apitest.WithConfig(func(c *auth.Config) { c.AllowRegistration = false }))
	org := ivCreateOrg(t, e, owner.Access, "Closed")
	plain := e.For(t).Do(http.MethodPost, "/v1/auth/register", map[string]any{"email": "ivnobody@example.com",
		"username": "ivnobody", "password": "a long enough secret"}, "")
	ivEnvelope(t, plain, http.StatusForbidden, "FORBIDDEN", "Registration is disabled")
	want := ivWithoutTimestamp(plain.Body)
	_, mismatched := ivInvite(t, e, owner.Access, org, "ivsomeone@example.com", "MEMBER", 1)
	revokedID, revoked := ivInvite(t, e, owner.Access, org, "ivrevclosed@example.com", "MEMBER", 1)
	ivGQL(t, e, ivRevokeInviteOp, map[string]any{"id": revokedID}, owner.Access)
	for _, c := range []struct{ name, email, tok string }{
		{"unknown invite is registration disabled", "ivunknown@example.com", "no-such-invite"},
		{"empty invite is registration disabled", "ivempty@example.com", ""},
		{"invite of another address is registration disabled", "ivother@example.com", mismatched},
		{"revoked invite is registration disabled", "ivrevclosed@example.com", revoked},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := ivRegister(t, e, c.email, strings.Split(c.email, "@")[0], c.tok)
			ivEnvelope(t, r, http.StatusForbidden, "FORBIDDEN", "Registration is disabled")
			if got := ivWithoutTimestamp(r.Body); got != want {
				t.Errorf("answer tells more than a plain refusal:\n got  %s\n want %s", got, want)
			}
		})
	}
	t.Run("valid matching invite admits", func(t *testing.T) {
		t.Parallel()
		_, tok := ivInvite(t, e, owner.Access, org, "ivadmitted@example.com", "ADMIN", 1)
		m := ivObject(t, ivRegister(t, e, "IVADMITTED@example.com", "ivadmitted", tok), http.StatusOK)
		if u, _ := m["user"].(map[string]any); u["is_verified"] != true {
			t.Errorf("is_verified = %v, want true", u["is_verified"])
		}
		if role := ivRole(t, e, m["access_token"].(string), org); role != "ADMIN" {
			t.Errorf("role = %q, want ADMIN", role)
		}
		r := ivRegister(t, e, "ivadmitted@example.com", "ivadmitted2", tok)
		ivEnvelope(t, r, http.StatusForbidden, "FORBIDDEN", "Registration is disabled")
	})
}

func TestSwitchOrgRESTIntoInvitedOrganization(t *testing.T) {
	t.Parallel()
	e := ivEnv(t)
	owner := e.For(t).Register("ivswowner")
	org := ivCreateOrg(t, e, owner.Access, "Switchable")
	_, tok := ivInvite(t, e, owner.Access, org, "ivswitcher@example.com", "MEMBER", 1)
	reg := ivObject(t, ivRegister(t, e, "ivswitcher@example.com", "ivswitcher", tok), http.StatusOK)
	access, refresh := reg["access_token"].(string), reg["refresh_token"].(string)

	r := e.For(t).Do(http.MethodPost, "/v1/auth/switch-org", map[string]any{"org_id": org}, access)
	m := ivObject(t, r, http.StatusOK)
	if keys := strings.Join(ivKeys(t, r.Body), ","); keys != "access_token,token_type,expires_in,org_id" {
		t.Errorf("switch-org keys = %s, want access_token,token_type,expires_in,org_id", keys)
	}
	if m["org_id"] != org || m["token_type"] != "bearer" || m["expires_in"] != json.Number("900") {
		t.Errorf("switch-org = %s, want org_id %s, bearer, 900", r.Body, org)
	}
	switched := m["access_token"].(string)
	if got := ivOrgClaim(t, switched); got != org {
		t.Errorf("org claim after switch = %v, want %s", got, org)
	}
	if me := e.For(t).Do(http.MethodGet, "/v1/auth/me", nil, switched); me.Status != http.StatusOK {
		t.Errorf("/me with the switched token = %d %s", me.Status, me.Body)
	}

	rr := ivObject(t, e.For(t).Do(http.MethodPost, "/v1/auth/refresh", map[string]any{"refresh_token": refresh}, ""), http.StatusOK)
	if got := ivOrgClaim(t, rr["access_token"].(string)); got != org {
		t.Errorf("org claim after refresh = %v, want %s (the session remembers the org)", got, org)
	}

	t.Run("organization the user is not in is 403 org:access", func(t *testing.T) {
		other := ivCreateOrg(t, e, owner.Access, "Private")
		for _, id := range []string{other, owner.WorkspaceID} {
			r := e.For(t).Do(http.MethodPost, "/v1/auth/switch-org", map[string]any{"org_id": id}, switched)
			env := ivEnvelope(t, r, http.StatusForbidden, "FORBIDDEN", "")
			if d, _ := env["details"].(map[string]any); d["required_permission"] != "org:access" {
				t.Errorf("details = %v, want required_permission org:access", env["details"])
			}
		}
	})
}

// TestInvitationStoryREST follows a new user through the whole invitation, as the issue
// asks: mail, invite-info, register with the token, switch-org, then act as an admin.
func TestInvitationStoryREST(t *testing.T) {
	t.Parallel()
	e := ivEnv(t)
	alice := e.Register("ivalice")
	org := ivCreateOrg(t, e, alice.Access, "Alice & Co")
	d := ivGQL(t, e, ivCreateInviteOp, map[string]any{"orgId": org, "email": "bob@example.com", "role": "ADMIN"}, alice.Access)
	if inv := d["createInvite"].(map[string]any); inv["email"] != "bob@example.com" || inv["role"] != "ADMIN" {
		t.Fatalf("createInvite = %v", inv)
	}

	// Bob reads his mail: a link to the front end's accept-invite page.
	mail := e.WaitMail("bob@example.com", "invite", 1)
	if !strings.Contains(mail.Text, ivFrontend+"/accept-invite?token=") {
		t.Fatalf("invitation mail has no %s/accept-invite?token= link:\n%s", ivFrontend, mail.Text)
	}
	if !strings.Contains(mail.Text, "Alice & Co") {
		t.Errorf("invitation mail does not name the organization:\n%s", mail.Text)
	}
	tok := mail.Token()

	// The accept-invite page checks the token.
	if got := ivInfo(t, e, tok); got != ivValidInfo("bob@example.com") {
		t.Fatalf("invite-info = %s", got)
	}

	// Bob signs up with it.
	reg := e.Do(http.MethodPost, "/v1/auth/register", map[string]any{"email": "bob@example.com", "username": "bob",
		"password": "bobs very own secret", "invite_token": tok}, "")
	m := ivObject(t, reg, http.StatusOK)
	if u := m["user"].(map[string]any); u["is_verified"] != true || u["email"] != "bob@example.com" {
		t.Errorf("registered user = %v, want bob@example.com, verified", u)
	}
	if got := ivInfo(t, e, tok); got != ivInvalidInfo {
		t.Errorf("invite-info after registering = %s, want %s", got, ivInvalidInfo)
	}

	// Bob switches into Alice's organization.
	sw := ivObject(t, e.Do(http.MethodPost, "/v1/auth/switch-org", map[string]any{"org_id": org}, m["access_token"].(string)), http.StatusOK)
	bob := sw["access_token"].(string)
	if got := ivOrgClaim(t, bob); got != org {
		t.Fatalf("org claim = %v, want %s", got, org)
	}

	// As an admin he may list the organization's invites (none pending: his was used) …
	list, _ := ivGQL(t, e, ivInvitesOp, map[string]any{"orgId": org}, bob)["invites"].([]any)
	if len(list) != 0 {
		t.Errorf("pending invites = %v, want none", list)
	}
	// … invite carol as a member …
	ivGQL(t, e, ivCreateInviteOp, map[string]any{"orgId": org, "email": "carol@example.com", "role": "MEMBER"}, bob)
	list, _ = ivGQL(t, e, ivInvitesOp, map[string]any{"orgId": org}, bob)["invites"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["email"] != "carol@example.com" ||
		list[0].(map[string]any)["invitedBy"] != m["user"].(map[string]any)["user_id"] {
		t.Errorf("pending invites = %v, want carol's, invited by bob", list)
	}
	if got := e.WaitMail("carol@example.com", "invite", 1); got.Token() == "" {
		t.Errorf("carol's invitation has no token: %s", got.Text)
	}
	// … but not make dave an owner.
	details := ivGQLError(t, e, ivCreateInviteOp, map[string]any{"orgId": org, "email": "dave@example.com", "role": "OWNER"}, bob, "FORBIDDEN")
	if details["required_permission"] != "org:owner" {
		t.Errorf("details = %v, want required_permission org:owner", details)
	}
}
