package web_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"authbff/rest/apitest"
)

// introspectionQuery is graphql-js's getIntrospectionQuery() (descriptions, directives,
// deprecated members, specifiedByURL), which buildClientSchema reads back.
const introspectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description isRepeatable locations args(includeDeprecated: true) { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description specifiedByURL
  fields(includeDeprecated: true) { name description args(includeDeprecated: true) { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue isDeprecated deprecationReason }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }`

// npmTool finds node and the packages of web/_npm (npm ci --prefix web/_npm). Outside CI
// their absence skips the test with how to run it; in CI it fails (.ci/run installs them).
func npmTool(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		for _, tool := range []string{"graphql-schema-linter", "openapi-typescript", "tsc"} {
			if _, serr := os.Stat("_npm/node_modules/.bin/" + tool); serr != nil {
				err = os.ErrNotExist
			}
		}
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node or web/_npm/node_modules missing; .ci/run runs npm ci --prefix web/_npm")
		}
		t.Skip("SKIPPED: needs node and `npm ci --prefix web/_npm` (make tools); then run go test ./web/")
	}
	return node
}

// The served schema (introspection, as clients see it) passes graphql-schema-linter's
// description rules: every type, field, argument, input field and enum value has one;
// and no internal directive shows.
func TestServedSchemaLints(t *testing.T) {
	t.Parallel()
	node := npmTool(t)
	env := apitest.New(t)
	r := env.GraphQL(introspectionQuery, nil, "")
	if len(r.Errors) > 0 {
		t.Fatalf("introspection: %+v", r.Errors)
	}
	raw, err := json.Marshal(r.Data)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "introspection.json")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, "_npm/lint-schema.js", file).CombinedOutput()
	if err != nil {
		t.Fatalf("schema lint failed: %v\n%s", err, out)
	}
}
