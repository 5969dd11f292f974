// Package uescape reads the \uXXXX escapes of JSON and GraphQL string literals,
// UTF-16 surrogate pairs ("\ud83d\ude00") included. It is the one reader of these
// escapes for the two places that must look at them before a standard decoder turns a
// lone surrogate ("\ud800") into U+FFFD: the CPython-compatible JSON decoder of the
// REST adapter (rest/pyjson) and the GraphQL transport's lone-surrogate check
// (graph/unicode.go). What a lone surrogate then means is each caller's rule; this
// package only reads the escape.
package uescape

// Hex4 decodes the four hexadecimal digits (either case) at b[i:i+4].
func Hex4(b []byte, i int) (rune, bool) {
	if i < 0 || i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// At decodes the one escape \uXXXX that starts at b[i] (the backslash).
func At(b []byte, i int) (rune, bool) {
	if i < 0 || i+6 > len(b) || b[i] != '\\' || b[i+1] != 'u' {
		return 0, false
	}
	return Hex4(b, i+2)
}

// IsHigh reports whether r is a high (leading) surrogate, U+D800 to U+DBFF.
func IsHigh(r rune) bool { return 0xD800 <= r && r <= 0xDBFF }

// IsLow reports whether r is a low (trailing) surrogate, U+DC00 to U+DFFF.
func IsLow(r rune) bool { return 0xDC00 <= r && r <= 0xDFFF }

// IsSurrogate reports whether r is a surrogate, U+D800 to U+DFFF: a code point no
// UTF-8 text may hold.
func IsSurrogate(r rune) bool { return 0xD800 <= r && r <= 0xDFFF }

// Pair returns the code point (U+10000 to U+10FFFF) that a high and a low surrogate
// encode together, and false if hi and lo are not such a pair.
func Pair(hi, lo rune) (rune, bool) {
	if !IsHigh(hi) || !IsLow(lo) {
		return 0, false
	}
	return 0x10000 + (hi-0xD800)<<10 + (lo - 0xDC00), true
}

// Decode reads the escape that starts at b[i] (the backslash), joining a high
// surrogate's escape with a low surrogate's escape right after it, as JSON and GraphQL
// decoders do. It returns the code point and the length of what it read: 12 for a
// pair, 6 for one escape, 0 if b[i:] starts no \uXXXX escape. A lone surrogate (a high
// one without its low one, or a low one alone) is returned as it is, with length 6:
// IsSurrogate(r) then tells the caller it holds no text.
func Decode(b []byte, i int) (r rune, n int) {
	r, ok := At(b, i)
	if !ok {
		return 0, 0
	}
	if IsHigh(r) {
		if lo, ok := At(b, i+6); ok {
			if c, ok := Pair(r, lo); ok {
				return c, 12
			}
		}
	}
	return r, 6
}
