package auth

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Every call that records an audit event names one of AuditEventTypes (the schema's
// AuditEventType enum), and every listed type is recorded somewhere: the enum is exactly
// what the code emits.
func TestAuditCallsUseListedTypes(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	// The string constants of the package, by name.
	consts := map[string]string{}
	for _, f := range files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[name.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
		}
	}
	used := map[string]bool{}
	for _, f := range files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			wrapper := strings.HasPrefix(fn.Name.Name, "audit") // passes its typ parameter on
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || !strings.HasPrefix(sel.Sel.Name, "audit") || len(call.Args) < 2 {
					return true
				}
				var typ string
				switch a := call.Args[1].(type) {
				case *ast.Ident:
					v, ok := consts[a.Name]
					if !ok {
						if wrapper && a.Name == "typ" {
							return true
						}
						t.Errorf("%s: %s records %s, not a constant", fset.Position(call.Pos()), sel.Sel.Name, a.Name)
						return true
					}
					typ = v
				case *ast.BasicLit:
					typ, _ = strconv.Unquote(a.Value)
				default:
					t.Errorf("%s: %s records a computed type", fset.Position(call.Pos()), sel.Sel.Name)
					return true
				}
				used[typ] = true
				if !slices.Contains(AuditEventTypes, typ) {
					t.Errorf("%s: audit type %q is not in AuditEventTypes (nor in the schema's enum)", fset.Position(call.Pos()), typ)
				}
				return true
			})
		}
	}
	for _, typ := range AuditEventTypes {
		if !used[typ] {
			t.Errorf("AuditEventTypes lists %q but nothing records it", typ)
		}
	}
	if len(used) == 0 {
		t.Fatal("found no audit calls: the scan is broken")
	}
}
