package auth

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // IANA names validate the same on every machine, with or without zoneinfo.
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"

	"authbff/graph/auth/commonpw"
	"authbff/graph/auth/emailaddr"
)

// FieldError is one entry of a validation failure, shaped like a pydantic v2 error.
// Field is the domain's name of the input field; each transport maps it onto its own
// location (REST ["body", key], GraphQL the argument path).
type FieldError struct {
	Type  string
	Field FieldName
	Msg   string
	// Input is the value that failed; password values are replaced by Redacted.
	Input any
	// Ctx is pydantic's ctx object, nil when pydantic has none.
	Ctx map[string]any
}

// The entries a transport writes for input its own decoding refuses (an absent field, a
// wrong JSON or GraphQL type), named and worded once, as pydantic does.

// Missing is pydantic's entry for an absent required field (or body).
func Missing(field FieldName, input any) FieldError {
	return FieldError{Type: "missing", Field: field, Msg: "Field required", Input: input}
}

// StringType is pydantic's entry for a non-string given to a string field.
func StringType(field FieldName, input any) FieldError {
	return FieldError{Type: "string_type", Field: field, Msg: "Input should be a valid string", Input: input}
}

// DictType is pydantic's entry for a non-object given to an object field.
func DictType(field FieldName, input any) FieldError {
	return FieldError{Type: "dict_type", Field: field, Msg: "Input should be a valid dictionary", Input: input}
}

// StringUnicode is pydantic's entry for a string that is not Unicode text: a lone
// surrogate ("\ud800" in JSON or in a GraphQL string literal), which pydantic-core
// cannot turn into a Rust string. Input is the value with each surrogate shown as
// U+FFFD (a JSON answer cannot carry it), or Redacted for a password.
func StringUnicode(field FieldName, input string) FieldError {
	var in any = strings.ToValidUTF8(input, "\uFFFD")
	if field.Secret() {
		in = Redacted
	}
	return FieldError{Type: "string_unicode", Field: field,
		Msg: "Input should be a valid string, unable to parse raw data as a unicode string", Input: in}
}

// Redacted stands in for a password wherever an error would echo one.
const Redacted = "[redacted]"

// Validation limits (CONTRACT.md §4).
const (
	UsernameMinLen  = 3
	UsernameMaxLen  = 32
	UsernamePattern = `^[A-Za-z0-9_.-]+$`
	PasswordMinLen  = 8
	PasswordMaxLen  = 128
	FullNameMaxLen  = 255
	BioMaxLen       = 5000
	AvatarURLMaxLen = 2048
	LocaleMaxLen    = 35
	TimezoneMaxLen  = 64
	OrgNameMaxLen   = 100
	EmailMaxLen     = emailaddr.MaxLength
	// ObjectMaxDepth and ObjectMaxBytes bound a preferences or settings object, on
	// both transports: nesting (an object or array inside another counts one level)
	// and the size of its compact JSON text.
	ObjectMaxDepth = 20
	ObjectMaxBytes = 16 << 10
)

var usernameRE = regexp.MustCompile(UsernamePattern)

// registerIdentity adds the password-equals-identity entry of a registration, in the
// password's place, unless the password already failed.
func registerIdentity(value func(FieldName) (string, bool), errs []FieldError) []FieldError {
	for _, e := range errs {
		if e.Field == FieldPassword {
			return errs
		}
	}
	pw, ok := value(FieldPassword)
	if !ok {
		return errs
	}
	username, _ := value(FieldUsername)
	email, _ := value(FieldEmail)
	ae := checkPasswordIdentity(FieldPassword, pw, username, email)
	if ae == nil {
		return errs
	}
	// Declaration order: email, username, password, then the optional fields.
	i := 0
	for i < len(errs) && (errs[i].Field == FieldEmail || errs[i].Field == FieldUsername) {
		i++
	}
	return slices.Insert(errs, i, ae.Fields[0])
}

// ValidationError wraps entries in a CodeValidation error.
func ValidationError(fields ...FieldError) *Error {
	return &Error{Code: CodeValidation, Message: MsgValidation, Fields: fields}
}

func tooShort(n int) *FieldError {
	return &FieldError{Type: "string_too_short", Msg: fmt.Sprintf("String should have at least %d character%s", n, plural(n)),
		Ctx: map[string]any{"min_length": n}}
}

func tooLong(n int) *FieldError {
	return &FieldError{Type: "string_too_long", Msg: fmt.Sprintf("String should have at most %d character%s", n, plural(n)),
		Ctx: map[string]any{"max_length": n}}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// valueError is what a pydantic field validator raising ValueError(reason) reports.
func valueError(reason string) *FieldError {
	return &FieldError{Type: "value_error", Msg: "Value error, " + reason, Ctx: map[string]any{"error": map[string]any{}}}
}

// objectRule checks a preferences or settings object, given as compact JSON text.
func objectRule(v string) (string, *FieldError) {
	if len(v) > ObjectMaxBytes {
		return "", valueError(fmt.Sprintf("the object is larger than %d bytes as JSON", ObjectMaxBytes))
	}
	depth, inString := 0, false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			if depth++; depth > ObjectMaxDepth {
				return "", valueError(fmt.Sprintf("the object is nested more than %d levels deep", ObjectMaxDepth))
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return v, nil
}

func lengthRule(minLen, maxLen int) rule {
	return func(v string) (string, *FieldError) {
		n := utf8.RuneCountInString(v)
		if minLen > 0 && n < minLen {
			return "", tooShort(minLen)
		}
		if maxLen > 0 && n > maxLen {
			return "", tooLong(maxLen)
		}
		return v, nil
	}
}

func maxLenRule(n int) rule { return lengthRule(0, n) }

// Password policy reasons of this package (commonpw has the list's and identity's).
const (
	ReasonInvisible       = "The password must contain visible characters."
	ReasonSameAsCurrent   = "The new password must differ from the current one."
	ReasonOrgNameControls = "The name must not contain control or invisible formatting characters."
)

// newPasswordRule is the policy for every password being set (CONTRACT.md §7, NIST SP
// 800-63B-4): 8–128 code points, no composition rules, not made only of invisible
// characters, not among the most common passwords. Equality with the account's own
// username or e-mail is checked where those are known (checkPasswordIdentity). The
// comparisons see the password's policy form (see policyForm); the password itself is
// hashed and verified exactly as received, after NFC, so existing hashes keep working.
func newPasswordRule(v string) (string, *FieldError) {
	if _, fe := lengthRule(PasswordMinLen, PasswordMaxLen)(v); fe != nil {
		return "", fe
	}
	if strings.IndexFunc(v, func(r rune) bool { return !invisible(r) }) < 0 {
		return "", valueError(ReasonInvisible)
	}
	if commonpw.IsCommon(policyForm(v)) {
		return "", valueError(commonpw.ReasonCommon)
	}
	return v, nil
}

// invisible reports whether r shows nothing: white space, control characters (NUL…)
// and format characters (zero-width space, soft hyphen, bidi controls).
func invisible(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

var folder = cases.Fold()

// policyForm is how the policy compares a password with the blocklist and with the
// account's username and e-mail: NFKC (fullwidth ｐａｓｓｗｏｒｄ１ is password1,
// ligatures are letters), Unicode case folding, NFKC again (folding can denormalize),
// and invisible characters at either end ignored.
func policyForm(v string) string {
	f := norm.NFKC.String(folder.String(norm.NFKC.String(v)))
	return strings.TrimFunc(f, invisible)
}

// checkPasswordIdentity refuses a new password equal, in policy form, to the account's
// username, e-mail or the e-mail's local part.
func checkPasswordIdentity(field FieldName, password, username, email string) *Error {
	reason := commonpw.Check(policyForm(password), policyForm(username), policyForm(email))
	if reason == "" || reason == commonpw.ReasonCommon {
		return nil
	}
	fe := valueError(reason)
	fe.Field, fe.Input = field, Redacted
	return ValidationError(*fe)
}

func usernameRule(v string) (string, *FieldError) {
	if _, fe := lengthRule(UsernameMinLen, UsernameMaxLen)(v); fe != nil {
		return "", fe
	}
	if !usernameRE.MatchString(v) {
		return "", &FieldError{Type: "string_pattern_mismatch", Msg: "String should match pattern '" + UsernamePattern + "'",
			Ctx: map[string]any{"pattern": UsernamePattern}}
	}
	return v, nil
}

func emailRule(v string) (string, *FieldError) {
	norm, reason, ok := emailaddr.Validate(v)
	if !ok {
		return "", &FieldError{Type: "value_error", Msg: "value is not a valid email address: " + reason,
			Ctx: map[string]any{"reason": reason}}
	}
	return norm, nil
}

func avatarURLRule(v string) (string, *FieldError) {
	if utf8.RuneCountInString(v) > AvatarURLMaxLen {
		return "", tooLong(AvatarURLMaxLen)
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return "", valueError("avatar_url must be an absolute http(s) URL")
	}
	return v, nil
}

func timezoneRule(v string) (string, *FieldError) {
	// LoadLocation also accepts "", "UTC" and "Local" and file paths; only IANA names pass here.
	if v == "" || v == "Local" || len(v) > TimezoneMaxLen || strings.Contains(v, "..") || strings.HasPrefix(v, "/") {
		return "", valueError("timezone must be an IANA time zone name such as Europe/Paris")
	}
	if _, err := time.LoadLocation(v); err != nil {
		return "", valueError("timezone must be an IANA time zone name such as Europe/Paris")
	}
	return v, nil
}

func localeRule(v string) (string, *FieldError) {
	if v == "" || len(v) > LocaleMaxLen {
		return "", valueError("locale must be a BCP 47 language tag such as en-US")
	}
	if _, err := language.Parse(v); err != nil {
		return "", valueError("locale must be a BCP 47 language tag such as en-US")
	}
	return v, nil
}
