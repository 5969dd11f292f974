package fence

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "authbff"

// fenced maps each emulation package to the only packages whose production code may
// import it.
var fenced = map[string][]string{
	module + "/rest/pyjson":          {module + "/rest"},
	module + "/graph/auth/emailaddr": {module + "/graph/auth"},
}

// TestOnlyTheirUsersImportTheEmulations: no production package but the named user
// imports a fenced package, so no other code can come to depend on its details.
func TestOnlyTheirUsersImportTheEmulations(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	importers := map[string][]string{} // fenced package → importing packages
	files := 0
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		files++
		rel, _ := filepath.Rel(root, filepath.Dir(p))
		pkg := path.Join(module, filepath.ToSlash(rel))
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			if _, ok := fenced[ip]; ok && !slices.Contains(importers[ip], pkg) {
				importers[ip] = append(importers[ip], pkg)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("read only %d Go files under %s: the walk is broken", files, root)
	}
	for ip, allowed := range fenced {
		if len(importers[ip]) == 0 {
			t.Errorf("nothing imports %s: the fence list is stale", ip)
		}
		for _, pkg := range importers[ip] {
			if !slices.Contains(allowed, pkg) {
				t.Errorf("%s imports %s; only %v may (see internal/fence/doc.go): use the user's interface instead", pkg, ip, allowed)
			}
		}
	}
}
