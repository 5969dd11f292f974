package graph_test

import (
	"testing"

	"authbff/graph/auth"
	"authbff/rest/apitest"
)

// TestEnumVariableIsAValidationError: a variable that is not one of an enum's names
// (gqlparser lets it through to gqlgen's unmarshalling) is a VALIDATION_ERROR entry as
// pydantic writes it, never an internal error; nothing is created.
func TestEnumVariableIsAValidationError(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := register(t, e, "enumowner")
	const op = `mutation Invite($orgId: ID!, $email: String!, $role: OrgRole!) {
		createInvite(orgId: $orgId, email: $email, role: $role) { id } }`
	// gqlparser refuses most wrong values itself (a graphql_input entry at the variable);
	// a case-only mismatch reaches gqlgen's unmarshalling: both are VALIDATION_ERRORs at
	// the variable, never an internal error.
	inv := func(t *testing.T, role any) *apitest.GQLResponse {
		return e.For(t).GraphQL(op, map[string]any{"orgId": a.WorkspaceID, "email": "x@example.com", "role": role}, a.Access)
	}
	t.Run("ErrLowercase", func(t *testing.T) {
		wantError(t, inv(t, "member"), string(auth.CodeValidation), auth.MsgValidation, []any{map[string]any{
			"type": "enum", "loc": []any{"role"}, "msg": "Input should be 'OWNER', 'ADMIN' or 'MEMBER'",
			"input": "member", "ctx": map[string]any{"expected": "'OWNER', 'ADMIN' or 'MEMBER'"}}})
	})
	for name, role := range map[string]any{"ErrUnknown": "SUPERUSER", "ErrNumber": 3} {
		t.Run(name, func(t *testing.T) {
			got := entries(t, oneError(t, inv(t, role), string(auth.CodeValidation)))
			if len(got) != 1 || canon(t, got[0]["loc"]) != `["role"]` {
				t.Errorf("entries = %v, want one at [\"role\"]", got)
			}
		})
	}
	r := e.GraphQL(`query($orgId: ID!) { invites(orgId: $orgId) { id } }`, map[string]any{"orgId": a.WorkspaceID}, a.Access)
	if inv, _ := data(t, r)["invites"].([]any); len(inv) != 0 {
		t.Errorf("invites after refused roles = %s, want none", r.Raw)
	}
}
