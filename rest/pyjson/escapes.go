package pyjson

import "bytes"

// RewriteEscapes rewrites the string escapes of JSON text written by gqlgen (its
// string writer escapes control characters as \u00XX with uppercase hex and has no
// \b or \f) the way json.dumps writes them: \b and \f by name, other \uXXXX escapes
// with lowercase hex. An escaped backslash is kept as it is, so text that merely reads
// "\u0008" is not touched; everything else is copied. Text without a \u00 escape (most
// answers) is returned as it is, without a copy.
//
// The REST adapter runs each successful answer through it: the executor's JSON then
// has the bytes FastAPI's JSONResponse would have written.
func RewriteEscapes(b []byte) []byte {
	if !bytes.Contains(b, []byte(`\u00`)) {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' || i+1 >= len(b) {
			out = append(out, c)
			continue
		}
		if b[i+1] != 'u' || i+5 >= len(b) {
			out = append(out, c, b[i+1])
			i++
			continue
		}
		esc := string(b[i : i+6])
		switch esc {
		case `\u0008`:
			out = append(out, `\b`...)
		case `\u000C`, `\u000c`:
			out = append(out, `\f`...)
		default:
			out = append(out, bytes.ToLower(b[i:i+6])...)
		}
		i += 5
	}
	return out
}
