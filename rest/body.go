package rest

import (
	"encoding/json"
	"errors"
	"math"
	"mime"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"authbff/graph/auth"
	"authbff/rest/pyjson"
)

// entry is one item of a FastAPI 422 "detail" list.
type entry struct {
	typ   string
	loc   []any
	msg   string
	input any
	ctx   map[string]any
}

const (
	msgModelAttrs   = "Input should be a valid dictionary or object to extract fields from"
	msgJSONInvalid  = "JSON decode error"
	msgFiniteNumber = "Input should be a finite number"
)

var errBadUTF8 = &auth.Error{Code: auth.CodeBadRequest, Message: "There was an error parsing the body"}

// bodyVariables turns a request body into op's variables the way FastAPI and pydantic
// would read it, or returns the 422 entries they would report. Field rules (lengths,
// patterns, e-mail) come from the shared auth validation, merged in declaration order.
func bodyVariables(op *operation, contentType string, raw []byte) (map[string]any, []entry, error) {
	bodyLoc := []any{"body"}
	if len(raw) == 0 {
		return nil, []entry{at(bodyLoc, auth.Missing("", nil))}, nil
	}
	if !utf8.Valid(raw) {
		return nil, nil, errBadUTF8
	}
	if !isJSONContentType(contentType) {
		var input any = string(raw)
		if op.secret {
			input = auth.Redacted
		}
		return nil, []entry{{typ: "model_attributes_type", loc: bodyLoc, msg: msgModelAttrs, input: input}}, nil
	}
	doc, err := pyjson.Decode(raw)
	if err != nil {
		var se *pyjson.SyntaxError
		if errors.As(err, &se) {
			return nil, []entry{{typ: "json_invalid", loc: []any{"body", se.Pos}, msg: msgJSONInvalid,
				input: map[string]any{}, ctx: map[string]any{"error": se.Msg}}}, nil
		}
		return nil, nil, errBadUTF8 // invalid UTF-8, too deep, an integer too long to convert
	}
	if doc == nil {
		return nil, []entry{at(bodyLoc, auth.Missing("", nil))}, nil
	}
	obj, ok := doc.(*pyjson.Object)
	if !ok {
		return nil, []entry{{typ: "model_attributes_type", loc: bodyLoc, msg: msgModelAttrs, input: redact(doc)}}, nil
	}
	return objectVariables(op, obj, "body")
}

// objectVariables checks each of op's variables against the JSON object's key of the
// same name (missing keys, JSON types), then the shared field rules of op's form.
func objectVariables(op *operation, obj *pyjson.Object, prefix string) (map[string]any, []entry, error) {
	vars := make(map[string]any, len(op.vars))
	strs := make(map[auth.FieldName]string, len(op.vars))
	var nulls []auth.FieldName
	structural := map[string]entry{}
	for _, v := range op.vars {
		val, present := obj.Get(v.name)
		loc := []any{prefix, v.name}
		f := v.field.Name
		switch {
		case !present:
			if v.required {
				structural[v.name] = at(loc, auth.Missing(f, redact(obj)))
			}
		case val == nil && v.required:
			structural[v.name] = at(loc, auth.StringType(f, nil))
		case val == nil:
			vars[v.name] = nil
			nulls = append(nulls, f)
		case v.kind == kindObject:
			o, ok := val.(*pyjson.Object)
			if !ok {
				structural[v.name] = at(loc, auth.DictType(f, redactField(v.name, val)))
				continue
			}
			if path, bad := nonFinite(o); bad {
				// FastAPI would store it and then fail to write the answer (a 500).
				structural[v.name] = entry{typ: "finite_number", loc: append(loc, path...), msg: msgFiniteNumber, input: nil}
				continue
			}
			if path, bad, ok := loneSurrogate(o); ok {
				// Encode would write U+FFFD: refuse instead, naming where.
				structural[v.name] = at(append(loc, path...), auth.StringUnicode(f, bad))
				continue
			}
			vars[v.name] = json.RawMessage(pyjson.Encode(o))
		default:
			s, ok := val.(string)
			if !ok {
				structural[v.name] = at(loc, auth.StringType(f, redactField(v.name, val)))
				continue
			}
			vars[v.name] = s
			strs[f] = s
		}
	}
	if len(structural) == 0 {
		return vars, nil, nil
	}
	// Report every failing field, as pydantic does: structural failures and the shared
	// rules' failures for the fields that were well typed, in declaration order.
	ruleErrs := op.form.Check(func(f auth.FieldName) (string, bool, bool) {
		s, ok := strs[f]
		return s, ok, slices.Contains(nulls, f)
	}, nil)
	var out []entry
	for _, v := range op.vars {
		if e, ok := structural[v.name]; ok {
			out = append(out, e)
			continue
		}
		for _, fe := range ruleErrs {
			if fe.Field == v.field.Name {
				out = append(out, at([]any{prefix, v.name}, fe))
			}
		}
	}
	return nil, out, nil
}

// nonFinite finds a NaN, ±Infinity or overflowing float (1e400) inside v and returns
// its path below v.
func nonFinite(v any) ([]any, bool) {
	switch t := v.(type) {
	case pyjson.Number:
		f := t.Float()
		return nil, t.IsFloat && (math.IsNaN(f) || math.IsInf(f, 0))
	case *pyjson.Object:
		for _, k := range t.Keys {
			if p, bad := nonFinite(t.Values[k]); bad {
				return append([]any{k}, p...), true
			}
		}
	case []any:
		for i, e := range t {
			if p, bad := nonFinite(e); bad {
				return append([]any{i}, p...), true
			}
		}
	}
	return nil, false
}

// loneSurrogate finds a string (or key) of v that pyjson kept with a lone surrogate
// (not valid UTF-8): its path and the string.
func loneSurrogate(v any) ([]any, string, bool) {
	switch t := v.(type) {
	case string:
		return nil, t, !utf8.ValidString(t)
	case *pyjson.Object:
		for _, k := range t.Keys {
			if !utf8.ValidString(k) {
				return []any{k}, k, true
			}
			if p, s, bad := loneSurrogate(t.Values[k]); bad {
				return append([]any{k}, p...), s, true
			}
		}
	case []any:
		for i, e := range t {
			if p, s, bad := loneSurrogate(e); bad {
				return append([]any{i}, p...), s, true
			}
		}
	}
	return nil, "", false
}

// queryVariables fills op's variables from query parameters (the last value of a
// repeated parameter wins, as in Starlette).
func queryVariables(op *operation, q url.Values) (map[string]any, []entry) {
	vars := map[string]any{}
	var out []entry
	for _, v := range op.vars {
		vals, ok := q[v.name]
		if !ok || len(vals) == 0 {
			if v.required {
				out = append(out, at([]any{"query", v.name}, auth.Missing(v.field.Name, nil)))
			}
			continue
		}
		vars[v.name] = vals[len(vals)-1]
	}
	return vars, out
}

// at renders a validation failure at a REST location.
func at(loc []any, fe auth.FieldError) entry {
	return entry{typ: fe.Type, loc: loc, msg: fe.Msg, input: fe.Input, ctx: fe.Ctx}
}

// isJSONContentType is FastAPI's test: application/json or application/*+json.
func isJSONContentType(ct string) bool {
	if ct == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]))
	}
	main, sub, ok := strings.Cut(mt, "/")
	return ok && main == "application" && (sub == "json" || strings.HasSuffix(sub, "+json"))
}

// redact returns v with the values of password keys replaced, at any depth of the
// objects it is made of, so that an echoed body never shows a password.
func redact(v any) any {
	switch t := v.(type) {
	case *pyjson.Object:
		out := &pyjson.Object{Keys: t.Keys, Values: make(map[string]any, len(t.Values))}
		for k, val := range t.Values {
			out.Values[k] = redactField(k, val)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = redact(e)
		}
		return out
	default:
		return v
	}
}

// redactField redacts v if key is a secret field's JSON key (REST spells its keys as the
// domain names its fields), or the secrets inside v.
func redactField(key string, v any) any {
	if auth.FieldName(key).Secret() {
		return auth.Redacted
	}
	return redact(v)
}
