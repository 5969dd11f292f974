package graph_test

import (
	"testing"

	"authbff/rest/apitest"
)

// TestVariableErrorEntries pins how a variable coercion failure is named, from the value
// given and the declared type (not gqlparser's wording): absent → missing, not a string
// for a String or ID → string_type, not one of an enum's names → enum (as the enum's own
// unmarshalling names a case-only mismatch).
func TestVariableErrorEntries(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	const op = `mutation($o: ID!, $e: String!, $r: OrgRole!) { createInvite(orgId: $o, email: $e, role: $r) { id } }`
	cases := []struct {
		name string
		vars map[string]any
		typ  string
	}{
		{"ErrMissing", map[string]any{"o": "x", "r": "MEMBER"}, "missing"},
		{"ErrBoolForString", map[string]any{"o": "x", "e": true, "r": "MEMBER"}, "string_type"},
		{"ErrObjectForString", map[string]any{"o": "x", "e": map[string]any{}, "r": "MEMBER"}, "string_type"},
		{"ErrListForID", map[string]any{"o": []any{"x"}, "e": "a@example.com", "r": "MEMBER"}, "string_type"},
		{"ErrNullForString", map[string]any{"o": "x", "e": nil, "r": "MEMBER"}, "string_type"},
		{"ErrNumberForEnum", map[string]any{"o": "x", "e": "a@example.com", "r": 5}, "enum"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.GraphQL(op, c.vars, "")
			if len(r.Errors) != 1 || r.Errors[0].Code() != "VALIDATION_ERROR" {
				t.Fatalf("want one VALIDATION_ERROR, got %s", r.Raw)
			}
			details, _ := r.Errors[0].Extensions["details"].([]any)
			if len(details) != 1 {
				t.Fatalf("want one entry, got %s", r.Raw)
			}
			if got := details[0].(map[string]any)["type"]; got != c.typ {
				t.Errorf("type %v, want %s: %s", got, c.typ, r.Raw)
			}
		})
	}
}
