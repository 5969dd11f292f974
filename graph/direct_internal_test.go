package graph

import "testing"

// TestDirectMeKnowsEveryUserField: the direct `me` path declines a selection with a
// field it has no marshaler for, and the route then runs through the executor: correct,
// but silently slower. Every field of the schema's User must be in userFields with the
// type it was written for, so that adding a field to User fails here until direct.go
// learns it (README: where a change goes).
func TestDirectMeKnowsEveryUserField(t *testing.T) {
	t.Parallel()
	user := parsedSchema.Types["User"]
	if user == nil {
		t.Fatal("no User type in the schema")
	}
	for _, f := range user.Fields {
		if len(f.Name) > 1 && f.Name[:2] == "__" {
			continue
		}
		uf, ok := userFields[f.Name]
		if !ok {
			t.Errorf("User.%s (%s) has no entry in userFields (graph/direct.go)", f.Name, f.Type)
			continue
		}
		if uf.typ != f.Type.String() {
			t.Errorf("User.%s is %s in the schema, userFields marshals it as %s", f.Name, f.Type, uf.typ)
		}
	}
	for name := range userFields {
		if user.Fields.ForName(name) == nil {
			t.Errorf("userFields has %s, which User does not", name)
		}
	}
}
