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
	// gqlparser refuses most wrong values itself (at the variable); a case-only mismatch
	// reaches gqlgen's unmarshalling: both give the same pydantic enum entry, never an
	// internal error.
	inv := func(t *testing.T, role any) *apitest.GQLResponse {
		return e.For(t).GraphQL(op, map[string]any{"orgId": a.WorkspaceID, "email": "x@example.com", "role": role}, a.Access)
	}
	for name, role := range map[string]any{"ErrLowercase": "member", "ErrUnknown": "SUPERUSER", "ErrNumber": 3, "ErrList": []any{"OWNER"}} {
		t.Run(name, func(t *testing.T) {
			// The message is gqlparser's for what it refused at the variable (as for every
			// variable error) and "Invalid input" for the rest; the entry is one shape.
			msg := ""
			if name == "ErrLowercase" {
				msg = auth.MsgValidation
			}
			wantError(t, inv(t, role), string(auth.CodeValidation), msg, []any{map[string]any{
				"type": "enum", "loc": []any{"role"}, "msg": "Input should be 'OWNER', 'ADMIN' or 'MEMBER'",
				"input": role, "ctx": map[string]any{"expected": "'OWNER', 'ADMIN' or 'MEMBER'"}}})
		})
	}
	r := e.GraphQL(`query($orgId: ID!) { invites(orgId: $orgId) { id } }`, map[string]any{"orgId": a.WorkspaceID}, a.Access)
	if inv, _ := data(t, r)["invites"].([]any); len(inv) != 0 {
		t.Errorf("invites after refused roles = %s, want none", r.Raw)
	}
}
