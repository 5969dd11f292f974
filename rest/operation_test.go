package rest

import (
	"slices"
	"testing"

	"authbff/graph"
	"authbff/graph/auth"
)

// TestEveryPersistedOperationValidates: each route's operation parses and validates
// against schema.graphql, aliases its one root field "result", maps every variable to a
// JSON type, and declares its variables in the order of the shared validation form (the
// order of FastAPI's 422 entries).
func TestEveryPersistedOperationValidates(t *testing.T) {
	t.Parallel()
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
	seen := map[string]bool{}
	for _, rt := range routes {
		t.Run(rt.method+rt.path, func(t *testing.T) {
			op, err := loadOperation(schema, rt.op)
			if err != nil {
				t.Fatalf("operation %s: %v", rt.op, err)
			}
			var names []string
			for _, v := range op.vars {
				names = append(names, v.name)
			}
			if len(names) > 0 {
				form := auth.FormFields(op.form)
				var inForm []string
				for _, f := range form {
					if slices.Contains(names, f) {
						inForm = append(inForm, f)
					}
				}
				if !slices.Equal(inForm, names) {
					t.Errorf("variables %v are not in the order of form %s %v", names, op.form, form)
				}
			}
			if (rt.source == none) != (len(op.vars) == 0) {
				t.Errorf("route source %d but %d variables", rt.source, len(op.vars))
			}
		})
		seen[rt.method+" "+rt.path] = true
	}
	if len(seen) != 15 {
		t.Fatalf("%d routes, want the reference's 15", len(seen))
	}
}

// TestBrokenOperationIsRefused: a persisted operation that does not validate stops the
// server at start-up (server.New fails) rather than failing at the first request.
func TestBrokenOperationIsRefused(t *testing.T) {
	t.Parallel()
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
	if _, err := loadOperation(schema, "no_such_operation"); err == nil {
		t.Fatal("a missing operation file loaded")
	}
	for _, text := range []string{
		`query { result: me { nope } }`,
		`query { me { id } }`,
		`query($x: Int) { result: authConfig { allowRegistration } }`,
		// A root field with variables but no validation form: refused at start-up,
		// never a panic (a 500) on the first malformed body.
		`mutation($id: ID!) { result: revokeSession(id: $id) }`,
	} {
		if _, err := parseOperation(schema, "inline", text); err == nil {
			t.Errorf("operation %q was accepted", text)
		}
	}
}
