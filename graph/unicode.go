package graph

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"authbff/graph/auth"
	"authbff/internal/uescape"
)

// Text the transports must agree on (issue 8 §6). encoding/json and gqlparser turn a
// lone surrogate escape ("\ud800") into U+FFFD, so that two different passwords would
// become one, and accept invalid UTF-8 the same way. The GraphQL transports refuse
// invalid UTF-8 with 400 BAD_REQUEST, like REST, and a lone surrogate in a string with
// a validation entry naming the field (auth.StringUnicode), like REST's 422.

// surrogateAt reports whether s[i:] starts a \uXXXX escape of a lone surrogate, and
// the escape's length (12 for a high+low pair, 6 otherwise; 0 if s[i:] is no \u escape).
func surrogateAt(s []byte, i int) (lone bool, n int) {
	r, n := uescape.Decode(s, i)
	return n > 0 && uescape.IsSurrogate(r), n
}

// hasLoneSurrogate reports whether a JSON text (or a piece of one holding whole string
// tokens) escapes a lone surrogate.
func hasLoneSurrogate(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		if i+1 < len(b) && b[i+1] == 'u' {
			lone, n := surrogateAt(b, i)
			if lone {
				return true
			}
			if n > 0 {
				i += n - 1
				continue
			}
		}
		i++ // an escaped character, possibly a backslash
	}
	return false
}

// loneSurrogatePath returns the JSON path (object keys and array indexes) of the
// first string or key of a JSON document that escapes a lone surrogate.
func loneSurrogatePath(raw []byte) ([]any, bool) {
	if !hasLoneSurrogate(raw) {
		return nil, false
	}
	type frame struct {
		obj, wantKey bool
		key          string
		idx          int
	}
	var stack []frame
	path := func(extra ...any) []any {
		p := make([]any, 0, len(stack)+1)
		for _, f := range stack {
			if f.obj {
				p = append(p, f.key)
			} else {
				p = append(p, f.idx)
			}
		}
		return append(p, extra...)
	}
	advance := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].obj {
				stack[n-1].wantKey = true
			} else {
				stack[n-1].idx++
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	prev := dec.InputOffset()
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		seg := raw[prev:dec.InputOffset()]
		prev = dec.InputOffset()
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				stack = append(stack, frame{obj: t == '{', wantKey: t == '{'})
			default:
				stack = stack[:len(stack)-1]
				advance()
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].wantKey {
				stack[n-1].key, stack[n-1].wantKey = t, false
				if hasLoneSurrogate(seg) {
					return path(), true
				}
				continue
			}
			if hasLoneSurrogate(seg) {
				return path(), true
			}
			advance()
		default:
			advance()
		}
	}
}

// unicodeRefusal checks a GraphQL request's JSON text: nil if it is fine, else the
// error to answer and whether it is a 400 (not text at all) rather than a validation
// entry. vars are the decoded variables, for the entry's input.
func unicodeRefusal(raw []byte, varsPrefix []any, vars map[string]any) (*gqlerror.Error, bool) {
	if !utf8.Valid(raw) {
		return badRequest("The request is not valid UTF-8 text."), true
	}
	p, ok := loneSurrogatePath(raw)
	if !ok {
		return nil, false
	}
	if len(p) <= len(varsPrefix) || !samePrefix(p, varsPrefix) {
		return badRequest("The request has a lone surrogate (\\ud800-\\udfff) outside the variables: not Unicode text."), true
	}
	loc := p[len(varsPrefix):]
	var input any = vars
	field := ""
	for _, k := range loc {
		switch k := k.(type) {
		case string:
			field = k
			m, _ := input.(map[string]any)
			input = m[k]
		case int:
			l, _ := input.([]any)
			if k < len(l) {
				input = l[k]
			}
		}
	}
	s, _ := input.(string)
	return validationEntry(auth.StringUnicode(domainField(field), s), loc), false
}

func samePrefix(p, prefix []any) bool {
	for i := range prefix {
		if p[i] != prefix[i] {
			return false
		}
	}
	return true
}

func badRequest(msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": string(auth.CodeBadRequest)}}
}

// validationEntry is a VALIDATION_ERROR with one entry at loc (GraphQL's argument or
// variable path), as the presenter writes the service's.
func validationEntry(fe auth.FieldError, loc []any) *gqlerror.Error {
	return &gqlerror.Error{Message: auth.MsgValidation, Extensions: map[string]any{
		"code": string(auth.CodeValidation), "details": []Entry{{Type: fe.Type, Loc: loc, Msg: fe.Msg, Input: fe.Input, Ctx: fe.Ctx}}}}
}

// literalSurrogate finds the first string literal of a GraphQL document that escapes a
// lone surrogate, as the line and column gqlparser gives its value (in runes, just
// after the opening quote).
func literalSurrogate(q string) (line, col int, ok bool) {
	b := []byte(q)
	line, col = 1, 1
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '\n':
			line, col = line+1, 1
			continue
		case c == '#':
			for i+1 < len(b) && b[i+1] != '\n' && b[i+1] != '\r' {
				i++
			}
			continue
		case c == '"' && bytes.HasPrefix(b[i:], []byte(`"""`)):
			// Block strings have no \u escapes; skip to the closing quotes.
			col += 3
			j := i + 3
			for j < len(b) && !bytes.HasPrefix(b[j:], []byte(`"""`)) {
				switch {
				case b[j] == '\\' && bytes.HasPrefix(b[j+1:], []byte(`"""`)):
					col += 4
					j += 4
					continue
				case b[j] == '\n':
					line, col = line+1, 1
				case b[j]&0xC0 != 0x80:
					col++
				}
				j++
			}
			col += 3
			i = j + 2
			continue
		case c == '"':
			startCol := col
			col++
			j := i + 1
			for j < len(b) && b[j] != '"' && b[j] != '\n' {
				if b[j] == '\\' {
					lone, n := surrogateAt(b, j)
					if lone {
						return line, startCol + 1, true // gqlparser places a string after its quote
					}
					if n == 0 {
						n = 2 // \" \\ \n …
					}
					col += n
					j += n
					continue
				}
				if b[j]&0xC0 != 0x80 {
					col++
				}
				j++
			}
			if j < len(b) && b[j] == '"' {
				col++
				i = j
			} else {
				i = j - 1
			}
			continue
		}
		if c&0xC0 != 0x80 {
			col++
		}
	}
	return 0, 0, false
}

// literalSurrogateRefusal finds the argument holding a string literal with a lone
// surrogate and returns the validation entry naming it.
func literalSurrogateRefusal(doc *ast.QueryDocument, query string) *gqlerror.Error {
	line, col, ok := literalSurrogate(query)
	if !ok {
		return nil
	}
	var found []any
	var foundValue *ast.Value
	var value func(v *ast.Value, p []any) bool
	value = func(v *ast.Value, p []any) bool {
		if v == nil {
			return false
		}
		if v.Kind == ast.StringValue && v.Position != nil && v.Position.Line == line && v.Position.Column == col {
			found, foundValue = p, v
			return true
		}
		for i, ch := range v.Children {
			var k any = i
			if v.Kind == ast.ObjectValue {
				k = ch.Name
			}
			if value(ch.Value, append(p[:len(p):len(p)], k)) {
				return true
			}
		}
		return false
	}
	args := func(list ast.ArgumentList) bool {
		for _, a := range list {
			if value(a.Value, []any{a.Name}) {
				return true
			}
		}
		return false
	}
	dirs := func(list ast.DirectiveList) bool {
		for _, d := range list {
			if args(d.Arguments) {
				return true
			}
		}
		return false
	}
	var set func(ast.SelectionSet) bool
	set = func(s ast.SelectionSet) bool {
		for _, sel := range s {
			switch t := sel.(type) {
			case *ast.Field:
				if args(t.Arguments) || dirs(t.Directives) || set(t.SelectionSet) {
					return true
				}
			case *ast.InlineFragment:
				if dirs(t.Directives) || set(t.SelectionSet) {
					return true
				}
			case *ast.FragmentSpread:
				if dirs(t.Directives) {
					return true
				}
			}
		}
		return false
	}
	done := false
	for _, op := range doc.Operations {
		for _, v := range op.VariableDefinitions {
			if !done && value(v.DefaultValue, []any{v.Variable}) {
				done = true
			}
		}
		done = done || dirs(op.Directives) || set(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		done = done || dirs(f.Directives) || set(f.SelectionSet)
	}
	if !done {
		return gqlerror.ErrorLocf("", line, col, "A string in the document escapes a lone surrogate (\\ud800-\\udfff): not Unicode text.")
	}
	field := ""
	for _, k := range found {
		if s, ok := k.(string); ok {
			field = s
		}
	}
	return validationEntry(auth.StringUnicode(domainField(field), foundValue.Raw), found)
}
