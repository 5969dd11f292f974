package graph

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// TestDocumentCostPassesPersistedOperations: every persisted operation of the REST
// routes (with the shared fragments) and the playground's introspection query are far
// inside the document limits, whatever the REST executor does with them.
func TestDocumentCostPassesPersistedOperations(t *testing.T) {
	t.Parallel()
	limits := costLimitsFor(Options{}.withDefaults())
	frags, err := os.ReadFile("../rest/operations/fragments.graphql")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../rest/operations/*.graphql")
	files = append(files, "testdata/introspection.graphql")
	if len(files) < 16 {
		t.Fatalf("found %d operations", len(files))
	}
	for _, f := range files {
		if strings.HasSuffix(f, "fragments.graphql") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(src)
		if !strings.Contains(f, "testdata") {
			text += "\n" + string(frags)
		}
		doc, err := parser.ParseQuery(&ast.Source{Input: text})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if gerr := checkDocumentCost(doc, limits); gerr != nil {
			t.Errorf("%s: %v", f, gerr)
		}
		if _, deep := tooDeep(text, maxNesting); deep {
			t.Errorf("%s: nesting refused", f)
		}
	}
}

// TestTooDeep: the nesting scan skips strings, block strings and comments.
func TestTooDeep(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		doc  string
		want bool
	}{
		{"{{{", true},
		{"{{", false},
		{`{ "{{{{" }`, false},
		{`{ "\"{{{{" }`, false},
		{"{ \"\"\"{{{{\\\"\"\"{{{\"\"\" }", false},
		{"# {{{{\n{", false},
		{"{ [ (", true},
		{"{ \"unterminated\n{{", true},
	} {
		if _, got := tooDeep(c.doc, 2); got != c.want {
			t.Errorf("tooDeep(%q) = %v, want %v", c.doc, got, c.want)
		}
	}
}
