package auth_test

import (
	"reflect"
	"strings"
	"testing"

	"authbff/graph/auth"
	"authbff/graph/auth/commonpw"
)

// Unit tests of the field rules (validate.go): what each rule accepts, how it
// normalizes, and the exact pydantic-shaped entry it writes when it refuses. The
// transports' renderings of these entries are tested over HTTP (rest, graph).

// fe is the part of an entry these tests compare.
type fe struct {
	Field, Type, Msg string
	Input            any
}

func TestFieldRules(t *testing.T) {
	t.Parallel()
	const (
		tooShort3  = "String should have at least 3 characters"
		tooShort8  = "String should have at least 8 characters"
		tooShort1  = "String should have at least 1 character"
		pattern    = "String should match pattern '^[A-Za-z0-9_.-]+$'"
		badTZ      = "Value error, timezone must be an IANA time zone name such as Europe/Paris"
		badLocale  = "Value error, locale must be a BCP 47 language tag such as en-US"
		badAvatar  = "Value error, avatar_url must be an absolute http(s) URL"
		invisible  = "Value error, " + auth.ReasonInvisible
		common     = "Value error, " + commonpw.ReasonCommon
		notUnicode = "Input should be a valid string, unable to parse raw data as a unicode string"
	)
	long := func(n int) string { return strings.Repeat("x", n) }
	nested := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	okPW := "Correct-Horse-9"
	cases := []struct {
		name   string
		form   string
		values auth.Values
		nulls  []string
		want   []fe
		out    auth.Values // checked when want is empty
	}{
		// usernames: 3–32 code points of [A-Za-z0-9_.-]
		{name: "UsernameOK", form: "register", values: auth.Values{"username": "Al.i_c-e9"}, out: auth.Values{"username": "Al.i_c-e9"}},
		{name: "UsernameTooShort", form: "register", values: auth.Values{"username": "ab"},
			want: []fe{{"username", "string_too_short", tooShort3, "ab"}}},
		{name: "UsernameTooLong", form: "register", values: auth.Values{"username": long(33)},
			want: []fe{{"username", "string_too_long", "String should have at most 32 characters", long(33)}}},
		{name: "UsernameLongest", form: "register", values: auth.Values{"username": long(32)}, out: auth.Values{"username": long(32)}},
		{name: "UsernamePattern", form: "register", values: auth.Values{"username": "al ice"},
			want: []fe{{"username", "string_pattern_mismatch", pattern, "al ice"}}},
		{name: "UsernameNonASCII", form: "register", values: auth.Values{"username": "ééé"},
			want: []fe{{"username", "string_pattern_mismatch", pattern, "ééé"}}},
		{name: "UsernameLengthInCodePoints", form: "register", values: auth.Values{"username": "éé"},
			want: []fe{{"username", "string_too_short", tooShort3, "éé"}}},
		{name: "UsernameNullInProfile", form: "updateProfile", nulls: []string{"username"},
			want: []fe{{"username", "string_type", "Input should be a valid string", nil}}},
		{name: "FullNameNullInProfileIsFine", form: "updateProfile", nulls: []string{"full_name"}, out: auth.Values{}},

		// passwords: 8–128 code points, visible, not common; never echoed
		{name: "PasswordOK", form: "register", values: auth.Values{"password": okPW}, out: auth.Values{"password": okPW}},
		{name: "PasswordEightCodePoints", form: "resetPassword", values: auth.Values{"new_password": "ÿéèàüöäß"},
			out: auth.Values{"new_password": "ÿéèàüöäß"}},
		{name: "PasswordTooShort", form: "register", values: auth.Values{"password": "Sh0rt!"},
			want: []fe{{"password", "string_too_short", tooShort8, auth.Redacted}}},
		{name: "PasswordTooLong", form: "resetPassword", values: auth.Values{"new_password": long(129)},
			want: []fe{{"new_password", "string_too_long", "String should have at most 128 characters", auth.Redacted}}},
		{name: "PasswordInvisible", form: "register", values: auth.Values{"password": strings.Repeat("\u200b ", 5)},
			want: []fe{{"password", "value_error", invisible, auth.Redacted}}},
		{name: "PasswordCommon", form: "changePassword", values: auth.Values{"new_password": "password1"},
			want: []fe{{"new_password", "value_error", common, auth.Redacted}}},
		{name: "PasswordCommonFullwidth", form: "register", values: auth.Values{"password": "ＰＡＳＳＷＯＲＤ１"},
			want: []fe{{"password", "value_error", common, auth.Redacted}}},
		{name: "PasswordCommonPadded", form: "register", values: auth.Values{"password": "\u200bpassword1\t"},
			want: []fe{{"password", "value_error", common, auth.Redacted}}},
		{name: "CurrentPasswordOnlyBounded", form: "changePassword", values: auth.Values{"current_password": "x"},
			out: auth.Values{"current_password": "x"}},
		{name: "CurrentPasswordTooLong", form: "deleteAccount", values: auth.Values{"current_password": long(129)},
			want: []fe{{"current_password", "string_too_long", "String should have at most 128 characters", auth.Redacted}}},
		{name: "PasswordNotUnicode", form: "login", values: auth.Values{"password": "pw\xff"},
			want: []fe{{"password", "string_unicode", notUnicode, auth.Redacted}}},
		{name: "NameNotUnicode", form: "updateProfile", values: auth.Values{"full_name": "Al\xffce"},
			want: []fe{{"full_name", "string_unicode", notUnicode, "Al\uFFFDce"}}},

		// registration: the password must not be the account's own username or e-mail,
		// reported in the password's place and only if the password passed its own rule
		{name: "PasswordIsUsername", form: "register", values: auth.Values{"username": "Horse_Battery", "password": "horse_battery"},
			want: []fe{{"password", "value_error", "Value error, " + commonpw.ReasonUsername, auth.Redacted}}},
		{name: "PasswordIsEmail", form: "register",
			values: auth.Values{"email": "staple.horse@example.com", "password": "Staple.Horse@example.com"},
			want:   []fe{{"password", "value_error", "Value error, " + commonpw.ReasonEmail, auth.Redacted}}},
		{name: "IdentityAfterUsernameBeforeFullName", form: "register",
			values: auth.Values{"username": "horse battery", "password": "Horse Battery", "full_name": long(256), "email": "not-an-address"},
			want: []fe{
				{"email", "value_error", "", "not-an-address"},
				{"username", "string_pattern_mismatch", pattern, "horse battery"},
				{"password", "value_error", "Value error, " + commonpw.ReasonUsername, auth.Redacted},
				{"full_name", "string_too_long", "String should have at most 255 characters", long(256)},
			}},
		{name: "ShortPasswordNoIdentityEntry", form: "register", values: auth.Values{"username": "abc", "password": "abc"},
			want: []fe{{"password", "string_too_short", tooShort8, auth.Redacted}}},

		// e-mail addresses are normalized (the full rules are emailaddr's golden tests)
		{name: "EmailNormalized", form: "forgotPassword", values: auth.Values{"email": "Alice@EXAMPLE.com"},
			out: auth.Values{"email": "Alice@example.com"}},
		{name: "EmailInvalid", form: "resendVerification", values: auth.Values{"email": "alice"},
			want: []fe{{"email", "value_error", "", "alice"}}},

		// profile
		{name: "ProfileOK", form: "updateProfile", values: auth.Values{
			"full_name": "Ada", "avatar_url": "https://cdn.example/a.png", "bio": long(5000), "timezone": "Europe/Paris",
			"locale": "pt-BR", "preferences": `{"a":[1,{"b":2}]}`, "settings": `{}`, "username": "ada"},
			out: auth.Values{"full_name": "Ada", "avatar_url": "https://cdn.example/a.png", "bio": long(5000),
				"timezone": "Europe/Paris", "locale": "pt-BR", "preferences": `{"a":[1,{"b":2}]}`, "settings": `{}`, "username": "ada"}},
		{name: "BioTooLong", form: "updateProfile", values: auth.Values{"bio": long(5001)},
			want: []fe{{"bio", "string_too_long", "String should have at most 5000 characters", long(5001)}}},
		{name: "AvatarJavaScript", form: "updateProfile", values: auth.Values{"avatar_url": "javascript:alert(1)"},
			want: []fe{{"avatar_url", "value_error", badAvatar, "javascript:alert(1)"}}},
		{name: "AvatarRelative", form: "updateProfile", values: auth.Values{"avatar_url": "//cdn.example/a.png"},
			want: []fe{{"avatar_url", "value_error", badAvatar, "//cdn.example/a.png"}}},
		{name: "AvatarNoHost", form: "updateProfile", values: auth.Values{"avatar_url": "https:///a.png"},
			want: []fe{{"avatar_url", "value_error", badAvatar, "https:///a.png"}}},
		{name: "AvatarOpaque", form: "updateProfile", values: auth.Values{"avatar_url": "http:cdn.example"},
			want: []fe{{"avatar_url", "value_error", badAvatar, "http:cdn.example"}}},
		{name: "AvatarTooLong", form: "updateProfile", values: auth.Values{"avatar_url": "https://a.example/" + long(2031)},
			want: []fe{{"avatar_url", "string_too_long", "String should have at most 2048 characters", "https://a.example/" + long(2031)}}},
		{name: "TimezoneUTC", form: "updateProfile", values: auth.Values{"timezone": "UTC"}, out: auth.Values{"timezone": "UTC"}},
		{name: "TimezoneLocal", form: "updateProfile", values: auth.Values{"timezone": "Local"},
			want: []fe{{"timezone", "value_error", badTZ, "Local"}}},
		{name: "TimezoneEmpty", form: "updateProfile", values: auth.Values{"timezone": ""},
			want: []fe{{"timezone", "value_error", badTZ, ""}}},
		{name: "TimezonePath", form: "updateProfile", values: auth.Values{"timezone": "../../etc/passwd"},
			want: []fe{{"timezone", "value_error", badTZ, "../../etc/passwd"}}},
		{name: "TimezoneAbsolute", form: "updateProfile", values: auth.Values{"timezone": "/etc/localtime"},
			want: []fe{{"timezone", "value_error", badTZ, "/etc/localtime"}}},
		{name: "TimezoneUnknown", form: "updateProfile", values: auth.Values{"timezone": "Mars/Olympus_Mons"},
			want: []fe{{"timezone", "value_error", badTZ, "Mars/Olympus_Mons"}}},
		{name: "LocaleEmpty", form: "updateProfile", values: auth.Values{"locale": ""},
			want: []fe{{"locale", "value_error", badLocale, ""}}},
		{name: "LocaleNotATag", form: "updateProfile", values: auth.Values{"locale": "en_US!"},
			want: []fe{{"locale", "value_error", badLocale, "en_US!"}}},
		{name: "LocaleTooLong", form: "updateProfile", values: auth.Values{"locale": "en-" + long(33)},
			want: []fe{{"locale", "value_error", badLocale, "en-" + long(33)}}},
		{name: "ObjectDeepest", form: "updateProfile", values: auth.Values{"settings": nested(auth.ObjectMaxDepth)},
			out: auth.Values{"settings": nested(auth.ObjectMaxDepth)}},
		{name: "ObjectTooDeepNoEcho", form: "updateProfile", values: auth.Values{"preferences": nested(auth.ObjectMaxDepth + 1)},
			want: []fe{{"preferences", "value_error", "Value error, the object is nested more than 20 levels deep", nil}}},
		{name: "ObjectBracketsInStrings", form: "updateProfile",
			values: auth.Values{"settings": `{"a":"` + strings.Repeat("[{", 30) + `\"` + strings.Repeat("[", 30) + `"}`},
			out:    auth.Values{"settings": `{"a":"` + strings.Repeat("[{", 30) + `\"` + strings.Repeat("[", 30) + `"}`}},
		{name: "ObjectTooLargeNoEcho", form: "updateProfile", values: auth.Values{"settings": `{"a":"` + long(auth.ObjectMaxBytes) + `"}`},
			want: []fe{{"settings", "value_error", "Value error, the object is larger than 16384 bytes as JSON", nil}}},

		// organizations and invitations
		{name: "OrgNameTrimmed", form: "createOrganization", values: auth.Values{"name": "  Acme Corp\t"},
			out: auth.Values{"name": "Acme Corp"}},
		{name: "OrgNameBlank", form: "createOrganization", values: auth.Values{"name": " \t "},
			want: []fe{{"name", "string_too_short", tooShort1, " \t "}}},
		{name: "OrgNameLengthAfterTrim", form: "createOrganization", values: auth.Values{"name": "  " + long(100) + "  "},
			out: auth.Values{"name": long(100)}},
		{name: "OrgNameTooLong", form: "createOrganization", values: auth.Values{"name": long(101)},
			want: []fe{{"name", "string_too_long", "String should have at most 100 characters", long(101)}}},
		{name: "OrgNameZeroWidth", form: "createOrganization", values: auth.Values{"name": "Ac\u200bme"},
			want: []fe{{"name", "value_error", "Value error, " + auth.ReasonOrgNameControls, "Ac\u200bme"}}},
		{name: "OrgNameLineSeparator", form: "createOrganization", values: auth.Values{"name": "Ac\u2028me"},
			want: []fe{{"name", "value_error", "Value error, " + auth.ReasonOrgNameControls, "Ac\u2028me"}}},
		{name: "RoleOK", form: "createInvite", values: auth.Values{"role": "admin"}, out: auth.Values{"role": "admin"}},
		{name: "RoleUnknown", form: "createInvite", values: auth.Values{"role": "Owner"},
			want: []fe{{"role", "enum", "Input should be 'owner', 'admin' or 'member'", "Owner"}}},

		// fields without a rule pass as given; fields outside the form are ignored
		{name: "NoRuleVerbatim", form: "login", values: auth.Values{"username": "  Alice ", "password": " p "},
			out: auth.Values{"username": "  Alice ", "password": " p "}},
		{name: "UnknownFieldIgnored", form: "verifyEmail", values: auth.Values{"token": "t", "admin": "yes"},
			out: auth.Values{"token": "t"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out, errs := auth.Validate(c.form, c.values, c.nulls...)
			got := make([]fe, len(errs))
			for i, e := range errs {
				got[i] = fe{e.Field, e.Type, e.Msg, e.Input}
				if c.want != nil && i < len(c.want) && c.want[i].Msg == "" {
					got[i].Msg = "" // e-mail reasons are emailaddr's, pinned by its golden tests
				}
			}
			if len(c.want) > 0 || len(got) > 0 {
				if !reflect.DeepEqual(got, c.want) {
					t.Fatalf("entries:\n got %q\nwant %q", got, c.want)
				}
				return
			}
			if !reflect.DeepEqual(out, c.out) {
				t.Fatalf("values = %q, want %q", out, c.out)
			}
		})
	}
}

// TestFieldRuleContexts: the ctx objects pydantic writes, which clients read.
func TestFieldRuleContexts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		form   string
		values auth.Values
		ctx    map[string]any
	}{
		{"register", auth.Values{"username": "ab"}, map[string]any{"min_length": auth.UsernameMinLen}},
		{"register", auth.Values{"password": strings.Repeat("x", 129)}, map[string]any{"max_length": auth.PasswordMaxLen}},
		{"register", auth.Values{"username": "a b"}, map[string]any{"pattern": auth.UsernamePattern}},
		{"updateProfile", auth.Values{"timezone": "Nowhere"}, map[string]any{"error": map[string]any{}}},
		{"createInvite", auth.Values{"role": "root"}, map[string]any{"expected": "'owner', 'admin' or 'member'"}},
		{"forgotPassword", auth.Values{"email": "a@"}, nil}, // checked below: a reason
	}
	for _, c := range cases {
		_, errs := auth.Validate(c.form, c.values)
		if len(errs) != 1 {
			t.Fatalf("%s %v: %d entries", c.form, c.values, len(errs))
		}
		if c.ctx == nil {
			if r, _ := errs[0].Ctx["reason"].(string); r == "" || !strings.HasSuffix(errs[0].Msg, r) {
				t.Errorf("%s %v: ctx %v, msg %q: want the reason in both", c.form, c.values, errs[0].Ctx, errs[0].Msg)
			}
			continue
		}
		if !reflect.DeepEqual(errs[0].Ctx, c.ctx) {
			t.Errorf("%s %v: ctx = %v, want %v", c.form, c.values, errs[0].Ctx, c.ctx)
		}
	}
}

// TestValidateUnknownFormPanics: a form name the registry lacks is a programming error,
// caught at once rather than validating nothing.
func TestValidateUnknownFormPanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Fatal("Validate of an unknown form did not panic")
		}
	}()
	auth.Validate("noSuchForm", auth.Values{"x": "y"})
}
