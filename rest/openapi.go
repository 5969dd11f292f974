package rest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"authbff/graph/auth"
)

// The OpenAPI document (/openapi.json) is generated, on its first request, from what the REST
// adapter itself runs, so that it cannot drift from it:
//   - paths, methods, bearer security, query and body parameters: the route table and
//     each persisted operation's variables (names, order, required, JSON type);
//   - field rules (lengths, pattern, e-mail format, value rules): probed from the one
//     validation path (the route's auth.InputForm), reading the limits from the entries
//     it reports; whether an optional field may be null: its FieldSpec;
//   - success schemas: the operation's selection (aliases are the keys, in the order the
//     answer writes them) typed by the GraphQL schema, fragments as shared components;
//   - error answers: the codes the GraphQL field's description names ("Errors: …"), plus
//     those every route of its kind can meet, mapped to statuses by the envelope's table.

// ordered is a JSON object whose keys keep their insertion order.
type ordered []kv

type kv struct {
	k string
	v any
}

func (o ordered) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	err := encode(&b, o)
	return b.Bytes(), err
}

// encode writes v as compact JSON, ordered objects and lists directly (json.Marshal
// would re-validate each nested Marshaler's output: quadratic in the depth).
func encode(b *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case ordered:
		b.WriteByte('{')
		for i, p := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(p.k)
			b.Write(k)
			b.WriteByte(':')
			if err := encode(b, p.v); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := encode(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	default:
		raw, err := marshalNoEscape(v)
		if err != nil {
			return err
		}
		b.Write(raw)
	}
	return nil
}

func marshalNoEscape(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func obj(pairs ...any) ordered {
	o := make(ordered, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		o = append(o, kv{pairs[i].(string), pairs[i+1]})
	}
	return o
}

func (o ordered) with(k string, v any) ordered { return append(o, kv{k, v}) }

// openAPIVersion is the version of the document's format.
const openAPIVersion = "3.1.0"

// openAPI builds the document from the loaded operations, in route-table order.
func openAPI(schema *ast.Schema, ops []*operation) ([]byte, error) {
	g := &apiGen{schema: schema, components: ordered{}}
	paths := ordered{}
	index := map[string]int{}
	for i, rt := range routes {
		op, err := g.operation(rt, ops[i])
		if err != nil {
			return nil, err
		}
		p := Prefix + rt.path
		if j, ok := index[p]; ok {
			paths[j].v = paths[j].v.(ordered).with(strings.ToLower(rt.method), op)
			continue
		}
		index[p] = len(paths)
		paths = paths.with(p, obj(strings.ToLower(rt.method), op))
	}
	schemas := g.components.
		with("ErrorEnvelope", errorEnvelope()).
		with("ValidationError", validationErrorSchema())
	doc := obj(
		"openapi", openAPIVersion,
		"info", obj(
			"title", "authbff",
			"version", "1.0.0",
			"description", "The fifteen `/v1/auth` routes of the FastAPI service authbff replaces, served unchanged. "+
				"Each route runs a persisted GraphQL operation (the GraphQL API is at `/graphql`, with GraphiQL at `/playground`). "+
				"Every error but validation is the envelope `{error, message, details, timestamp, status_code}`; invalid input is a FastAPI-style 422 `{detail: [...]}`. "+
				"This document is generated from the route table, the operations and the field rules the server runs.",
		),
		"servers", []any{obj("url", "/")},
		"paths", paths,
		"components", obj(
			"schemas", schemas,
			"securitySchemes", obj("bearer", obj("type", "http", "scheme", "bearer", "bearerFormat", "JWT",
				"description", "An access token from login, register, refresh or switch-org, in `Authorization: Bearer <token>` (scheme case-insensitive).")),
		),
	)
	var b bytes.Buffer
	err := encode(&b, doc)
	return b.Bytes(), err
}

type apiGen struct {
	schema     *ast.Schema
	components ordered
}

func (g *apiGen) component(name string) bool {
	for _, p := range g.components {
		if p.k == name {
			return true
		}
	}
	return false
}

// operation is one path item operation.
func (g *apiGen) operation(rt route, op *operation) (ordered, error) {
	field := g.rootField(op)
	if field == nil {
		return nil, fmt.Errorf("openapi: operation %s: no root field %s", rt.op, op.root)
	}
	desc := field.Description
	summary, _, _ := strings.Cut(desc, ". ")
	o := obj(
		"operationId", operationID(rt.op),
		"summary", strings.TrimSuffix(summary, "."),
		"description", desc+fmt.Sprintf("\n\nRuns the GraphQL operation `%s` (`%s`).", op.name, op.root),
		"tags", []any{"auth"},
	)
	if rt.auth {
		o = o.with("security", []any{obj("bearer", []any{})})
	} else {
		o = o.with("security", []any{})
	}
	switch rt.source {
	case query:
		var params []any
		for _, v := range op.vars {
			params = append(params, obj("name", v.name, "in", "query", "required", v.required,
				"schema", g.fieldSchema(op, v)))
		}
		o = o.with("parameters", params)
	case body:
		props := ordered{}
		var required []any
		for _, v := range op.vars {
			props = props.with(v.name, g.fieldSchema(op, v))
			if v.required {
				required = append(required, v.name)
			}
		}
		s := obj("type", "object", "properties", props)
		if len(required) > 0 {
			s = s.with("required", required)
		}
		o = o.with("requestBody", obj("required", true, "content", obj("application/json", obj("schema", s))))
	}
	var success any
	if rt.null {
		success = obj("type", "null")
	} else {
		s, err := g.selectionSchema(op)
		if err != nil {
			return nil, err
		}
		success = s
	}
	responses := obj("200", obj("description", "Success.", "content", obj("application/json", obj("schema", success))))
	for _, st := range errorStatuses(rt, op, desc) {
		if st.status == http.StatusUnprocessableEntity {
			responses = responses.with("422", obj("description", "Invalid input (FastAPI/pydantic style): one entry per failing field, in declaration order.",
				"content", obj("application/json", obj("schema", obj("$ref", "#/components/schemas/ValidationError")))))
			continue
		}
		r := obj("description", statusDescription(st), "content", obj("application/json", obj("schema", errorAt(st))))
		switch st.status {
		case http.StatusUnauthorized:
			r = r.with("headers", obj("WWW-Authenticate", obj("description", "`Bearer`", "schema", obj("type", "string"))))
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			r = r.with("headers", obj("Retry-After", obj("description", "Whole seconds to wait.", "schema", obj("type", "integer"))))
		}
		responses = responses.with(fmt.Sprint(st.status), r)
	}
	return o.with("responses", responses), nil
}

func operationID(file string) string {
	parts := strings.Split(file, "_")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts, "")
}

func (g *apiGen) rootField(op *operation) *ast.FieldDefinition {
	for _, t := range []*ast.Definition{g.schema.Query, g.schema.Mutation} {
		if t == nil {
			continue
		}
		if f := t.Fields.ForName(op.root); f != nil {
			return f
		}
	}
	return nil
}

// fieldSchema is a request field's schema: its JSON type (null allowed when optional,
// as pydantic's Optional[...] = None), and the rules its form applies to it.
func (g *apiGen) fieldSchema(op *operation, v variable) ordered {
	typ := "string"
	if v.kind == kindObject {
		typ = "object"
	}
	var t any = typ
	if !v.required && !v.field.NotNull {
		t = []any{typ, "null"}
	}
	s := obj("type", t)
	if v.kind == kindObject {
		return s.with("additionalProperties", true).with("description", fmt.Sprintf(
			"A JSON object, nested at most %d levels, at most %d bytes as compact JSON.", auth.ObjectMaxDepth, auth.ObjectMaxBytes))
	}
	r := probeRule(op.form, v.field.Name)
	if r.format != "" {
		s = s.with("format", r.format)
	}
	if r.minLength > 0 {
		s = s.with("minLength", r.minLength)
	}
	if r.maxLength > 0 {
		s = s.with("maxLength", r.maxLength)
	}
	if r.pattern != "" {
		s = s.with("pattern", r.pattern)
	}
	var notes []string
	if (r.minLength > 0 || r.maxLength > 0) && r.format != "email" {
		notes = append(notes, "Lengths count Unicode code points.")
	}
	notes = append(notes, r.notes...)
	if v.field.Name.Secret() {
		notes = append(notes, "Never echoed in a 422 (`[redacted]`).")
	}
	if len(notes) > 0 {
		s = s.with("description", strings.Join(notes, " "))
	}
	return s
}

// rule is what the validation path enforces on a string field.
type rule struct {
	minLength, maxLength int
	pattern, format      string
	notes                []string
}

// probeRule asks the form about a field with values that break each kind of rule, and
// reads the limits from the entries it reports (the ctx pydantic writes).
func probeRule(form auth.InputForm, field auth.FieldName) rule {
	var r rule
	probe := func(v string) []auth.FieldError {
		return form.Check(func(f auth.FieldName) (string, bool, bool) { return v, f == field, false }, nil)
	}
	for _, e := range probe("") {
		if e.Type == "string_too_short" {
			r.minLength = e.Ctx["min_length"].(int)
		}
	}
	long := strings.Repeat("a", 100_000) // past every declared maximum
	for _, e := range probe(long) {
		if e.Type == "string_too_long" {
			r.maxLength = e.Ctx["max_length"].(int)
		}
	}
	// A value of an acceptable length that is neither an address, a URL, a zone or a tag.
	n := max(r.minLength, 10)
	if r.maxLength > 0 && n > r.maxLength {
		n = r.maxLength
	}
	for _, e := range probe(strings.Repeat("!", n)) {
		switch {
		case e.Type == "string_pattern_mismatch":
			r.pattern = e.Ctx["pattern"].(string)
		case e.Type == "value_error" && strings.HasPrefix(e.Msg, "value is not a valid email address"):
			r.format = "email"
			r.maxLength = auth.EmailMaxLen
			r.notes = append(r.notes, fmt.Sprintf("A valid e-mail address (email-validator 2.2's rules), at most %d UTF-8 octets; compared ignoring case.", auth.EmailMaxLen))
		case e.Type == "value_error":
			reason := strings.TrimPrefix(e.Msg, "Value error, ")
			if strings.Contains(reason, "URL") {
				r.format = "uri"
			}
			r.notes = append(r.notes, "Rule: "+reason+".")
		}
	}
	if field.Secret() && r.minLength > 0 {
		r.notes = append(r.notes, "Not one of the most common passwords, nor equal (ignoring case) to the username, the e-mail or its local part.")
	}
	return r
}

// selectionSchema is the success schema: the root field's selection, keys in order.
func (g *apiGen) selectionSchema(op *operation) (ordered, error) {
	doc, errs := gqlparser.LoadQuery(g.schema, op.text)
	if len(errs) > 0 {
		return nil, errs
	}
	root := doc.Operations[0].SelectionSet[0].(*ast.Field)
	return g.objectSchema(root.SelectionSet), nil
}

// objectSchema types a selection set. A selection that is one fragment spread is that
// fragment's component; other spreads are merged in place.
func (g *apiGen) objectSchema(set ast.SelectionSet) ordered {
	if len(set) == 1 {
		if fs, ok := set[0].(*ast.FragmentSpread); ok {
			return g.fragmentRef(fs)
		}
	}
	props, required := g.properties(set)
	return obj("type", "object", "properties", props, "required", required, "additionalProperties", false)
}

func (g *apiGen) fragmentRef(fs *ast.FragmentSpread) ordered {
	name := strings.TrimSuffix(fs.Name, "Fields")
	if !g.component(name) {
		g.components = g.components.with(name, nil) // reserve the slot: keys in first-use order
		props, required := g.properties(fs.Definition.SelectionSet)
		s := obj("type", "object", "description", "Keys in this order.", "properties", props, "required", required, "additionalProperties", false)
		for i := range g.components {
			if g.components[i].k == name {
				g.components[i].v = s
			}
		}
	}
	return obj("$ref", "#/components/schemas/"+name)
}

func (g *apiGen) properties(set ast.SelectionSet) (ordered, []any) {
	props := ordered{}
	required := []any{}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			key := s.Alias
			if key == "" {
				key = s.Name
			}
			props = props.with(key, g.typeSchema(s.Definition, s.Definition.Type, s.SelectionSet))
			required = append(required, key)
		case *ast.FragmentSpread:
			p, r := g.properties(s.Definition.SelectionSet)
			props = append(props, p...)
			required = append(required, r...)
		}
	}
	return props, required
}

// typeSchema maps a GraphQL output type to JSON Schema (nullable: a "null" type too).
func (g *apiGen) typeSchema(def *ast.FieldDefinition, t *ast.Type, set ast.SelectionSet) ordered {
	var s ordered
	if t.Elem != nil {
		s = obj("type", "array", "items", g.typeSchema(nil, t.Elem, set))
	} else {
		switch t.NamedType {
		case "String":
			s = obj("type", "string")
		case "ID":
			s = obj("type", "string", "format", "uuid")
		case "Boolean":
			s = obj("type", "boolean")
		case "Int":
			s = obj("type", "integer")
		case "DateTime":
			s = obj("type", "string", "format", "date-time")
		case "JSONObject":
			s = obj("type", "object", "additionalProperties", true)
		default:
			s = g.objectSchema(set)
		}
	}
	if !t.NonNull {
		if len(s) > 0 && s[0].k == "type" {
			s[0].v = []any{s[0].v, "null"}
		} else {
			s = obj("oneOf", []any{s, obj("type", "null")})
		}
	}
	if def != nil && def.Description != "" && (len(s) == 0 || s[0].k != "$ref") {
		s = s.with("description", def.Description)
	}
	return s
}

// statusCodes is one error status of a route and the codes it carries.
type statusCodes struct {
	status int
	codes  []string
}

var codeRE = regexp.MustCompile(`\b[A-Z][A-Z_]{4,}\b`)

// errorStatuses lists a route's error answers: the codes its GraphQL field names in its
// description, those of its kind (a bearer, a body, a query), and those of every route.
func errorStatuses(rt route, op *operation, desc string) []statusCodes {
	codes := map[auth.Code]bool{auth.CodeInternal: true, auth.CodeServiceUnavailable: true}
	if _, after, ok := strings.Cut(desc, "Errors:"); ok {
		for _, c := range codeRE.FindAllString(after, -1) {
			if _, known := statusOf[auth.Code(c)]; known {
				codes[auth.Code(c)] = true
			}
		}
	}
	if rt.auth {
		codes[auth.CodeAuthFailed] = true
	}
	if rt.source == body {
		codes[auth.CodeBadRequest] = true
		codes[auth.CodePayloadTooLarge] = true
		codes[auth.CodeValidation] = true
	}
	if rt.source == query {
		codes[auth.CodeValidation] = true
	}
	byStatus := map[int][]string{}
	for c := range codes {
		byStatus[statusOf[c]] = append(byStatus[statusOf[c]], string(c))
	}
	var out []statusCodes
	for st, cs := range byStatus {
		slices.Sort(cs)
		out = append(out, statusCodes{st, cs})
	}
	slices.SortFunc(out, func(a, b statusCodes) int { return a.status - b.status })
	return out
}

func statusDescription(st statusCodes) string {
	return http.StatusText(st.status) + ": " + strings.Join(st.codes, ", ") + "."
}

// errorAt is the envelope narrowed to one status and its codes.
func errorAt(st statusCodes) ordered {
	cs := make([]any, len(st.codes))
	for i, c := range st.codes {
		cs[i] = c
	}
	return obj("allOf", []any{
		obj("$ref", "#/components/schemas/ErrorEnvelope"),
		obj("properties", obj("error", obj("enum", cs), "status_code", obj("const", st.status))),
	})
}

// errorEnvelope is the schema of every error answer but a 422.
func errorEnvelope() ordered {
	code := obj("type", "string", "description", "A stable error code.")
	sc := obj("type", "integer", "description", "Equals the HTTP status.")
	return obj("type", "object",
		"properties", obj(
			"error", code,
			"message", obj("type", "string"),
			"details", obj("type", "object", "additionalProperties", true, "description", "Always an object: `field` for CONFLICT, `retry_after` for RATE_LIMIT_EXCEEDED, `required_permission` for FORBIDDEN."),
			"timestamp", obj("type", "string", "pattern", `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$`, "description", "UTC, six fraction digits, no zone."),
			"status_code", sc,
		),
		"required", []any{"error", "message", "details", "timestamp", "status_code"},
		"additionalProperties", false,
	)
}

func validationErrorSchema() ordered {
	return obj("type", "object",
		"properties", obj("detail", obj("type", "array", "items", obj("type", "object",
			"properties", obj(
				"type", obj("type", "string", "description", "pydantic's error type: missing, string_type, string_too_short, string_too_long, string_pattern_mismatch, value_error, json_invalid, model_attributes_type, dict_type, …"),
				"loc", obj("type", "array", "items", obj("type", []any{"string", "integer"}), "description", "Where: [\"body\", field], [\"query\", name], [\"body\"] or [\"body\", character index]."),
				"msg", obj("type", "string"),
				"input", obj("description", "The value that failed (passwords read \"[redacted]\")."),
				"ctx", obj("type", "object", "additionalProperties", true, "description", "pydantic's context, such as {\"min_length\": 8}; absent when pydantic has none."),
			),
			"required", []any{"type", "loc", "msg", "input"},
			"additionalProperties", false,
		))),
		"required", []any{"detail"},
		"additionalProperties", false,
	)
}
