package pyjson

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// maxEncodeDepth guards Encode against cyclic values (Python raises
// "Circular reference detected"); deeper values are written as null.
const maxEncodeDepth = 10000

// Encode writes v like Python's json.dumps(v, ensure_ascii=False,
// separators=(",", ":")), with one deliberate difference: a non-finite float
// (NaN, ±Infinity, an overflowed literal such as 1e400) is written as null
// (FastAPI's JSONResponse uses allow_nan=False and would raise).
//
// It accepts the types Decode returns (nil, bool, Number, string, []any,
// *Object) plus Object, map[string]any (keys sorted, as Go maps have no
// order), []string, Go integer types, float64, float32 and json.RawMessage
// (written as is; null when empty). Other values are marshalled with
// encoding/json and then rewritten in Python's style, or written as null if
// that fails.
//
// Strings are written in UTF-8 with only the quote, the backslash and control
// characters below U+0020 escaped (\n, \r, \t, \b, \f, otherwise \u00XX with
// lowercase hex); '<', '>', '&', U+007F, U+2028 and all non-ASCII text are
// written raw.
// Invalid UTF-8 in a Go string is written as U+FFFD (a surrogate that Decode kept
// in its three-byte form as one U+FFFD).
func Encode(v any) []byte {
	return AppendEncode(nil, v)
}

// AppendEncode appends the encoding of v (see Encode) to dst.
func AppendEncode(dst []byte, v any) []byte {
	return appendValue(dst, v, 0)
}

func appendValue(dst []byte, v any, depth int) []byte {
	if depth > maxEncodeDepth {
		return append(dst, "null"...)
	}
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...)
	case string:
		return appendString(dst, v)
	case bool:
		if v {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case Number:
		return appendNumber(dst, v)
	case *Object:
		if v == nil {
			return append(dst, "null"...)
		}
		return appendObject(dst, v, depth)
	case Object:
		return appendObject(dst, &v, depth)
	case []any:
		if v == nil {
			return append(dst, "null"...)
		}
		dst = append(dst, '[')
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendValue(dst, e, depth+1)
		}
		return append(dst, ']')
	case []string:
		if v == nil {
			return append(dst, "null"...)
		}
		dst = append(dst, '[')
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, e)
		}
		return append(dst, ']')
	case map[string]any:
		if v == nil {
			return append(dst, "null"...)
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, k)
			dst = append(dst, ':')
			dst = appendValue(dst, v[k], depth+1)
		}
		return append(dst, '}')
	case float64:
		return appendFloat(dst, v)
	case float32:
		return appendFloat(dst, float64(v))
	case int:
		return strconv.AppendInt(dst, int64(v), 10)
	case int64:
		return strconv.AppendInt(dst, v, 10)
	case int32:
		return strconv.AppendInt(dst, int64(v), 10)
	case int16:
		return strconv.AppendInt(dst, int64(v), 10)
	case int8:
		return strconv.AppendInt(dst, int64(v), 10)
	case uint:
		return strconv.AppendUint(dst, uint64(v), 10)
	case uint64:
		return strconv.AppendUint(dst, v, 10)
	case uint32:
		return strconv.AppendUint(dst, uint64(v), 10)
	case uint16:
		return strconv.AppendUint(dst, uint64(v), 10)
	case uint8:
		return strconv.AppendUint(dst, uint64(v), 10)
	case json.RawMessage:
		if len(v) == 0 {
			return append(dst, "null"...)
		}
		return append(dst, v...)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return append(dst, "null"...)
	}
	if x, err := Decode(b); err == nil {
		return appendValue(dst, x, depth)
	}
	return append(dst, b...)
}

func appendObject(dst []byte, o *Object, depth int) []byte {
	dst = append(dst, '{')
	for i, k := range o.Keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		dst = appendValue(dst, o.Values[k], depth+1)
	}
	return append(dst, '}')
}

// appendNumber writes n as Python prints the int or float it decodes to.
func appendNumber(dst []byte, n Number) []byte {
	if !n.IsFloat {
		if lit, ok := canonicalInt(n.Literal); ok {
			return append(dst, lit...)
		}
	}
	return appendFloat(dst, n.Float())
}

// canonicalInt returns the decimal literal s (-?[0-9]+) as Python's str(int(s))
// would print it: without leading zeros and without the sign of zero.
func canonicalInt(s string) (string, bool) {
	digits := s
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if digits == "" {
		return "", false
	}
	for i := 0; i < len(digits); i++ {
		if !isDigit(digits[i]) {
			return "", false
		}
	}
	trimmed := digits
	for len(trimmed) > 1 && trimmed[0] == '0' {
		trimmed = trimmed[1:]
	}
	if trimmed == "0" {
		return "0", true
	}
	if len(trimmed) == len(digits) {
		return s, true
	}
	if len(digits) == len(s) {
		return trimmed, true
	}
	return "-" + trimmed, true
}

// appendFloat writes f as Python's float repr: the shortest digits that
// round-trip, in fixed notation with at least one fractional digit when the
// decimal exponent is in [-4, 16), else in scientific notation with a signed,
// at least two-digit exponent (1e+16, 1e-05, 1.5e+300). Non-finite values are
// written as null.
func appendFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	var scratch [32]byte
	sci := strconv.AppendFloat(scratch[:0], f, 'e', -1, 64)
	// sci is "[-]d[.ddd]e±XX"; parse the exponent.
	e := len(sci) - 1
	for sci[e] != 'e' {
		e--
	}
	exp := 0
	for _, c := range sci[e+2:] {
		exp = exp*10 + int(c-'0')
	}
	if sci[e+1] == '-' {
		exp = -exp
	}
	if exp < -4 || exp >= 16 {
		return append(dst, sci...)
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
	for _, c := range dst[start:] {
		if c == '.' {
			return dst
		}
	}
	return append(dst, ".0"...)
}

// safeASCII[c] reports whether the ASCII byte c is written unescaped.
var safeASCII = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendString writes s as Python's json encoder with ensure_ascii=False.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if safeASCII[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\uFFFD"...)
			i++
			if s[i-1] == 0xED && i+1 < len(s) && s[i] >= 0xA0 && s[i] <= 0xBF && s[i+1]&0xC0 == 0x80 {
				i += 2 // a surrogate Decode kept (ED A0..BF 80..BF) is one U+FFFD
			}
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
