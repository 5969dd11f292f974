package graph_test

// Organizations and invitations over GraphQL (issue 3, CONTRACT §4 register / invite-info /
// switch-org, §5, §7 Organizations). Every identifier of this file starts with og so that
// it cannot collide with the helpers other files of the package define.

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"authbff/ent/membership"
	"authbff/graph/auth"
	"authbff/rest/apitest"
)

const ogFrontend = "https://app.example.test"

const (
	ogOrgFields       = `organization { id name personal createdAt } role active`
	ogOrganizationsOp = `query Orgs { organizations { ` + ogOrgFields + ` } }`
	ogCreateOrgOp     = `mutation CreateOrg($name: String!) { createOrganization(name: $name) { ` + ogOrgFields + ` } }`
	ogInviteFields    = `id orgId email role invitedBy createdAt expiresAt`
	ogCreateInviteOp  = `mutation Invite($orgId: ID!, $email: String!, $role: OrgRole!) {
		createInvite(orgId: $orgId, email: $email, role: $role) { ` + ogInviteFields + ` } }`
	ogInvitesOp      = `query Invites($orgId: ID!) { invites(orgId: $orgId) { ` + ogInviteFields + ` } }`
	ogRevokeInviteOp = `mutation Revoke($id: ID!) { revokeInvite(id: $id) }`
	ogAcceptInviteOp = `mutation Accept($token: String!) { acceptInvite(token: $token) { ` + ogOrgFields + ` } }`
	ogInviteInfoOp   = `query Info($token: String!) { inviteInfo(token: $token) { email valid } }`
	ogSwitchOp       = `mutation Switch($orgId: ID!) { switchOrg(orgId: $orgId) { accessToken tokenType expiresIn orgId } }`
	ogRefreshOp      = `mutation Refresh($rt: String!) { refreshToken(refreshToken: $rt) { accessToken refreshToken } }`
	ogRegisterOp     = `mutation Register($input: RegisterInput!) { register(input: $input) {
		accessToken refreshToken user { id email isVerified defaultWorkspaceId } } }`
)

// ogEnv starts a service with a known front-end URL (for invitation links).
func ogEnv(t *testing.T, opts ...apitest.Option) *apitest.Env {
	t.Helper()
	base := apitest.WithConfig(func(c *auth.Config) { c.FrontendURL = ogFrontend })
	return apitest.New(t, append([]apitest.Option{base}, opts...)...)
}

// ogGQL runs a GraphQL operation, reporting on t.
func ogGQL(t testing.TB, e *apitest.Env, query string, vars map[string]any, token string) *apitest.GQLResponse {
	t.Helper()
	return e.For(t).GraphQL(query, vars, token)
}

// ogForbidden fails unless r is one FORBIDDEN error naming perm.
func ogForbidden(t testing.TB, r *apitest.GQLResponse, perm string) {
	t.Helper()
	g := oneError(t, r, "FORBIDDEN")
	d, _ := g.Extensions["details"].(map[string]any)
	if d["required_permission"] != perm {
		t.Errorf("details.required_permission = %v, want %q: %s", d["required_permission"], perm, r.Raw)
	}
}

// ogValidation fails unless r is one VALIDATION_ERROR whose only entry has loc.
func ogValidation(t testing.TB, r *apitest.GQLResponse, loc ...any) {
	t.Helper()
	g := oneError(t, r, "VALIDATION_ERROR")
	list, ok := g.Extensions["details"].([]any)
	if !ok || len(list) != 1 {
		t.Fatalf("extensions.details = %v, want one entry: %s", g.Extensions["details"], r.Raw)
	}
	entry, _ := list[0].(map[string]any)
	if ogCanon(t, entry["loc"]) != ogCanon(t, loc) {
		t.Errorf("loc = %v, want %v: %s", entry["loc"], loc, r.Raw)
	}
}

func ogCanon(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ogMap asserts v is a JSON object.
func ogMap(t testing.TB, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("want a JSON object, got %T %v", v, v)
	}
	return m
}

// ogList asserts v is a JSON list of objects.
func ogList(t testing.TB, v any) []map[string]any {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("want a JSON list, got %T %v", v, v)
	}
	out := make([]map[string]any, len(l))
	for i, x := range l {
		out[i] = ogMap(t, x)
	}
	return out
}

// ogRegister creates an account over REST (username@example.com).
func ogRegister(t testing.TB, e *apitest.Env, username string) *apitest.Account {
	t.Helper()
	return e.For(t).Register(username)
}

// ogRelogin gives a a fresh access and refresh token (after the clock moved past them).
func ogRelogin(t testing.TB, e *apitest.Env, a *apitest.Account) {
	t.Helper()
	a.Access, a.Refresh = e.For(t).Login(a.Username, a.Password)
}

// ogMemberships lists the caller's organizations.
func ogMemberships(t testing.TB, e *apitest.Env, token string) []map[string]any {
	t.Helper()
	return ogList(t, data(t, ogGQL(t, e, ogOrganizationsOp, nil, token))["organizations"])
}

// ogMembershipOf finds the membership of org in ms (nil if absent).
func ogMembershipOf(t testing.TB, ms []map[string]any, org string) map[string]any {
	t.Helper()
	for _, m := range ms {
		if ogMap(t, m["organization"])["id"] == org {
			return m
		}
	}
	return nil
}

// ogCreateOrg creates an organization owned by token's user and returns its id.
func ogCreateOrg(t testing.TB, e *apitest.Env, token, name string) string {
	t.Helper()
	m := ogMap(t, data(t, ogGQL(t, e, ogCreateOrgOp, map[string]any{"name": name}, token))["createOrganization"])
	id, _ := ogMap(t, m["organization"])["id"].(string)
	if _, err := uuid.Parse(id); err != nil {
		t.Fatalf("organization id %q is not a UUID", id)
	}
	return id
}

// ogInvite creates an invitation and fails unless it succeeds; it returns the invite.
func ogInvite(t testing.TB, e *apitest.Env, token, org, email, role string) map[string]any {
	t.Helper()
	r := ogGQL(t, e, ogCreateInviteOp, map[string]any{"orgId": org, "email": email, "role": role}, token)
	return ogMap(t, data(t, r)["createInvite"])
}

// ogInviteTok invites email and returns the invite and the token of the n-th invitation
// mail to that address.
func ogInviteTok(t testing.TB, e *apitest.Env, token, org, email, role string, n int) (map[string]any, string) {
	t.Helper()
	inv := ogInvite(t, e, token, org, email, role)
	tok := e.For(t).WaitMail(email, "invite", n).Token()
	if tok == "" {
		t.Fatalf("invitation mail #%d to %s has no token", n, email)
	}
	return inv, tok
}

// ogInfo asks inviteInfo over GraphQL and returns the answer as canonical JSON.
func ogInfo(t testing.TB, e *apitest.Env, tok string) string {
	t.Helper()
	return ogCanon(t, data(t, ogGQL(t, e, ogInviteInfoOp, map[string]any{"token": tok}, ""))["inviteInfo"])
}

const ogInvalidInfo = `{"email":null,"valid":false}`

// ogTeam is an organization with one user per role plus an outsider.
type ogTeam struct {
	owner, admin, member, outsider *apitest.Account
	org                            string
}

// ogNewTeam registers owner, admin, member and outsider (names prefixed with prefix), has
// the owner create an organization and brings admin and member in by acceptInvite.
func ogNewTeam(t testing.TB, e *apitest.Env, prefix string) *ogTeam {
	t.Helper()
	tm := &ogTeam{
		owner: ogRegister(t, e, prefix+"owner"), admin: ogRegister(t, e, prefix+"admin"),
		member: ogRegister(t, e, prefix+"member"), outsider: ogRegister(t, e, prefix+"outsider"),
	}
	tm.org = ogCreateOrg(t, e, tm.owner.Access, prefix+" team")
	for _, j := range []struct {
		a    *apitest.Account
		role string
	}{{tm.admin, "ADMIN"}, {tm.member, "MEMBER"}} {
		_, tok := ogInviteTok(t, e, tm.owner.Access, tm.org, j.a.Email, j.role, 1)
		m := ogMap(t, data(t, ogGQL(t, e, ogAcceptInviteOp, map[string]any{"token": tok}, j.a.Access))["acceptInvite"])
		if m["role"] != j.role {
			t.Fatalf("%s joined as %v, want %s", j.a.Username, m["role"], j.role)
		}
	}
	return tm
}

// ogTime parses a DateTime.
func ogTime(t testing.TB, field string, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !strings.HasSuffix(s, "Z") {
		t.Fatalf("%s = %v, want an RFC 3339 UTC timestamp", field, v)
	}
	return ts
}

// ogPost sends a GraphQL operation from any goroutine (no testing.T): it returns the
// error code of the first error ("" for none) and the data.
func ogPost(e *apitest.Env, query string, vars map[string]any, token string) (string, map[string]any, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return "", nil, err
	}
	req, err := http.NewRequest(http.MethodPost, e.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return "", nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := e.Server.Client().Do(req)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	var out struct {
		Data   map[string]any     `json:"data"`
		Errors []apitest.GQLError `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", nil, err
	}
	if len(out.Errors) > 0 {
		return out.Errors[0].Code(), out.Data, nil
	}
	return "", out.Data, nil
}

// ogMembershipRows counts membership rows of user in org in the database.
func ogMembershipRows(t testing.TB, e *apitest.Env, user, org string) int {
	t.Helper()
	n, err := e.DB.Membership.Query().Where(membership.UserID(uuid.MustParse(user)),
		membership.OrgID(uuid.MustParse(org))).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOrgsOfNewUserIsOnlyPersonalWorkspace(t *testing.T) {
	t.Parallel()
	e := ogEnv(t)
	a := ogRegister(t, e, "solo")
	ms := ogMemberships(t, e, a.Access)
	if len(ms) != 1 {
		t.Fatalf("organizations = %v, want exactly the personal workspace", ms)
	}
	m := ms[0]
	o := ogMap(t, m["organization"])
	if o["id"] != a.WorkspaceID || a.WorkspaceID == "" {
		t.Errorf("organization.id = %v, want default_workspace_id %q", o["id"], a.WorkspaceID)
	}
	if m["role"] != "OWNER" || m["active"] != true || o["personal"] != true {
		t.Errorf("membership = %v, want role OWNER, active true, personal true", m)
	}
	if name, _ := o["name"].(string); name == "" {
		t.Errorf("organization.name is empty")
	}
	ogTime(t, "createdAt", o["createdAt"])
	if got := apitest.Claims(t, a.Access)["org"]; got != a.WorkspaceID {
		t.Errorf("org claim = %v, want the personal workspace %s", got, a.WorkspaceID)
	}
}

func TestOrgsWithoutTokenIsAuthenticationFailed(t *testing.T) {
	t.Parallel()
	e := ogEnv(t)
	oneError(t, ogGQL(t, e, ogOrganizationsOp, nil, ""), "AUTHENTICATION_FAILED")
	oneError(t, ogGQL(t, e, ogCreateOrgOp, map[string]any{"name": "x"}, ""), "AUTHENTICATION_FAILED")
}

func TestOrgsCreateOrganizationMakesCallerOwner(t *testing.T) {
	t.Parallel()
	e := ogEnv(t)
	a := ogRegister(t, e, "founder")
	r := ogGQL(t, e, ogCreateOrgOp, map[string]any{"name": "Acme Inc"}, a.Access)
	m := ogMap(t, data(t, r)["createOrganization"])
	o := ogMap(t, m["organization"])
	if m["role"] != "OWNER" || m["active"] != false || o["personal"] != false || o["name"] != "Acme Inc" {
		t.Errorf("createOrganization = %s, want role OWNER, active false, personal false, name Acme Inc", r.Raw)
	}
	ms := ogMemberships(t, e, a.Access)
	if len(ms) != 2 {
		t.Fatalf("organizations = %v, want personal workspace and Acme Inc", ms)
	}
	got := ogMembershipOf(t, ms, o["id"].(string))
	if got == nil || got["role"] != "OWNER" || got["active"] != false {
		t.Errorf("Acme Inc membership = %v, want OWNER, not active", got)
	}
	if p := ogMembershipOf(t, ms, a.WorkspaceID); p == nil || p["active"] != true {
		t.Errorf("personal workspace membership = %v, want still active", p)
	}
}

func TestOrgsCreateOrganizationRejectsBadName(t *testing.T) {
	t.Parallel()
	e := ogEnv(t)
	a := ogRegister(t, e, "namer")
	for _, c := range []struct{ name, value string }{
		{"empty name is a validation error", ""},
		{"blank name is a validation error", "   \t "},
		{"101-character name is a validation error", strings.Repeat("n", 101)},
		{"101 code points of two bytes each is a validation error", strings.Repeat("é", 101)},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ogValidation(t, ogGQL(t, e, ogCreateOrgOp, map[string]any{"name": c.value}, a.Access), "name")
		})
	}
	t.Run("100-character name is accepted", func(t *testing.T) {
		t.Parallel()
		ogCreateOrg(t, e, a.Access, strings.Repeat("n", 100))
	})
	t.Run("100 code points of two bytes each is accepted", func(t *testing.T) {
		t.Parallel()
		ogCreateOrg(t, e, a.Access, strings.Repeat("é", 100))
	})
}

func TestOrgsActiveFollowsSwitchOrg(t *testing.T) {
	t.Parallel()
	e := ogEnv(t)
	a := ogRegister(t, e, "switcher")
	org := ogCreateOrg(t, e, a.Access, "Other")
	sw := ogMap(t, data(t, ogGQL(t, e, ogSwitchOp, map[string]any{"orgId": org}, a.Access))["switchOrg"])
	if sw["orgId"] != org {
		t.Fatalf("switchOrg.orgId = %v, want %s", sw["orgId"], org)
	}
	ms := ogMemberships(t, e, sw["accessToken"].(string))
	if m := ogMembershipOf(t, ms, org); m == nil || m["active"] != true {
		t.Errorf("switched-to membership = %v, want active", m)
	}
	if m := ogMembershipOf(t, ms, a.WorkspaceID); m == nil || m["active"] != false {
		t.Errorf("personal workspace membership = %v, want no longer active", m)
	}
}

func TestOrgsCreateInvitePermissions(t *testing.T) {
	t.Parallel()
	e := ogEnv(t)
	tm := ogNewTeam(t, e, "perm")
	for _, c := range []struct {
		name  string
		as    *apitest.Account
		org   string
		role  string
		allow bool
		perm  string
	}{
		{"owner invites a member", tm.owner, tm.org, "MEMBER", true, ""},
		{"owner invites an admin", tm.owner, tm.org, "ADMIN", true, ""},
		{"owner invites an owner", tm.owner, tm.org, "OWNER", true, ""},
		{"admin invites a member", tm.admin, tm.org, "MEMBER", true, ""},
		{"admin invites an admin", tm.admin, tm.org, "ADMIN", true, ""},
		{"admin inviting an owner is forbidden org:owner", tm.admin, tm.org, "OWNER", false, auth.PermOrgOwner},
		{"member inviting is forbidden org:invite", tm.member, tm.org, "MEMBER", false, auth.PermOrgInvite},
		{"non-member inviting is forbidden", tm.outsider, tm.org, "MEMBER", false, auth.PermOrgInvite},
		{"unknown organization is forbidden", tm.owner, uuid.NewString(), "MEMBER", false, auth.PermOrgInvite},
		{"garbage organization id is forbidden", tm.owner, "not-a-uuid", "MEMBER", false, auth.PermOrgInvite},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			addr := "guest-" + strings.ReplaceAll(c.name, " ", "-") + "@example.com"
			addr = strings.ReplaceAll(addr, ":", "")
			r := ogGQL(t, e, ogCreateInviteOp, map[string]any{"orgId": c.org, "email": addr, "role": c.role}, c.as.Access)
			if !c.allow {
				ogForbidden(t, r, c.perm)
				list := ogList(t, data(t, ogGQL(t, e, ogInvitesOp, map[string]any{"orgId": tm.org}, tm.owner.Access))["invites"])
				for _, inv := range list {
					if inv["email"] == addr {
						t.Errorf("a refused invitation is pending: %v", inv)
					}
				}
				return
			}
			inv := ogMap(t, data(t, r)["createInvite"])
			if inv["orgId"] != c.org || inv["email"] != addr || inv["role"] != c.role || inv["invitedBy"] != c.as.UserID {
				t.Errorf("createInvite = %s, want orgId %s, email %s, role %s, invitedBy %s", r.Raw, c.org, addr, c.role, c.as.UserID)
			}
			if tok := e.For(t).WaitMail(addr, "invite", 1).Token(); ogInfo(t, e, tok) != `{"email":"`+addr+`","valid":true}` {
				t.Errorf("inviteInfo of the mailed token = %s, want valid for %s", ogInfo(t, e, tok), addr)
			}
		})
	}
}

func TestOrgsCreateInviteWithoutTokenIsAuthenticationFailed(t *testing.T) {
	t.Parallel()
	e := ogEnv(t)
	r := ogGQL(t, e, ogCreateInviteOp, map[string]any{"orgId": uuid.NewString(), "email": "x@example.com", "role": "MEMBER"}, "")
	oneError(t, r, "AUTHENTICATION_FAILED")
}

func TestOrgsCreateInviteRejectsBadEmail(t *testing.T) {
	t.Parallel()
	e := ogEnv(t)
	a := ogRegister(t, e, "inviter")
	org := ogCreateOrg(t, e, a.Access, "Org")
	for _, c := range []struct{ name, email string }{
		{"address without at-sign is a validation error", "nobody"},
		{"address with nothing before the at-sign is a validation error", "@example.com"},
		{"empty address is a validation error", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := ogGQL(t, e, ogCreateInviteOp, map[string]any{"orgId": org, "email": c.email, "role": "MEMBER"}, a.Access)
			ogValidation(t, r, "email")
		})
	}
}

func TestOrgsCreateInviteMailsAcceptLinkToInvitedAddress(t *testing.T) {
	t.Parallel()
	e := ogEnv(t)
	a := ogRegister(t, e, "mailer")
	org := ogCreateOrg(t, e, a.Access, "Mail Org")
	ogInvite(t, e, a.Access, org, "Invitee@Example.COM", "ADMIN")
	m := e.WaitMail("Invitee@example.com", "invite", 1)
	if m.To != "Invitee@example.com" {
		t.Errorf("mail to = %q, want the invited address as normalized (Invitee@example.com)", m.To)
	}
	tok := m.Token()
	if tok == "" || !strings.Contains(m.Text, ogFrontend+"/accept-invite?token=") {
		t.Fatalf("mail text lacks %s/accept-invite?token=…:\n%s", ogFrontend, m.Text)
	}
	if !strings.Contains(m.Text, "Mail Org") {
		t.Errorf("mail text does not name the organization:\n%s", m.Text)
	}
	if got := ogInfo(t, e, tok); got != `{"email":"Invitee@example.com","valid":true}` {
		t.Errorf("inviteInfo = %s, want valid for Invitee@example.com", got)
	}
	for _, other := range e.Logs.Mails("") {
		if other.Kind == "invite" && !strings.EqualFold(other.To, "invitee@example.com") {
			t.Errorf("invitation mail also went to %s", other.To)
		}
	}
}

func TestOrgsCreateInviteAgainReplacesPendingInvite(t *testing.T) {
	t.Parallel()
	e := ogEnv(t)
	a := ogRegister(t, e, "repeater")
	org := ogCreateOrg(t, e, a.Access, "Repeat Org")
	first, tok1 := ogInviteTok(t, e, a.Access, org, "again@example.com", "MEMBER", 1)
	second, tok2 := ogInviteTok(t, e, a.Access, org, "AGAIN@example.com", "ADMIN", 2)
	if first["id"] == second["id"] || tok1 == tok2 {
		t.Fatalf("second invite reuses the first: %v %v", first, second)
	}
	if got := ogInfo(t, e, tok1); got != ogInvalidInfo {
		t.Errorf("inviteInfo of the replaced token = %s, want %s", got, ogInvalidInfo)
	}
	if got := ogInfo(t, e, tok2); got != `{"email":"AGAIN@example.com","valid":true}` {
		t.Errorf("inviteInfo of the new token = %s, want valid", got)
	}
	list := ogList(t, data(t, ogGQL(t, e, ogInvitesOp, map[string]any{"orgId": org}, a.Access))["invites"])
	if len(list) != 1 || list[0]["id"] != second["id"] || list[0]["role"] != "ADMIN" {
		t.Errorf("invites = %v, want only the second invite (ADMIN)", list)
	}
}

func TestOrgsInvitesListsPendingNewestFirst(t *testing.T) {
	t.Parallel()
	e := ogEnv(t)
	tm := ogNewTeam(t, e, "list")
	var made []map[string]any
	for i, c := range []struct{ email, role string }{{"p1@example.com", "MEMBER"}, {"p2@example.com", "ADMIN"}, {"p3@example.com", "OWNER"}} {
		if i > 0 {
			e.Clock.Advance(time.Second)
		}
		made = append(made, ogInvite(t, e, tm.owner.Access, tm.org, c.email, c.role))
	}
	for _, as := range []*apitest.Account{tm.owner, tm.admin} {
		t.Run(as.Username+" sees pending invites newest first", func(t *testing.T) {
			t.Parallel()
			list := ogList(t, data(t, ogGQL(t, e, ogInvitesOp, map[string]any{"orgId": tm.org}, as.Access))["invites"])
			if len(list) != 3 {
				t.Fatalf("invites = %v, want the 3 pending ones (accepted ones hidden)", list)
			}
			for i, got := range list {
				want := made[2-i]
				for _, k := range []string{"id", "orgId", "email", "role", "invitedBy", "createdAt", "expiresAt"} {
					if got[k] != want[k] {
						t.Errorf("invites[%d].%s = %v, want %v", i, k, got[k], want[k])
					}
				}
				if got["invitedBy"] != tm.owner.UserID {
					t.Errorf("invites[%d].invitedBy = %v, want the owner %s", i, got["invitedBy"], tm.owner.UserID)
				}
				c, x := ogTime(t, "createdAt", got["createdAt"]), ogTime(t, "expiresAt", got["expiresAt"])
				if x.Sub(c) != 7*24*time.Hour {
					t.Errorf("invites[%d]: expiresAt - createdAt = %s, want 168h", i, x.Sub(c))
				}
			}
		})
	}
	t.Run("member is forbidden", func(t *testing.T) {
		t.Parallel()
		ogForbidden(t, ogGQL(t, e, ogInvitesOp, map[string]any{"orgId": tm.org}, tm.member.Access), auth.PermOrgInvite)
	})
	t.Run("non-member is forbidden", func(t *testing.T) {
		t.Parallel()
		ogForbidden(t, ogGQL(t, e, ogInvitesOp, map[string]any{"orgId": tm.org}, tm.outsider.Access), auth.PermOrgInvite)
	})
	t.Run("unknown and garbage organization ids are forbidden", func(t *testing.T) {
		t.Parallel()
		ogForbidden(t, ogGQL(t, e, ogInvitesOp, map[string]any{"orgId": uuid.NewString()}, tm.owner.Access), auth.PermOrgInvite)
		ogForbidden(t, ogGQL(t, e, ogInvitesOp, map[string]any{"orgId": "garbage"}, tm.owner.Access), auth.PermOrgInvite)
	})
}

func TestOrgsInvitesHidesAcceptedRevokedAndExpired(t *testing.T) {
	t.Parallel()
	e := ogEnv(t)
	owner := ogRegister(t, e, "hider")
	joiner := ogRegister(t, e, "joiner")
	org := ogCreateOrg(t, e, owner.Access, "Hide Org")
	ogInvite(t, e, owner.Access, org, "old@example.com", "MEMBER")
	e.Clock.Advance(6 * 24 * time.Hour)
	ogRelogin(t, e, owner)
	ogRelogin(t, e, joiner)
	_, tok := ogInviteTok(t, e, owner.Access, org, joiner.Email, "MEMBER", 1)
	data(t, ogGQL(t, e, ogAcceptInviteOp, map[string]any{"token": tok}, joiner.Access))
	revoked := ogInvite(t, e, owner.Access, org, "revoked@example.com", "MEMBER")
	data(t, ogGQL(t, e, ogRevokeInviteOp, map[string]any{"id": revoked["id"]}, owner.Access))
	pending := ogInvite(t, e, owner.Access, org, "pending@example.com", "MEMBER")
	e.Clock.Advance(24*time.Hour + time.Minute) // old@ is now 7 days + 1 minute old
	ogRelogin(t, e, owner)
	list := ogList(t, data(t, ogGQL(t, e, ogInvitesOp, map[string]any{"orgId": org}, owner.Access))["invites"])
	if len(list) != 1 || list[0]["id"] != pending["id"] {
		t.Errorf("invites = %v, want only pending@example.com", list)
	}
}

func TestOrgsRevokeInvite(t *testing.T) {
	t.Parallel()
	e := ogEnv(t)
	tm := ogNewTeam(t, e, "rv")
	for _, c := range []struct {
		name string
		as   *apitest.Account
	}{{"owner revokes", tm.owner}, {"admin revokes", tm.admin}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			addr := "rv-" + c.as.Username + "@example.com"
			inv, tok := ogInviteTok(t, e, tm.owner.Access, tm.org, addr, "MEMBER", 1)
			r := ogGQL(t, e, ogRevokeInviteOp, map[string]any{"id": inv["id"]}, c.as.Access)
			if data(t, r)["revokeInvite"] != true {
				t.Fatalf("revokeInvite = %s, want true", r.Raw)
			}
			if got := ogInfo(t, e, tok); got != ogInvalidInfo {
				t.Errorf("inviteInfo after revoke = %s, want %s", got, ogInvalidInfo)
			}
			reg := ogGQL(t, e, ogRegisterOp, map[string]any{"input": map[string]any{"email": addr,
				"username": "rv" + c.as.Username + "new", "password": "a long enough secret", "inviteToken": tok}}, "")
			oneError(t, reg, "INVALID_TOKEN")
			t.Run("twice is invalid token", func(t *testing.T) {
				oneError(t, ogGQL(t, e, ogRevokeInviteOp, map[string]any{"id": inv["id"]}, c.as.Access), "INVALID_TOKEN")
			})
		})
	}
	t.Run("member is forbidden", func(t *testing.T) {
		t.Parallel()
		inv, tok := ogInviteTok(t, e, tm.owner.Access, tm.org, "rv-by-member@example.com", "MEMBER", 1)
		ogForbidden(t, ogGQL(t, e, ogRevokeInviteOp, map[string]any{"id": inv["id"]}, tm.member.Access), auth.PermOrgInvite)
		if got := ogInfo(t, e, tok); got != `{"email":"rv-by-member@example.com","valid":true}` {
			t.Errorf("inviteInfo after a refused revoke = %s, want still valid", got)
		}
	})
	t.Run("non-member is forbidden", func(t *testing.T) {
		t.Parallel()
		inv := ogInvite(t, e, tm.owner.Access, tm.org, "rv-by-outsider@example.com", "MEMBER")
		ogForbidden(t, ogGQL(t, e, ogRevokeInviteOp, map[string]any{"id": inv["id"]}, tm.outsider.Access), auth.PermOrgInvite)
	})
	t.Run("unknown id is forbidden", func(t *testing.T) {
		t.Parallel()
		ogForbidden(t, ogGQL(t, e, ogRevokeInviteOp, map[string]any{"id": uuid.NewString()}, tm.owner.Access), auth.PermOrgInvite)
		ogForbidden(t, ogGQL(t, e, ogRevokeInviteOp, map[string]any{"id": "garbage"}, tm.owner.Access), auth.PermOrgInvite)
	})
	t.Run("accepted invite is invalid token", func(t *testing.T) {
		t.Parallel()
		joiner := ogRegister(t, e, "rvjoiner")
		inv, tok := ogInviteTok(t, e, tm.owner.Access, tm.org, joiner.Email, "MEMBER", 1)
		data(t, ogGQL(t, e, ogAcceptInviteOp, map[string]any{"token": tok}, joiner.Access))
		oneError(t, ogGQL(t, e, ogRevokeInviteOp, map[string]any{"id": inv["id"]}, tm.owner.Access), "INVALID_TOKEN")
	})
}

func TestOrgsInviteInfoValidity(t *testing.T) {
	t.Parallel()
	e := ogEnv(t)
	owner := ogRegister(t, e, "infoowner")
	org := ogCreateOrg(t, e, owner.Access, "Info Org")
	t.Run("pending invite is valid with its address", func(t *testing.T) {
		t.Parallel()
		_, tok := ogInviteTok(t, e, owner.Access, org, "pending-info@example.com", "MEMBER", 1)
		if got := ogInfo(t, e, tok); got != `{"email":"pending-info@example.com","valid":true}` {
			t.Errorf("inviteInfo = %s", got)
		}
	})
	t.Run("unknown token is invalid", func(t *testing.T) {
		t.Parallel()
		if got := ogInfo(t, e, "no-such-token"); got != ogInvalidInfo {
			t.Errorf("inviteInfo = %s, want %s", got, ogInvalidInfo)
		}
	})
	t.Run("used invite is invalid", func(t *testing.T) {
		t.Parallel()
		u := ogRegister(t, e, "infoused")
		_, tok := ogInviteTok(t, e, owner.Access, org, u.Email, "MEMBER", 1)
		data(t, ogGQL(t, e, ogAcceptInviteOp, map[string]any{"token": tok}, u.Access))
		if got := ogInfo(t, e, tok); got != ogInvalidInfo {
			t.Errorf("inviteInfo = %s, want %s", got, ogInvalidInfo)
		}
	})
	t.Run("revoked invite is invalid", func(t *testing.T) {
		t.Parallel()
		inv, tok := ogInviteTok(t, e, owner.Access, org, "revoked-info@example.com", "MEMBER", 1)
		data(t, ogGQL(t, e, ogRevokeInviteOp, map[string]any{"id": inv["id"]}, owner.Access))
		if got := ogInfo(t, e, tok); got != ogInvalidInfo {
			t.Errorf("inviteInfo = %s, want %s", got, ogInvalidInfo)
		}
	})
	t.Run("expired invite is invalid", func(t *testing.T) {
		t.Parallel()
		e := ogEnv(t) // own clock
		o := ogRegister(t, e, "expowner")
		org := ogCreateOrg(t, e, o.Access, "Exp Org")
		_, tok := ogInviteTok(t, e, o.Access, org, "late@example.com", "MEMBER", 1)
		e.Clock.Advance(7*24*time.Hour - time.Minute)
		if got := ogInfo(t, e, tok); got != `{"email":"late@example.com","valid":true}` {
			t.Errorf("inviteInfo a minute before expiry = %s, want valid", got)
		}
		e.Clock.Advance(2 * time.Minute)
		if got := ogInfo(t, e, tok); got != ogInvalidInfo {
			t.Errorf("inviteInfo after 7 days + 1 min = %s, want %s", got, ogInvalidInfo)
		}
	})
}

func TestOrgsRegisterWithInviteToken(t *testing.T) {
	t.Parallel()
	e := ogEnv(t)
	owner := ogRegister(t, e, "regowner")
	org := ogCreateOrg(t, e, owner.Access, "Reg Org")
	reg := func(t *testing.T, email, username, tok string) *apitest.GQLResponse {
		t.Helper()
		return ogGQL(t, e, ogRegisterOp, map[string]any{"input": map[string]any{
			"email": email, "username": username, "password": "a long enough secret", "inviteToken": tok}}, "")
	}
	t.Run("matching address joins with invited role, verified, invite consumed", func(t *testing.T) {
		t.Parallel()
		_, tok := ogInviteTok(t, e, owner.Access, org, "Newbie@example.com", "ADMIN", 1)
		r := reg(t, "newbie@EXAMPLE.com", "newbie", tok)
		p := ogMap(t, data(t, r)["register"])
		u := ogMap(t, p["user"])
		if u["isVerified"] != true {
			t.Errorf("user.isVerified = %v, want true (the invitation proved the address)", u["isVerified"])
		}
		access := p["accessToken"].(string)
		if got := apitest.Claims(t, access)["org"]; got != u["defaultWorkspaceId"] {
			t.Errorf("org claim = %v, want the personal workspace %v", got, u["defaultWorkspaceId"])
		}
		ms := ogMemberships(t, e, access)
		if len(ms) != 2 {
			t.Fatalf("organizations = %v, want personal workspace and Reg Org", ms)
		}
		if m := ogMembershipOf(t, ms, org); m == nil || m["role"] != "ADMIN" || m["active"] != false {
			t.Errorf("Reg Org membership = %v, want ADMIN, not active", m)
		}
		if got := ogInfo(t, e, tok); got != ogInvalidInfo {
			t.Errorf("inviteInfo after use = %s, want %s", got, ogInvalidInfo)
		}
		oneError(t, reg(t, "newbie@example.com", "newbie2", tok), "INVALID_TOKEN")
	})
	t.Run("different address is invalid token and leaves the invite usable", func(t *testing.T) {
		t.Parallel()
		_, tok := ogInviteTok(t, e, owner.Access, org, "rightone@example.com", "MEMBER", 1)
		oneError(t, reg(t, "wrongone@example.com", "wrongone", tok), "INVALID_TOKEN")
		if got := ogInfo(t, e, tok); got != `{"email":"rightone@example.com","valid":true}` {
			t.Errorf("inviteInfo after a mismatched use = %s, want still valid", got)
		}
		if r := e.For(t).Do(http.MethodPost, "/v1/auth/login", map[string]any{"username": "wrongone",
			"password": "a long enough secret"}, ""); r.Status != http.StatusUnauthorized {
			t.Errorf("login of the refused registration = %d %s, want 401 (no account created)", r.Status, r.Body)
		}
	})
	t.Run("unknown token is invalid token", func(t *testing.T) {
		t.Parallel()
		oneError(t, reg(t, "ghost@example.com", "ghost", "no-such-invite"), "INVALID_TOKEN")
	})
}

func TestOrgsRegisterWithInviteWhileRegistrationDisabled(t *testing.T) {
	t.Parallel()
	// The owner registers while sign-up is open; a second service on the same database,
	// with sign-up closed, serves the rest.
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "auth.db")
	open := apitest.New(t, apitest.WithDatabase(dbURL), apitest.WithoutMailer())
	owner := open.Register("closedowner")
	e := ogEnv(t, apitest.WithDatabase(dbURL), apitest.WithConfig(func(c *auth.Config) { c.AllowRegistration = false }))
	org := ogCreateOrg(t, e, owner.Access, "Closed Org")
	reg := func(t *testing.T, email, username string, tok any) *apitest.GQLResponse {
		t.Helper()
		in := map[string]any{"email": email, "username": username, "password": "a long enough secret"}
		if tok != nil {
			in["inviteToken"] = tok
		}
		return ogGQL(t, e, ogRegisterOp, map[string]any{"input": in}, "")
	}
	disabled := func(t *testing.T, r *apitest.GQLResponse) {
		t.Helper()
		if g := oneError(t, r, "FORBIDDEN"); g.Message != "Registration is disabled" {
			t.Errorf("message = %q, want Registration is disabled", g.Message)
		}
	}
	t.Run("without invite is registration disabled", func(t *testing.T) {
		t.Parallel()
		disabled(t, reg(t, "closed@example.com", "closed", nil))
	})
	t.Run("unknown or empty invite is registration disabled", func(t *testing.T) {
		t.Parallel()
		disabled(t, reg(t, "closed2@example.com", "closed2", "no-such-invite"))
		disabled(t, reg(t, "closed2@example.com", "closed2", ""))
	})
	t.Run("revoked invite is registration disabled", func(t *testing.T) {
		t.Parallel()
		inv, tok := ogInviteTok(t, e, owner.Access, org, "closedrevoked@example.com", "MEMBER", 1)
		data(t, ogGQL(t, e, ogRevokeInviteOp, map[string]any{"id": inv["id"]}, owner.Access))
		disabled(t, reg(t, "closedrevoked@example.com", "closedrevoked", tok))
	})
	t.Run("valid matching invite admits", func(t *testing.T) {
		t.Parallel()
		_, tok := ogInviteTok(t, e, owner.Access, org, "closedok@example.com", "MEMBER", 1)
		disabled(t, reg(t, "someoneelse@example.com", "someoneelse", tok))
		p := ogMap(t, data(t, reg(t, "closedok@example.com", "closedok", tok))["register"])
		if u := ogMap(t, p["user"]); u["isVerified"] != true {
			t.Errorf("isVerified = %v, want true", u["isVerified"])
		}
		m := ogMembershipOf(t, ogMemberships(t, e, p["accessToken"].(string)), org)
		if m == nil || m["role"] != "MEMBER" {
			t.Errorf("Closed Org membership = %v, want MEMBER", m)
		}
		disabled(t, reg(t, "closedok@example.com", "closedok2", tok))
	})
}

func TestOrgsAcceptInvite(t *testing.T) {
	t.Parallel()
	e := ogEnv(t)
	owner := ogRegister(t, e, "acowner")
	org := ogCreateOrg(t, e, owner.Access, "Accept Org")
	accept := func(t *testing.T, tok, access string) *apitest.GQLResponse {
		t.Helper()
		return ogGQL(t, e, ogAcceptInviteOp, map[string]any{"token": tok}, access)
	}
	t.Run("matching user joins with invited role", func(t *testing.T) {
		t.Parallel()
		u := ogRegister(t, e, "acjoin")
		_, tok := ogInviteTok(t, e, owner.Access, org, "ACJOIN@example.com", "ADMIN", 1)
		m := ogMap(t, data(t, accept(t, tok, u.Access))["acceptInvite"])
		if ogMap(t, m["organization"])["id"] != org || m["role"] != "ADMIN" || m["active"] != false {
			t.Errorf("acceptInvite = %v, want Accept Org, ADMIN, not active", m)
		}
		if got := ogMembershipOf(t, ogMemberships(t, e, u.Access), org); got == nil || got["role"] != "ADMIN" {
			t.Errorf("organizations has %v for Accept Org, want ADMIN", got)
		}
		t.Run("used again is invalid token", func(t *testing.T) {
			oneError(t, accept(t, tok, u.Access), "INVALID_TOKEN")
		})
	})
	t.Run("another user is forbidden and the invite stays usable", func(t *testing.T) {
		t.Parallel()
		intruder := ogRegister(t, e, "acintruder")
		_, tok := ogInviteTok(t, e, owner.Access, org, "acsomeone@example.com", "MEMBER", 1)
		oneError(t, accept(t, tok, intruder.Access), "FORBIDDEN")
		if ogMembershipOf(t, ogMemberships(t, e, intruder.Access), org) != nil {
			t.Error("the intruder became a member")
		}
		if got := ogInfo(t, e, tok); got != `{"email":"acsomeone@example.com","valid":true}` {
			t.Errorf("inviteInfo = %s, want still valid", got)
		}
	})
	t.Run("revoked invite is invalid token", func(t *testing.T) {
		t.Parallel()
		u := ogRegister(t, e, "acrevoked")
		inv, tok := ogInviteTok(t, e, owner.Access, org, u.Email, "MEMBER", 1)
		data(t, ogGQL(t, e, ogRevokeInviteOp, map[string]any{"id": inv["id"]}, owner.Access))
		oneError(t, accept(t, tok, u.Access), "INVALID_TOKEN")
		if ogMembershipOf(t, ogMemberships(t, e, u.Access), org) != nil {
			t.Error("joined through a revoked invite")
		}
	})
	t.Run("unknown token is invalid token", func(t *testing.T) {
		t.Parallel()
		u := ogRegister(t, e, "acunknown")
		oneError(t, accept(t, "no-such-invite", u.Access), "INVALID_TOKEN")
	})
	t.Run("without a bearer is authentication failed", func(t *testing.T) {
		t.Parallel()
		oneError(t, accept(t, "whatever", ""), "AUTHENTICATION_FAILED")
	})
	t.Run("existing member keeps their role", func(t *testing.T) {
		t.Parallel()
		u := ogRegister(t, e, "ackeeper")
		_, tok := ogInviteTok(t, e, owner.Access, org, u.Email, "ADMIN", 1)
		data(t, accept(t, tok, u.Access))
		_, tok2 := ogInviteTok(t, e, owner.Access, org, u.Email, "MEMBER", 2)
		m := ogMap(t, data(t, accept(t, tok2, u.Access))["acceptInvite"])
		if m["role"] != "ADMIN" {
			t.Errorf("acceptInvite by an admin invited as member = role %v, want ADMIN kept", m["role"])
		}
		if got := ogMembershipOf(t, ogMemberships(t, e, u.Access), org); got == nil || got["role"] != "ADMIN" {
			t.Errorf("membership = %v, want ADMIN", got)
		}
		if n := ogMembershipRows(t, e, u.UserID, org); n != 1 {
			t.Errorf("membership rows = %d, want 1", n)
		}
	})
	t.Run("owner accepting an invite to own organization stays owner", func(t *testing.T) {
		t.Parallel()
		o2 := ogRegister(t, e, "acowner2")
		org2 := ogCreateOrg(t, e, o2.Access, "Own Org")
		_, tok := ogInviteTok(t, e, o2.Access, org2, o2.Email, "MEMBER", 1)
		m := ogMap(t, data(t, accept(t, tok, o2.Access))["acceptInvite"])
		if m["role"] != "OWNER" {
			t.Errorf("role = %v, want OWNER kept", m["role"])
		}
	})
}

func TestOrgsAcceptInviteExpiredIsInvalidToken(t *testing.T) {
	t.Parallel()
	e := ogEnv(t)
	owner := ogRegister(t, e, "exowner")
	u := ogRegister(t, e, "exlate")
	org := ogCreateOrg(t, e, owner.Access, "Expiry Org")
	_, tok := ogInviteTok(t, e, owner.Access, org, u.Email, "MEMBER", 1)
	e.Clock.Advance(7*24*time.Hour + time.Minute)
	ogRelogin(t, e, u)
	oneError(t, ogGQL(t, e, ogAcceptInviteOp, map[string]any{"token": tok}, u.Access), "INVALID_TOKEN")
	if n := ogMembershipRows(t, e, u.UserID, org); n != 0 {
		t.Errorf("membership rows = %d, want 0", n)
	}
	_, tok2 := ogInviteTokAfterRelogin(t, e, owner, org, "exnewcomer@example.com")
	e.Clock.Advance(7*24*time.Hour + time.Minute)
	r := ogGQL(t, e, ogRegisterOp, map[string]any{"input": map[string]any{"email": "exnewcomer@example.com",
		"username": "exnewcomer", "password": "a long enough secret", "inviteToken": tok2}}, "")
	oneError(t, r, "INVALID_TOKEN")
}

// ogInviteTokAfterRelogin signs owner in again (the clock moved) and invites email once.
func ogInviteTokAfterRelogin(t testing.TB, e *apitest.Env, owner *apitest.Account, org, email string) (map[string]any, string) {
	t.Helper()
	ogRelogin(t, e, owner)
	return ogInviteTok(t, e, owner.Access, org, email, "MEMBER", 1)
}

func TestOrgsCreateInviteConcurrentlyLeavesOnePending(t *testing.T) {
	t.Parallel()
	e := ogEnv(t)
	owner := ogRegister(t, e, "cipowner")
	org := ogCreateOrg(t, e, owner.Access, "Busy Org")
	const n = 8
	codes := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			codes[i], _, errs[i] = ogPost(e, ogCreateInviteOp, map[string]any{"orgId": org, "email": "popular@example.com", "role": "MEMBER"}, owner.Access)
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || codes[i] != "" {
			t.Errorf("createInvite %d: code %q, err %v; want success", i, codes[i], errs[i])
		}
	}
	list := ogList(t, data(t, ogGQL(t, e, ogInvitesOp, map[string]any{"orgId": org}, owner.Access))["invites"])
	if len(list) != 1 {
		t.Errorf("pending invites = %d, want 1 (each invite replaces the previous one)", len(list))
	}
	e.For(t).WaitMail("popular@example.com", "invite", n)
	valid := 0
	for _, m := range e.Logs.Mails("popular@example.com") {
		if m.Kind == "invite" && ogInfo(t, e, m.Token()) != ogInvalidInfo {
			valid++
		}
	}
	if valid != 1 {
		t.Errorf("%d of the %d mailed tokens are valid, want 1", valid, n)
	}
}

func TestOrgsAcceptInviteConcurrentlyWinsOnce(t *testing.T) {
	t.Parallel()
	e := ogEnv(t)
	owner := ogRegister(t, e, "ccowner")
	u := ogRegister(t, e, "ccjoiner")
	org := ogCreateOrg(t, e, owner.Access, "Race Org")
	_, tok := ogInviteTok(t, e, owner.Access, org, u.Email, "MEMBER", 1)
	const n = 8
	codes := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			codes[i], _, errs[i] = ogPost(e, ogAcceptInviteOp, map[string]any{"token": tok}, u.Access)
		})
	}
	close(start)
	wg.Wait()
	ok := 0
	for i := range n {
		switch {
		case errs[i] != nil:
			t.Errorf("call %d: %v", i, errs[i])
		case codes[i] == "":
			ok++
		case codes[i] != "INVALID_TOKEN":
			t.Errorf("call %d: code %s, want INVALID_TOKEN for every loser", i, codes[i])
		}
	}
	if ok != 1 {
		t.Errorf("%d calls succeeded, want exactly 1", ok)
	}
	if rows := ogMembershipRows(t, e, u.UserID, org); rows != 1 {
		t.Errorf("membership rows = %d, want 1", rows)
	}
}

func TestOrgsSwitchOrgIntoInvitedOrganizationSurvivesRefresh(t *testing.T) {
	t.Parallel()
	e := ogEnv(t)
	owner := ogRegister(t, e, "swowner")
	u := ogRegister(t, e, "swjoiner")
	org := ogCreateOrg(t, e, owner.Access, "Switch Org")
	_, tok := ogInviteTok(t, e, owner.Access, org, u.Email, "MEMBER", 1)
	data(t, ogGQL(t, e, ogAcceptInviteOp, map[string]any{"token": tok}, u.Access))
	r := ogGQL(t, e, ogSwitchOp, map[string]any{"orgId": org}, u.Access)
	sw := ogMap(t, data(t, r)["switchOrg"])
	if sw["orgId"] != org || sw["tokenType"] != "bearer" || sw["expiresIn"] != json.Number("900") {
		t.Errorf("switchOrg = %s, want orgId %s, bearer, 900", r.Raw, org)
	}
	access := sw["accessToken"].(string)
	if c := apitest.Claims(t, access); c["org"] != org || c["sub"] != u.UserID {
		t.Errorf("claims = %v, want org %s and sub %s", c, org, u.UserID)
	}
	rr := ogMap(t, data(t, ogGQL(t, e, ogRefreshOp, map[string]any{"rt": u.Refresh}, ""))["refreshToken"])
	if got := apitest.Claims(t, rr["accessToken"].(string))["org"]; got != org {
		t.Errorf("org claim after refresh = %v, want %s", got, org)
	}
	if m := ogMembershipOf(t, ogMemberships(t, e, rr["accessToken"].(string)), org); m == nil || m["active"] != true {
		t.Errorf("membership after refresh = %v, want active", m)
	}
	t.Run("organization of others is forbidden org:access", func(t *testing.T) {
		other := ogCreateOrg(t, e, owner.Access, "Not Yours")
		ogForbidden(t, ogGQL(t, e, ogSwitchOp, map[string]any{"orgId": other}, access), auth.PermOrgAccess)
		ogForbidden(t, ogGQL(t, e, ogSwitchOp, map[string]any{"orgId": uuid.NewString()}, access), auth.PermOrgAccess)
	})
}
