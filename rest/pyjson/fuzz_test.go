package pyjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"unicode/utf8"
)

// FuzzDecode checks that Decode never panics, that it accepts everything
// encoding/json accepts (within the documented limits) and decodes it to the
// same value, that error positions are within the input, and that Encode of a
// decoded value is standard JSON that decodes to the same encoding again.
//
// The seed corpus is in testdata/fuzz/FuzzDecode. Run with
//
//	go test -fuzz=FuzzDecode -fuzztime=60s ./rest/pyjson/
func FuzzDecode(f *testing.F) {
	f.Add([]byte(loginBody))
	f.Add([]byte(`[1, -0, 1.50, 1e400, NaN, "\ud83d\ude00\ud800", {"a":1,"a":2}]`))
	f.Add([]byte("\xef\xbb\xbf{\"é\": x}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Decode(data)

		var se *SyntaxError
		switch {
		case err == nil:
		case errors.As(err, &se):
			if se.Pos < 0 || se.Pos > utf8.RuneCount(data) {
				t.Fatalf("Decode(%q): position %d outside the input", data, se.Pos)
			}
		case err == ErrInvalidUTF8, err == ErrTooDeep, err == ErrIntTooLong:
		default:
			t.Fatalf("Decode(%q): unexpected error %v", data, err)
		}

		if stdlibAccepts(data) {
			if err != nil {
				t.Fatalf("Decode(%q): %v, but encoding/json accepts it", data, err)
			}
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.UseNumber()
			var want any
			if err := dec.Decode(&want); err != nil {
				t.Fatal(err)
			}
			if got := toStdlib(v); !reflect.DeepEqual(got, want) {
				t.Fatalf("Decode(%q) = %#v, encoding/json decodes %#v", data, got, want)
			}
		}

		if err != nil {
			return
		}
		enc := Encode(v)
		if !json.Valid(enc) || !utf8.Valid(enc) {
			t.Fatalf("Encode(Decode(%q)) = %q is not valid JSON", data, enc)
		}
		v2, err := Decode(enc)
		if err != nil {
			t.Fatalf("Decode(Encode(Decode(%q))) = %v, encoding %q", data, err, enc)
		}
		if enc2 := Encode(v2); !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding of %q not stable: %q then %q", data, enc, enc2)
		}
	})
}

// stdlibAccepts reports whether encoding/json accepts data and the input is
// within what Decode is documented to accept: valid UTF-8 (encoding/json
// tolerates invalid bytes in strings, Python does not), nesting up to
// MaxDepth and integer literals of at most 4300 digits.
func stdlibAccepts(data []byte) bool {
	if !json.Valid(data) || !utf8.Valid(data) {
		return false
	}
	depth, maxDepth, digits := 0, 0, 0
	inString, escaped := false, false
	for _, c := range data {
		if isDigit(c) {
			if digits++; digits > maxIntDigits {
				return false
			}
		} else {
			digits = 0
		}
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			depth++
			maxDepth = max(maxDepth, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return maxDepth <= MaxDepth
}

// toStdlib converts a decoded value to what encoding/json's decoder with
// UseNumber returns.
func toStdlib(v any) any {
	switch v := v.(type) {
	case *Object:
		m := make(map[string]any, len(v.Values))
		for k, x := range v.Values {
			m[k] = toStdlib(x)
		}
		if len(m) != len(v.Keys) {
			panic("Keys and Values disagree")
		}
		return m
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = toStdlib(x)
		}
		return out
	case Number:
		return json.Number(v.Literal)
	}
	return v
}
