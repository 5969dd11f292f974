package rest_test

// Authority that ends must end everywhere (issue 8 §4): an invitation made by an admin
// stops admitting once that admin is removed, demoted or deactivated, on both transports;
// a reset link dies with change-password, reset and deactivation.

import (
	"context"
	"net/http"
	"testing"

	"authbff/graph/auth"
	"authbff/rest/apitest"
)

const (
	auSetRoleOp = `mutation($orgId: ID!, $userId: ID!, $role: OrgRole!) { setMemberRole(orgId: $orgId, userId: $userId, role: $role) { role } }`
	auRemoveOp  = `mutation($orgId: ID!, $userId: ID!) { removeMember(orgId: $orgId, userId: $userId) }`
	auAcceptOp  = `mutation($token: String!) { acceptInvite(token: $token) { role } }`
)

// auAdminInvite sets up an organization whose owner made admin an admin, and an
// invitation from that admin to guest (member role). It returns the env, the owner's
// access token, the org id, the admin's account and the invitation token.
func auAdminInvite(t *testing.T, guestRole string) (e *apitest.Env, owner *apitest.Account, org string, admin map[string]string, tok string) {
	t.Helper()
	e = ivEnv(t)
	owner = e.Register("owner")
	org = ivCreateOrg(t, e, owner.Access, "Acme")
	_, adminTok := ivInvite(t, e, owner.Access, org, "admin@example.com", "ADMIN", 1)
	m := ivObject(t, ivRegister(t, e, "admin@example.com", "admin", adminTok), http.StatusOK)
	admin = map[string]string{"access": m["access_token"].(string), "id": m["user"].(map[string]any)["user_id"].(string)}
	_, tok = ivInvite(t, e, admin["access"], org, "guest@example.com", guestRole, 1)
	return e, owner, org, admin, tok
}

// auWantDead checks that an invitation no longer admits on any path: invite-info,
// REST register with invite_token, GraphQL acceptInvite.
func auWantDead(t *testing.T, e *apitest.Env, tok string) {
	t.Helper()
	if got := ivInfo(t, e, tok); got != ivInvalidInfo {
		t.Errorf("invite-info = %s, want %s", got, ivInvalidInfo)
	}
	ivEnvelope(t, ivRegister(t, e, "guest@example.com", "guest", tok), http.StatusBadRequest, "INVALID_TOKEN", "")
	// Register the guest without the invite, then try GraphQL acceptInvite.
	g := ivObject(t, e.Do(http.MethodPost, "/v1/auth/register", map[string]any{"email": "guest@example.com",
		"username": "guest", "password": "a long enough secret"}, ""), http.StatusOK)
	ivGQLError(t, e, auAcceptOp, map[string]any{"token": tok}, g["access_token"].(string), "INVALID_TOKEN")
}

func TestInviteDiesWithInvitersAuthority(t *testing.T) {
	t.Parallel()
	t.Run("OK_AdminStillAdmin", func(t *testing.T) {
		t.Parallel()
		e, _, org, _, tok := auAdminInvite(t, "MEMBER")
		if got := ivInfo(t, e, tok); got != ivValidInfo("guest@example.com") {
			t.Fatalf("invite-info = %s", got)
		}
		m := ivObject(t, ivRegister(t, e, "guest@example.com", "guest", tok), http.StatusOK)
		if r := ivRole(t, e, m["access_token"].(string), org); r != "MEMBER" {
			t.Errorf("guest role = %q, want MEMBER", r)
		}
	})
	t.Run("ErrInviterRemoved", func(t *testing.T) {
		t.Parallel()
		e, owner, org, admin, tok := auAdminInvite(t, "MEMBER")
		ivGQL(t, e, auRemoveOp, map[string]any{"orgId": org, "userId": admin["id"]}, owner.Access)
		auWantDead(t, e, tok)
	})
	t.Run("ErrInviterDemoted", func(t *testing.T) {
		t.Parallel()
		e, owner, org, admin, tok := auAdminInvite(t, "ADMIN")
		ivGQL(t, e, auSetRoleOp, map[string]any{"orgId": org, "userId": admin["id"], "role": "MEMBER"}, owner.Access)
		auWantDead(t, e, tok)
	})
	t.Run("ErrInviterDeactivated", func(t *testing.T) {
		t.Parallel()
		e, _, _, _, tok := auAdminInvite(t, "MEMBER")
		if err := e.Svc.SetActive(context.Background(), "admin", false); err != nil {
			t.Fatal(err)
		}
		auWantDead(t, e, tok)
	})
	t.Run("OK_InviterReactivated", func(t *testing.T) {
		t.Parallel()
		e, _, _, _, tok := auAdminInvite(t, "MEMBER")
		ctx := context.Background()
		if err := e.Svc.SetActive(ctx, "admin", false); err != nil {
			t.Fatal(err)
		}
		if err := e.Svc.SetActive(ctx, "admin", true); err != nil {
			t.Fatal(err)
		}
		ivObject(t, ivRegister(t, e, "guest@example.com", "guest", tok), http.StatusOK)
	})
}

// auForgot asks for a reset link for a and returns the n-th link's token.
func auForgot(t *testing.T, e *apitest.Env, a *apitest.Account, n int) string {
	t.Helper()
	wantNull(t, e.Do(http.MethodPost, pForgot, obj{"email": a.Email}, ""))
	return e.WaitMail(a.Email, "reset_password", n).Token()
}

func TestResetLinkDiesWithAuthority(t *testing.T) {
	t.Parallel()
	reset := func(e *apitest.Env, tok string) *apitest.Response {
		return e.Do(http.MethodPost, pReset, obj{"token": tok, "new_password": strongPassword}, "")
	}
	t.Run("ErrAfterChangePassword", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		a := e.Register("victim")
		tok := auForgot(t, e, a, 1)
		wantNull(t, e.Do(http.MethodPut, pPassword, obj{"current_password": a.Password, "new_password": "Another-Long-Phrase-7"}, a.Access))
		wantError(t, reset(e, tok), http.StatusBadRequest, "INVALID_TOKEN", "", "")
	})
	t.Run("ErrOtherLinkAfterReset", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		a := e.Register("victim")
		first := auForgot(t, e, a, 1)
		second := auForgot(t, e, a, 2)
		wantNull(t, reset(e, second))
		wantError(t, reset(e, first), http.StatusBadRequest, "INVALID_TOKEN", "", "")
	})
	t.Run("ErrAfterDeactivation", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		a := e.Register("victim")
		tok := auForgot(t, e, a, 1)
		ctx := context.Background()
		if err := e.Svc.SetActive(ctx, a.Username, false); err != nil {
			t.Fatal(err)
		}
		if err := e.Svc.SetActive(ctx, a.Username, true); err != nil {
			t.Fatal(err)
		}
		wantError(t, reset(e, tok), http.StatusBadRequest, "INVALID_TOKEN", "", "")
	})
	t.Run("ErrAfterOperatorSetPassword", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		a := e.Register("victim")
		tok := auForgot(t, e, a, 1)
		if err := e.Svc.SetPassword(context.Background(), auth.SetPasswordInput{Identifier: a.Username, NewPassword: "Operator-Chosen-99"}); err != nil {
			t.Fatal(err)
		}
		wantError(t, reset(e, tok), http.StatusBadRequest, "INVALID_TOKEN", "", "")
	})
	t.Run("ErrAfterSuccessfulLogin", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		a := e.Register("victim")
		tok := auForgot(t, e, a, 1)
		e.Login(a.Username, a.Password)
		wantError(t, reset(e, tok), http.StatusBadRequest, "INVALID_TOKEN", "", "")
	})
	t.Run("OK_LinkWorksOtherwise", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		a := e.Register("victim")
		wantNull(t, reset(e, auForgot(t, e, a, 1)))
	})
}
