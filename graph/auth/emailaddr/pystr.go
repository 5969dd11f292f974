package emailaddr

import (
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the few pieces of Python's str and unicodedata behaviour
// that email-validator's messages depend on.

// General category classes, as far as email-validator distinguishes them
// (unicodedata.category(c)[0], with Zs told apart from Zl/Zp).
const (
	catL = iota
	catM
	catN
	catP
	catS
	catZs
	catZlp // Zl, Zp
	catC   // Cc, Cf, Cs, Co, Cn
)

// asciiCat is the category class of each ASCII code point.
var asciiCat = func() (t [utf8.RuneSelf]uint8) {
	for r := rune(0); r < utf8.RuneSelf; r++ {
		t[r] = uint8(nonASCIICategory(r))
	}
	return t
}()

func category(r rune) int {
	if r >= 0 && r < utf8.RuneSelf {
		return int(asciiCat[r])
	}
	return nonASCIICategory(r)
}

func nonASCIICategory(r rune) int {
	switch {
	case unicode.IsLetter(r):
		return catL
	case unicode.IsNumber(r):
		return catN
	case unicode.IsPunct(r):
		return catP
	case unicode.IsSymbol(r):
		return catS
	case unicode.IsMark(r):
		return catM
	case unicode.Is(unicode.Zs, r):
		return catZs
	case unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r):
		return catZlp
	}
	return catC
}

// isLNPS reports unicodedata.category(c)[0] in ("L", "N", "P", "S").
func isLNPS(r rune) bool {
	c := category(r)
	return c == catL || c == catN || c == catP || c == catS
}

// pyIsPrintable is str.isprintable() for one code point: false for the
// categories Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs, except for the ASCII space.
func pyIsPrintable(r rune) bool {
	if r == ' ' {
		return true
	}
	if r >= 0xD800 && r <= 0xDFFF {
		return false
	}
	c := category(r)
	return c != catC && c != catZs && c != catZlp
}

// pyIsSpace is str.isspace() for one code point, which is also what the
// re module's \s matches and what str.strip() removes.
func pyIsSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', 0x1C, 0x1D, 0x1E, 0x1F, ' ',
		0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

// pyStrip is str.strip() with no argument.
func pyStrip(s string) string {
	return pyRstrip(pyLstrip(s))
}

func pyLstrip(s string) string {
	for len(s) > 0 {
		if c := s[0]; c < utf8.RuneSelf {
			if !pyIsSpace(rune(c)) {
				return s
			}
			s = s[1:]
			continue
		}
		r, n := utf8.DecodeRuneInString(s)
		if !pyIsSpace(r) {
			return s
		}
		s = s[n:]
	}
	return s
}

func pyRstrip(s string) string {
	for len(s) > 0 {
		if c := s[len(s)-1]; c < utf8.RuneSelf {
			if !pyIsSpace(rune(c)) {
				return s
			}
			s = s[:len(s)-1]
			continue
		}
		r, n := utf8.DecodeLastRuneInString(s)
		if !pyIsSpace(r) {
			return s
		}
		s = s[:len(s)-n]
	}
	return s
}

// runeName is unicodedata.name(r, "") for the code points of categories M,
// Z and Cf, the only ones safeCharacterDisplay prints by name.
func runeName(r rune) string {
	i := sort.Search(len(runeNameCodes), func(i int) bool { return runeNameCodes[i] >= uint32(r) })
	if i == len(runeNameCodes) || runeNameCodes[i] != uint32(r) {
		return ""
	}
	start := uint32(0)
	if i > 0 {
		start = runeNameEnds[i-1]
	}
	return runeNameData[start:runeNameEnds[i]]
}

// safeCharacterDisplay is email_validator.syntax.safe_character_display:
// letters, numbers, punctuation and symbols in Python repr() quotes, the
// backslash in double quotes, and anything else by its Unicode name or, if
// it has none, as U+XXXX.
func safeCharacterDisplay(r rune) string {
	if r == '\\' {
		return `"\"`
	}
	if isLNPS(r) {
		if r == '\'' {
			return `"'"`
		}
		return "'" + string(r) + "'"
	}
	if name := runeName(r); name != "" {
		return name
	}
	return hexName(r)
}

// hexName is the U+XXXX fallback of safe_character_display. Note that
// Python compares with < 0xFFFF, so U+FFFF gets eight digits.
func hexName(r rune) string {
	h := strings.ToUpper(strconv.FormatInt(int64(r), 16))
	width := 4
	if r >= 0xFFFF {
		width = 8
	}
	if len(h) < width {
		h = strings.Repeat("0", width-len(h)) + h
	}
	return "U+" + h
}

// charList collects the safe_character_display() strings of a set of
// characters and renders them as Python's ", ".join(sorted(set)) does.
type charList struct {
	items []string
}

func (l *charList) add(r rune) {
	d := safeCharacterDisplay(r)
	for _, x := range l.items {
		if x == d {
			return
		}
	}
	l.items = append(l.items, d)
}

func (l *charList) empty() bool { return len(l.items) == 0 }

// String sorts like Python sorts str values: by code point, which for
// valid UTF-8 is the byte order Go's string comparison uses.
func (l *charList) String() string {
	sort.Strings(l.items)
	return strings.Join(l.items, ", ")
}

// badChars returns the sorted, de-duplicated display list of the code
// points of s for which bad reports true, or "" when there are none.
func badChars(s string, bad func(rune) bool) string {
	var l charList
	for _, r := range s {
		if bad(r) {
			l.add(r)
		}
	}
	if l.empty() {
		return ""
	}
	return l.String()
}

// pyRepr is Python's repr() of a str, for the texts of the idna and
// ipaddress exceptions that email-validator copies into its messages. It
// takes runes because a Punycode label can decode to lone surrogates.
func pyRepr(s []rune) string {
	quote := '\''
	hasSingle, hasDouble := false, false
	for _, r := range s {
		hasSingle = hasSingle || r == '\''
		hasDouble = hasDouble || r == '"'
	}
	if hasSingle && !hasDouble {
		quote = '"'
	}
	var b strings.Builder
	b.WriteRune(quote)
	for _, r := range s {
		switch {
		case r == quote || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < ' ' || r == 0x7F:
			writeHexEscape(&b, 'x', r, 2)
		case r < 0x7F:
			b.WriteRune(r)
		case pyIsPrintable(r):
			b.WriteRune(r)
		case r <= 0xFF:
			writeHexEscape(&b, 'x', r, 2)
		case r <= 0xFFFF:
			writeHexEscape(&b, 'u', r, 4)
		default:
			writeHexEscape(&b, 'U', r, 8)
		}
	}
	b.WriteRune(quote)
	return b.String()
}

func pyReprString(s string) string { return pyRepr([]rune(s)) }

func writeHexEscape(b *strings.Builder, kind byte, r rune, width int) {
	h := strconv.FormatInt(int64(r), 16)
	b.WriteByte('\\')
	b.WriteByte(kind)
	for i := len(h); i < width; i++ {
		b.WriteByte('0')
	}
	b.WriteString(h)
}

// isASCII reports whether s holds only ASCII bytes.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// runeCount is len() of a Python str.
func runeCount(s string) int { return utf8.RuneCountInString(s) }

// asciiLower lowercases the ASCII letters of s, as str.lower() does for
// an ASCII string; it returns s itself when nothing changes.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + ('a' - 'A')
				}
			}
			return string(b)
		}
	}
	return s
}

// toValidUTF8 replaces every byte of s that is not part of valid UTF-8 with
// U+FFFD, which is what encoding/json does with such bytes in a JSON string.
func toValidUTF8(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}
