package graph

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

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
	switch {
	case errors.As(err, &ae):
		if (ae.Code == auth.CodeInternal || ae.Code == auth.CodeServiceUnavailable) && ae.Cause() != errPanicLogged {
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
		if !auth.IsSecretField(snake(field)) {
			input = argValue(ctx, gerr.Path)
		}
		gerr.Message = auth.MsgValidation
		fe := auth.DictType(snake(field), input)
		gerr.Extensions = map[string]any{"code": string(auth.CodeValidation), "details": []Entry{{
			Type: fe.Type, Loc: argLoc(ctx, fe.Field), Msg: fe.Msg, Input: fe.Input}}}
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
			typ, msg := variableEntry(gerr.Message, variableType(ctx, gerr.Path[1:]))
			gerr.Extensions["details"] = []Entry{{Type: typ, Loc: loc, Msg: msg}}
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

// isGraphQLError reports whether err is gqlparser's or gqlgen's own (parse, validation,
// variable coercion, argument unmarshalling): its message is safe and useful to show.
func isGraphQLError(err error) bool {
	var g *gqlerror.Error
	if !errors.As(err, &g) {
		return false
	}
	return g.Unwrap() == nil || g.Rule != "" || g.Extensions != nil
}

// variableEntry names a variable coercion failure as pydantic does (CONTRACT.md §3, §5):
// an absent required field is "missing"; a number, boolean, object, list or null given
// for a String or ID (named is the expected type, "" if unknown) is "string_type"; any
// other failure keeps gqlparser's message.
func variableEntry(msg, named string) (typ, pmsg string) {
	switch {
	case msg == "must be defined":
		fe := auth.Missing("", nil)
		return fe.Type, fe.Msg
	case strings.HasPrefix(msg, "cannot use ") && (strings.HasSuffix(msg, " as String") || strings.HasSuffix(msg, " as ID")),
		msg == "cannot be null" && (named == "String" || named == "ID"):
		fe := auth.StringType("", nil)
		return fe.Type, fe.Msg
	}
	return "graphql_input", msg
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
			out[i] = Entry{Type: f.Type, Loc: argLoc(ctx, f.Field), Msg: f.Msg, Input: f.Input, Ctx: f.Ctx}
		}
		return out
	}
	return ae.DetailsMap()
}

// argLoc is the argument path of an input field: ["input", "newPassword"] when the
// field takes an input object, ["refreshToken"] for a scalar argument.
func argLoc(ctx context.Context, field string) []any {
	name := camel(field)
	if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Field.Definition != nil &&
		fc.Field.Definition.Arguments.ForName("input") != nil {
		return []any{"input", name}
	}
	return []any{name}
}

// trimArgPath drops the argument part gqlgen appends to a field's path for input errors.
func trimArgPath(p ast.Path) ast.Path {
	if len(p) > 1 {
		return p[:1]
	}
	return p
}

// camel turns a snake_case input name into its GraphQL name (new_password → newPassword).
func camel(s string) string {
	if !strings.Contains(s, "_") {
		return s
	}
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// snake is camel's inverse (avatarUrl → avatar_url).
func snake(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= 'A' && c <= 'Z' {
			b.WriteByte('_')
			b.WriteRune(c + ('a' - 'A'))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// errPanicLogged is the cause of the internal error a recovered resolver panic becomes:
// recoverPanic has logged it (with the stack), so the presenter does not log it again.
var errPanicLogged = errors.New("resolver panic (logged)")

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
