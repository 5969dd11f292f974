package auth_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"authbff/graph/auth"
	"authbff/graph/auth/commonpw"
)

// Unit tests of the field rules (validate.go), through the forms that declare them: what each rule accepts, how it
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
		form   auth.InputForm
		values vals
		nulls  []auth.FieldName
		want   []fe
		out    vals // checked when want is empty
	}{
		// usernames: 3–32 code points of [A-Za-z0-9_.-]
		{name: "UsernameOK", form: auth.RegisterForm, values: vals{"username": "Al.i_c-e9"}, out: vals{"username": "Al.i_c-e9"}},
		{name: "UsernameTooShort", form: auth.RegisterForm, values: vals{"username": "ab"},
			want: []fe{{"username", "string_too_short", tooShort3, "ab"}}},
		{name: "UsernameTooLong", form: auth.RegisterForm, values: vals{"username": long(33)},
			want: []fe{{"username", "string_too_long", "String should have at most 32 characters", long(33)}}},
		{name: "UsernameLongest", form: auth.RegisterForm, values: vals{"username": long(32)}, out: vals{"username": long(32)}},
		{name: "UsernamePattern", form: auth.RegisterForm, values: vals{"username": "al ice"},
			want: []fe{{"username", "string_pattern_mismatch", pattern, "al ice"}}},
		{name: "UsernameNonASCII", form: auth.RegisterForm, values: vals{"username": "ééé"},
			want: []fe{{"username", "string_pattern_mismatch", pattern, "ééé"}}},
		{name: "UsernameLengthInCodePoints", form: auth.RegisterForm, values: vals{"username": "éé"},
			want: []fe{{"username", "string_too_short", tooShort3, "éé"}}},
		{name: "UsernameNullInProfile", form: auth.ProfileForm, nulls: []auth.FieldName{"username"},
			want: []fe{{"username", "string_type", "Input should be a valid string", nil}}},
		{name: "FullNameNullInProfileIsFine", form: auth.ProfileForm, nulls: []auth.FieldName{"full_name"}, out: vals{}},

		// passwords: 8–128 code points, visible, not common; never echoed
		{name: "PasswordOK", form: auth.RegisterForm, values: vals{"password": okPW}, out: vals{"password": okPW}},
		{name: "PasswordEightCodePoints", form: auth.ResetPasswordForm, values: vals{"new_password": "ÿéèàüöäß"},
			out: vals{"new_password": "ÿéèàüöäß"}},
		{name: "PasswordTooShort", form: auth.RegisterForm, values: vals{"password": "Sh0rt!"},
			want: []fe{{"password", "string_too_short", tooShort8, auth.Redacted}}},
		{name: "PasswordTooLong", form: auth.ResetPasswordForm, values: vals{"new_password": long(129)},
			want: []fe{{"new_password", "string_too_long", "String should have at most 128 characters", auth.Redacted}}},
		{name: "PasswordInvisible", form: auth.RegisterForm, values: vals{"password": strings.Repeat("\u200b ", 5)},
			want: []fe{{"password", "value_error", invisible, auth.Redacted}}},
		{name: "PasswordCommon", form: auth.ChangePasswordForm, values: vals{"new_password": "password1"},
			want: []fe{{"new_password", "value_error", common, auth.Redacted}}},
		{name: "PasswordCommonFullwidth", form: auth.RegisterForm, values: vals{"password": "ＰＡＳＳＷＯＲＤ１"},
			want: []fe{{"password", "value_error", common, auth.Redacted}}},
		{name: "PasswordCommonPadded", form: auth.RegisterForm, values: vals{"password": "\u200bpassword1\t"},
			want: []fe{{"password", "value_error", common, auth.Redacted}}},
		{name: "CurrentPasswordOnlyBounded", form: auth.ChangePasswordForm, values: vals{"current_password": "x"},
			out: vals{"current_password": "x"}},
		{name: "CurrentPasswordTooLong", form: auth.DeleteAccountForm, values: vals{"current_password": long(129)},
			want: []fe{{"current_password", "string_too_long", "String should have at most 128 characters", auth.Redacted}}},
		{name: "PasswordNotUnicode", form: auth.LoginForm, values: vals{"password": "pw\xff"},
			want: []fe{{"password", "string_unicode", notUnicode, auth.Redacted}}},
		{name: "NameNotUnicode", form: auth.ProfileForm, values: vals{"full_name": "Al\xffce"},
			want: []fe{{"full_name", "string_unicode", notUnicode, "Al\uFFFDce"}}},

		// registration: the password must not be the account's own username or e-mail,
		// reported in the password's place and only if the password passed its own rule
		{name: "PasswordIsUsername", form: auth.RegisterForm, values: vals{"username": "Horse_Battery", "password": "horse_battery"},
			want: []fe{{"password", "value_error", "Value error, " + commonpw.ReasonUsername, auth.Redacted}}},
		{name: "PasswordIsEmail", form: auth.RegisterForm,
			values: vals{"email": "staple.horse@example.com", "password": "Staple.Horse@example.com"},
			want:   []fe{{"password", "value_error", "Value error, " + commonpw.ReasonEmail, auth.Redacted}}},
		{name: "IdentityAfterUsernameBeforeFullName", form: auth.RegisterForm,
			values: vals{"username": "horse battery", "password": "Horse Battery", "full_name": long(256), "email": "not-an-address"},
			want: []fe{
				{"email", "value_error", "", "not-an-address"},
				{"username", "string_pattern_mismatch", pattern, "horse battery"},
				{"password", "value_error", "Value error, " + commonpw.ReasonUsername, auth.Redacted},
				{"full_name", "string_too_long", "String should have at most 255 characters", long(256)},
			}},
		{name: "ShortPasswordNoIdentityEntry", form: auth.RegisterForm, values: vals{"username": "abc", "password": "abc"},
			want: []fe{{"password", "string_too_short", tooShort8, auth.Redacted}}},

		// e-mail addresses are normalized (the full rules are emailaddr's golden tests)
		{name: "EmailNormalized", form: auth.ForgotPasswordForm, values: vals{"email": "Alice@EXAMPLE.com"},
			out: vals{"email": "Alice@example.com"}},
		{name: "EmailInvalid", form: auth.ResendVerificationForm, values: vals{"email": "alice"},
			want: []fe{{"email", "value_error", "", "alice"}}},

		// profile
		{name: "ProfileOK", form: auth.ProfileForm, values: vals{
			"full_name": "Ada", "avatar_url": "https://cdn.example/a.png", "bio": long(5000), "timezone": "Europe/Paris",
			"locale": "pt-BR", "preferences": `{"a":[1,{"b":2}]}`, "settings": `{}`, "username": "ada"},
			out: vals{"full_name": "Ada", "avatar_url": "https://cdn.example/a.png", "bio": long(5000),
				"timezone": "Europe/Paris", "locale": "pt-BR", "preferences": `{"a":[1,{"b":2}]}`, "settings": `{}`, "username": "ada"}},
		{name: "BioTooLong", form: auth.ProfileForm, values: vals{"bio": long(5001)},
			want: []fe{{"bio", "string_too_long", "String should have at most 5000 characters", long(5001)}}},
		{name: "AvatarJavaScript", form: auth.ProfileForm, values: vals{"avatar_url": "javascript:alert(1)"},
			want: []fe{{"avatar_url", "value_error", badAvatar, "javascript:alert(1)"}}},
		{name: "AvatarRelative", form: auth.ProfileForm, values: vals{"avatar_url": "//cdn.example/a.png"},
			want: []fe{{"avatar_url", "value_error", badAvatar, "//cdn.example/a.png"}}},
		{name: "AvatarNoHost", form: auth.ProfileForm, values: vals{"avatar_url": "https:///a.png"},
			want: []fe{{"avatar_url", "value_error", badAvatar, "https:///a.png"}}},
		{name: "AvatarOpaque", form: auth.ProfileForm, values: vals{"avatar_url": "http:cdn.example"},
			want: []fe{{"avatar_url", "value_error", badAvatar, "http:cdn.example"}}},
		{name: "AvatarTooLong", form: auth.ProfileForm, values: vals{"avatar_url": "https://a.example/" + long(2031)},
			want: []fe{{"avatar_url", "string_too_long", "String should have at most 2048 characters", "https://a.example/" + long(2031)}}},
		{name: "TimezoneUTC", form: auth.ProfileForm, values: vals{"timezone": "UTC"}, out: vals{"timezone": "UTC"}},
		{name: "TimezoneLocal", form: auth.ProfileForm, values: vals{"timezone": "Local"},
			want: []fe{{"timezone", "value_error", badTZ, "Local"}}},
		{name: "TimezoneEmpty", form: auth.ProfileForm, values: vals{"timezone": ""},
			want: []fe{{"timezone", "value_error", badTZ, ""}}},
		{name: "TimezonePath", form: auth.ProfileForm, values: vals{"timezone": "../../etc/passwd"},
			want: []fe{{"timezone", "value_error", badTZ, "../../etc/passwd"}}},
		{name: "TimezoneAbsolute", form: auth.ProfileForm, values: vals{"timezone": "/etc/localtime"},
			want: []fe{{"timezone", "value_error", badTZ, "/etc/localtime"}}},
		{name: "TimezoneUnknown", form: auth.ProfileForm, values: vals{"timezone": "Mars/Olympus_Mons"},
			want: []fe{{"timezone", "value_error", badTZ, "Mars/Olympus_Mons"}}},
		{name: "LocaleEmpty", form: auth.ProfileForm, values: vals{"locale": ""},
			want: []fe{{"locale", "value_error", badLocale, ""}}},
		{name: "LocaleNotATag", form: auth.ProfileForm, values: vals{"locale": "en_US!"},
			want: []fe{{"locale", "value_error", badLocale, "en_US!"}}},
		{name: "LocaleTooLong", form: auth.ProfileForm, values: vals{"locale": "en-" + long(33)},
			want: []fe{{"locale", "value_error", badLocale, "en-" + long(33)}}},
		{name: "ObjectDeepest", form: auth.ProfileForm, values: vals{"settings": nested(auth.ObjectMaxDepth)},
			out: vals{"settings": nested(auth.ObjectMaxDepth)}},
		{name: "ObjectTooDeepNoEcho", form: auth.ProfileForm, values: vals{"preferences": nested(auth.ObjectMaxDepth + 1)},
			want: []fe{{"preferences", "value_error", "Value error, the object is nested more than 20 levels deep", nil}}},
		{name: "ObjectBracketsInStrings", form: auth.ProfileForm,
			values: vals{"settings": `{"a":"` + strings.Repeat("[{", 30) + `\"` + strings.Repeat("[", 30) + `"}`},
			out:    vals{"settings": `{"a":"` + strings.Repeat("[{", 30) + `\"` + strings.Repeat("[", 30) + `"}`}},
		{name: "ObjectTooLargeNoEcho", form: auth.ProfileForm, values: vals{"settings": `{"a":"` + long(auth.ObjectMaxBytes) + `"}`},
			want: []fe{{"settings", "value_error", "Value error, the object is larger than 16384 bytes as JSON", nil}}},

		// organizations and invitations
		{name: "OrgNameTrimmed", form: auth.CreateOrganizationForm, values: vals{"name": "  Acme Corp\t"},
			out: vals{"name": "Acme Corp"}},
		{name: "OrgNameBlank", form: auth.CreateOrganizationForm, values: vals{"name": " \t "},
			want: []fe{{"name", "string_too_short", tooShort1, " \t "}}},
		{name: "OrgNameLengthAfterTrim", form: auth.CreateOrganizationForm, values: vals{"name": "  " + long(100) + "  "},
			out: vals{"name": long(100)}},
		{name: "OrgNameTooLong", form: auth.CreateOrganizationForm, values: vals{"name": long(101)},
			want: []fe{{"name", "string_too_long", "String should have at most 100 characters", long(101)}}},
		{name: "OrgNameZeroWidth", form: auth.CreateOrganizationForm, values: vals{"name": "Ac\u200bme"},
			want: []fe{{"name", "value_error", "Value error, " + auth.ReasonOrgNameControls, "Ac\u200bme"}}},
		{name: "OrgNameLineSeparator", form: auth.CreateOrganizationForm, values: vals{"name": "Ac\u2028me"},
			want: []fe{{"name", "value_error", "Value error, " + auth.ReasonOrgNameControls, "Ac\u2028me"}}},
		{name: "RoleOK", form: auth.CreateInviteForm, values: vals{"role": "admin"}, out: vals{"role": "admin"}},
		{name: "RoleUnknown", form: auth.CreateInviteForm, values: vals{"role": "Owner"},
			want: []fe{{"role", "enum", "Input should be 'owner', 'admin' or 'member'", "Owner"}}},

		// fields without a rule pass as given; fields outside the form are ignored
		{name: "NoRuleVerbatim", form: auth.LoginForm, values: vals{"username": "  Alice ", "password": " p "},
			out: vals{"username": "  Alice ", "password": " p "}},
		{name: "UnknownFieldIgnored", form: auth.VerifyEmailForm, values: vals{"token": "t", "admin": "yes"},
			out: vals{"token": "t"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out, errs := check(c.form, c.values, c.nulls...)
			got := make([]fe, len(errs))
			for i, e := range errs {
				got[i] = fe{string(e.Field), e.Type, e.Msg, e.Input}
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
		form   auth.InputForm
		values vals
		ctx    map[string]any
	}{
		{auth.RegisterForm, vals{"username": "ab"}, map[string]any{"min_length": auth.UsernameMinLen}},
		{auth.RegisterForm, vals{"password": strings.Repeat("x", 129)}, map[string]any{"max_length": auth.PasswordMaxLen}},
		{auth.RegisterForm, vals{"username": "a b"}, map[string]any{"pattern": auth.UsernamePattern}},
		{auth.ProfileForm, vals{"timezone": "Nowhere"}, map[string]any{"error": map[string]any{}}},
		{auth.CreateInviteForm, vals{"role": "root"}, map[string]any{"expected": "'owner', 'admin' or 'member'"}},
		{auth.ForgotPasswordForm, vals{"email": "a@"}, nil}, // checked below: a reason
	}
	for _, c := range cases {
		_, errs := check(c.form, c.values)
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

// vals are the fields a test gives a form (absent fields are not in the map).
type vals map[auth.FieldName]string

// check runs a form's rules over values, as a transport does with the fields it could
// read (InputForm.Check), and returns the normalized values of the valid fields.
func check(form auth.InputForm, values vals, nulls ...auth.FieldName) (vals, []auth.FieldError) {
	out := vals{}
	errs := form.Check(func(f auth.FieldName) (string, bool, bool) {
		v, ok := values[f]
		return v, ok, slices.Contains(nulls, f)
	}, func(f auth.FieldName, v string) { out[f] = v })
	return out, errs
}
