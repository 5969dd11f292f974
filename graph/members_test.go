package graph_test

import (
	"bytes"
	"net/http"
	"testing"

	"authbff/rest/apitest"
)

// mbSetup: owner ann creates Acme and invites bob (ADMIN) and cat (MEMBER), who register
// with their invitations.
func mbSetup(t *testing.T) (e *apitest.Env, org string, ann, bob, cat *apitest.Account) {
	t.Helper()
	e = apitest.New(t)
	ann = e.Register("ann")
	r := e.GraphQL(`mutation { createOrganization(name: "Acme") { organization { id } } }`, nil, ann.Access)
	if len(r.Errors) > 0 {
		t.Fatalf("createOrganization: %s", r.Raw)
	}
	org = r.Data["createOrganization"].(map[string]any)["organization"].(map[string]any)["id"].(string)
	join := func(name, role string) *apitest.Account {
		addr := name + "@example.com"
		r := e.GraphQL(`mutation($o: ID!, $e: String!, $r: OrgRole!) { createInvite(orgId: $o, email: $e, role: $r) { id } }`,
			map[string]any{"o": org, "e": addr, "r": role}, ann.Access)
		if len(r.Errors) > 0 {
			t.Fatalf("createInvite: %s", r.Raw)
		}
		tok := e.WaitMail(addr, "invite", 1).Token()
		a := &apitest.Account{Username: name, Email: addr, Password: "pw-" + name + "-Secret!"}
		res := e.Do(http.MethodPost, "/v1/auth/register", map[string]any{"email": addr, "username": name,
			"password": a.Password, "invite_token": tok}, "")
		if res.Status != 200 {
			t.Fatalf("register %s: %d %s", name, res.Status, res.Body)
		}
		m := res.Object(t)
		a.UserID = m["user"].(map[string]any)["user_id"].(string)
		a.Access = m["access_token"].(string)
		a.Refresh = m["refresh_token"].(string)
		return a
	}
	return e, org, ann, join("bob", "ADMIN"), join("cat", "MEMBER")
}

func mbSwitch(t *testing.T, e *apitest.Env, a *apitest.Account, org string) string {
	t.Helper()
	r := e.Do(http.MethodPost, "/v1/auth/switch-org", map[string]any{"org_id": org}, a.Access)
	if r.Status != 200 {
		t.Fatalf("switch-org: %d %s", r.Status, r.Body)
	}
	return r.Object(t)["access_token"].(string)
}

func mbCode(t *testing.T, r *apitest.GQLResponse) string {
	t.Helper()
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].Code()
}

func TestMembersListed(t *testing.T) {
	t.Parallel()
	e, org, ann, bob, cat := mbSetup(t)
	r := e.GraphQL(`query($o: ID!) { members(orgId: $o) { userId username email role joinedAt } }`, map[string]any{"o": org}, cat.Access)
	if len(r.Errors) > 0 {
		t.Fatalf("members: %s", r.Raw)
	}
	ms := r.Data["members"].([]any)
	want := []struct{ id, role string }{{ann.UserID, "OWNER"}, {bob.UserID, "ADMIN"}, {cat.UserID, "MEMBER"}}
	if len(ms) != len(want) {
		t.Fatalf("members: %s", r.Raw)
	}
	for i, w := range want {
		m := ms[i].(map[string]any)
		if m["userId"] != w.id || m["role"] != w.role {
			t.Errorf("member %d = %v, want %s %s", i, m, w.id, w.role)
		}
	}
	outsider := e.Register("dan")
	if c := mbCode(t, e.GraphQL(`query($o: ID!) { members(orgId: $o) { userId } }`, map[string]any{"o": org}, outsider.Access)); c != "FORBIDDEN" {
		t.Fatalf("outsider listing members: %s", c)
	}
}

func TestSetMemberRole(t *testing.T) {
	t.Parallel()
	e, org, ann, bob, cat := mbSetup(t)
	set := func(by *apitest.Account, who *apitest.Account, role string) *apitest.GQLResponse {
		return e.GraphQL(`mutation($o: ID!, $u: ID!, $r: OrgRole!) { setMemberRole(orgId: $o, userId: $u, role: $r) { userId role } }`,
			map[string]any{"o": org, "u": who.UserID, "r": role}, by.Access)
	}
	cases := []struct {
		name     string
		by, who  *apitest.Account
		role     string
		wantCode string
	}{
		{"ErrMemberCannotManage", cat, bob, "MEMBER", "FORBIDDEN"},
		{"ErrAdminCannotMakeOwner", bob, cat, "OWNER", "FORBIDDEN"},
		{"ErrAdminCannotDemoteOwner", bob, ann, "MEMBER", "FORBIDDEN"},
		{"ErrLastOwnerStays", ann, ann, "ADMIN", "CONFLICT"},
		{"OKAdminPromotesMember", bob, cat, "ADMIN", ""},
		{"OKOwnerMakesOwner", ann, bob, "OWNER", ""},
		{"OKOwnerStepsDownWhenAnotherOwnerExists", ann, ann, "ADMIN", ""},
	}
	for _, c := range cases { // in order: each case builds on the previous ones
		r := set(c.by, c.who, c.role)
		if got := mbCode(t, r); got != c.wantCode {
			t.Fatalf("%s: code %q, want %q: %s", c.name, got, c.wantCode, r.Raw)
		}
		if c.wantCode == "" && r.Data["setMemberRole"].(map[string]any)["role"] != c.role {
			t.Fatalf("%s: %s", c.name, r.Raw)
		}
	}
}

// TestRemoveMemberTakesEffectAtOnce: the removed member's access token naming the
// organization stops working, their session falls back to the personal workspace (a
// refresh says so), and switch-org into the organization answers 403.
func TestRemoveMemberTakesEffectAtOnce(t *testing.T) {
	t.Parallel()
	e, org, ann, _, cat := mbSetup(t)
	inOrg := mbSwitch(t, e, cat, org)
	if r := e.Do(http.MethodGet, "/v1/auth/me", nil, inOrg); r.Status != 200 {
		t.Fatalf("me: %d", r.Status)
	}
	r := e.GraphQL(`mutation($o: ID!, $u: ID!) { removeMember(orgId: $o, userId: $u) }`, map[string]any{"o": org, "u": cat.UserID}, ann.Access)
	if len(r.Errors) > 0 || r.Data["removeMember"] != true {
		t.Fatalf("removeMember: %s", r.Raw)
	}
	if r := e.Do(http.MethodGet, "/v1/auth/me", nil, inOrg); r.Status != 401 {
		t.Fatalf("me with a token naming the organization after removal: %d", r.Status)
	}
	ref := e.Do(http.MethodPost, "/v1/auth/refresh", map[string]any{"refresh_token": cat.Refresh}, "")
	if ref.Status != 200 {
		t.Fatalf("refresh after removal: %d %s", ref.Status, ref.Body)
	}
	fresh := ref.Object(t)["access_token"].(string)
	orgs := e.GraphQL(`{ organizations { organization { id personal } active } }`, nil, fresh)
	list := orgs.Data["organizations"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["active"] != true ||
		list[0].(map[string]any)["organization"].(map[string]any)["personal"] != true {
		t.Fatalf("after removal the session should be back in the personal workspace: %s", orgs.Raw)
	}
	sw := e.Do(http.MethodPost, "/v1/auth/switch-org", map[string]any{"org_id": org}, fresh)
	if sw.Status != 403 || !bytes.Contains(sw.Body, []byte(`"required_permission":"org:access"`)) {
		t.Fatalf("switch-org into the organization after removal: %d %s", sw.Status, sw.Body)
	}
}

func TestRemoveMemberPermissions(t *testing.T) {
	t.Parallel()
	e, org, ann, bob, cat := mbSetup(t)
	remove := func(by, who *apitest.Account) string {
		return mbCode(t, e.GraphQL(`mutation($o: ID!, $u: ID!) { removeMember(orgId: $o, userId: $u) }`,
			map[string]any{"o": org, "u": who.UserID}, by.Access))
	}
	if c := remove(cat, bob); c != "FORBIDDEN" {
		t.Fatalf("member removing an admin: %q", c)
	}
	if c := remove(bob, ann); c != "FORBIDDEN" {
		t.Fatalf("admin removing the owner: %q", c)
	}
	if c := remove(ann, ann); c != "CONFLICT" {
		t.Fatalf("last owner leaving: %q", c)
	}
	stranger := e.Register("eve")
	if c := remove(ann, stranger); c != "NOT_FOUND" {
		t.Fatalf("removing a non-member: %q", c)
	}
	if c := remove(cat, cat); c != "" {
		t.Fatalf("a member leaving: %q", c)
	}
	if c := remove(bob, bob); c != "" {
		t.Fatalf("an admin leaving: %q", c)
	}
}
