package emailaddr

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// This file ports email_validator/validate_email.py and syntax.py of
// email-validator 2.2.0, for the default options. Function names follow
// the Python ones; the "reason" results are the EmailSyntaxError texts.

// MaxLength is the longest address, in UTF-8 octets (email-validator's EMAIL_MAX_LENGTH).
const MaxLength = 254

// Constants of email_validator/rfc_constants.py.
const (
	emailMaxLength      = MaxLength
	localPartMaxLength  = 64 // code points
	dnsLabelLengthLimit = 63
	domainMaxLength     = 253
)

// caseInsensitiveMailboxNames is CASE_INSENSITIVE_MAILBOX_NAMES (RFC 2142).
var caseInsensitiveMailboxNames = [...]string{
	"info", "marketing", "sales", "support",
	"abuse", "noc", "security",
	"postmaster", "hostmaster", "usenet", "news", "webmaster", "www", "uucp", "ftp",
}

// isCaseInsensitiveMailbox reports local.lower() in
// CASE_INSENSITIVE_MAILBOX_NAMES for an ASCII local part.
func isCaseInsensitiveMailbox(local string) bool {
	if len(local) > len("postmaster") {
		return false
	}
	for _, name := range caseInsensitiveMailboxNames {
		if len(name) == len(local) && strings.EqualFold(name, local) {
			return true
		}
	}
	return false
}

// specialUseDomainNames is email_validator.SPECIAL_USE_DOMAIN_NAMES.
var specialUseDomainNames = [...]string{"arpa", "invalid", "local", "localhost", "onion", "test"}

// isAtext reports whether r is in ATEXT: a-zA-Z0-9_!#$%&'*+-/=?^`{|}~.
func isAtext(r rune) bool {
	return r < utf8.RuneSelf && atextTable[r]
}

var atextTable = func() (t [utf8.RuneSelf]bool) {
	for r := 'a'; r <= 'z'; r++ {
		t[r] = true
		t[r-'a'+'A'] = true
	}
	for r := '0'; r <= '9'; r++ {
		t[r] = true
	}
	for _, r := range "_!#$%&'*+-/=?^`{|}~" {
		t[r] = true
	}
	return t
}()

// isAtextIntl is ATEXT_INTL: ATEXT plus U+0080 to U+10FFFF.
func isAtextIntl(r rune) bool { return r >= utf8.RuneSelf || atextTable[r] }

// isHostnameIntl is ATEXT_HOSTNAME_INTL: [a-zA-Z0-9\-\.] plus U+0080 to
// U+10FFFF.
func isHostnameIntl(r rune) bool {
	return r >= utf8.RuneSelf || r == '-' || r == '.' || isASCIIAlnum(r)
}

// isLDHString reports whether s holds only ASCII letters, digits, hyphens
// and periods.
func isLDHString(s string) bool {
	for i := 0; i < len(s); i++ {
		if !ldhTable[s[i]] {
			return false
		}
	}
	return true
}

var ldhTable = func() (t [256]bool) {
	for c := 0; c < utf8.RuneSelf; c++ {
		t[c] = isASCIIAlnum(rune(c)) || c == '-' || c == '.'
	}
	return t
}()

func isASCIIAlnum(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
}

// isDotAtom reports whether s matches [X]+(?:\.[X]+)*\Z for the character
// class X given by ok.
func isDotAtom(s string, ok func(rune) bool) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	prevDot := false
	for _, r := range s {
		if r == '.' {
			if prevDot {
				return false
			}
			prevDot = true
			continue
		}
		prevDot = false
		if !ok(r) {
			return false
		}
	}
	return true
}

// isDotAtomHostname is DOT_ATOM_TEXT_HOSTNAME.match: dot-separated labels
// of ASCII letters, digits and hyphens that neither start nor end with a
// hyphen.
func isDotAtomHostname(s string) bool {
	if s == "" {
		return false
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			if c := rune(s[i]); !isASCIIAlnum(c) && c != '-' {
				return false
			}
			continue
		}
		if i == start || s[start] == '-' || s[i-1] == '-' {
			return false
		}
		start = i + 1
	}
	return true
}

// validateEmail is email_validator.validate_email(email,
// check_deliverability=False) with the other options at their defaults. It
// returns the normalized address or the EmailSyntaxError text.
func validateEmail(email string) (string, string, bool) {
	hasDisplayName, localPart, domainPart, quoted, reason := splitEmail(email)
	if reason != "" {
		return "", reason, false
	}

	local, asciiLocal, smtputf8, reason := validateEmailLocalPart(localPart, quoted)
	if reason != "" {
		return "", reason, false
	}

	// RFC 6532 3.1: NFC-normalize the local part, and make sure that what is
	// returned is still valid.
	if !isASCII(local) {
		if nl := norm.NFC.String(local); nl != local {
			if _, _, _, reason := validateEmailLocalPart(nl, quoted); reason != "" {
				return "", "After Unicode normalization: " + reason, false
			}
			local = nl
		}
	}

	if quoted {
		return "", "Quoting the part before the @-sign is not allowed here.", false
	}

	// RFC 2142 mailbox names are case-insensitive.
	if !smtputf8 && isCaseInsensitiveMailbox(asciiLocal) {
		asciiLocal = asciiLower(asciiLocal)
		local = asciiLower(local)
	}

	if domainPart == "" {
		return "", "There must be something after the @-sign.", false
	}
	if strings.HasPrefix(domainPart, "[") && strings.HasSuffix(domainPart, "]") {
		if reason := validateEmailDomainLiteral(domainPart[1 : len(domainPart)-1]); reason != "" {
			return "", reason, false
		}
		return "", "A bracketed IP address after the @-sign is not allowed here.", false
	}
	asciiDomain, domain, reason := validateEmailDomainName(domainPart)
	if reason != "" {
		return "", reason, false
	}

	// The lengths of the original address (without display name; a quoted
	// local part was refused above), the normalized one and the one with
	// the IDNA ASCII domain.
	asciiFormLocal := asciiLocal
	if smtputf8 {
		asciiFormLocal = local
	}
	if reason := validateEmailLength(
		addrParts{localPart, domainPart},
		addrParts{local, domain},
		addrParts{asciiFormLocal, asciiDomain},
	); reason != "" {
		return "", reason, false
	}

	// Display names are checked last, as the optional parsing features are.
	if hasDisplayName {
		return "", "A display name and angle brackets around the email address are not permitted here.", false
	}
	if len(email) == len(local)+1+len(domain) && email[:len(local)] == local && email[len(local)+1:] == domain {
		// Already normalized: no need for a new string.
		return email, "", true
	}
	return local + "@" + domain, "", true
}

// splitEmail is syntax.split_email: whether there was a display name (or
// angle brackets), the unescaped local part, the domain part, and whether
// the local part was quoted. The display name itself is checked but not
// returned, since it is refused anyway.
func splitEmail(email string) (hasDisplayName bool, local, domain string, quoted bool, reason string) {
	left, right, reason := splitStringAtUnquotedSpecial(email, true)
	if reason != "" {
		return
	}
	if strings.HasPrefix(right, "<") {
		left = pyRstrip(left)
		displayName, nameQuoted, why := unquoteQuotedString(left)
		if reason = why; reason != "" {
			return
		}
		if !nameQuoted {
			bad := badChars(displayName, func(r rune) bool {
				return (!(r == '.' || isAtext(r)) && r != ' ') || r == '.'
			})
			if bad != "" {
				reason = "The display name contains invalid characters when not quoted: " + bad + "."
				return
			}
		}
		if reason = checkUnsafeChars(displayName, true); reason != "" {
			return
		}
		if !strings.Contains(right, ">") {
			reason = "An open angle bracket at the start of the email address has to be followed by a close angle bracket at the end."
			return
		}
		right = strings.TrimRight(right, " ")
		if right[len(right)-1] != '>' {
			reason = "There can't be anything after the email address."
			return
		}
		addrSpec := strings.TrimRight(right[1:], ">")
		local, domain, reason = splitStringAtUnquotedSpecial(addrSpec, false)
		if reason != "" {
			return
		}
		hasDisplayName = true
	} else {
		local, domain = left, right
	}
	domain = strings.TrimPrefix(domain, "@")
	local, quoted, reason = unquoteQuotedString(local)
	return
}

// splitStringAtUnquotedSpecial splits text before the first '@' (or '<' too,
// when angle is set) that is outside quotes and does not combine with what
// follows it under NFC (like '<' followed by U+0338, which is '≮').
func splitStringAtUnquotedSpecial(text string, angle bool) (left, right, reason string) {
	ascii := isASCII(text)
	insideQuote, escaped := false, false
	for i, c := range text {
		switch {
		case !ascii && nfcChangesFirst(text[i:], c):
			// part of something else; not special
		case insideQuote:
			if c == '\\' && !escaped {
				escaped = true
			} else if c == '"' && !escaped {
				insideQuote = false
				escaped = false
			} else {
				escaped = false
			}
		case c == '"':
			insideQuote = true
		case c == '@' || (angle && c == '<'):
			return text[:i], text[i:], ""
		}
	}
	return "", "", "An email address must have an @-sign."
}

// nfcChangesFirst reports unicodedata.normalize("NFC", s)[0] != c, where c
// is the first code point of s. Only the first normalization segment of s
// matters.
func nfcChangesFirst(s string, c rune) bool {
	n := utf8.RuneLen(c)
	if c < 0x300 && (n == len(s) || s[n] < 0xCC) {
		// No code point below U+0300 changes under NFC, and one followed by
		// another such code point (lead byte < 0xCC) cannot combine with it.
		return false
	}
	seg := s
	if b := norm.NFC.NextBoundaryInString(s, true); b > 0 {
		seg = s[:b]
	}
	first, _ := utf8.DecodeRuneInString(norm.NFC.String(seg))
	return first != c
}

// unquoteQuotedString is split_email's unquote_quoted_string: it removes
// surrounding quotes and backslash escapes.
func unquoteQuotedString(text string) (value string, quoted bool, reason string) {
	if !strings.HasPrefix(text, `"`) {
		return text, false, ""
	}
	var b strings.Builder
	escaped := false
	for i, c := range text[1:] {
		i++ // index in text
		switch {
		case escaped:
			b.WriteRune(c)
			escaped = false
		case c == '\\':
			escaped = true
		case c == '"':
			if i != len(text)-1 {
				var extra []string
				for _, r := range text[i+1:] {
					extra = append(extra, safeCharacterDisplay(r))
				}
				return "", false, "Extra character(s) found after close quote: " + strings.Join(extra, ", ")
			}
			return b.String(), true, ""
		default:
			b.WriteRune(c)
		}
	}
	return b.String(), true, ""
}

// lengthReason is get_length_reason.
func lengthReason(n, limit int) string {
	diff := n - limit
	suffix := ""
	if diff > 1 {
		suffix = "s"
	}
	return "(" + strconv.Itoa(diff) + " character" + suffix + " too many)"
}

// validateEmailLocalPart is syntax.validate_email_local_part with
// allow_smtputf8=True and allow_empty_local=False. It returns the local
// part to use, its ASCII form (when smtputf8 is false) and whether SMTPUTF8
// is needed.
func validateEmailLocalPart(local string, quoted bool) (localPart, asciiLocal string, smtputf8 bool, reason string) {
	if local == "" {
		return "", "", false, "There must be something before the @-sign."
	}
	if n := runeCount(local); n > localPartMaxLength {
		return "", "", false, "The email address is too long before the @-sign " + lengthReason(n, localPartMaxLength) + "."
	}
	if isDotAtom(local, isAtext) {
		return local, local, false, ""
	}

	valid := ""
	if isDotAtom(local, isAtextIntl) {
		valid = "dot-atom"
		smtputf8 = true
	} else if quoted {
		// QTEXT_INTL: U+0020 to U+007E and U+0080 to U+10FFFF.
		if bad := badChars(local, func(r rune) bool { return r < 0x20 || r == 0x7F }); bad != "" {
			return "", "", false, "The email address contains invalid characters in quotes before the @-sign: " + bad + "."
		}
		smtputf8 = !isASCII(local)
		valid = "quoted"
	}

	if valid != "" {
		if reason := checkUnsafeChars(local, valid == "quoted"); reason != "" {
			return "", "", false, reason
		}
		// local.encode("utf8") cannot fail for a Go string, so "The email
		// address contains an invalid character." is never the reason.
		if valid == "quoted" {
			var b strings.Builder
			b.WriteByte('"')
			for _, r := range local {
				if r == '"' || r == '\\' {
					b.WriteByte('\\')
				}
				b.WriteRune(r)
			}
			b.WriteByte('"')
			local = b.String()
		}
		if smtputf8 {
			return local, "", true, ""
		}
		return local, local, false, ""
	}

	// Find out why it is invalid: characters outside ATEXT_INTL_DOT_RE...
	if bad := badChars(local, func(r rune) bool { return r != '.' && !isAtextIntl(r) }); bad != "" {
		return "", "", false, "The email address contains invalid characters before the @-sign: " + bad + "."
	}
	// ...or the placement of the periods.
	if reason := checkDotAtom(local, "An email address cannot start with a {}.", "An email address cannot have a {} immediately before the @-sign.", false); reason != "" {
		return "", "", false, reason
	}
	return "", "", false, "The email address contains invalid characters before the @-sign."
}

// checkUnsafeChars is syntax.check_unsafe_chars: letters, numbers,
// punctuation and symbols are fine, a combining mark only after the first
// position, spaces only when allowSpace, and no other separators, control,
// format, surrogate, private-use or unassigned code points.
func checkUnsafeChars(s string, allowSpace bool) string {
	var bad []rune
	i := 0
	for _, r := range s {
		switch category(r) {
		case catL, catN, catP, catS:
		case catM:
			if i == 0 {
				bad = addRune(bad, r)
			}
		case catZs:
			if !allowSpace {
				bad = addRune(bad, r)
			}
		default:
			bad = addRune(bad, r)
		}
		i++
	}
	if bad == nil {
		return ""
	}
	// Sorted by code point, then displayed.
	for i := 1; i < len(bad); i++ {
		for j := i; j > 0 && bad[j] < bad[j-1]; j-- {
			bad[j], bad[j-1] = bad[j-1], bad[j]
		}
	}
	names := make([]string, len(bad))
	for i, r := range bad {
		names[i] = safeCharacterDisplay(r)
	}
	return "The email address contains unsafe characters: " + strings.Join(names, ", ") + "."
}

func addRune(set []rune, r rune) []rune {
	for _, x := range set {
		if x == r {
			return set
		}
	}
	return append(set, r)
}

// checkDotAtom is syntax.check_dot_atom; startDescr and endDescr are
// message templates with "{}" where "period" or "hyphen" goes. The checks
// keep their Python order; one pass over label collects what they need.
func checkDotAtom(label, startDescr, endDescr string, isHostname bool) string {
	if label == "" {
		return ""
	}
	doubleDot, dotHyphen := false, false
	for i := 1; i < len(label); i++ {
		switch label[i-1 : i+1] {
		case "..":
			doubleDot = true
		case ".-", "-.":
			dotHyphen = true
		}
	}
	first, last := label[0], label[len(label)-1]
	switch {
	case last == '.':
		return strings.Replace(endDescr, "{}", "period", 1)
	case first == '.':
		return strings.Replace(startDescr, "{}", "period", 1)
	case doubleDot:
		return "An email address cannot have two periods in a row."
	case !isHostname:
		return ""
	case last == '-':
		return strings.Replace(endDescr, "{}", "hyphen", 1)
	case first == '-':
		return strings.Replace(startDescr, "{}", "hyphen", 1)
	case dotHyphen:
		return "An email address cannot have a period and a hyphen next to each other."
	}
	return ""
}

// validateEmailDomainName is syntax.validate_email_domain_name with
// test_environment=False and globally_deliverable=True. It returns the IDNA
// ASCII form and the normalized Unicode form of the domain.
func validateEmailDomainName(domain string) (asciiDomain, domainI18n, reason string) {
	// The common case, ASCII letters, digits, hyphens and periods only, passes
	// the character checks below whatever the order of the characters, also
	// after mapping (which only lowercases it).
	simple := isLDHString(domain)
	if !simple {
		if bad := badChars(domain, func(r rune) bool { return !isHostnameIntl(r) }); bad != "" {
			return "", "", "The part after the @-sign contains invalid characters: " + bad + "."
		}
		if reason := checkUnsafeChars(domain, false); reason != "" {
			return "", "", reason
		}
	}

	// UTS #46: case folding, NFC, and the other full stops to '.'.
	original := domain
	domain, reason = uts46Remap(domain)
	if reason != "" {
		return "", "", "The part after the @-sign contains invalid characters (" + reason + ")."
	}
	if !simple {
		if bad := badChars(domain, func(r rune) bool { return !isHostnameIntl(r) }); bad != "" {
			return "", "", "The part after the @-sign contains invalid characters after Unicode normalization: " + bad + "."
		}
	}

	if reason := checkDotAtom(domain, "An email address cannot have a {} immediately after the @-sign.", "An email address cannot end with a {}.", true); reason != "" {
		return "", "", reason
	}

	// RFC 5890 R-LDH labels: re.match(r"(?!xn)..--", label, re.I).
	if strings.Contains(domain, "--") {
		for label := range strings.SplitSeq(domain, ".") {
			if isReservedLDH(label) {
				return "", "", "An email address cannot have two letters followed by two dashes immediately after the @-sign or after a period, except Punycode."
			}
		}
	}

	if isDotAtomHostname(domain) {
		asciiDomain = domain
	} else {
		labels := strings.Split(domain, ".")
		for i, label := range labels {
			a, err := idnaALabel(label)
			if err != "" {
				return "", "", "The part after the @-sign is invalid (" + err + ")."
			}
			labels[i] = a
		}
		asciiDomain = strings.Join(labels, ".")
		if !isDotAtomHostname(asciiDomain) {
			return "", "", "The email address contains invalid characters after the @-sign after IDNA encoding."
		}
	}

	// RFC 1035 2.3.4 and RFC 5321 4.5.3.1.2, in octets.
	if len(asciiDomain) > domainMaxLength {
		if asciiDomain == original {
			return "", "", "The email address is too long after the @-sign " + lengthReason(len(asciiDomain), domainMaxLength) + "."
		}
		diff := len(asciiDomain) - domainMaxLength
		s := "s"
		if diff == 1 {
			s = ""
		}
		return "", "", "The email address is too long after the @-sign (" + strconv.Itoa(diff) + " byte" + s + " too many after IDNA encoding)."
	}
	if len(asciiDomain) > dnsLabelLengthLimit {
		for label := range strings.SplitSeq(asciiDomain, ".") {
			if len(label) > dnsLabelLengthLimit {
				return "", "", "After the @-sign, periods cannot be separated by so many characters " + lengthReason(len(label), dnsLabelLengthLimit) + "."
			}
		}
	}

	if !strings.Contains(asciiDomain, ".") {
		return "", "", "The part after the @-sign is not valid. It should have a period."
	}
	if c := asciiDomain[len(asciiDomain)-1]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
		return "", "", "The part after the @-sign is not valid. It is not within a valid top-level domain."
	}
	for _, d := range specialUseDomainNames {
		if asciiDomain == d || (strings.HasSuffix(asciiDomain, d) && asciiDomain[len(asciiDomain)-len(d)-1] == '.') {
			return "", "", "The part after the @-sign is a special-use or reserved name that cannot be used with email."
		}
	}

	// The domain may have been given as IDNA ASCII: check that it is real
	// IDNA and get its canonical Unicode form.
	domainI18n, err := idnaDecode(asciiDomain)
	if err != "" {
		return "", "", "The part after the @-sign is not valid IDNA (" + err + ")."
	}

	// Re-check the (UTS #46 mapped) domain, as the Python code does.
	if !simple {
		if bad := badChars(domain, func(r rune) bool { return !isHostnameIntl(r) }); bad != "" {
			return "", "", "The part after the @-sign contains invalid characters: " + bad + "."
		}
		if reason := checkUnsafeChars(domain, false); reason != "" {
			return "", "", reason
		}
	}
	if domainI18n != asciiDomain {
		if err := idnaEncode(domainI18n); err != "" {
			return "", "", "The part after the @-sign became invalid after normalizing to international characters (" + err + ")."
		}
	}
	return asciiDomain, domainI18n, ""
}

// isReservedLDH is re.match(r"(?!xn)..--", label, re.I): the third and
// fourth characters are hyphens and the first two are not "xn".
func isReservedLDH(label string) bool {
	var rs [4]rune
	n := 0
	for _, r := range label {
		rs[n] = r
		n++
		if n == 4 {
			break
		}
	}
	if n < 4 || rs[2] != '-' || rs[3] != '-' {
		return false
	}
	return !((rs[0] == 'x' || rs[0] == 'X') && (rs[1] == 'n' || rs[1] == 'N'))
}

// addrParts is one form of the address, local + "@" + domain, for the
// length checks, which so need not build the string.
type addrParts struct {
	local, domain string
}

func (a addrParts) octets() int { return len(a.local) + 1 + len(a.domain) }

func (a addrParts) codePoints() int { return runeCount(a.local) + 1 + runeCount(a.domain) }

// maxOctetsPerChar is max(len(c.encode("utf8")) for c in addr).
func (a addrParts) maxOctetsPerChar() int {
	m := 1
	for _, s := range [2]string{a.local, a.domain} {
		if isASCII(s) {
			continue
		}
		for _, r := range s {
			if l := utf8.RuneLen(r); l > m {
				m = l
			}
		}
	}
	return m
}

// validateEmailLength is syntax.validate_email_length: the original
// address (without display name), the normalized address and the address
// with the IDNA ASCII domain must each fit in 254 UTF-8 octets.
func validateEmailLength(original, normalized, asciiForm addrParts) string {
	checks := [...]struct {
		addr   addrParts
		reason string
	}{
		{original, ""},
		{normalized, "after normalization"},
		{asciiForm, "when the part after the @-sign is converted to IDNA ASCII"},
	}
	for i, c := range checks {
		octets := c.addr.octets()
		diff := octets - emailMaxLength
		if diff <= 0 {
			continue
		}
		suffix := ""
		if diff > 1 {
			suffix = "s"
		}
		var reason string
		switch n := c.addr.codePoints(); {
		case i == 0 && n == octets:
			reason = lengthReason(n, emailMaxLength)
		case i == 0:
			// The fewest characters that could be removed: the octets over
			// the limit divided by the most octets any character takes.
			mchars := diff / c.addr.maxOctetsPerChar()
			if mchars < 1 {
				mchars = 1
			}
			if mchars == diff {
				reason = "(" + strconv.Itoa(diff) + " character" + suffix + " too many)"
			} else {
				reason = "(" + strconv.Itoa(mchars) + "-" + strconv.Itoa(diff) + " character" + suffix + " too many)"
			}
		default:
			reason = c.reason + " (" + strconv.Itoa(diff) + " byte" + suffix + " too many)"
		}
		return "The email address is too long " + reason + "."
	}
	return ""
}

// validateEmailDomainLiteral is syntax.validate_email_domain_literal, up to
// its errors: a valid literal is refused by the caller anyway, since
// allow_domain_literal is false.
func validateEmailDomainLiteral(lit string) string {
	// re.match(r"^[0-9\.]+$", lit): '$' also matches before a final "\n".
	core := strings.TrimSuffix(lit, "\n")
	if core != "" && strings.Trim(core, "0123456789.") == "" {
		if err := pyIPv4Address(lit); err != "" {
			return "The address in brackets after the @-sign is not valid: It is not an IPv4 address (" + err + ") or is missing an address literal tag."
		}
		return ""
	}
	if strings.HasPrefix(lit, "IPv6:") {
		if err := pyIPv6Address(lit[5:]); err != "" {
			return "The IPv6 address in brackets after the @-sign is not valid (" + err + ")."
		}
		return ""
	}
	if !strings.Contains(lit, ":") {
		return "The part after the @-sign in brackets is not an IPv4 address and has no address literal tag."
	}
	// DOMAIN_LITERAL_CHARS: [\u0021-\u00FA\u005E-\u007E].
	if bad := badChars(lit, func(r rune) bool { return r < 0x21 || r > 0xFA }); bad != "" {
		return "The part after the @-sign contains invalid characters in brackets: " + bad + "."
	}
	return "The part after the @-sign contains an invalid address literal tag in brackets."
}
