package pyjson

import (
	"errors"
	"math"
	"strconv"
	"sync"
	"unicode/utf8"

	"authbff/internal/uescape"
)

// MaxDepth is the deepest nesting of arrays and objects Decode accepts.
// CPython has no fixed limit; it raises RecursionError once the interpreter's
// recursion limit (1000 frames, shared with the frames of the caller) runs out,
// which in a FastAPI handler happens somewhat below 1000 levels.
const MaxDepth = 500

// maxIntDigits is CPython's default sys.get_int_max_str_digits(): converting a
// longer decimal literal to int raises ValueError (the sign does not count).
const maxIntDigits = 4300

var (
	// ErrInvalidUTF8 reports that the input is not UTF-8 text. Python raises
	// UnicodeDecodeError there (FastAPI answers 400, not 422). It is also
	// returned for input that Python would decode as UTF-16 or UTF-32 (a
	// UTF-16/32 byte order mark, or a NUL byte among the first two bytes of an
	// input of length 2 or at least 4): those encodings are not supported.
	ErrInvalidUTF8 = errors.New("pyjson: input is not valid UTF-8")

	// ErrTooDeep reports nesting deeper than MaxDepth (Python: RecursionError).
	ErrTooDeep = errors.New("pyjson: nesting deeper than MaxDepth")

	// ErrIntTooLong reports an integer literal with more than 4300 digits:
	// CPython 3.11 refuses to convert it (ValueError "Exceeds the limit (4300
	// digits) for integer string conversion"), which FastAPI answers with 400.
	// Float literals have no such limit.
	ErrIntTooLong = errors.New("pyjson: integer literal exceeds 4300 digits")
)

// SyntaxError is Python's json.JSONDecodeError.
type SyntaxError struct {
	Msg string // e.msg, e.g. "Expecting value"; without the ": line 1 column 2 (char 1)" suffix
	Pos int    // e.pos: index in code points (not bytes) of the decoded text, after a UTF-8 BOM
}

func (e *SyntaxError) Error() string {
	return "pyjson: " + e.Msg + " (char " + strconv.Itoa(e.Pos) + ")"
}

// Object is a JSON object with Python dict semantics: keys keep the position of
// their first occurrence, a duplicate key's later value replaces the earlier one.
type Object struct {
	Keys   []string
	Values map[string]any
}

// Get returns the value stored under key. It is safe on a nil *Object.
func (o *Object) Get(key string) (any, bool) {
	if o == nil {
		return nil, false
	}
	v, ok := o.Values[key]
	return v, ok
}

// Number keeps the literal, so that ints of any size and floats round-trip as
// Python prints them.
type Number struct {
	Literal string // as written in the input, e.g. "1", "-0", "1.50", "1e400"
	IsFloat bool   // Python would make a float (has '.', 'e' or 'E', or is NaN/Infinity/-Infinity)
}

// Float returns the float64 value (±Inf for overflow like 1e400, NaN for NaN).
// A literal that is not a number at all yields NaN.
func (n Number) Float() float64 {
	f, err := strconv.ParseFloat(n.Literal, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return f // ±Inf on overflow, ±0 on underflow, as Python's float()
		}
		return math.NaN()
	}
	return f
}

// Pre-boxed values that Decode returns without allocating.
var (
	nanValue    any = Number{Literal: "NaN", IsFloat: true}
	infValue    any = Number{Literal: "Infinity", IsFloat: true}
	negInfValue any = Number{Literal: "-Infinity", IsFloat: true}
	digitValues     = [10]any{
		Number{Literal: "0"}, Number{Literal: "1"}, Number{Literal: "2"}, Number{Literal: "3"}, Number{Literal: "4"},
		Number{Literal: "5"}, Number{Literal: "6"}, Number{Literal: "7"}, Number{Literal: "8"}, Number{Literal: "9"},
	}
)

// Decode parses data like CPython 3.13's json.loads(data) for data given as
// bytes (C-accelerated scanner, default arguments). The golden cases come from
// 3.11; 3.13 differs only in reporting a trailing comma ("Illegal trailing comma
// before end of object" / "... of array" at the comma's index), which Decode does.
//
// Values: nil (null), bool, Number, string, []any, *Object. Decode makes one
// string copy of data and returns strings without escapes and number literals
// as slices of it (no allocation per string); a caller that keeps a small
// piece of a large body for long should strings.Clone it.
//
// Errors: *SyntaxError (Python's JSONDecodeError: Msg and Pos), ErrInvalidUTF8,
// ErrTooDeep, ErrIntTooLong. As in Python the first problem in scan order
// wins, except that invalid UTF-8 anywhere wins over everything (Python
// decodes the bytes before scanning). Note that FastAPI does not call
// json.loads for an empty body at all; Decode(nil) reports what json.loads
// would ("Expecting value" at 0).
//
// Differences from Python:
//   - A lone surrogate — an escape such as "\ud800" that is not part of a
//     high+low pair, or a surrogate encoded in the bytes themselves (ED A0 80,
//     which Python's 'surrogatepass' decoding accepts) — is kept as Python keeps
//     it, in its three-byte form (ED A0 80, "WTF-8"): such a Go string is not
//     valid UTF-8, and the caller must refuse it (the REST adapter answers a
//     string_unicode entry; Encode writes U+FFFD). Paired escapes
//     ("\ud83d\ude00") decode to the real character, as in Python.
//   - UTF-16 and UTF-32 input is rejected with ErrInvalidUTF8 (see there).
//   - Nesting is limited to MaxDepth rather than by Python's recursion limit.
//
// Decode is safe for concurrent use.
func Decode(data []byte) (any, error) {
	if !decodedAsUTF8(data) {
		return nil, ErrInvalidUTF8
	}
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		data = data[3:] // json.loads decodes with 'utf-8-sig'; positions count from here
	}
	if !utf8.Valid(data) && !onlySurrogates(data) {
		return nil, ErrInvalidUTF8
	}

	d := decoderPool.Get().(*decoder)
	d.data = data
	d.s = string(data)
	v, i, err := d.value(skipSpace(data, 0))
	if err == nil {
		if i = skipSpace(data, i); i != len(data) {
			err = syntaxErr("Extra data", i)
		}
	}
	d.release()

	if err != nil {
		if se, ok := err.(*SyntaxError); ok {
			se.Pos = countCodePoints(data[:se.Pos])
		}
		return nil, err
	}
	return v, nil
}

// decodedAsUTF8 mirrors json.detect_encoding: it reports whether Python would
// decode data as UTF-8 ('utf-8' or 'utf-8-sig') rather than UTF-16 or UTF-32.
func decodedAsUTF8(b []byte) bool {
	switch {
	case len(b) >= 2 && (b[0] == 0xFF && b[1] == 0xFE || b[0] == 0xFE && b[1] == 0xFF):
		return false // UTF-16 (or UTF-32 LE) byte order mark
	case len(b) >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0xFE && b[3] == 0xFF:
		return false // UTF-32 BE byte order mark
	case len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF:
		return true // utf-8-sig
	case len(b) >= 4 || len(b) == 2:
		return b[0] != 0 && b[1] != 0
	}
	return true
}

// onlySurrogates reports whether every invalid sequence of data is a UTF-8 encoded
// surrogate (ED A0..BF 80..BF), which Python's 'surrogatepass' decoding accepts;
// Decode keeps them as they are.
func onlySurrogates(data []byte) bool {
	for i := 0; i < len(data); {
		if data[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			if data[i] != 0xED || i+2 >= len(data) || data[i+1] < 0xA0 || data[i+1] > 0xBF || data[i+2] < 0x80 || data[i+2] > 0xBF {
				return false
			}
			size = 3
		}
		i += size
	}
	return true
}

// countCodePoints counts the code points of valid UTF-8 text.
func countCodePoints(b []byte) int {
	n := 0
	for _, c := range b {
		if c&0xC0 != 0x80 {
			n++
		}
	}
	return n
}

func syntaxErr(msg string, off int) error {
	return &SyntaxError{Msg: msg, Pos: off} // Pos is a byte offset until Decode converts it
}

type decoder struct {
	data  []byte
	s     string // string(data): unescaped strings and number literals are slices of it
	depth int
	vals  stack[any]    // values of the arrays and objects being parsed, innermost last
	keys  stack[string] // keys of the objects being parsed, innermost last
	buf   []byte        // scratch for strings with escapes
}

var decoderPool = sync.Pool{New: func() any { return new(decoder) }}

// Bounds of the scratch memory a pooled decoder keeps.
const (
	maxPooledChunks = 4
	maxPooledBuf    = 64 << 10
)

func (d *decoder) release() {
	d.vals.reset(maxPooledChunks)
	d.keys.reset(maxPooledChunks)
	d.data, d.s, d.depth = nil, "", 0
	if cap(d.buf) > maxPooledBuf {
		d.buf = nil
	}
	decoderPool.Put(d)
}

// chunkLen is the number of elements in one chunk of a stack.
const chunkLen = 256

// stack is a scratch stack kept in fixed-size chunks: growing it never copies,
// so an array of a million elements costs its size once rather than the
// geometric series of a growing slice.
type stack[T any] struct {
	chunks [][]T
	n      int
}

func (s *stack[T]) push(v T) {
	c := s.n / chunkLen
	if c == len(s.chunks) {
		s.chunks = append(s.chunks, make([]T, chunkLen))
	}
	s.chunks[c][s.n%chunkLen] = v
	s.n++
}

func (s *stack[T]) at(k int) T { return s.chunks[k/chunkLen][k%chunkLen] }

// popTo appends the elements from base up to the top to dst and truncates the
// stack to base.
func (s *stack[T]) popTo(dst []T, base int) []T {
	for k := base; k < s.n; {
		c, i := k/chunkLen, k%chunkLen
		chunk := s.chunks[c][i:min(chunkLen, i+s.n-k)]
		dst = append(dst, chunk...)
		k += len(chunk)
	}
	s.truncate(base)
	return dst
}

// truncate drops the elements from base up to the top, zeroing them so that
// the stack does not keep decoded values alive.
func (s *stack[T]) truncate(base int) {
	for k := base; k < s.n; {
		c, i := k/chunkLen, k%chunkLen
		chunk := s.chunks[c][i:min(chunkLen, i+s.n-k)]
		clear(chunk)
		k += len(chunk)
	}
	s.n = base
}

// reset empties the stack and keeps at most keep chunks.
func (s *stack[T]) reset(keep int) {
	s.truncate(0)
	if len(s.chunks) > keep {
		clear(s.chunks[keep:])
		s.chunks = s.chunks[:keep]
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func skipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}

// value scans one JSON value starting at data[i] (scan_once_unicode). It
// returns the value and the offset just after it.
func (d *decoder) value(i int) (any, int, error) {
	data := d.data
	if i >= len(data) {
		return nil, i, syntaxErr("Expecting value", i)
	}
	switch data[i] {
	case '"':
		s, j, err := d.str(i + 1)
		if err != nil {
			return nil, j, err
		}
		return s, j, nil
	case '{':
		return d.object(i + 1)
	case '[':
		return d.array(i + 1)
	case 'n':
		if d.hasLiteral(i, "null") {
			return nil, i + 4, nil
		}
	case 't':
		if d.hasLiteral(i, "true") {
			return true, i + 4, nil
		}
	case 'f':
		if d.hasLiteral(i, "false") {
			return false, i + 5, nil
		}
	case 'N':
		if d.hasLiteral(i, "NaN") {
			return nanValue, i + 3, nil
		}
	case 'I':
		if d.hasLiteral(i, "Infinity") {
			return infValue, i + 8, nil
		}
	case '-':
		if d.hasLiteral(i, "-Infinity") {
			return negInfValue, i + 9, nil
		}
	}
	return d.number(i)
}

func (d *decoder) hasLiteral(i int, lit string) bool {
	return len(d.s)-i >= len(lit) && d.s[i:i+len(lit)] == lit
}

// number scans a number at data[start] (_match_number_unicode): an optional
// minus, then 0 or a run of digits not starting with 0, then an optional
// fraction ('.' and at least one digit) and an optional exponent ('e' or 'E',
// optional sign, at least one digit). A fraction or exponent that is not
// complete is not part of the number; what follows is then "Extra data" or a
// missing delimiter.
func (d *decoder) number(start int) (any, int, error) {
	data := d.data
	n := len(data)
	i := start
	if data[i] == '-' {
		i++
		if i >= n {
			return nil, start, syntaxErr("Expecting value", start)
		}
	}
	switch c := data[i]; {
	case '1' <= c && c <= '9':
		i++
		for i < n && isDigit(data[i]) {
			i++
		}
	case c == '0':
		i++
	default:
		return nil, start, syntaxErr("Expecting value", start)
	}
	isFloat := false
	if i+1 < n && data[i] == '.' && isDigit(data[i+1]) {
		isFloat = true
		i += 2
		for i < n && isDigit(data[i]) {
			i++
		}
	}
	if i+1 < n && (data[i] == 'e' || data[i] == 'E') {
		j := i + 1
		if j+1 < n && (data[j] == '-' || data[j] == '+') {
			j++
		}
		for j < n && isDigit(data[j]) {
			j++
		}
		if isDigit(data[j-1]) {
			isFloat = true
			i = j
		}
	}
	if !isFloat {
		digits := i - start
		if data[start] == '-' {
			digits--
		}
		if digits == 1 && data[start] != '-' {
			return digitValues[data[start]-'0'], i, nil
		}
		if digits > maxIntDigits {
			return nil, start, ErrIntTooLong
		}
	}
	return Number{Literal: d.s[start:i], IsFloat: isFloat}, i, nil
}

// str scans the rest of a string whose opening quote is at data[i-1]
// (scanstring_unicode with strict=True).
func (d *decoder) str(i int) (string, int, error) {
	data := d.data
	begin := i - 1
	j := i
	for ; j < len(data); j++ {
		c := data[j]
		if c == '"' {
			return d.s[i:j], j + 1, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", j, syntaxErr("Invalid control character at", j)
		}
	}
	if j >= len(data) {
		return "", j, syntaxErr("Unterminated string starting at", begin)
	}

	// Slow path: data[j] is the first backslash.
	buf := append(d.buf[:0], data[i:j]...)
	for {
		if data[j] == '"' {
			d.buf = buf
			return string(buf), j + 1, nil
		}
		j++ // skip the backslash
		if j == len(data) {
			return "", j, syntaxErr("Unterminated string starting at", begin)
		}
		if c := data[j]; c != 'u' {
			switch c {
			case '"', '\\', '/':
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			default:
				return "", j, syntaxErr("Invalid \\escape", j-1)
			}
			buf = append(buf, c)
			j++
		} else {
			// Python requires four hex digits and at least one more character
			// after them, and reports both failures at the 'u'. Counting bytes
			// instead of code points gives the same answers: a non-ASCII
			// character among the four is not a hex digit either.
			uPos := j
			j++
			r, ok := uescape.Hex4(data, j)
			if !ok || j+4 >= len(data) {
				return "", j, syntaxErr("Invalid \\uXXXX escape", uPos)
			}
			j += 4
			if uescape.IsHigh(r) && j+6 < len(data) && data[j] == '\\' && data[j+1] == 'u' {
				r2, ok := uescape.Hex4(data, j+2)
				if !ok {
					return "", j, syntaxErr("Invalid \\uXXXX escape", j+1)
				}
				if c, ok := uescape.Pair(r, r2); ok {
					r = c
					j += 6
				}
				// Otherwise the second escape is read again on its own.
			}
			if uescape.IsSurrogate(r) {
				// A lone surrogate stays one, as in Python: its three-byte
				// (WTF-8) form, which is not valid UTF-8, so that whoever
				// validates the string can refuse it rather than accept a
				// silent U+FFFD (utf8.AppendRune would write that).
				buf = append(buf, 0xED, byte(0x80|(r>>6)&0x3F), byte(0x80|r&0x3F))
			} else {
				buf = utf8.AppendRune(buf, r)
			}
		}

		start := j
		for ; j < len(data); j++ {
			c := data[j]
			if c == '"' || c == '\\' {
				break
			}
			if c < 0x20 {
				d.buf = buf
				return "", j, syntaxErr("Invalid control character at", j)
			}
		}
		if j >= len(data) {
			d.buf = buf
			return "", j, syntaxErr("Unterminated string starting at", begin)
		}
		buf = append(buf, data[start:j]...)
	}
}

// object scans the rest of an object whose '{' is at data[i-1]
// (_parse_object_unicode).
func (d *decoder) object(i int) (any, int, error) {
	if d.depth++; d.depth > MaxDepth {
		return nil, i, ErrTooDeep
	}
	data := d.data
	n := len(data)
	kbase, vbase := d.keys.n, d.vals.n
	i = skipSpace(data, i)
	if i >= n || data[i] != '}' {
		for {
			if i >= n || data[i] != '"' {
				return nil, i, syntaxErr("Expecting property name enclosed in double quotes", i)
			}
			key, j, err := d.str(i + 1)
			if err != nil {
				return nil, j, err
			}
			i = skipSpace(data, j)
			if i >= n || data[i] != ':' {
				return nil, i, syntaxErr("Expecting ':' delimiter", i)
			}
			v, j, err := d.value(skipSpace(data, i+1))
			if err != nil {
				return nil, j, err
			}
			d.keys.push(key)
			d.vals.push(v)
			i = skipSpace(data, j)
			if i < n && data[i] == '}' {
				break
			}
			if i >= n || data[i] != ',' {
				return nil, i, syntaxErr("Expecting ',' delimiter", i)
			}
			comma := i
			if i = skipSpace(data, i+1); i < n && data[i] == '}' {
				return nil, i, syntaxErr("Illegal trailing comma before end of object", comma) // CPython 3.13
			}
		}
	}
	d.depth--

	size := d.keys.n - kbase
	obj := newObject(size)
	for k := range size {
		key := d.keys.at(kbase + k)
		if _, dup := obj.Values[key]; !dup {
			obj.Keys = append(obj.Keys, key)
		}
		obj.Values[key] = d.vals.at(vbase + k)
	}
	d.keys.truncate(kbase)
	d.vals.truncate(vbase)
	return obj, i + 1, nil
}

// smallObject lets a small object and its keys share one allocation.
type smallObject struct {
	obj  Object
	keys [4]string
}

func newObject(size int) *Object {
	var obj *Object
	if size <= len(smallObject{}.keys) {
		small := new(smallObject)
		obj = &small.obj
		obj.Keys = small.keys[:0:size]
	} else {
		obj = &Object{Keys: make([]string, 0, size)}
	}
	obj.Values = make(map[string]any, size)
	return obj
}

// array scans the rest of an array whose '[' is at data[i-1]
// (_parse_array_unicode).
func (d *decoder) array(i int) (any, int, error) {
	if d.depth++; d.depth > MaxDepth {
		return nil, i, ErrTooDeep
	}
	data := d.data
	n := len(data)
	base := d.vals.n
	i = skipSpace(data, i)
	if i >= n || data[i] != ']' {
		for {
			v, j, err := d.value(i)
			if err != nil {
				return nil, j, err
			}
			d.vals.push(v)
			i = skipSpace(data, j)
			if i < n && data[i] == ']' {
				break
			}
			if i >= n || data[i] != ',' {
				return nil, i, syntaxErr("Expecting ',' delimiter", i)
			}
			comma := i
			if i = skipSpace(data, i+1); i < n && data[i] == ']' {
				return nil, i, syntaxErr("Illegal trailing comma before end of array", comma) // CPython 3.13
			}
		}
	}
	d.depth--

	arr := d.vals.popTo(make([]any, 0, d.vals.n-base), base)
	return arr, i + 1, nil
}
