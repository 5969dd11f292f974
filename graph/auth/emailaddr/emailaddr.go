package emailaddr

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

//go:generate go run gen_tables.go

// maxEmailLength is pydantic's MAX_EMAIL_LENGTH, in code points.
const maxEmailLength = 2048

// Validate checks s as pydantic v2's EmailStr does (pydantic.networks.validate_email + email-validator 2.2.0
// with check_deliverability=False) and returns the normalized address, or the reason text that
// pydantic puts after "value is not a valid email address: ".
func Validate(s string) (normalized string, reason string, ok bool) {
	if !utf8.ValidString(s) {
		s = toValidUTF8(s)
	}
	if len(s) > maxEmailLength && runeCount(s) > maxEmailLength {
		return "", "Length must not exceed 2048 characters", false
	}
	if addr, matched := prettyEmail(s); matched {
		s = addr
	}
	return validateEmail(pyStrip(s))
}

// isNameChar reports whether r is in pydantic's name_chars class,
// [\w!#$%&'*+\-/=?^_`{|}~], where \w is Python's Unicode word class
// (letters, numbers and the underscore).
func isNameChar(r rune) bool {
	if r < utf8.RuneSelf {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
			return true
		}
		return strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r)
}

// prettyEmail emulates pydantic's pretty_email_regex.fullmatch(s):
//
//	\s*(?:((?:N+\s+)*N+)|"((?:[^"]|\")+)")?\s*<(.+)>\s*
//
// and returns the third group when the whole of s matches. The backtracking
// of the pattern is resolved by hand:
//
//   - <(.+)>\s* at the end: the '>' is the last character that is not
//     whitespace, and the group (which cannot hold a newline) is everything
//     between the chosen '<' and that '>'.
//   - The name alternatives cannot both apply, since an unquoted name starts
//     with a name character and a quoted one with '"'. An unquoted name and
//     the whitespace after it run up to the first other character, which
//     must be the '<'. A quoted name is greedy and may contain anything, so
//     its closing quote is the last '"' that leaves whitespace and a
//     matching <...> after it.
func prettyEmail(s string) (string, bool) {
	end := len(pyRstrip(s))
	if end == 0 || s[end-1] != '>' {
		return "", false
	}
	gt := end - 1
	lastNL := strings.LastIndexByte(s[:gt], '\n')
	tail := func(lt int) (string, bool) {
		// lt indexes a '<'; the group s[lt+1:gt] must be non-empty and
		// hold no newline.
		if lt+1 >= gt || lastNL > lt {
			return "", false
		}
		return s[lt+1 : gt], true
	}

	i0 := len(s) - len(pyLstrip(s))
	first, _ := utf8.DecodeRuneInString(s[i0:])
	switch {
	case first == '<':
		return tail(i0)
	case first == '"':
		for q := gt - 1; q > i0+1; q-- {
			if s[q] != '"' {
				continue
			}
			lt := len(s) - len(pyLstrip(s[q+1:]))
			if lt < len(s) && s[lt] == '<' {
				if addr, ok := tail(lt); ok {
					return addr, true
				}
			}
		}
		return "", false
	case isNameChar(first):
		j := i0
		for j < len(s) {
			r, n := utf8.DecodeRuneInString(s[j:])
			if !isNameChar(r) && !pyIsSpace(r) {
				break
			}
			j += n
		}
		if j < len(s) && s[j] == '<' {
			return tail(j)
		}
	}
	return "", false
}
