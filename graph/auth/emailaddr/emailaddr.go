// Package emailaddr validates and normalizes email addresses exactly as the
// Python service this one replaces did, so that stored addresses and the
// 422 error texts that legacy clients match on stay the same.
//
// The Python service declared its email fields as pydantic v2 EmailStr.
// That runs pydantic.networks.validate_email, which
//
//   - refuses values longer than 2048 code points ("Length must not exceed
//     2048 characters"),
//   - takes the address out of a "Display Name <addr@example.com>" value
//     when its "pretty email" regular expression matches the whole value,
//   - strips surrounding whitespace, and
//   - calls email-validator's validate_email(email, check_deliverability=False)
//     and keeps its normalized form.
//
// This package follows pydantic 2.13 (whose pretty-email pattern is
// \s*(?:NAME|"QUOTED")?\s*<(.+)>\s*) and email-validator 2.2.0 with every
// other option at its default (allow_smtputf8=True, allow_empty_local=False,
// allow_quoted_local=False, allow_domain_literal=False,
// allow_display_name=False, globally_deliverable=True,
// test_environment=False). Every check of email-validator is ported in its
// order, so the first failing check gives the reason, word for word, and
// lengths are counted in code points or UTF-8 octets where the Python code
// counts them so.
//
// email-validator relies on the idna package (IDNA 2008 with UTS #46
// mapping) for internationalized domains. Here the UTS #46 mapping comes
// from golang.org/x/net/idna; the IDNA 2008 label rules (code point
// classes, CONTEXTJ/CONTEXTO, Bidi, hyphens, NFC, Punycode) are ported from
// idna's core.py, over tables that gen_tables.go derives from the Go
// toolchain's Unicode data. The texts of the idna and ipaddress (CPython
// 3.11) exceptions that email-validator embeds in its messages are
// reproduced, Python repr() quoting included. Differences that remain:
//
//   - Unicode versions. Go 1.26's tables are Unicode 15.0; Python's
//     unicodedata and the idna package each bring their own. A code point
//     assigned after 15.0 counts as unassigned here (refused as an unsafe
//     character), where a newer Python may accept it or word the error
//     differently (for example idna's "Unknown directionality" texts).
//   - The UTS #46 table is the one of idna releases before 3.11 (Unicode
//     15.x). idna 3.11 and later follow Unicode 16, which accepts (maps or
//     ignores) 53 code points refused here (U+04C0, the Georgian capitals
//     U+10A0..U+10C5, the Hangul fillers, U+17B4, U+17B5, U+1806, U+2132,
//     U+2183, five CJK compatibility ideographs) and maps U+1E9E to "ß"
//     instead of "ss".
//   - The ContextJ rule for ZERO WIDTH NON-JOINER that needs Arabic joining
//     types is decided by golang.org/x/net/idna for the whole label, so when
//     such a label fails, the position named in the message can differ.
//     (Only reachable through a Punycode xn-- label, since the joiners are
//     refused as unsafe characters when typed directly.)
//   - Python strings can hold lone surrogates, Go strings cannot: invalid
//     UTF-8 in the input is read as U+FFFD per byte, as encoding/json does.
//   - Some earlier pydantic 2.x releases used <\s*(.+)\s*> in the
//     pretty-email pattern; they differ from this package only for a newline
//     right inside the angle brackets.
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
