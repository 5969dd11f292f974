package rest_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"authbff/rest/apitest"
)

// FastAPI-style 422s (CONTRACT.md §3), compared byte for byte.

// vcase is one request expected to answer a 422 with exactly want.
type vcase struct {
	name   string
	method string
	path   string
	header []string // pairs; "Content-Type", "" drops it
	body   any      // string bodies are sent as is
	auth   bool     // send the account's bearer token
	want   string
}

func runValidationCases(t *testing.T, cases []vcase) {
	t.Helper()
	e := apitest.New(t)
	a := e.Register("vera")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := ""
			if c.auth {
				tok = a.Access
			}
			method := c.method
			if method == "" {
				method = http.MethodPost
			}
			want422(t, e.Do(method, c.path, c.body, tok, c.header...), c.want)
		})
	}
}

func entry(typ, loc, msg, input, ctx string) string {
	s := `{"type":"` + typ + `","loc":` + loc + `,"msg":"` + msg + `","input":` + input
	if ctx != "" {
		s += `,"ctx":` + ctx
	}
	return s + "}"
}

func detail(entries ...string) string { return `{"detail":[` + strings.Join(entries, ",") + `]}` }

const (
	msgModelAttrs = "Input should be a valid dictionary or object to extract fields from"
	msgString     = "Input should be a valid string"
)

func missing(field, input string) string {
	return entry("missing", `["body","`+field+`"]`, "Field required", input, "")
}

func stringType(field, input string) string {
	return entry("string_type", `["body","`+field+`"]`, msgString, input, "")
}

func TestValidationMissing(t *testing.T) {
	t.Parallel()
	bodyMissing := detail(entry("missing", `["body"]`, "Field required", "null", ""))
	runValidationCases(t, []vcase{
		{name: "MissingPassword", path: pRegister, body: `{"email":"a@example.com","username":"alice"}`,
			want: detail(missing("password", `{"email":"a@example.com","username":"alice"}`))},
		{name: "MissingKeepsBodyOrderAndUnknownKeys", path: pRegister, body: `{"username":"alice","zz":[1,{"b":2,"a":1}],"email":"a@example.com"}`,
			want: detail(missing("password", `{"username":"alice","zz":[1,{"b":2,"a":1}],"email":"a@example.com"}`))},
		{name: "MissingUsernamePasswordRedacted", path: pLogin, body: `{"password":"hunter2-secret"}`,
			want: detail(missing("username", `{"password":"[redacted]"}`))},
		{name: "MissingBothInDeclarationOrder", path: pLogin, body: `{}`,
			want: detail(missing("username", `{}`), missing("password", `{}`))},
		{name: "MissingCurrentPasswordRedacted", method: http.MethodPut, path: pPassword, auth: true, body: `{"new_password":"Correct-Horse-9"}`,
			want: detail(missing("current_password", `{"new_password":"[redacted]"}`))},
		{name: "MissingNewPassword", path: pReset, body: `{"token":"abc"}`,
			want: detail(missing("new_password", `{"token":"abc"}`))},
		{name: "MissingToken", path: pVerify, body: `{"tok":"abc"}`,
			want: detail(missing("token", `{"tok":"abc"}`))},
		{name: "MissingRefreshToken", path: pRefresh, body: `{}`, want: detail(missing("refresh_token", `{}`))},
		{name: "MissingOrgID", path: pSwitchOrg, auth: true, body: `{}`, want: detail(missing("org_id", `{}`))},
		{name: "MissingEmailForgot", path: pForgot, body: `{"e-mail":"a@example.com"}`,
			want: detail(missing("email", `{"e-mail":"a@example.com"}`))},
		{name: "MissingEmailResend", path: pResend, body: `{}`, want: detail(missing("email", `{}`))},
		{name: "DuplicateKeyLastWins", path: pLogin, body: `{"username":"a","password":"x","username":"b","password":null}`,
			want: detail(stringType("password", "null"))},
		{name: "DuplicateKeyKeepsFirstPosition", path: pRegister, body: `{"username":"a","email":"x@example.com","username":"bob"}`,
			want: detail(missing("password", `{"username":"bob","email":"x@example.com"}`))},
		{name: "EscapedKeyNames", path: pRegister, body: `{"\u0065mail":"x@example.com","\u0075sername":"bob"}`,
			want: detail(missing("password", `{"email":"x@example.com","username":"bob"}`))},
		{name: "NoBody", path: pRegister, body: nil, want: bodyMissing},
		{name: "EmptyBody", path: pRegister, body: "", want: bodyMissing},
		{name: "NullBody", path: pLogin, body: "null", want: bodyMissing},
		{name: "NullBodyWithSpace", path: pForgot, body: " null\n", want: bodyMissing},
		{name: "NoBodyAuthenticated", method: http.MethodPut, path: pPassword, auth: true, body: nil, want: bodyMissing},
		{name: "QueryTokenMissing", method: http.MethodGet, path: pInviteInfo,
			want: detail(entry("missing", `["query","token"]`, "Field required", "null", ""))},
		{name: "QueryTokenWrongCase", method: http.MethodGet, path: pInviteInfo + "?Token=abc",
			want: detail(entry("missing", `["query","token"]`, "Field required", "null", ""))},
	})
}

func TestValidationBadJSON(t *testing.T) {
	t.Parallel()
	bad := func(pos, reason string) string {
		return detail(entry("json_invalid", `["body",`+pos+`]`, "JSON decode error", "{}", `{"error":"`+reason+`"}`))
	}
	runValidationCases(t, []vcase{
		{name: "ExpectingValue", path: pForgot, body: `{"email": }`, want: bad("10", "Expecting value")},
		{name: "IndexInCodePoints", path: pForgot, body: `{"é": }`, want: bad("6", "Expecting value")},
		{name: "IndexAfterBOM", path: pForgot, body: "\ufeff{\"email\": }", want: bad("10", "Expecting value")},
		{name: "SingleQuotes", path: pForgot, body: `{'email': 1}`, want: bad("1", "Expecting property name enclosed in double quotes")},
		// CPython 3.13 (CONTRACT.md §3): at the comma's index.
		{name: "TrailingCommaObject", path: pForgot, body: `{"email":"a",}`, want: bad("12", "Illegal trailing comma before end of object")},
		{name: "TrailingCommaObjectSpaced", path: pForgot, body: "{\"email\":\"a\" ,\n }", want: bad("13", "Illegal trailing comma before end of object")},
		{name: "TrailingCommaArray", method: http.MethodPut, path: pProfile, auth: true, body: `{"preferences":[1,]}`,
			want: bad("17", "Illegal trailing comma before end of array")},
		{name: "CommaWithoutValue", path: pForgot, body: `{"email":"a",,}`, want: bad("13", "Expecting property name enclosed in double quotes")},
		{name: "Unclosed", path: pForgot, body: `{"email": "a"`, want: bad("13", "Expecting ',' delimiter")},
		{name: "MissingColon", path: pForgot, body: `{"email" "a"}`, want: bad("9", "Expecting ':' delimiter")},
		{name: "ExtraData", path: pForgot, body: `{"email": "a@example.com"} x`, want: bad("27", "Extra data")},
		{name: "WhitespaceOnly", path: pForgot, body: "  ", want: bad("2", "Expecting value")},
		{name: "ControlCharacter", path: pForgot, body: "{\"e\":\"\x01\"}", want: bad("6", "Invalid control character at")},
		{name: "UnterminatedString", path: pForgot, body: `"abc`, want: bad("0", "Unterminated string starting at")},
		{name: "PasswordRouteInputIsEmpty", path: pLogin, body: `{"username":"vera","password":"hunter2-secret"`, want: bad("46", "Expecting ',' delimiter")},
		{name: "AuthenticatedRoute", method: http.MethodPut, path: pProfile, auth: true, body: `{"bio": tru}`, want: bad("8", "Expecting value")},
	})
}

func TestValidationBodyType(t *testing.T) {
	t.Parallel()
	notObject := func(input string) string {
		return detail(entry("model_attributes_type", `["body"]`, msgModelAttrs, input, ""))
	}
	form := []string{"Content-Type", "application/x-www-form-urlencoded"}
	text := []string{"Content-Type", "text/plain"}
	none := []string{"Content-Type", ""}
	runValidationCases(t, []vcase{
		{name: "Array", path: pForgot, body: `[1,2]`, want: notObject(`[1,2]`)},
		{name: "String", path: pForgot, body: `"hello"`, want: notObject(`"hello"`)},
		{name: "Integer", path: pForgot, body: `42`, want: notObject(`42`)},
		{name: "FloatAsPythonWritesIt", path: pForgot, body: `1.50`, want: notObject(`1.5`)},
		{name: "Bool", path: pRegister, body: `true`, want: notObject(`true`)},
		{name: "NoContentType", path: pForgot, header: none, body: `{"email":"a@example.com"}`,
			want: notObject(`"{\"email\":\"a@example.com\"}"`)},
		{name: "TextPlain", path: pForgot, header: text, body: `{"email":"a@example.com"}`,
			want: notObject(`"{\"email\":\"a@example.com\"}"`)},
		{name: "TextJSON", path: pForgot, header: []string{"Content-Type", "text/json"}, body: `{"email":"a@example.com"}`,
			want: notObject(`"{\"email\":\"a@example.com\"}"`)},
		{name: "NotQuiteJSON", path: pForgot, header: []string{"Content-Type", "application/jsonx"}, body: `{}`,
			want: notObject(`"{}"`)},
		{name: "Form", path: pForgot, header: form, body: `email=a%40example.com`, want: notObject(`"email=a%40example.com"`)},
		{name: "TextPlainProfile", method: http.MethodPut, path: pProfile, auth: true, header: text, body: `bio=<b>`,
			want: notObject(`"bio=<b>"`)},
		{name: "TextPlainLoginRedacted", path: pLogin, header: text, body: `{"username":"vera","password":"hunter2-secret"}`,
			want: notObject(`"[redacted]"`)},
		{name: "NoContentTypeRegisterRedacted", path: pRegister, header: none, body: `{"email":"a@example.com"}`,
			want: notObject(`"[redacted]"`)},
		{name: "FormResetRedacted", path: pReset, header: form, body: `token=x`, want: notObject(`"[redacted]"`)},
		{name: "TextPlainChangePasswordRedacted", method: http.MethodPut, path: pPassword, auth: true, header: text, body: `x`,
			want: notObject(`"[redacted]"`)},
	})
}

func TestValidationStringType(t *testing.T) {
	t.Parallel()
	runValidationCases(t, []vcase{
		{name: "Number", path: pForgot, body: `{"email":5}`, want: detail(stringType("email", "5"))},
		{name: "Float", path: pForgot, body: `{"email":2.50}`, want: detail(stringType("email", "2.5"))},
		{name: "Bool", path: pForgot, body: `{"email":true}`, want: detail(stringType("email", "true"))},
		{name: "Object", path: pForgot, body: `{"email":{"b":1,"a":2}}`, want: detail(stringType("email", `{"b":1,"a":2}`))},
		{name: "List", path: pForgot, body: `{"email":["a@example.com"]}`, want: detail(stringType("email", `["a@example.com"]`))},
		{name: "Null", path: pForgot, body: `{"email":null}`, want: detail(stringType("email", "null"))},
		{name: "BigIntegerAsPythonWritesIt", path: pForgot, body: `{"email":123456789012345678901234567890}`,
			want: detail(stringType("email", "123456789012345678901234567890"))},
		{name: "ExponentFloatAsPythonWritesIt", path: pForgot, body: `{"email":1E5}`, want: detail(stringType("email", "100000.0"))},
		{name: "MinusZeroInteger", path: pForgot, body: `{"email":-0}`, want: detail(stringType("email", "0"))},
		{name: "MinusZeroFloat", path: pForgot, body: `{"email":-0.0}`, want: detail(stringType("email", "-0.0"))},
		{name: "LargeFloat", path: pForgot, body: `{"email":1e16}`, want: detail(stringType("email", "1e+16"))},
		{name: "SmallFloat", path: pForgot, body: `{"email":1.0e-5}`, want: detail(stringType("email", "1e-05"))},
		{name: "RefreshTokenNumber", path: pRefresh, body: `{"refresh_token":1}`, want: detail(stringType("refresh_token", "1"))},
		{name: "OrgIDNumber", path: pSwitchOrg, auth: true, body: `{"org_id":7}`, want: detail(stringType("org_id", "7"))},
		{name: "PasswordNumberRedacted", path: pLogin, body: `{"username":"vera","password":12345678}`,
			want: detail(stringType("password", `"[redacted]"`))},
		{name: "PasswordObjectRedacted", path: pLogin, body: `{"username":"vera","password":{"p":"hunter2-secret"}}`,
			want: detail(stringType("password", `"[redacted]"`))},
		{name: "ProfileBioNumber", method: http.MethodPut, path: pProfile, auth: true, body: `{"bio":1}`,
			want: detail(stringType("bio", "1"))},
		{name: "ProfileUsernameNull", method: http.MethodPut, path: pProfile, auth: true, body: `{"username":null}`,
			want: detail(stringType("username", "null"))},
		{name: "InviteTokenNumber", path: pRegister, body: `{"email":"a@example.com","username":"alice","password":"Correct-Horse-9","invite_token":5}`,
			want: detail(stringType("invite_token", "5"))},
	})
}

func TestValidationLengthsAndPattern(t *testing.T) {
	t.Parallel()
	short := func(field string, n int, input string) string {
		return entry("string_too_short", `["body","`+field+`"]`, "String should have at least "+strconv.Itoa(n)+" characters", input,
			`{"min_length":`+strconv.Itoa(n)+`}`)
	}
	long := func(field string, n int, input string) string {
		return entry("string_too_long", `["body","`+field+`"]`, "String should have at most "+strconv.Itoa(n)+" characters", input,
			`{"max_length":`+strconv.Itoa(n)+`}`)
	}
	pattern := func(input string) string {
		return entry("string_pattern_mismatch", `["body","username"]`, "String should match pattern '^[A-Za-z0-9_.-]+$'", input,
			`{"pattern":"^[A-Za-z0-9_.-]+$"}`)
	}
	reg := func(username, password string) string {
		b, _ := json.Marshal(map[string]string{"email": "a@example.com", "username": username, "password": password})
		return string(b)
	}
	long33 := strings.Repeat("a", 33)
	eAcute7 := "héllo-w"                  // 7 code points, 8 bytes
	eAcute129 := strings.Repeat("é", 129) // 129 code points, 258 bytes
	runValidationCases(t, []vcase{
		{name: "PasswordTooShort", path: pRegister, body: reg("alice", "short"), want: detail(short("password", 8, `"[redacted]"`))},
		{name: "PasswordTooShortInCodePoints", path: pRegister, body: reg("alice", eAcute7), want: detail(short("password", 8, `"[redacted]"`))},
		{name: "PasswordTooLongInCodePoints", path: pRegister, body: reg("alice", eAcute129), want: detail(long("password", 128, `"[redacted]"`))},
		{name: "UsernameTooShort", path: pRegister, body: reg("ab", "Correct-Horse-9"), want: detail(short("username", 3, `"ab"`))},
		{name: "UsernameTooShortInCodePoints", path: pRegister, body: reg("éé", "Correct-Horse-9"), want: detail(short("username", 3, `"éé"`))},
		{name: "UsernameTooLong", path: pRegister, body: reg(long33, "Correct-Horse-9"), want: detail(long("username", 32, `"`+long33+`"`))},
		{name: "UsernamePatternNonASCII", path: pRegister, body: reg("ééé", "Correct-Horse-9"), want: detail(pattern(`"ééé"`))},
		{name: "UsernamePatternSpace", path: pRegister, body: reg("al ice", "Correct-Horse-9"), want: detail(pattern(`"al ice"`))},
		{name: "UsernamePatternControlEscaped", path: pRegister, body: reg("a\x01b", "Correct-Horse-9"), want: detail(pattern(`"a\u0001b"`))},
		{name: "UsernamePatternMarkupNotEscaped", path: pRegister, body: reg("<a>&b", "Correct-Horse-9"), want: detail(pattern(`"<a>&b"`))},
		{name: "NewPasswordTooShort", method: http.MethodPut, path: pPassword, auth: true,
			body: `{"current_password":"x","new_password":"short"}`, want: detail(short("new_password", 8, `"[redacted]"`))},
		{name: "CurrentPasswordTooLong", method: http.MethodPut, path: pPassword, auth: true,
			body: `{"current_password":"` + strings.Repeat("p", 129) + `","new_password":"Correct-Horse-9"}`,
			want: detail(long("current_password", 128, `"[redacted]"`))},
		{name: "ResetPasswordTooShort", path: pReset, body: `{"token":"abc","new_password":"` + eAcute7 + `"}`,
			want: detail(short("new_password", 8, `"[redacted]"`))},
		{name: "ProfileUsernameTooShort", method: http.MethodPut, path: pProfile, auth: true, body: `{"username":"ab"}`,
			want: detail(short("username", 3, `"ab"`))},
		{name: "ProfileUsernamePattern", method: http.MethodPut, path: pProfile, auth: true, body: `{"username":"vera!"}`,
			want: detail(pattern(`"vera!"`))},
	})
}

func TestValidationEmail(t *testing.T) {
	t.Parallel()
	bad := func(input, reason string) string {
		in := rawJSON(input)
		return detail(entry("value_error", `["body","email"]`, "value is not a valid email address: "+reason, string(in),
			`{"reason":"`+reason+`"}`))
	}
	body := func(email string) string { return `{"email":` + rawJSON(email) + `}` }
	tooLong := strings.Repeat("l", 64) + "@" + strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 59) + ".com"
	cases := []struct{ name, email, reason string }{
		{"NoAtSign", "not-an-email", "An email address must have an @-sign."},
		{"MarkupNotEscaped", "a&b>c", "An email address must have an @-sign."},
		{"NothingBefore", "@example.com", "There must be something before the @-sign."},
		{"NothingAfter", "a@", "There must be something after the @-sign."},
		{"NoPeriod", "a@localhost", "The part after the @-sign is not valid. It should have a period."},
		{"SpecialUseLocalhost", "a@mail.localhost", "The part after the @-sign is a special-use or reserved name that cannot be used with email."},
		{"SpecialUseTest", "a@example.test", "The part after the @-sign is a special-use or reserved name that cannot be used with email."},
		{"SpecialUseInvalid", "a@foo.invalid", "The part after the @-sign is a special-use or reserved name that cannot be used with email."},
		{"Space", "a b@example.com", "The email address contains invalid characters before the @-sign: SPACE."},
		{"LeadingPeriod", ".a@example.com", "An email address cannot start with a period."},
		{"TwoPeriods", "a..b@example.com", "An email address cannot have two periods in a row."},
		{"TooLong", tooLong, "The email address is too long (2 characters too many)."},
	}
	var vc []vcase
	for _, c := range cases {
		vc = append(vc, vcase{name: c.name, path: pForgot, body: body(c.email), want: bad(c.email, c.reason)})
	}
	vc = append(vc,
		vcase{name: "RegisterSpecialUse", path: pRegister,
			body: `{"email":"a@mail.localhost","username":"alice","password":"Correct-Horse-9"}`,
			want: bad("a@mail.localhost", "The part after the @-sign is a special-use or reserved name that cannot be used with email.")},
		vcase{name: "ResendNoAtSign", path: pResend, body: `{"email":"x"}`, want: bad("x", "An email address must have an @-sign.")},
	)
	runValidationCases(t, vc)
}

func TestValidationProfileValues(t *testing.T) {
	t.Parallel()
	dict := func(field, input string) string {
		return entry("dict_type", `["body","`+field+`"]`, "Input should be a valid dictionary", input, "")
	}
	runValidationCases(t, []vcase{
		{name: "PreferencesString", method: http.MethodPut, path: pProfile, auth: true, body: `{"preferences":"x"}`,
			want: detail(dict("preferences", `"x"`))},
		{name: "PreferencesList", method: http.MethodPut, path: pProfile, auth: true, body: `{"preferences":[1,2]}`,
			want: detail(dict("preferences", `[1,2]`))},
		{name: "SettingsNumber", method: http.MethodPut, path: pProfile, auth: true, body: `{"settings":1}`,
			want: detail(dict("settings", `1`))},
		{name: "SettingsBool", method: http.MethodPut, path: pProfile, auth: true, body: `{"settings":false}`,
			want: detail(dict("settings", `false`))},
		{name: "StructuralInDeclarationOrder", method: http.MethodPut, path: pProfile, auth: true,
			body: `{"settings":1,"bio":2,"preferences":"x","full_name":3}`,
			want: detail(stringType("full_name", "3"), stringType("bio", "2"), dict("preferences", `"x"`), dict("settings", "1"))},
	})

	t.Run("ValueErrors", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		a := e.Register("wendy")
		cases := []struct{ name, field, value string }{
			{"TimezoneUnknown", "timezone", "Mars/Olympus_Mons"},
			{"TimezoneEmpty", "timezone", ""},
			{"TimezoneLocal", "timezone", "Local"},
			{"TimezonePath", "timezone", "../../etc/passwd"},
			{"LocaleGarbage", "locale", "!!"},
			{"LocaleEmpty", "locale", ""},
			{"AvatarFTP", "avatar_url", "ftp://example.com/a.png"},
			{"AvatarRelative", "avatar_url", "/a.png"},
			{"AvatarNotAURL", "avatar_url", "not a url"},
			{"AvatarNoHost", "avatar_url", "https://"},
			{"AvatarJavascript", "avatar_url", "javascript:alert(1)"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				b, _ := json.Marshal(map[string]string{c.field: c.value})
				r := e.Do(http.MethodPut, pProfile, string(b), a.Access)
				wantValueErrors(t, r, [][2]string{{c.field, c.value}})
			})
		}
		t.Run("SeveralInDeclarationOrder", func(t *testing.T) {
			r := e.Do(http.MethodPut, pProfile, `{"locale":"!!","timezone":"Mars/Olympus_Mons","avatar_url":"ftp://x"}`, a.Access)
			wantValueErrors(t, r, [][2]string{{"avatar_url", "ftp://x"}, {"timezone", "Mars/Olympus_Mons"}, {"locale", "!!"}})
		})
		t.Run("NothingChanged", func(t *testing.T) {
			body := mustDo(t, e, http.MethodGet, pProfile, nil, a.Access)
			for _, k := range []string{"timezone", "locale", "avatar_url"} {
				if string(member(t, body, k)) != "null" {
					t.Errorf("%s = %s after refused updates", k, member(t, body, k))
				}
			}
		})
	})
}

// wantValueErrors checks a 422 whose entries are pydantic field-validator errors for
// fields (name, input), in order: type value_error, msg "Value error, …", ctx {"error":{}}.
func wantValueErrors(t testing.TB, r *apitest.Response, fields [][2]string) {
	t.Helper()
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status = %d, want 422: %s", r.Status, r.Body)
	}
	wantJSONContent(t, r)
	wantKeys(t, r.Body, "detail")
	var entries []json.RawMessage
	if err := json.Unmarshal(member(t, r.Body, "detail"), &entries); err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(fields) {
		t.Fatalf("%d entries, want %d: %s", len(entries), len(fields), r.Body)
	}
	for i, f := range fields {
		raw := entries[i]
		wantKeys(t, raw, "type", "loc", "msg", "input", "ctx")
		in, _ := json.Marshal(f[1])
		want := map[string]string{"type": `"value_error"`, "loc": `["body","` + f[0] + `"]`, "input": string(in), "ctx": `{"error":{}}`}
		for k, v := range want {
			if got := string(member(t, raw, k)); got != v {
				t.Errorf("entry %d %s = %s, want %s", i, k, got, v)
			}
		}
		if msg := str(t, raw, "msg"); !strings.HasPrefix(msg, "Value error, ") || len(msg) <= len("Value error, ") {
			t.Errorf("entry %d msg = %q, want \"Value error, <reason>\"", i, msg)
		}
	}
}

func TestValidationSeveralFields(t *testing.T) {
	t.Parallel()
	noAt := entry("value_error", `["body","email"]`, "value is not a valid email address: An email address must have an @-sign.", `"bad"`,
		`{"reason":"An email address must have an @-sign."}`)
	runValidationCases(t, []vcase{
		{name: "EmailUsernameTypePasswordMissing", path: pRegister, body: `{"email":"bad","username":123}`,
			want: detail(noAt, stringType("username", "123"), missing("password", `{"email":"bad","username":123}`))},
		{name: "DeclarationOrderNotBodyOrder", path: pRegister, body: `{"password":"short","username":"a!","email":"bad"}`,
			want: detail(noAt,
				entry("string_too_short", `["body","username"]`, "String should have at least 3 characters", `"a!"`, `{"min_length":3}`),
				entry("string_too_short", `["body","password"]`, "String should have at least 8 characters", `"[redacted]"`, `{"min_length":8}`))},
		{name: "RulesWithStructural", path: pRegister, body: `{"username":"ab","password":5}`,
			want: detail(missing("email", `{"username":"ab","password":"[redacted]"}`),
				entry("string_too_short", `["body","username"]`, "String should have at least 3 characters", `"ab"`, `{"min_length":3}`),
				stringType("password", `"[redacted]"`))},
		{name: "CurrentPasswordTypeNewMissing", method: http.MethodPut, path: pPassword, auth: true, body: `{"current_password":5}`,
			want: detail(stringType("current_password", `"[redacted]"`), missing("new_password", `{"current_password":"[redacted]"}`))},
		{name: "ResetBothWrong", path: pReset, body: `{"token":null,"new_password":"x"}`,
			want: detail(stringType("token", "null"),
				entry("string_too_short", `["body","new_password"]`, "String should have at least 8 characters", `"[redacted]"`, `{"min_length":8}`))},
	})
}

func TestValidationNeverEchoesPasswords(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("xena")
	const leak = "Zq9Leak"
	long := strings.Repeat("x", 130) + leak
	text := []string{"Content-Type", "text/plain"}
	cases := []struct {
		name, method, path, body string
		header                   []string
	}{
		{"RegisterMissingUsername", http.MethodPost, pRegister, `{"email":"a@example.com","password":"` + leak + `-long-enough"}`, nil},
		{"RegisterShort", http.MethodPost, pRegister, `{"email":"a@example.com","username":"alice","password":"` + leak + `"}`, nil},
		{"RegisterLong", http.MethodPost, pRegister, `{"email":"a@example.com","username":"alice","password":"` + long + `"}`, nil},
		{"RegisterBadEmail", http.MethodPost, pRegister, `{"email":"bad","username":"alice","password":"` + leak + `"}`, nil},
		{"RegisterNested", http.MethodPost, pRegister, `{"email":"a@example.com","password":{"password":"` + leak + `"}}`, nil},
		{"RegisterTextPlain", http.MethodPost, pRegister, `{"password":"` + leak + `"}`, text},
		{"LoginMissingUsername", http.MethodPost, pLogin, `{"password":"` + leak + `"}`, nil},
		{"LoginWrongType", http.MethodPost, pLogin, `{"username":1,"password":"` + leak + `"}`, nil},
		{"LoginTextPlain", http.MethodPost, pLogin, `username=a&password=` + leak, text},
		{"LoginNoContentType", http.MethodPost, pLogin, `{"username":"a","password":"` + leak + `"}`, []string{"Content-Type", ""}},
		{"ResetShort", http.MethodPost, pReset, `{"token":"t","new_password":"` + leak + `"}`, nil},
		{"ResetMissingToken", http.MethodPost, pReset, `{"new_password":"` + leak + `-long-enough"}`, nil},
		{"ChangeBothBad", http.MethodPut, pPassword, `{"current_password":"` + long + `","new_password":"` + leak + `"}`, nil},
		{"ChangeMissingNew", http.MethodPut, pPassword, `{"current_password":"` + leak + `"}`, nil},
		{"ChangeTextPlain", http.MethodPut, pPassword, `current_password=` + leak, text},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.Do(c.method, c.path, c.body, a.Access, c.header...)
			if r.Status != http.StatusUnprocessableEntity {
				t.Errorf("status = %d, want 422: %s", r.Status, r.Body)
			}
			if strings.Contains(string(r.Body), leak) {
				t.Errorf("the 422 echoes a password: %s", r.Body)
			}
		})
	}
}

func TestNonFiniteNumbersNever500(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("yuri")
	cases := []struct {
		name, method, path, body string
		loc                      string // the first entry's loc starts with this
	}{
		{"NaNAsEmail", http.MethodPost, pForgot, `{"email": NaN}`, `["body","email"`},
		{"InfinityAsEmail", http.MethodPost, pForgot, `{"email": Infinity}`, `["body","email"`},
		{"MinusInfinityAsEmail", http.MethodPost, pResend, `{"email": -Infinity}`, `["body","email"`},
		{"OverflowAsEmail", http.MethodPost, pForgot, `{"email": 1e400}`, `["body","email"`},
		{"NaNAsPassword", http.MethodPost, pLogin, `{"username":"yuri","password":NaN}`, `["body","password"`},
		{"NaNBody", http.MethodPost, pForgot, `NaN`, `["body"`},
		{"OverflowBody", http.MethodPost, pForgot, `-1e999`, `["body"`},
		{"NaNInMissingInput", http.MethodPost, pRegister, `{"x":NaN}`, `["body","email"`},
		{"InfinityAsFullName", http.MethodPost, pRegister, `{"email":"z@example.com","username":"zed","password":"Correct-Horse-9","full_name":Infinity}`, `["body","full_name"`},
		{"NaNAsBio", http.MethodPut, pProfile, `{"bio":NaN}`, `["body","bio"`},
		{"NaNInPreferences", http.MethodPut, pProfile, `{"preferences":{"x":NaN}}`, `["body","preferences"`},
		{"OverflowInSettings", http.MethodPut, pProfile, `{"settings":{"deep":[1e400]}}`, `["body","settings"`},
		{"InfinityAsPreferences", http.MethodPut, pProfile, `{"preferences":Infinity}`, `["body","preferences"`},
	}
	for _, c := range cases {
		t.Run("422"+c.name, func(t *testing.T) {
			r := e.Do(c.method, c.path, c.body, a.Access)
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status = %d, want 422: %s", r.Status, r.Body)
			}
			if !json.Valid(r.Body) {
				t.Fatalf("the 422 is not valid JSON: %s", r.Body)
			}
			var v struct {
				Detail []struct {
					Loc json.RawMessage `json:"loc"`
				} `json:"detail"`
			}
			if err := json.Unmarshal(r.Body, &v); err != nil || len(v.Detail) == 0 {
				t.Fatalf("not a 422 detail list: %s", r.Body)
			}
			if !strings.HasPrefix(string(v.Detail[0].Loc), c.loc) {
				t.Errorf("loc = %s, want %s…", v.Detail[0].Loc, c.loc)
			}
		})
	}
	t.Run("ProfileUnchanged", func(t *testing.T) {
		body := mustDo(t, e, http.MethodGet, pProfile, nil, a.Access)
		if p, s := string(member(t, body, "preferences")), string(member(t, body, "settings")); p != "{}" || s != "{}" {
			t.Errorf("preferences %s settings %s, want {} {}", p, s)
		}
	})
}

func TestJSONContentTypesAccepted(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("zoe")
	cases := []struct{ name, contentType string }{
		{"OKCharset", "application/json; charset=utf-8"},
		{"OKUpperCase", "Application/JSON"},
		{"OKMergePatch", "application/merge-patch+json"},
		{"OKVendorJSON", "application/vnd.api+json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := wantOK(t, e.Do(http.MethodPut, pProfile, `{"bio":"`+c.name+`"}`, a.Access, "Content-Type", c.contentType))
			if got := str(t, body, "bio"); got != c.name {
				t.Errorf("bio = %q, want %q", got, c.name)
			}
		})
	}
	t.Run("OKByteOrderMark", func(t *testing.T) {
		wantNull(t, e.Do(http.MethodPost, pForgot, "\ufeff{\"email\":\"zoe@example.com\"}", ""))
	})
}

// rawJSON writes s as a JSON string without HTML escapes (as Python writes it).
func rawJSON(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

func TestValidationBoundariesAccepted(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	cases := []struct{ name, email, username, password string }{
		{"OKShortestUsername", "abc@example.com", "abc", "Correct-Horse-9"},
		{"OKLongestUsername", "long@example.com", strings.Repeat("u", 32), "Correct-Horse-9"},
		{"OKShortestPasswordInCodePoints", "cp8@example.com", "cp8", "héllo-wö"},
		{"OKLongestPasswordInCodePoints", "cp128@example.com", "cp128", strings.Repeat("é", 120) + "Abcdef-1"},
		{"OKUsernameAllClasses", "classes@example.com", "A-z_0.9", "Correct-Horse-9"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			register(t, e, c.email, c.username, c.password)
			e.Login(c.username, c.password)
		})
	}
	t.Run("OKCurrentPasswordAnyLength", func(t *testing.T) {
		access, _ := e.Login("cp8", "héllo-wö")
		wantNull(t, e.Do(http.MethodPut, pPassword, obj{"current_password": "héllo-wö", "new_password": strings.Repeat("ü", 128)}, access))
		e.Login("cp8", strings.Repeat("ü", 128))
	})
}

func TestPasswordPolicy(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("zara")
	cases := []struct {
		name, method, path, body string
		token                    bool
		field                    string
	}{
		{"CommonOnRegister", http.MethodPost, pRegister, `{"email":"p@example.com","username":"pat","password":"password"}`, false, "password"},
		{"UsernameOnRegister", http.MethodPost, pRegister, `{"email":"p@example.com","username":"patterson","password":"PATTERSON"}`, false, "password"},
		{"EmailOnRegister", http.MethodPost, pRegister, `{"email":"patterson@example.com","username":"pat","password":"Patterson@example.com"}`, false, "password"},
		{"EmailLocalPartOnRegister", http.MethodPost, pRegister, `{"email":"patterson@example.com","username":"pat","password":"patterson"}`, false, "password"},
		{"CommonOnChange", http.MethodPut, pPassword, `{"current_password":"x","new_password":"12345678"}`, true, "new_password"},
		{"CommonOnReset", http.MethodPost, pReset, `{"token":"x","new_password":"password"}`, false, "new_password"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := ""
			if c.token {
				tok = a.Access
			}
			r := e.Do(c.method, c.path, c.body, tok)
			wantValueErrors(t, r, [][2]string{{c.field, "[redacted]"}})
		})
	}
}

// TestValidationLoneSurrogates (issue 8 §6): a lone surrogate in a string (an escape
// such as "\ud800", or its raw bytes, which Python's decoder accepts) is a 422
// string_unicode entry naming the field, never a silent U+FFFD: two different
// passwords must not become one. Invalid UTF-8, raw surrogate bytes included (ED A0 80:
// no UTF-8 encoder writes them), stays a 400.
func TestValidationLoneSurrogates(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	r := e.Do(http.MethodPost, pForgot, "{\"email\":\"a\xed\xa0\x80@example.com\"}", "")
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"BAD_REQUEST"`) {
		t.Errorf("raw surrogate bytes: %d %s", r.Status, r.Body)
	}
	const msg = "Input should be a valid string, unable to parse raw data as a unicode string"
	runValidationCases(t, []vcase{
		{name: "LoginPasswordRedacted", path: pLogin, body: `{"username":"vera","password":"\ud800-correct-horse"}`,
			want: detail(entry("string_unicode", `["body","password"]`, msg, `"[redacted]"`, ""))},
		{name: "LowSurrogateUsername", path: pLogin, body: `{"username":"ve\udc00ra","password":"x"}`,
			want: detail(entry("string_unicode", `["body","username"]`, msg, `"ve�ra"`, ""))},
		{name: "ProfileFullName", method: http.MethodPut, path: pProfile, auth: true, body: `{"full_name":"Ada \ud800"}`,
			want: detail(entry("string_unicode", `["body","full_name"]`, msg, `"Ada �"`, ""))},
		{name: "InsidePreferences", method: http.MethodPut, path: pProfile, auth: true, body: `{"preferences":{"a":["x","\udfff"]}}`,
			want: detail(entry("string_unicode", `["body","preferences","a",1]`, msg, `"�"`, ""))},
		{name: "PreferencesKey", method: http.MethodPut, path: pProfile, auth: true, body: `{"settings":{"\ud800":1}}`,
			want: detail(entry("string_unicode", `["body","settings","�"]`, msg, `"�"`, ""))},
	})
}
