package graph

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"authbff/graph/auth"
	"authbff/graph/model"
)

// presentError renders every GraphQL error: an *auth.Error becomes its message with
// extensions.code and extensions.details (for VALIDATION_ERROR, the list of pydantic-style
// entries with loc as the argument path); GraphQL's own document and variable errors keep
// their message with a code; anything else is INTERNAL_SERVER_ERROR with the generic
// message, its cause logged with the request id and never shown.
func (r *Resolver) presentError(ctx context.Context, err error) *gqlerror.Error {
	gerr := graphql.DefaultErrorPresenter(ctx, err)
	var ae *auth.Error
	var enumErr *model.EnumError
	switch {
	case errors.As(err, &ae):
		if (ae.Code == auth.CodeInternal || ae.Code == auth.CodeServiceUnavailable) && !AlreadyLogged(ae) {
			r.logCause(ctx, ae)
		}
		gerr.Message = ae.Message
		gerr.Extensions = map[string]any{"code": string(ae.Code), "details": r.details(ctx, ae)}
	case errors.Is(err, model.ErrNotObject):
		field := ""
		if n := len(gerr.Path); n > 0 {
			if name, ok := gerr.Path[n-1].(ast.PathName); ok {
				field = string(name)
			}
		}
		var input any
		if !domainField(field).Secret() {
			input = argValue(ctx, gerr.Path)
		}
		gerr.Message = auth.MsgValidation
		fe := auth.DictType(domainField(field), input)
		gerr.Extensions = map[string]any{"code": string(auth.CodeValidation), "details": []Entry{{
			Type: fe.Type, Loc: argLoc(ctx, field), Msg: fe.Msg, Input: fe.Input}}}
		gerr.Path = trimArgPath(gerr.Path)
	case errors.As(err, &enumErr):
		// A variable that is not one of the enum's names (gqlparser lets it through to
		// gqlgen's unmarshalling): pydantic's enum entry, as for any invalid input.
		field := ""
		if n := len(gerr.Path); n > 0 {
			if name, ok := gerr.Path[n-1].(ast.PathName); ok {
				field = string(name)
			}
		}
		gerr.Message = auth.MsgValidation
		gerr.Extensions = map[string]any{"code": string(auth.CodeValidation), "details": []Entry{{
			Type: "enum", Loc: argLoc(ctx, field), Msg: enumErr.Error(), Input: enumErr.Value,
			Ctx: map[string]any{"expected": enumErr.Expected()}}}}
		gerr.Path = trimArgPath(gerr.Path)
	case isGraphQLError(err):
		if gerr.Extensions == nil {
			gerr.Extensions = map[string]any{}
		}
		if len(gerr.Path) > 0 && gerr.Path[0] == ast.PathName("variable") {
			gerr.Extensions["code"] = string(auth.CodeValidation)
			loc := make([]any, 0, len(gerr.Path)-1)
			for _, p := range gerr.Path[1:] {
				loc = append(loc, p)
			}
			entry := variableEntry(ctx, gerr.Path[1:], gerr.Message)
			entry.Loc = loc
			gerr.Extensions["details"] = []Entry{entry}
			gerr.Path = nil
		} else if _, ok := gerr.Extensions["code"]; !ok {
			gerr.Extensions["code"] = string(auth.CodeValidation)
		}
	default:
		// Anything else is internal, or a storage failure that reached here unwrapped:
		// the same mapping as the service's (SERVICE_UNAVAILABLE, never a 500, for a
		// database that is down).
		ae, _ := auth.Internal(err).(*auth.Error)
		r.logCause(ctx, ae)
		gerr.Message = ae.Message
		gerr.Extensions = map[string]any{"code": string(ae.Code), "details": r.details(ctx, ae)}
	}
	if code, _ := gerr.Extensions["code"].(string); code == string(auth.CodeServiceUnavailable) {
		if d, ok := gerr.Extensions["details"].(map[string]any); ok {
			if ra, ok := d["retry_after"].(int); ok {
				InfoFrom(ctx).SetRetryAfter(ra)
			}
		}
	}
	return gerr
}

// keepDomainError is the in-process executor's presenter: it renders nothing and leaves
// the domain error as the cause (anything else becomes the *auth.Error that
// auth.Internal makes of it, SERVICE_UNAVAILABLE for a database that is down), so that a
// transport other than /graphql maps one error type with its own renderer.
func keepDomainError(ctx context.Context, err error) *gqlerror.Error {
	gerr := graphql.DefaultErrorPresenter(ctx, err)
	gerr.Err = DomainError(err)
	return gerr
}

// DomainError is the *auth.Error behind an error of the executor NewExecutor returns.
// A persisted operation fails only through the service, so anything else is internal.
func DomainError(err error) *auth.Error {
	var ae *auth.Error
	if errors.As(err, &ae) {
		return ae
	}
	ae, _ = auth.Internal(err).(*auth.Error)
	return ae
}

// isGraphQLError reports whether err is gqlparser's or gqlgen's own (parse, validation,
// variable coercion, argument unmarshalling): its message is safe and useful to show.
func isGraphQLError(err error) bool {
	var g *gqlerror.Error
	if !errors.As(err, &g) {
		return false
	}
	return g.Unwrap() == nil || g.Rule != "" || g.Extensions != nil
}

// variableEntry names a variable coercion failure at path (the variable, then input
// object fields and list indexes) as pydantic does (CONTRACT.md §3, §5), from the value
// the request gave and the type the operation declares, never from gqlparser's message
// text (a dependency's wording may change): an absent value is "missing"; anything but a
// string (a number, boolean, object, list or null) for a String or ID is "string_type";
// anything but one of an enum's names is "enum", the entry a case-only mismatch gets
// from the enum's own unmarshalling (one shape for one mistake); any other failure is
// "graphql_input" with gqlparser's message. The one ID failure pydantic has no name for,
// an integer decoded as a float beyond 2^53, stays "graphql_input". Loc is the caller's.
func variableEntry(ctx context.Context, path ast.Path, msg string) Entry {
	v, present := variableValue(InfoFrom(ctx).rawVariables(), path)
	named := variableType(ctx, path)
	switch {
	case !present:
		fe := auth.Missing("", nil)
		return Entry{Type: fe.Type, Msg: fe.Msg}
	case named == "String" || named == "ID":
		if f, ok := v.(float64); ok && named == "ID" && f == math.Trunc(f) && math.Abs(f) > 1<<53-1 {
			break
		}
		if _, isString := v.(string); !isString {
			fe := auth.StringType("", nil)
			return Entry{Type: fe.Type, Msg: fe.Msg}
		}
	case parsedSchema.Types[named] != nil && parsedSchema.Types[named].Kind == ast.Enum:
		ee := &model.EnumError{Value: v}
		for _, ev := range parsedSchema.Types[named].EnumValues {
			ee.Allowed = append(ee.Allowed, ev.Name)
		}
		return Entry{Type: "enum", Msg: ee.Error(), Input: v, Ctx: map[string]any{"expected": ee.Expected()}}
	}
	return Entry{Type: "graphql_input", Msg: msg}
}

// variableValue is the raw value at a variable path, and whether it is present.
func variableValue(vars map[string]any, path ast.Path) (any, bool) {
	var v any = vars
	for _, p := range path {
		switch p := p.(type) {
		case ast.PathName:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[string(p)]; !ok {
				return nil, false
			}
		case ast.PathIndex:
			l, ok := v.([]any)
			if !ok || int(p) < 0 || int(p) >= len(l) {
				return nil, false
			}
			v = l[p]
		}
	}
	return v, true
}

// variableType is the named type expected at a variable path such as [input password]
// (the variable, then input object fields and list indexes), "" if it cannot be found.
func variableType(ctx context.Context, path ast.Path) string {
	if len(path) == 0 || !graphql.HasOperationContext(ctx) {
		return ""
	}
	op := graphql.GetOperationContext(ctx).Operation
	name, ok := path[0].(ast.PathName)
	if op == nil || !ok {
		return ""
	}
	def := op.VariableDefinitions.ForName(string(name))
	if def == nil {
		return ""
	}
	t := def.Type
	for _, p := range path[1:] {
		switch p := p.(type) {
		case ast.PathName:
			obj := parsedSchema.Types[t.Name()]
			if obj == nil {
				return ""
			}
			f := obj.Fields.ForName(string(p))
			if f == nil {
				return ""
			}
			t = f.Type
		case ast.PathIndex:
			if t.Elem == nil {
				return ""
			}
			t = t.Elem
		}
	}
	return t.Name()
}

// argValue is the raw value at an argument path such as [updateProfile input preferences]
// (the field, then the argument and its fields), as the request gave it, so that an entry
// shows the input that failed; nil when it cannot be found.
func argValue(ctx context.Context, path ast.Path) any {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || !graphql.HasOperationContext(ctx) || len(path) < 2 {
		return nil
	}
	var v any = fc.Field.ArgumentMap(graphql.GetOperationContext(ctx).Variables)
	for _, p := range path[1:] {
		switch p := p.(type) {
		case ast.PathName:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[string(p)]
		case ast.PathIndex:
			l, ok := v.([]any)
			if !ok || int(p) < 0 || int(p) >= len(l) {
				return nil
			}
			v = l[p]
		}
	}
	return v
}

// Entry is one pydantic-style validation entry as GraphQL shows it.
type Entry struct {
	Type  string         `json:"type"`
	Loc   []any          `json:"loc"`
	Msg   string         `json:"msg"`
	Input any            `json:"input"`
	Ctx   map[string]any `json:"ctx,omitempty"`
}

func (r *Resolver) details(ctx context.Context, ae *auth.Error) any {
	if ae.Code == auth.CodeValidation {
		out := make([]Entry, len(ae.Fields))
		for i, f := range ae.Fields {
			out[i] = Entry{Type: f.Type, Loc: fieldLoc(ctx, f.Field), Msg: f.Msg, Input: f.Input, Ctx: f.Ctx}
		}
		return out
	}
	return ae.DetailsMap()
}

// trimArgPath drops the argument part gqlgen appends to a field's path for input errors.
func trimArgPath(p ast.Path) ast.Path {
	if len(p) > 1 {
		return p[:1]
	}
	return p
}

// errPanicLogged is the cause of the internal error a recovered resolver panic becomes:
// recoverPanic has logged it (with the stack), so the presenter does not log it again.
var errPanicLogged = errors.New("resolver panic (logged)")

// AlreadyLogged reports whether ae's cause has been logged where it happened (a
// recovered resolver panic, logged with its stack), so that a transport does not log it
// again.
func AlreadyLogged(ae *auth.Error) bool { return ae != nil && ae.Cause() == errPanicLogged }

// recoverPanic turns a resolver panic into an internal error, logging the panic and its
// stack once, with the request id.
func (r *Resolver) recoverPanic(ctx context.Context, p any) error {
	r.logger().Error("panic in resolver", "request_id", auth.ClientFrom(ctx).RequestID, "panic", fmt.Sprint(p),
		"stack", string(debug.Stack()))
	return auth.Internal(errPanicLogged)
}

func (r *Resolver) logCause(ctx context.Context, err error) {
	if r.Auth == nil {
		r.logger().Error("request failed", "request_id", auth.ClientFrom(ctx).RequestID, "err", err.Error())
		return
	}
	r.Auth.ReportFailure(ctx, err)
}
