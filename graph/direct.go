package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strconv"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"

	"authbff/graph/model"
)

// Direct answers for the cheapest persisted operation, `me` (issue 12). Running
// `query Me { result: me { ...UserFields } }` through the executor cost about a third of
// REST /me's CPU (operation context, field contexts, one marshaler and several
// allocations per field, the response buffer); the answer is one already-loaded row.
// CompileMe turns such an operation into a function that does what the executor would:
// the same resolver steps (Principal, then auth.Service.Me, then userModel) and, per
// field, the same gqlgen marshaler the generated code calls for that field's type, in
// the selection's order, with the same duplicate-alias rule. What it does not know (an
// argument, a directive, an inline fragment, a field or type outside userFields) makes
// it decline at start-up, and the route keeps running through the executor.
// rest's TestDirectMeMatchesExecutor compares both paths byte for byte.

// userField is how the executor marshals one field of User: the schema type it was
// generated for (checked against the schema at compile time, so a schema change cannot
// make the direct path disagree silently) and the marshaler of the generated code.
type userField struct {
	typ     string
	marshal func(*model.User) (graphql.Marshaler, bool) // false: the executor would report an invalid null
}

func scalarString(s string) graphql.Marshaler { return graphql.MarshalString(s) }

func marshalOptString(s *string) graphql.Marshaler {
	if s == nil {
		return graphql.Null
	}
	return graphql.MarshalString(*s)
}

// userFields mirrors generated.go's marshal* calls for User (marshalNID2string,
// marshalNString2string, marshalOString2ᚖstring, marshalNBoolean2bool,
// marshalNString2ᚕstringᚄ, marshalNJSONObject…, marshalNDateTime…, marshalODateTime…,
// marshalOID2ᚖstring).
var userFields = map[string]userField{
	"id":           {"ID!", func(u *model.User) (graphql.Marshaler, bool) { return graphql.MarshalID(u.ID), true }},
	"email":        {"String!", func(u *model.User) (graphql.Marshaler, bool) { return scalarString(u.Email), true }},
	"username":     {"String!", func(u *model.User) (graphql.Marshaler, bool) { return scalarString(u.Username), true }},
	"fullName":     {"String", func(u *model.User) (graphql.Marshaler, bool) { return marshalOptString(u.FullName), true }},
	"authProvider": {"String!", func(u *model.User) (graphql.Marshaler, bool) { return scalarString(u.AuthProvider), true }},
	"isActive":     {"Boolean!", func(u *model.User) (graphql.Marshaler, bool) { return graphql.MarshalBoolean(u.IsActive), true }},
	"isVerified":   {"Boolean!", func(u *model.User) (graphql.Marshaler, bool) { return graphql.MarshalBoolean(u.IsVerified), true }},
	"roles": {"[String!]!", func(u *model.User) (graphql.Marshaler, bool) {
		a := make(graphql.Array, len(u.Roles))
		for i, r := range u.Roles {
			a[i] = graphql.MarshalString(r)
		}
		return a, true
	}},
	"avatarUrl": {"String", func(u *model.User) (graphql.Marshaler, bool) { return marshalOptString(u.AvatarURL), true }},
	"bio":       {"String", func(u *model.User) (graphql.Marshaler, bool) { return marshalOptString(u.Bio), true }},
	"timezone":  {"String", func(u *model.User) (graphql.Marshaler, bool) { return marshalOptString(u.Timezone), true }},
	"locale":    {"String", func(u *model.User) (graphql.Marshaler, bool) { return marshalOptString(u.Locale), true }},
	"preferences": {"JSONObject!", func(u *model.User) (graphql.Marshaler, bool) {
		return u.Preferences, u.Preferences != nil
	}},
	"settings": {"JSONObject!", func(u *model.User) (graphql.Marshaler, bool) {
		return u.Settings, u.Settings != nil
	}},
	"createdAt": {"DateTime!", func(u *model.User) (graphql.Marshaler, bool) { return model.MarshalDateTime(u.CreatedAt), true }},
	"updatedAt": {"DateTime!", func(u *model.User) (graphql.Marshaler, bool) { return model.MarshalDateTime(u.UpdatedAt), true }},
	"lastLogin": {"DateTime", func(u *model.User) (graphql.Marshaler, bool) {
		if u.LastLogin == nil {
			return graphql.Null, true
		}
		return model.MarshalDateTime(*u.LastLogin), true
	}},
	"defaultWorkspaceId": {"ID", func(u *model.User) (graphql.Marshaler, bool) {
		if u.DefaultWorkspaceID == nil {
			return graphql.Null, true
		}
		return graphql.MarshalID(*u.DefaultWorkspaceID), true
	}},
	"hasPassword": {"Boolean!", func(u *model.User) (graphql.Marshaler, bool) { return graphql.MarshalBoolean(u.HasPassword), true }},
}

// compiledField is one key of the answer: `,"alias":` (no comma for the first) and its
// marshaler.
type compiledField struct {
	head []byte
	f    userField
}

// DirectMe answers a compiled `me` operation: it appends the value of the root field
// (the User object, without the {"result":…} around it) to b. ok is false when the
// executor would have done something this path does not (a non-null violation): the
// caller then runs the operation through the executor instead. Errors are the
// resolver's (*auth.Error), as graph.DomainError would return them.
type DirectMe func(ctx context.Context, b []byte) (out []byte, ok bool, err error)

// CompileMe returns a DirectMe for doc if its one operation is a query whose one root
// field is `me` (any alias, no arguments or directives) selecting only User fields of
// userFields, directly or through fragment spreads; otherwise nil. doc must have been
// validated against the schema.
func (r *Resolver) CompileMe(schema *ast.Schema, doc *ast.QueryDocument) DirectMe {
	if len(doc.Operations) != 1 {
		return nil
	}
	d, _ := r.compileMe(schema, doc.Operations[0])
	return d
}

// compileMe is CompileMe for one validated operation; key is the root field's response
// key (its alias, or "me").
func (r *Resolver) compileMe(schema *ast.Schema, op *ast.OperationDefinition) (d DirectMe, key string) {
	if op == nil || op.Operation != ast.Query || len(op.Directives) > 0 || len(op.VariableDefinitions) > 0 || len(op.SelectionSet) != 1 {
		return nil, ""
	}
	root, ok := op.SelectionSet[0].(*ast.Field)
	if !ok || root.Name != "me" || len(root.Arguments) > 0 || len(root.Directives) > 0 {
		return nil, ""
	}
	key = root.Alias
	if key == "" {
		key = root.Name
	}
	userDef := schema.Types["User"]
	if userDef == nil {
		return nil, ""
	}
	var fields []compiledField
	seen := map[string]bool{}
	var collect func(ast.SelectionSet) bool
	collect = func(set ast.SelectionSet) bool {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if len(s.Arguments) > 0 || len(s.Directives) > 0 || len(s.SelectionSet) > 0 {
					return false
				}
				f, known := userFields[s.Name]
				def := userDef.Fields.ForName(s.Name)
				if !known || def == nil || def.Type.String() != f.typ {
					return false
				}
				alias := s.Alias
				if alias == "" {
					alias = s.Name
				}
				if seen[alias] {
					continue // gqlgen writes the first field of an alias only (marshalFieldSet)
				}
				seen[alias] = true
				var head bytes.Buffer
				if len(fields) > 0 {
					head.WriteByte(',')
				}
				graphql.MarshalString(alias).MarshalGQL(&head)
				head.WriteByte(':')
				fields = append(fields, compiledField{head: head.Bytes(), f: f})
			case *ast.FragmentSpread:
				if len(s.Directives) > 0 || s.Definition == nil || s.Definition.TypeCondition != "User" ||
					len(s.Definition.Directives) > 0 || !collect(s.Definition.SelectionSet) {
					return false
				}
			default:
				return false
			}
		}
		return true
	}
	if !collect(root.SelectionSet) || len(fields) == 0 {
		return nil, ""
	}
	name := sanitizeName(op.Name)
	return func(ctx context.Context, b []byte) (out []byte, ok bool, err error) {
		defer func() {
			if p := recover(); p != nil {
				out, ok, err = nil, true, r.recoverPanic(ctx, p)
			}
		}()
		// What operationInfo records for the access log and the metrics.
		info := InfoFrom(ctx)
		info.setOperation(name)
		info.SetRoute("graphql:me")
		// The resolver of Query.me (schema.resolvers.go), step for step.
		p, err := r.Principal(ctx)
		if err != nil {
			return nil, true, err
		}
		u, err := r.Auth.Me(ctx, p)
		if err != nil {
			return nil, true, err
		}
		m := userModel(u)
		w := bufPool.Get().(*bytes.Buffer)
		defer bufPool.Put(w)
		w.Reset()
		w.WriteByte('{')
		for _, cf := range fields {
			v, ok := cf.f.marshal(m)
			if !ok {
				return nil, false, nil
			}
			w.Write(cf.head)
			v.MarshalGQL(w)
		}
		w.WriteByte('}')
		return append(b, w.Bytes()...), true, nil
	}, key
}

// directGraphQL answers the /graphql requests whose selected operation compileMe
// accepts, after gqlgen parsed, validated and limited them (CreateOperationContext: the
// document cache, the cost and complexity limits all ran), instead of dispatching them
// to the executor: the answer is the same JSON writeResponse would write for the
// executor's result. Only a success is answered here; an error (not authenticated, a
// database failure) goes through the executor, whose resolver then finds the same
// cached principal and presents the error as always. Compiled operations are kept per
// document text and operation name in a bounded LRU, like the parsed documents.
type directGraphQL struct {
	r      *Resolver
	schema *ast.Schema
	cache  *lru.LRU[compiledOp]
}

type compiledOp struct {
	fn  DirectMe
	key string
}

func newDirectGraphQL(r *Resolver, schema *ast.Schema) *directGraphQL {
	return &directGraphQL{r: r, schema: schema, cache: lru.New[compiledOp](1000)}
}

// serve writes the answer of rc and reports true, or writes nothing and reports false.
func (g *directGraphQL) serve(ctx context.Context, w io.Writer, rc *graphql.OperationContext) bool {
	if g == nil || rc.Operation == nil {
		return false
	}
	ck := rc.RawQuery + "\x00" + rc.OperationName
	c, ok := g.cache.Get(ctx, ck)
	if !ok {
		c.fn, c.key = g.r.compileMe(g.schema, rc.Operation)
		g.cache.Add(ctx, ck, c)
	}
	if c.fn == nil {
		return false
	}
	b := make([]byte, 0, 512)
	b = append(b, '{')
	b = strconv.AppendQuote(b, c.key) // a GraphQL name: [_A-Za-z][_0-9A-Za-z]*
	b = append(b, ':')
	b, ok, err := c.fn(ctx, b)
	if err != nil || !ok {
		return false
	}
	writeData(w, append(b, '}'))
	return true
}

// writeData writes what writeResponse writes for a Response with only Data: the
// struct's encoder writes `{"data":`, the RawMessage as json.Marshal writes it
// (compacted, with <, >, & and U+2028/9 escaped), and `}`; without the reflection over
// the Response struct (issue 12).
func writeData(w io.Writer, data []byte) {
	enc, err := json.Marshal(json.RawMessage(data))
	if err != nil {
		writeResponse(w, &graphql.Response{Data: data}) // its own answer to the error
		return
	}
	out := make([]byte, 0, len(enc)+len(`{"data":}`))
	out = append(out, `{"data":`...)
	out = append(out, enc...)
	_, _ = w.Write(append(out, '}'))
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}
