package rest

import (
	"slices"
	"testing"

	"authbff/graph"
	"authbff/graph/auth"
)

// TestEveryPersistedOperationValidates: each route's operation parses and validates
// against schema.graphql, aliases its one root field "result", maps every variable to a
// JSON type and to a field of the route's domain input form, and declares its variables
// in the order of the form's fields (the order of FastAPI's 422 entries).
func TestEveryPersistedOperationValidates(t *testing.T) {
	t.Parallel()
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
	seen := map[string]bool{}
	for _, rt := range routes {
		t.Run(rt.method+rt.path, func(t *testing.T) {
			op, err := loadOperation(schema, rt.op, rt.form)
			if err != nil {
				t.Fatalf("operation %s: %v", rt.op, err)
			}
			var names []string
			for _, v := range op.vars {
				names = append(names, v.name)
			}
			if len(names) > 0 {
				var form []string
				for _, f := range rt.form.Fields() {
					form = append(form, string(f.Name))
				}
				var inForm []string
				for _, f := range form {
					if slices.Contains(names, f) {
						inForm = append(inForm, f)
					}
				}
				if !slices.Equal(inForm, names) {
					t.Errorf("variables %v are not in the order of %s's form %v", names, op.root, form)
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
	if _, err := loadOperation(schema, "no_such_operation", nil); err == nil {
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
		if _, err := parseOperation(schema, "inline", text, nil); err == nil {
			t.Errorf("operation %q was accepted", text)
		}
	}
}

// TestOperationFormMismatchIsRefused: a route's variables and its domain input form
// must match one to one (each variable is the key of a field of the same name, each
// field has its variable), or the server does not start; a route whose operation has
// variables but names no form cannot start either.
func TestOperationFormMismatchIsRefused(t *testing.T) {
	t.Parallel()
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
	const login = `mutation($username: String!, $password: String!) { result: login(input: {username: $username, password: $password}) { token_type: tokenType } }`
	if _, err := parseOperation(schema, "inline", login, auth.LoginForm); err != nil {
		t.Fatalf("a matching operation and form: %v", err)
	}
	cases := []struct {
		name, text string
		form       auth.InputForm
	}{
		{"NoForm", login, nil},
		{"VariableOutsideForm", `mutation($token: String!) { result: verifyEmail(token: $token) }`, auth.LoginForm},
		{"FieldWithoutVariable", `mutation($username: String!) { result: login(input: {username: $username, password: "x"}) { token_type: tokenType } }`, auth.LoginForm},
		{"OtherSpelling", `mutation($refreshToken: String!) { result: refreshToken(refreshToken: $refreshToken) { token_type: tokenType } }`, auth.RefreshForm},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if _, err := parseOperation(schema, "inline", c.text, c.form); err == nil {
				t.Fatalf("operation %q with form %v was accepted", c.text, c.form)
			}
		})
	}
	// Every route with variables names its form (what Mount and OpenAPI load).
	for _, rt := range routes {
		if rt.source != none && rt.form == nil {
			t.Errorf("route %s %s reads variables but names no input form", rt.method, rt.path)
		}
	}
}

// TestDomainFieldsHaveRESTKeys: every field of a route's form is carried by one of its
// variables, so that each entry the service reports has its REST location.
func TestDomainFieldsHaveRESTKeys(t *testing.T) {
	t.Parallel()
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
	for _, rt := range routes {
		if rt.form == nil {
			continue
		}
		op, err := loadOperation(schema, rt.op, rt.form)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range rt.form.Fields() {
			i := slices.IndexFunc(op.vars, func(v variable) bool { return v.field.Name == f.Name })
			if i < 0 || op.vars[i].name != restKey(f.Name) {
				t.Errorf("%s %s: field %s has no variable named %q", rt.method, rt.path, f.Name, restKey(f.Name))
			}
		}
	}
}
