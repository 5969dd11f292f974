package rest

import (
	"embed"
	"fmt"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"authbff/graph/auth"
)

//go:embed operations/*.graphql
var operationFS embed.FS

// resultAlias is the alias every persisted operation gives its one root field; the
// handler answers with that field's value.
const resultAlias = "result"

// kind is how a variable's JSON value is checked before GraphQL sees it.
type kind int

const (
	kindString kind = iota // String or ID: a JSON string (pydantic str)
	kindObject             // JSONObject: a JSON object (pydantic dict)
)

// variable is one of an operation's variables, in declaration order (the order of the
// reference's fields, which is the order of 422 entries).
type variable struct {
	name     string // the JSON key or query parameter, as the operation spells it
	field    auth.FieldSpec
	kind     kind
	required bool
}

// operation is a persisted GraphQL operation, parsed and validated at start-up.
type operation struct {
	name   string         // operation name
	text   string         // the document sent to the executor (with the fragments it uses)
	root   string         // the GraphQL root field it runs
	form   auth.InputForm // the domain input its variables fill (nil without variables)
	vars   []variable     // in declaration order
	secret bool           // has a password variable: raw body text is never echoed
}

// loadOperation reads operations/<file>.graphql, adds the fragments it spreads, and
// validates it against the schema and form. A broken operation stops the server at start.
func loadOperation(schema *ast.Schema, file string, form auth.InputForm) (*operation, error) {
	src, err := operationFS.ReadFile("operations/" + file + ".graphql")
	if err != nil {
		return nil, err
	}
	frags, err := operationFS.ReadFile("operations/fragments.graphql")
	if err != nil {
		return nil, err
	}
	return parseOperation(schema, file, withFragments(string(src), string(frags)), form)
}

// parseOperation validates an operation's text and reads its shape. Each variable must
// name a field of form: REST spells its JSON keys and query parameters as the domain
// names its fields (the contract's names), and this is where that mapping is made and
// checked, once. An operation with variables and no form is refused.
func parseOperation(schema *ast.Schema, file, text string, form auth.InputForm) (*operation, error) {
	doc, errs := gqlparser.LoadQueryWithRules(schema, text, nil)
	if len(errs) > 0 {
		return nil, fmt.Errorf("operation %s: %v", file, errs)
	}
	if len(doc.Operations) != 1 {
		return nil, fmt.Errorf("operation %s: want exactly one operation", file)
	}
	od := doc.Operations[0]
	if len(od.SelectionSet) != 1 {
		return nil, fmt.Errorf("operation %s: want exactly one root field", file)
	}
	root, ok := od.SelectionSet[0].(*ast.Field)
	if !ok || root.Alias != resultAlias {
		return nil, fmt.Errorf("operation %s: the root field must be aliased %q", file, resultAlias)
	}
	op := &operation{name: od.Name, text: text, root: root.Name, form: form}
	if len(od.VariableDefinitions) > 0 && form == nil {
		return nil, fmt.Errorf("operation %s: variables but no domain input form", file)
	}
	var fields []auth.FieldSpec
	if form != nil {
		fields = form.Fields()
	}
	for _, v := range od.VariableDefinitions {
		vr := variable{name: v.Variable, required: v.Type.NonNull}
		switch v.Type.NamedType {
		case "String", "ID":
			vr.kind = kindString
		case "JSONObject":
			vr.kind = kindObject
		default:
			return nil, fmt.Errorf("operation %s: variable $%s: type %s has no REST mapping", file, v.Variable, v.Type)
		}
		i := slices.IndexFunc(fields, func(f auth.FieldSpec) bool { return restKey(f.Name) == v.Variable })
		if i < 0 {
			return nil, fmt.Errorf("operation %s: variable $%s is no field of its input form", file, v.Variable)
		}
		vr.field = fields[i]
		if vr.field.Object != (vr.kind == kindObject) {
			return nil, fmt.Errorf("operation %s: variable $%s: type %s does not match its field", file, v.Variable, v.Type)
		}
		if vr.field.Name.Secret() {
			op.secret = true
		}
		op.vars = append(op.vars, vr)
	}
	for _, f := range fields {
		if !slices.ContainsFunc(op.vars, func(v variable) bool { return v.name == restKey(f.Name) }) {
			return nil, fmt.Errorf("operation %s: field %s of its input form has no variable", file, f.Name)
		}
	}
	return op, nil
}

// restKey is the JSON key (or query parameter) that carries a domain field. The
// contract spells REST's keys as the domain names its fields; parseOperation checks, for
// every route at start-up, that each of its form's fields is carried by the variable of
// that name, so that an entry the service reports lands at ["body", restKey(field)].
func restKey(f auth.FieldName) string { return string(f) }

// withFragments appends to text the fragments of the shared file that it spreads,
// directly or through another fragment (GraphQL refuses unused fragments).
func withFragments(text, shared string) string {
	blocks := map[string]string{}
	for _, b := range strings.Split(shared, "\nfragment ")[1:] {
		name, _, _ := strings.Cut(b, " ")
		blocks[name] = "fragment " + strings.TrimSpace(b) + "\n"
	}
	added := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for name, b := range blocks {
			if !added[name] && strings.Contains(text, "..."+name+"\n") {
				text += "\n" + b
				added[name], changed = true, true
			}
		}
	}
	return text
}
