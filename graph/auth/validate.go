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
// Field is the input's snake_case name; each transport adds its own location prefix
// (REST ["body", field], GraphQL the argument path).
type FieldError struct {
	Type  string
	Field string
	Msg   string
	// Input is the value that failed; password values are replaced by Redacted.
	Input any
	// Ctx is pydantic's ctx object, nil when pydantic has none.
	Ctx map[string]any
}

// The entries a transport writes for input its own decoding refuses (an absent field, a
// wrong JSON or GraphQL type), named and worded once, as pydantic does.

// Missing is pydantic's entry for an absent required field (or body).
func Missing(field string, input any) FieldError {
	return FieldError{Type: "missing", Field: field, Msg: "Field required", Input: input}
}

// StringType is pydantic's entry for a non-string given to a string field.
func StringType(field string, input any) FieldError {
	return FieldError{Type: "string_type", Field: field, Msg: "Input should be a valid string", Input: input}
}

// DictType is pydantic's entry for a non-object given to an object field.
func DictType(field string, input any) FieldError {
	return FieldError{Type: "dict_type", Field: field, Msg: "Input should be a valid dictionary", Input: input}
}

// StringUnicode is pydantic's entry for a string that is not Unicode text: a lone
// surrogate ("\ud800" in JSON or in a GraphQL string literal), which pydantic-core
// cannot turn into a Rust string. Input is the value with each surrogate shown as
// U+FFFD (a JSON answer cannot carry it), or Redacted for a password.
func StringUnicode(field string, input string) FieldError {
	var in any = strings.ToValidUTF8(input, "\uFFFD")
	if IsSecretField(field) {
		in = Redacted
	}
	return FieldError{Type: "string_unicode", Field: field,
		Msg: "Input should be a valid string, unable to parse raw data as a unicode string", Input: in}
}

// Redacted stands in for a password wherever an error would echo one.
const Redacted = "[redacted]"

// Values maps an input's snake_case field names to their string values. Fields that
// are absent (or null) are not in the map.
type Values map[string]string

// IsSecretField reports whether values of the field must never be echoed.
func IsSecretField(name string) bool {
	switch name {
	case "password", "current_password", "new_password":
		return true
	}
	return false
}

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

// rule checks one string field and returns its normalized value or an entry.
type rule func(field, v string) (string, *FieldError)

// spec is one field of a form, in declaration order.
type spec struct {
	name string
	rule rule
	// notNull: the field is optional but, when given, must not be null.
	notNull bool
	// object: a preferences/settings object (JSON text); its entries echo no input
	// (the text of a too large or too deep object is no use to a client).
	object bool
}

// forms declares, once, the string fields of every operation's input and their rules.
// Both transports validate through it: the service on every call, and the REST adapter
// when it must merge these entries with its own (missing keys, wrong JSON types).
// The form name is the GraphQL root field of the operation.
var forms = map[string][]spec{
	"register": {
		{name: "email", rule: emailRule},
		{name: "username", rule: usernameRule},
		{name: "password", rule: newPasswordRule},
		{name: "full_name", rule: maxLenRule(FullNameMaxLen)},
		{name: "invite_token"},
	},
	"login":              {{name: "username"}, {name: "password"}},
	"refreshToken":       {{name: "refresh_token"}},
	"verifyEmail":        {{name: "token"}},
	"resendVerification": {{name: "email", rule: emailRule}},
	"forgotPassword":     {{name: "email", rule: emailRule}},
	"resetPassword":      {{name: "token"}, {name: "new_password", rule: newPasswordRule}},
	"switchOrg":          {{name: "org_id"}},
	"inviteInfo":         {{name: "token"}},
	"updateProfile": {
		{name: "full_name", rule: maxLenRule(FullNameMaxLen)},
		{name: "avatar_url", rule: avatarURLRule},
		{name: "bio", rule: maxLenRule(BioMaxLen)},
		{name: "timezone", rule: timezoneRule},
		{name: "locale", rule: localeRule},
		{name: "preferences", rule: objectRule, object: true},
		{name: "settings", rule: objectRule, object: true},
		{name: "username", rule: usernameRule, notNull: true},
	},
	"createOrganization": {{name: "name", rule: orgNameRule}},
	"createInvite":       {{name: "org_id"}, {name: "email", rule: emailRule}, {name: "role", rule: roleRule}},
	"acceptInvite":       {{name: "token"}},
	"changePassword": {
		{name: "current_password", rule: maxLenRule(PasswordMaxLen)},
		{name: "new_password", rule: newPasswordRule},
	},
	"deleteAccount": {{name: "current_password", rule: maxLenRule(PasswordMaxLen)}},
}

// FormFields returns the field names of a form in declaration order (nil if unknown).
func FormFields(form string) []string {
	specs := forms[form]
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.name
	}
	return names
}

// Validate checks the present fields of form and returns the normalized values and the
// failures in declaration order. nulls names the fields given as null. Fields in neither
// are not checked (absence is the transport's concern: a GraphQL type or a REST 422).
func Validate(form string, values Values, nulls ...string) (Values, []FieldError) {
	specs, ok := forms[form]
	if !ok {
		panic("auth: unknown form " + form)
	}
	var errs []FieldError
	out := make(Values, len(values))
	for _, s := range specs {
		v, present := values[s.name]
		if !present {
			if s.notNull && slices.Contains(nulls, s.name) {
				errs = append(errs, StringType(s.name, nil))
			}
			continue
		}
		if !utf8.ValidString(v) {
			// Never a silent U+FFFD: two different passwords must not become one.
			errs = append(errs, StringUnicode(s.name, v))
			continue
		}
		if s.rule == nil {
			out[s.name] = v
			continue
		}
		nv, fe := s.rule(s.name, v)
		if fe != nil {
			if fe.Input == nil {
				fe.Input = v
			}
			if IsSecretField(s.name) {
				fe.Input = Redacted
			}
			if s.object {
				fe.Input = nil
			}
			fe.Field = s.name
			errs = append(errs, *fe)
			continue
		}
		out[s.name] = nv
	}
	if form == "register" {
		errs = registerIdentity(values, errs)
	}
	return out, errs
}

// registerIdentity adds the password-equals-identity entry of a registration, in the
// password's place, unless the password already failed.
func registerIdentity(values Values, errs []FieldError) []FieldError {
	for _, e := range errs {
		if e.Field == "password" {
			return errs
		}
	}
	pw, ok := values["password"]
	if !ok {
		return errs
	}
	ae := checkPasswordIdentity("password", pw, values["username"], values["email"])
	if ae == nil {
		return errs
	}
	// Declaration order: email, username, password, then the optional fields.
	i := 0
	for i < len(errs) && (errs[i].Field == "email" || errs[i].Field == "username") {
		i++
	}
	return slices.Insert(errs, i, ae.Fields[0])
}

// validate runs Validate and turns failures into a CodeValidation error.
func validate(form string, values Values) (Values, error) {
	out, errs := Validate(form, values)
	if len(errs) > 0 {
		return nil, ValidationError(errs...)
	}
	return out, nil
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
func objectRule(_, v string) (string, *FieldError) {
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
	return func(_, v string) (string, *FieldError) {
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
func newPasswordRule(field, v string) (string, *FieldError) {
	if _, fe := lengthRule(PasswordMinLen, PasswordMaxLen)(field, v); fe != nil {
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
func checkPasswordIdentity(field, password, username, email string) *Error {
	reason := commonpw.Check(policyForm(password), policyForm(username), policyForm(email))
	if reason == "" || reason == commonpw.ReasonCommon {
		return nil
	}
	fe := valueError(reason)
	fe.Field, fe.Input = field, Redacted
	return ValidationError(*fe)
}

func usernameRule(field, v string) (string, *FieldError) {
	if _, fe := lengthRule(UsernameMinLen, UsernameMaxLen)(field, v); fe != nil {
		return "", fe
	}
	if !usernameRE.MatchString(v) {
		return "", &FieldError{Type: "string_pattern_mismatch", Msg: "String should match pattern '" + UsernamePattern + "'",
			Ctx: map[string]any{"pattern": UsernamePattern}}
	}
	return v, nil
}

func emailRule(_, v string) (string, *FieldError) {
	norm, reason, ok := emailaddr.Validate(v)
	if !ok {
		return "", &FieldError{Type: "value_error", Msg: "value is not a valid email address: " + reason,
			Ctx: map[string]any{"reason": reason}}
	}
	return norm, nil
}

func avatarURLRule(_, v string) (string, *FieldError) {
	if utf8.RuneCountInString(v) > AvatarURLMaxLen {
		return "", tooLong(AvatarURLMaxLen)
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return "", valueError("avatar_url must be an absolute http(s) URL")
	}
	return v, nil
}

func timezoneRule(_, v string) (string, *FieldError) {
	// LoadLocation also accepts "", "UTC" and "Local" and file paths; only IANA names pass here.
	if v == "" || v == "Local" || len(v) > TimezoneMaxLen || strings.Contains(v, "..") || strings.HasPrefix(v, "/") {
		return "", valueError("timezone must be an IANA time zone name such as Europe/Paris")
	}
	if _, err := time.LoadLocation(v); err != nil {
		return "", valueError("timezone must be an IANA time zone name such as Europe/Paris")
	}
	return v, nil
}

func localeRule(_, v string) (string, *FieldError) {
	if v == "" || len(v) > LocaleMaxLen {
		return "", valueError("locale must be a BCP 47 language tag such as en-US")
	}
	if _, err := language.Parse(v); err != nil {
		return "", valueError("locale must be a BCP 47 language tag such as en-US")
	}
	return v, nil
}
