package emailaddr

import (
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// This file ports the parts of the Python idna package (core.py) that
// email-validator calls: uts46_remap, alabel, decode and encode, with the
// same exception texts. The UTS #46 mapping table is golang.org/x/net/idna's;
// the IDNA 2008 code point classes and Bidi classes come from tables.go.

// uts46Mapper maps single code points by the UTS #46 table, without
// validation, as idna.uts46_remap(std3_rules=False, transitional=False)
// does: valid and deviation code points stay, mapped ones (including the
// STD3 ones) are replaced, ignored ones are dropped, and disallowed ones
// are an error.
var uts46Mapper = idna.New(
	idna.MapForLookup(),
	idna.ValidateLabels(false),
	idna.CheckHyphens(false),
	idna.CheckJoiners(false),
	idna.StrictDomainName(false),
	idna.Transitional(false),
)

// uts46Remap is idna.uts46_remap(domain, std3_rules=False,
// transitional=False). The error is the text of idna's InvalidCodepoint.
func uts46Remap(domain string) (string, string) {
	if isASCII(domain) {
		// Only letters, digits, '-' and '.' get here: all valid, the
		// capitals mapped to small letters. NFC leaves ASCII alone.
		return asciiLower(domain), ""
	}
	var b strings.Builder
	pos := 0
	for _, r := range domain {
		pos++
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteRune(r)
			continue
		}
		m, err := uts46Mapper.ToUnicode(string(r))
		if err != nil || (r != utf8.RuneError && strings.ContainsRune(m, utf8.RuneError)) {
			return "", "Codepoint " + unot(r) + " not allowed at position " + strconv.Itoa(pos) + " in " + pyReprString(domain)
		}
		b.WriteString(m)
	}
	return norm.NFC.String(b.String()), ""
}

// unot is idna's _unot: "U+%04X".
func unot(r rune) string {
	h := strings.ToUpper(strconv.FormatInt(int64(r), 16))
	for len(h) < 4 {
		h = "0" + h
	}
	return "U+" + h
}

// idna2008Class is the IDNA 2008 derived property of a code point, as far
// as idna's check_label distinguishes it.
const (
	idnaDisallowed = iota
	idnaPVALID
	idnaCONTEXTJ
	idnaCONTEXTO
)

func idna2008Class(r rune) int {
	switch {
	case r == 0x200C || r == 0x200D:
		return idnaCONTEXTJ
	case r == 0x00B7 || r == 0x0375 || r == 0x05F3 || r == 0x05F4 || r == 0x30FB ||
		(r >= 0x0660 && r <= 0x0669) || (r >= 0x06F0 && r <= 0x06F9):
		return idnaCONTEXTO
	}
	if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
		return idnaPVALID
	}
	if r < utf8.RuneSelf {
		return idnaDisallowed
	}
	u := uint32(r)
	n := len(idnaPValid) / 2
	i := sort.Search(n, func(i int) bool { return idnaPValid[2*i+1] >= u })
	if i < n && idnaPValid[2*i] <= u {
		return idnaPVALID
	}
	return idnaDisallowed
}

// bidiClass is unicodedata.bidirectional for the code points that reach
// check_bidi (all of them assigned).
func bidiClass(r rune) int {
	if r < 0 || r > unicode.MaxRune {
		return bidiNone
	}
	u := uint32(r)
	i := sort.Search(len(bidiStarts), func(i int) bool { return bidiStarts[i]&0xFFFFFF > u }) - 1
	if i < 0 {
		return bidiNone
	}
	return int(bidiStarts[i] >> 24)
}

// checkLabel is idna.check_label.
func checkLabel(label []rune) string {
	if len(label) == 0 {
		return "Empty Label"
	}
	if !isNFC(label) {
		return "Label must be in Normalization Form C"
	}
	if len(label) >= 4 && label[2] == '-' && label[3] == '-' {
		return "Label has disallowed hyphens in 3rd and 4th position"
	}
	if label[0] == '-' || label[len(label)-1] == '-' {
		return "Label must not start or end with a hyphen"
	}
	if category(label[0]) == catM {
		return "Label begins with an illegal combining character"
	}
	for pos, r := range label {
		switch idna2008Class(r) {
		case idnaPVALID:
		case idnaCONTEXTJ:
			if !validContextJ(label, pos) {
				// idna raises InvalidCodepointContext("Joiner ... not
				// allowed ...") here, but inside a try block that turns
				// every ValueError, that one included, into this text.
				return "Unknown codepoint adjacent to joiner " + unot(r) + " at position " + strconv.Itoa(pos+1) + " in " + pyRepr(label)
			}
		case idnaCONTEXTO:
			if !validContextO(label, pos) {
				return "Codepoint " + unot(r) + " not allowed at position " + strconv.Itoa(pos+1) + " in " + pyRepr(label)
			}
		default:
			return "Codepoint " + unot(r) + " at position " + strconv.Itoa(pos+1) + " of " + pyRepr(label) + " not allowed"
		}
	}
	return checkBidi(label)
}

// isNFC reports unicodedata.normalize("NFC", label) == label. A lone
// surrogate (which Python keeps as it is) is compared as U+FFFD, which
// behaves the same under normalization.
func isNFC(label []rune) bool {
	s := string(label)
	return norm.NFC.IsNormalString(s)
}

// joinerProfile runs golang.org/x/net/idna's ContextJ rules (RFC 5892
// appendix A.1 and A.2) over a whole label.
var joinerProfile = idna.New(idna.CheckJoiners(true))

// validContextJ is idna.valid_contextj. The virama rule is ported; for the
// ZERO WIDTH NON-JOINER rule on Arabic joining types, which needs data that
// only golang.org/x/net/idna holds, the whole label is checked there.
func validContextJ(label []rune, pos int) bool {
	if pos > 0 && norm.NFC.PropertiesString(string(label[pos-1])).CCC() == 9 {
		return true
	}
	if label[pos] != 0x200C {
		return false
	}
	_, err := joinerProfile.ToUnicode(string(label))
	return err == nil
}

// validContextO is idna.valid_contexto.
func validContextO(label []rune, pos int) bool {
	r := label[pos]
	switch {
	case r == 0x00B7:
		return pos > 0 && pos < len(label)-1 && label[pos-1] == 'l' && label[pos+1] == 'l'
	case r == 0x0375:
		return pos < len(label)-1 && len(label) > 1 && unicode.Is(unicode.Greek, label[pos+1])
	case r == 0x05F3 || r == 0x05F4:
		return pos > 0 && unicode.Is(unicode.Hebrew, label[pos-1])
	case r == 0x30FB:
		for _, c := range label {
			if c == 0x30FB {
				continue
			}
			if unicode.In(c, unicode.Hiragana, unicode.Katakana, unicode.Han) {
				return true
			}
		}
		return false
	case r >= 0x0660 && r <= 0x0669:
		for _, c := range label {
			if c >= 0x06F0 && c <= 0x06F9 {
				return false
			}
		}
		return true
	case r >= 0x06F0 && r <= 0x06F9:
		for _, c := range label {
			if c >= 0x0660 && c <= 0x0669 {
				return false
			}
		}
		return true
	}
	return false
}

// checkBidi is idna.check_bidi(label) (RFC 5893), applied only to labels
// with a right-to-left character.
func checkBidi(label []rune) string {
	rtlLabel := false
	for _, r := range label {
		switch bidiClass(r) {
		case bidiNone:
			// Unassigned code points were refused before, so this does not
			// happen; the text is idna's all the same.
			return "Unknown directionality in label " + pyRepr(label) + " at position " + strconv.Itoa(indexOf(label, r)+1)
		case bidiR, bidiAL, bidiAN:
			rtlLabel = true
		}
	}
	if !rtlLabel {
		return ""
	}

	var rtl bool
	switch bidiClass(label[0]) {
	case bidiR, bidiAL:
		rtl = true
	case bidiL:
		rtl = false
	default:
		return "First codepoint in label " + pyRepr(label) + " must be directionality L, R or AL"
	}

	validEnding := false
	numberType := bidiNone
	for idx, r := range label {
		d := bidiClass(r)
		if rtl {
			// Rule 2.
			switch d {
			case bidiR, bidiAL, bidiAN, bidiEN, bidiES, bidiCS, bidiET, bidiON, bidiBN, bidiNSM:
			default:
				return "Invalid direction for codepoint at position " + strconv.Itoa(idx+1) + " in a right-to-left label"
			}
			// Rule 3.
			switch d {
			case bidiR, bidiAL, bidiEN, bidiAN:
				validEnding = true
			case bidiNSM:
			default:
				validEnding = false
			}
			// Rule 4.
			if d == bidiAN || d == bidiEN {
				if numberType == bidiNone {
					numberType = d
				} else if numberType != d {
					return "Can not mix numeral types in a right-to-left label"
				}
			}
		} else {
			// Rule 5.
			switch d {
			case bidiL, bidiEN, bidiES, bidiCS, bidiET, bidiON, bidiBN, bidiNSM:
			default:
				return "Invalid direction for codepoint at position " + strconv.Itoa(idx+1) + " in a left-to-right label"
			}
			// Rule 6.
			switch d {
			case bidiL, bidiEN:
				validEnding = true
			case bidiNSM:
			default:
				validEnding = false
			}
		}
	}
	if !validEnding {
		return "Label ends with illegal codepoint directionality"
	}
	return ""
}

func indexOf(label []rune, r rune) int {
	for i, c := range label {
		if c == r {
			return i
		}
	}
	return -1
}

// idnaALabel is idna.alabel(label).decode("ascii").
func idnaALabel(label string) (string, string) {
	if isASCII(label) {
		if _, err := idnaULabel(label); err != "" {
			return "", err
		}
		if len(label) > 63 {
			return "", "Label too long"
		}
		return label, ""
	}
	runes := []rune(label)
	if err := checkLabel(runes); err != "" {
		return "", err
	}
	a := "xn--" + punycodeEncode(runes)
	if len(a) > 63 {
		return "", "Label too long"
	}
	return a, ""
}

// idnaULabel is idna.ulabel for an ASCII label (str or bytes): an A-label
// is decoded from Punycode, and either way the result must pass
// check_label.
func idnaULabel(label string) (string, string) {
	label = asciiLower(label)
	if !strings.HasPrefix(label, "xn--") {
		if err := checkLabel([]rune(label)); err != "" {
			return "", err
		}
		return label, ""
	}
	body := label[len("xn--"):]
	if body == "" {
		return "", "Malformed A-label, no Punycode eligible content found"
	}
	if strings.HasSuffix(body, "-") {
		return "", "A-label must not end with a hyphen"
	}
	u, ok := punycodeDecode(body)
	if !ok {
		return "", "Invalid A-label"
	}
	if err := checkLabel(u); err != "" {
		return "", err
	}
	return string(u), ""
}

// isUnicodeDot matches idna's _unicode_dots_re: [\u002e\u3002\uff0e\uff61].
func isUnicodeDot(r rune) bool {
	return r == '.' || r == 0x3002 || r == 0xFF0E || r == 0xFF61
}

// hasALabel reports whether a label of s starts with "xn--", in any case.
func hasALabel(s string) bool {
	for i := 0; i+4 <= len(s); i++ {
		if (i == 0 || s[i-1] == '.') && s[i+2] == '-' && s[i+3] == '-' &&
			(s[i] == 'x' || s[i] == 'X') && (s[i+1] == 'n' || s[i+1] == 'N') {
			return true
		}
	}
	return false
}

// idnaDecode is idna.decode(s) for an ASCII domain name.
func idnaDecode(s string) (string, string) {
	if !hasALabel(s) {
		// Every label is a lowercase LDH label here, which check_label
		// accepts unchanged (the callers checked hyphens and lengths).
		return asciiLower(s), ""
	}
	labels := strings.Split(s, ".")
	if len(labels) == 1 && labels[0] == "" {
		return "", "Empty domain"
	}
	trailingDot := false
	if labels[len(labels)-1] == "" {
		labels = labels[:len(labels)-1]
		trailingDot = true
	}
	for i, label := range labels {
		u, err := idnaULabel(label)
		if err != "" {
			return "", err
		}
		if u == "" {
			return "", "Empty label"
		}
		labels[i] = u
	}
	if trailingDot {
		labels = append(labels, "")
	}
	return strings.Join(labels, "."), ""
}

// idnaEncode is idna.encode(s) (uts46=False, strict=False), for its errors.
func idnaEncode(s string) string {
	labels := splitFunc(s, isUnicodeDot)
	if len(labels) == 1 && labels[0] == "" {
		return "Empty domain"
	}
	trailingDot := false
	if labels[len(labels)-1] == "" {
		labels = labels[:len(labels)-1]
		trailingDot = true
	}
	for i, label := range labels {
		a, err := idnaALabel(label)
		if err != "" {
			return err
		}
		if a == "" {
			return "Empty label"
		}
		labels[i] = a
	}
	limit := 253
	if trailingDot {
		labels = append(labels, "")
		limit = 254
	}
	if len(strings.Join(labels, ".")) > limit {
		return "Domain too long"
	}
	return ""
}

// splitFunc splits s around each code point for which sep is true, keeping
// empty fields (as re.split does).
func splitFunc(s string, sep func(rune) bool) []string {
	var out []string
	start := 0
	for i, r := range s {
		if sep(r) {
			out = append(out, s[start:i])
			start = i + utf8.RuneLen(r)
		}
	}
	return append(out, s[start:])
}

// Punycode (RFC 3492) parameters.
const (
	pcBase        = 36
	pcTMin        = 1
	pcTMax        = 26
	pcSkew        = 38
	pcDamp        = 700
	pcInitialBias = 72
	pcInitialN    = 128
)

func pcAdapt(delta, numPoints int64, first bool) int64 {
	if first {
		delta /= pcDamp
	} else {
		delta /= 2
	}
	delta += delta / numPoints
	k := int64(0)
	for delta > ((pcBase-pcTMin)*pcTMax)/2 {
		delta /= pcBase - pcTMin
		k += pcBase
	}
	return k + (pcBase-pcTMin+1)*delta/(delta+pcSkew)
}

func pcThreshold(j, bias int64) int64 {
	t := pcBase*(j+1) - bias
	if t < pcTMin {
		return pcTMin
	}
	if t > pcTMax {
		return pcTMax
	}
	return t
}

// punycodeDecode is Python's "punycode" codec decoding (strict errors): the
// basic code points are everything before the last '-', and the rest is
// read case-insensitively. Like Python, it accepts results that hold
// surrogates; check_label refuses those later.
func punycodeDecode(s string) ([]rune, bool) {
	var out []rune
	ext := s
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		for _, c := range s[:i] {
			out = append(out, c)
		}
		ext = s[i+1:]
	}
	const limit = 1 << 40 // far past U+10FFFF: Python fails there too
	n, bias, pos := int64(pcInitialN), int64(pcInitialBias), int64(-1)
	first := true
	for k := 0; k < len(ext); {
		result, w := int64(0), int64(1)
		for j := int64(0); ; j++ {
			if k >= len(ext) {
				return nil, false // "incomplete punicode string"
			}
			c := ext[k]
			k++
			var digit int64
			switch {
			case 'A' <= c && c <= 'Z':
				digit = int64(c - 'A')
			case 'a' <= c && c <= 'z':
				digit = int64(c - 'a')
			case '0' <= c && c <= '9':
				digit = int64(c) - 22
			default:
				return nil, false // "Invalid extended code point"
			}
			t := pcThreshold(j, bias)
			result += digit * w
			if result > limit {
				return nil, false
			}
			if digit < t {
				break
			}
			w *= pcBase - t
			if w > limit {
				return nil, false
			}
		}
		delta := result
		pos += delta + 1
		size := int64(len(out) + 1)
		n += pos / size
		if n > unicode.MaxRune {
			return nil, false // "Invalid character U+..."
		}
		pos %= size
		out = append(out, 0)
		copy(out[pos+1:], out[pos:])
		out[pos] = rune(n)
		bias = pcAdapt(delta, int64(len(out)), first)
		first = false
	}
	return out, true
}

// punycodeEncode is Python's "punycode" codec encoding of a label.
func punycodeEncode(label []rune) string {
	var b strings.Builder
	basic := 0
	for _, r := range label {
		if r < 0x80 {
			b.WriteRune(r)
			basic++
		}
	}
	if basic > 0 {
		b.WriteByte('-')
	}
	n, delta, bias := int64(pcInitialN), int64(0), int64(pcInitialBias)
	h := int64(basic)
	for h < int64(len(label)) {
		m := int64(unicode.MaxRune + 1)
		for _, r := range label {
			if int64(r) >= n && int64(r) < m {
				m = int64(r)
			}
		}
		delta += (m - n) * (h + 1)
		n = m
		for _, r := range label {
			c := int64(r)
			if c < n {
				delta++
			}
			if c == n {
				q := delta
				for k := int64(pcBase); ; k += pcBase {
					t := k - bias
					if t < pcTMin {
						t = pcTMin
					} else if t > pcTMax {
						t = pcTMax
					}
					if q < t {
						break
					}
					b.WriteByte(pcDigit(t + (q-t)%(pcBase-t)))
					q = (q - t) / (pcBase - t)
				}
				b.WriteByte(pcDigit(q))
				bias = pcAdapt(delta, h+1, h == int64(basic))
				delta = 0
				h++
			}
		}
		delta++
		n++
	}
	return b.String()
}

func pcDigit(d int64) byte {
	if d < 26 {
		return byte('a' + d)
	}
	return byte('0' + d - 26)
}
