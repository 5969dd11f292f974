package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"authbff/rest/apitest"
)

// Documents that cost seconds of CPU (issue 8 §1). Each shape is an attack that used to
// hold a core for seconds (fragment DAGs, one field repeated thousands of times) or a
// shape whose validation would otherwise be superlinear; each is now refused, or
// accepted at a cost linear in its size. Speed is measured in BenchmarkDocumentCost,
// never asserted here.

// costDoc is one shape at a given size.
type costDoc struct {
	name string
	doc  func(n int) string
	n    int // the size the benchmark uses: as large as the parser's token limit allows
}

func fragmentDAG(n int) string {
	// fragment F0 on Query { ...F1 ... on Query { ...F1 } } …: F0 expands to 2^n fields.
	var b strings.Builder
	b.WriteString("query { ...F0 }\n")
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ... on Query { ...F%d } }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Query { __typename }\n", n)
	return b.String()
}

func fragmentDAGUnderField(n int) string {
	// The same under a field: gqlgen's complexity walk expanded it at every spread.
	var b strings.Builder
	b.WriteString("query { me { ...U0 } }\n")
	for i := range n {
		fmt.Fprintf(&b, "fragment U%d on User { ...U%d ...U%d }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment U%d on User { id }\n", n)
	return b.String()
}

func repeatedField(n int) string {
	return "{ authConfig { " + strings.Repeat("allowRegistration ", n) + "} }"
}

func repeatedFieldWithSelections(n int) string {
	return "{ " + strings.Repeat("me { id email } ", n) + "}"
}

func repeatedAliases(n int) string {
	var b strings.Builder
	b.WriteString("{ authConfig { ")
	for i := range n {
		fmt.Fprintf(&b, "a%d: allowRegistration ", i)
	}
	b.WriteString("} }")
	return b.String()
}

func pairsAcrossLevels(n int) string {
	// 10 fields under one name, in n sets: each set is within the per-name cap.
	var b strings.Builder
	b.WriteString("{ ")
	for i := range n {
		fmt.Fprintf(&b, "m%d: authConfig { %s} ", i, strings.Repeat("allowRegistration ", 10))
	}
	b.WriteString("}")
	return b.String()
}

func directives(n int) string {
	return "{ authConfig { allowRegistration " + strings.Repeat("@include(if: true) ", n) + "} }"
}

func variables(n int) string {
	var b strings.Builder
	b.WriteString("query(")
	for i := range n {
		fmt.Fprintf(&b, "$v%d: Boolean ", i)
	}
	b.WriteString(") { authConfig { allowRegistration ")
	for i := range n {
		fmt.Fprintf(&b, "a%d: allowRegistration @include(if: $v%d) ", i, i)
	}
	b.WriteString("} }")
	return b.String()
}

func nestedInlineFragments(n int) string {
	return "{ " + strings.Repeat("... on Query { __typename ", n) + strings.Repeat("} ", n) + "}"
}

func manyFragments(n int) string {
	var b strings.Builder
	b.WriteString("{ authConfig { ")
	for i := range n {
		fmt.Fprintf(&b, "...A%d ", i)
	}
	b.WriteString("} }\n")
	for i := range n {
		fmt.Fprintf(&b, "fragment A%d on AuthConfig { a%d: allowRegistration }\n", i, i)
	}
	return b.String()
}

func spreadsInOneSet(n int) string {
	return "{ authConfig { " + strings.Repeat("...A ", n) + "} }\nfragment A on AuthConfig { allowRegistration }"
}

func fragmentChain(n int) string {
	// Each fragment spreads the next once: gqlparser walks every fragment definition on
	// its own, so a chain is walked n²/2 times over.
	var b strings.Builder
	b.WriteString("{ ...C0 }\n")
	for i := range n {
		fmt.Fprintf(&b, "fragment C%d on Query { c%d: __typename ...C%d }\n", i, i, i+1)
	}
	fmt.Fprintf(&b, "fragment C%d on Query { __typename }\n", n)
	return b.String()
}

func introspectionChain(n int) string {
	// The same chain across levels, through the one recursive type (__Type.ofType).
	var b strings.Builder
	b.WriteString(`{ __type(name: "User") { ...T0 } }` + "\n")
	for i := range n {
		fmt.Fprintf(&b, "fragment T%d on __Type { kind name ofType { ...T%d } }\n", i, i+1)
	}
	fmt.Fprintf(&b, "fragment T%d on __Type { name }\n", n)
	return b.String()
}

func spreadGroups(groups, per int) string {
	var b strings.Builder
	b.WriteString("{ ")
	for g := range groups {
		fmt.Fprintf(&b, "g%d: authConfig { ", g)
		for i := range per {
			fmt.Fprintf(&b, "...A%d ", g*per+i)
		}
		b.WriteString("} ")
	}
	b.WriteString("}\n")
	for i := range groups * per {
		fmt.Fprintf(&b, "fragment A%d on AuthConfig { a%d: allowRegistration }\n", i, i)
	}
	return b.String()
}

func deepFields(n int) string {
	return strings.Repeat("{ me ", n) + "{ id }" + strings.Repeat(" }", n)
}

func unknownFields(n int) string {
	var b strings.Builder
	b.WriteString("{ authConfig { ")
	for i := range n {
		fmt.Fprintf(&b, "allowRegistrations%d ", i)
	}
	b.WriteString("} }")
	return b.String()
}

func longUnknownName(n int) string {
	return "{ authConfig { allowRegistration" + strings.Repeat("x", n) + " } }"
}

func bigLiteral(n int) string {
	return `mutation { updateProfile(input: {preferences: {` + strings.Repeat(`a: {`, n) + strings.Repeat(`}`, n) +
		`, settings: [` + strings.Repeat(`1, `, n) + `]}}) { id } }`
}

func manyOperations(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "query Q%d { authConfig { allowRegistration } }\n", i)
	}
	return b.String()
}

var costDocs = []costDoc{
	{"FragmentDAG", fragmentDAG, 900},
	{"FragmentDAGUnderField", fragmentDAGUnderField, 1500},
	{"RepeatedField", repeatedField, 14000},
	{"RepeatedFieldWithSelections", repeatedFieldWithSelections, 2900},
	{"RepeatedAliases", repeatedAliases, 4900},
	{"PairsAcrossLevels", pairsAcrossLevels, 11},
	{"Directives", directives, 2400},
	{"Variables", variables, 1000},
	{"NestedInlineFragments", nestedInlineFragments, 10},
	{"NestedInlineFragmentsRefused", nestedInlineFragments, 120},
	{"ManyFragments", manyFragments, 1000},
	{"SpreadsInOneSet", spreadsInOneSet, 7000},
	{"FragmentChain", fragmentChain, 31},
	{"IntrospectionChain", introspectionChain, 99},
	{"DeepFields", deepFields, 127},
	{"DeeplyNestedText", deepFields, 7000},
	{"UnknownFields", unknownFields, 14000},
	{"LongUnknownName", longUnknownName, 900_000},
	{"BigLiteral", bigLiteral, 60},
	{"ManyOperations", manyOperations, 1800},
}

// postDoc sends a document to the handler in-process and decodes the answer.
func postDoc(tb testing.TB, h http.Handler, doc string) (int, []apitest.GQLError) {
	tb.Helper()
	raw, _ := json.Marshal(map[string]any{"query": doc})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out struct{ Errors []apitest.GQLError }
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		tb.Fatalf("answer is not JSON: %v", err)
	}
	return rec.Code, out.Errors
}

func TestDocumentCostAttacksRefused(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.WithoutMailer())
	cases := []struct {
		name, doc, code, msg string
	}{
		{"ErrFragmentDAG", fragmentDAG(22), "GRAPHQL_VALIDATION_FAILED", "Document too large: expanded through its fragments"},
		{"ErrFragmentDAGLong", fragmentDAG(900), "GRAPHQL_VALIDATION_FAILED", "Too many fragments: 901 exceeds the limit of 100"},
		{"ErrFragmentDAGUnderField", fragmentDAGUnderField(30), "GRAPHQL_VALIDATION_FAILED", "Document too large"},
		{"ErrRepeatedField", repeatedField(14000), "GRAPHQL_VALIDATION_FAILED", `Field "allowRegistration" is selected 14000 times in one selection set`},
		{"ErrRepeatedFieldWithSelections", repeatedFieldWithSelections(2900), "GRAPHQL_VALIDATION_FAILED", `Field "me" is selected 2900 times`},
		{"ErrRepeatedThroughFragments", "{ authConfig { ...A ...B } }\nfragment A on AuthConfig { " + strings.Repeat("allowRegistration ", 11) +
			"}\nfragment B on AuthConfig { " + strings.Repeat("allowRegistration ", 10) + "}", "GRAPHQL_VALIDATION_FAILED", `selected 21 times`},
		{"ErrPairsAcrossLevels", pairsAcrossLevels(12), "GRAPHQL_VALIDATION_FAILED", "Too many repeated fields: more than 500 pairs"},
		{"ErrDirectives", directives(9), "GRAPHQL_VALIDATION_FAILED", "Too many directives: 9 exceeds the limit of 8"},
		{"ErrVariables", variables(65), "GRAPHQL_VALIDATION_FAILED", "Too many variables: 65 exceeds the limit of 64"},
		{"ErrNestedInlineFragments", nestedInlineFragments(11), "GRAPHQL_VALIDATION_FAILED", "Too many nested inline fragments"},
		{"ErrManyFragments", manyFragments(101), "GRAPHQL_VALIDATION_FAILED", "Too many fragments: 101 exceeds the limit of 100"},
		{"ErrSpreadsInOneSet", spreadsInOneSet(33), "GRAPHQL_VALIDATION_FAILED", "Too many fragment spreads: 33 exceeds the limit of 32"},
		{"ErrFragmentChain", fragmentChain(40), "GRAPHQL_VALIDATION_FAILED", "Too many fragment spreads: 41 exceeds the limit of 32"},
		{"ErrIntrospectionChain", introspectionChain(99), "GRAPHQL_VALIDATION_FAILED", "Document too large"},
		{"ErrCycleThroughAField", "{ me { ...U } }\nfragment U on User { id defaultWorkspace: id ...V }\nfragment V on User { ...U }",
			"GRAPHQL_VALIDATION_FAILED", `Cannot spread fragment "U" within itself`},
		{"ErrRepeatedAliasesTooComplex", repeatedAliases(4900), "COMPLEXITY_LIMIT_EXCEEDED", "operation has complexity 4901, which exceeds the limit of 1000"},
		{"ErrDeepFields", deepFields(127), "GRAPHQL_VALIDATION_FAILED", `Cannot query field "me" on type "User"`},
		{"ErrDeeplyNestedText", deepFields(128), "GRAPHQL_PARSE_FAILED", "Document nested too deeply: more than 128 levels"},
		{"ErrDeeperThanTheParserGoes", deepFields(7000), "GRAPHQL_PARSE_FAILED", "Document nested too deeply"},
		{"ErrDeepLiteral", bigLiteral(200), "GRAPHQL_PARSE_FAILED", "Document nested too deeply"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			status, errs := postDoc(t, e.Server.Config.Handler, c.doc)
			if status >= 500 || len(errs) == 0 {
				t.Fatalf("status %d, errors %v", status, errs)
			}
			if errs[0].Code() != c.code || !strings.Contains(errs[0].Message, c.msg) {
				t.Errorf("first error = %s %q, want %s containing %q", errs[0].Code(), errs[0].Message, c.code, c.msg)
			}
		})
	}
	hdNoErrorLogs(t, e)
}

// TestDocumentCostLegitDocuments: what clients send still passes: the playground's
// introspection query, fragments reused at several levels, a field repeated a few
// times through fragments, the limits exactly.
func TestDocumentCostLegitDocuments(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.WithoutMailer())
	a := e.Register("legit")
	introspection, err := os.ReadFile("testdata/introspection.graphql")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, doc string }{
		{"OKIntrospectionQuery", string(introspection)},
		{"OKNestingInStringsAndComments", "# {{{{{{{{\n{ authConfig { allowRegistration } " +
			`inviteInfo(token: "` + strings.Repeat("{[(", 200) + `\"") { valid } ` +
			`a: inviteInfo(token: """` + strings.Repeat("{\n", 200) + `\"""""") { valid } }`},
		{"OKAppQuery", `query Me { me { ...U } organizations { organization { id name } role } }
			fragment U on User { id email ...V } fragment V on User { id username email }`},
		{"OKTwentyRepeats", "{ me { ...A ...B } }\nfragment A on User { " + strings.Repeat("id ", 10) +
			"}\nfragment B on User { " + strings.Repeat("id ", 10) + "}"},
		{"OKSixtyFourVariables", strings.ReplaceAll(variables(64), "Boolean ", "Boolean = true ")},
		{"OKTenNestedInlineFragments", nestedInlineFragments(10)},
		{"OKHundredFragments", spreadGroups(4, 25)},
		{"OKThirtyTwoSpreads", manyFragments(32)},
		{"OKFragmentChain", fragmentChain(31)},
		{"OKIntrospectionChain", introspectionChain(8)},
		{"OKFourHundredNinetyFivePairs", pairsAcrossLevels(11)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := e.GraphQL(c.doc, nil, a.Access)
			if len(r.Errors) > 0 || r.Status != http.StatusOK {
				t.Fatalf("%d %s", r.Status, r.Raw)
			}
		})
	}
}

// BenchmarkDocumentCost measures what one document of each shape costs the server
// (transport, parse, the cost check, validation, complexity; execution for those
// accepted), per kilobyte of request body.
func BenchmarkDocumentCost(b *testing.B) {
	e := apitest.New(b, apitest.WithoutMailer())
	h := e.Server.Config.Handler
	for _, c := range costDocs {
		b.Run(c.name, func(b *testing.B) {
			doc := c.doc(c.n)
			raw, _ := json.Marshal(map[string]any{"query": doc})
			kb := float64(len(raw)) / 1024
			status, errs := postDoc(b, h, doc)
			if status >= 500 {
				b.Fatalf("status %d", status)
			}
			verdict := "accepted"
			if len(errs) > 0 {
				verdict = errs[0].Code() + ": " + errs[0].Message
			}
			b.Logf("%s n=%d: %.1f KB, %s", c.name, c.n, kb, verdict[:min(len(verdict), 120)])
			// Each iteration sends a distinct document (a comment differs), so that the
			// query cache never spares the work being measured.
			bodies := make([][]byte, 0, 64)
			for i := range cap(bodies) {
				r, _ := json.Marshal(map[string]any{"query": fmt.Sprintf("%s\n# %d", doc, i)})
				bodies = append(bodies, r)
			}
			n := 0
			b.ResetTimer()
			for b.Loop() {
				body := bodies[n%len(bodies)]
				if n >= len(bodies) {
					body = []byte(strings.Replace(string(body), "\\n# ", fmt.Sprintf("\\n# %d-", n), 1))
				}
				n++
				req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				h.ServeHTTP(httptest.NewRecorder(), req)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/kb, "ns/KB")
		})
	}
}
