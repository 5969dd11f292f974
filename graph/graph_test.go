package graph_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"authbff/graph/auth"
	"authbff/rest/apitest"
)

// gqlDo posts an operation with extra request headers (name, value pairs) and no
// bearer token, and parses the answer.
func gqlDo(t testing.TB, e *apitest.Env, query string, vars map[string]any, header ...string) *apitest.GQLResponse {
	t.Helper()
	return e.For(t).GraphQL(query, vars, "", header...)
}

// parseGQL reads a GraphQL answer from an HTTP response.
func parseGQL(t testing.TB, r *apitest.Response) *apitest.GQLResponse {
	t.Helper()
	return r.GQL(t)
}

// checkTokens checks the token fields every token answer shares.
func checkTokens(t testing.TB, p map[string]any, withRefresh bool) {
	t.Helper()
	if p["tokenType"] != "bearer" {
		t.Errorf("tokenType = %v, want bearer", p["tokenType"])
	}
	if p["expiresIn"] != json.Number("900") {
		t.Errorf("expiresIn = %v, want 900", p["expiresIn"])
	}
	at, _ := p["accessToken"].(string)
	c := apitest.Claims(t, at)
	iat, _ := c["iat"].(float64)
	exp, _ := c["exp"].(float64)
	if c["iss"] != "authbff" || exp-iat != 900 || c["sub"] == nil || c["sid"] == nil {
		t.Errorf("access token claims %v: want iss authbff, sub, sid and exp = iat + expiresIn", c)
	}
	jsonEqual(t, "roles claim", c["roles"], []any{"user"})
	if withRefresh {
		rt, _ := p["refreshToken"].(string)
		if b, err := base64.RawURLEncoding.DecodeString(rt); err != nil || len(b) < 32 {
			t.Errorf("refreshToken %q: want at least 256 bits, base64url", rt)
		}
	}
}

func me(t testing.TB, e *apitest.Env, token string) *apitest.GQLResponse {
	t.Helper()
	return e.For(t).GraphQL(meOp, nil, token)
}

func TestAuthConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		allow bool
	}{
		{"OK_RegistrationOpen", true},
		{"OK_RegistrationClosed", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := apitest.New(t, apitest.WithConfig(func(c *auth.Config) { c.AllowRegistration = tc.allow }))
			r := e.GraphQL(`query { authConfig { allowRegistration } }`, nil, "")
			jsonEqual(t, "data", data(t, r), map[string]any{"authConfig": map[string]any{"allowRegistration": tc.allow}})
		})
	}
}

func TestInviteInfo(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	owner := register(t, e, "owner")
	invite := func(t *testing.T, email string) (id, token string) {
		t.Helper()
		r := e.For(t).GraphQL(`mutation($org: ID!, $email: String!) { createInvite(orgId: $org, email: $email, role: MEMBER) { id } }`,
			map[string]any{"org": owner.WorkspaceID, "email": email}, owner.Access)
		id, _ = obj(t, data(t, r)["createInvite"])["id"].(string)
		return id, e.For(t).WaitMail(email, "invite", 1).Token()
	}
	info := func(t *testing.T, token string) map[string]any {
		t.Helper()
		r := e.For(t).GraphQL(`query($token: String!) { inviteInfo(token: $token) { email valid } }`,
			map[string]any{"token": token}, "")
		return obj(t, data(t, r)["inviteInfo"])
	}
	invalid := map[string]any{"email": nil, "valid": false}

	t.Run("OK_Valid", func(t *testing.T) {
		_, tok := invite(t, "guest@example.com")
		jsonEqual(t, "inviteInfo", info(t, tok), map[string]any{"email": "guest@example.com", "valid": true})
	})
	t.Run("OK_UnknownIsInvalid", func(t *testing.T) {
		jsonEqual(t, "inviteInfo", info(t, "no-such-invitation"), invalid)
	})
	t.Run("OK_EmptyIsInvalid", func(t *testing.T) {
		jsonEqual(t, "inviteInfo", info(t, ""), invalid)
	})
	t.Run("OK_RevokedIsInvalid", func(t *testing.T) {
		id, tok := invite(t, "revoked@example.com")
		r := e.For(t).GraphQL(`mutation($id: ID!) { revokeInvite(id: $id) }`, map[string]any{"id": id}, owner.Access)
		jsonEqual(t, "revokeInvite", data(t, r), map[string]any{"revokeInvite": true})
		jsonEqual(t, "inviteInfo", info(t, tok), invalid)
	})
	t.Run("OK_UsedIsInvalid", func(t *testing.T) {
		_, tok := invite(t, "joiner@example.com")
		r := e.For(t).GraphQL(registerOp, map[string]any{"input": map[string]any{"email": "joiner@example.com",
			"username": "joiner", "password": testPassword, "inviteToken": tok}}, "")
		u := obj(t, obj(t, data(t, r)["register"])["user"])
		if u["isVerified"] != true {
			t.Errorf("registered with an invite: isVerified = %v, want true", u["isVerified"])
		}
		jsonEqual(t, "inviteInfo", info(t, tok), invalid)
	})
	t.Run("OK_ExpiredIsInvalid", func(t *testing.T) {
		_, tok := invite(t, "late@example.com")
		e.Clock.Advance(7*24*time.Hour + time.Minute)
		jsonEqual(t, "inviteInfo", info(t, tok), invalid)
	})
}

func TestMe(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := register(t, e, "mary")

	t.Run("OK", func(t *testing.T) {
		want := freshUser(a)
		want["lastLogin"] = nil
		checkUser(t, e, obj(t, data(t, me(t, e, a.Access))["me"]), want)
	})
	t.Run("OK_SchemeAnyCase", func(t *testing.T) {
		r := gqlDo(t, e, meOp, nil, "Authorization", "bEaReR "+a.Access)
		if got := obj(t, data(t, r)["me"])["id"]; got != a.ID {
			t.Errorf("me.id = %v, want %s", got, a.ID)
		}
	})
	t.Run("OK_AfterLoginShowsLastLogin", func(t *testing.T) {
		r := e.For(t).GraphQL(loginOp, map[string]any{"input": map[string]any{"username": a.Username, "password": a.Password}}, "")
		p := obj(t, data(t, r)["login"])
		loginUser := obj(t, p["user"])
		want := freshUser(a)
		want["lastLogin"] = loginUser["lastLogin"]
		checkUser(t, e, obj(t, data(t, me(t, e, p["accessToken"].(string)))["me"]), want)
	})
	for _, tc := range []struct {
		name   string
		header string
	}{
		{"ErrNoToken", ""},
		{"ErrMalformedToken", "Bearer not-a-jwt"},
		{"ErrOtherScheme", "Basic " + base64.StdEncoding.EncodeToString([]byte("mary:"+testPassword))},
		{"ErrSchemeWithoutToken", "Bearer"},
		{"ErrRefreshTokenAsBearer", "Bearer " + a.Refresh},
		{"ErrTruncatedToken", "Bearer " + a.Access[:len(a.Access)-4]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r *apitest.GQLResponse
			if tc.header == "" {
				r = gqlDo(t, e, meOp, nil)
			} else {
				r = gqlDo(t, e, meOp, nil, "Authorization", tc.header)
			}
			msg := ""
			if tc.header == "" {
				msg = auth.MsgAuthRequired
			}
			wantError(t, r, "AUTHENTICATION_FAILED", msg, map[string]any{})
		})
	}
}

func TestRegister(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)

	t.Run("OK", func(t *testing.T) {
		r := e.GraphQL(registerOp, map[string]any{"input": map[string]any{
			"email": "reg@example.com", "username": "reg", "password": testPassword}}, "")
		p := obj(t, data(t, r)["register"])
		checkTokens(t, p, true)
		u := obj(t, p["user"])
		a := &account{ID: u["id"].(string), Email: "reg@example.com", Username: "reg"}
		a.WorkspaceID, _ = u["defaultWorkspaceId"].(string)
		if !uuidRE.MatchString(a.WorkspaceID) {
			t.Errorf("defaultWorkspaceId = %v, want a UUID", u["defaultWorkspaceId"])
		}
		checkUser(t, e, u, freshUser(a))
		c := apitest.Claims(t, p["accessToken"].(string))
		if c["sub"] != a.ID || c["org"] != a.WorkspaceID {
			t.Errorf("claims sub=%v org=%v, want %s and the personal workspace %s", c["sub"], c["org"], a.ID, a.WorkspaceID)
		}
		m := e.For(t).WaitMail("reg@example.com", "verify_email", 1)
		if !strings.Contains(m.Text, "http://localhost:3000/verify-email?token=") || m.Token() == "" {
			t.Errorf("verification mail has no front-end link: %q", m.Text)
		}
	})
	t.Run("OK_FullNameAndNormalizedEmail", func(t *testing.T) {
		r := e.GraphQL(registerOp, map[string]any{"input": map[string]any{
			"email": "  Dora.Mixed@EXAMPLE.com ", "username": "dora", "password": testPassword, "fullName": "Dora Explorer"}}, "")
		u := obj(t, obj(t, data(t, r)["register"])["user"])
		if u["email"] != "Dora.Mixed@example.com" || u["fullName"] != "Dora Explorer" {
			t.Errorf("email=%v fullName=%v, want Dora.Mixed@example.com and Dora Explorer", u["email"], u["fullName"])
		}
	})

	// The first account of the conflicts below.
	register(t, e, "taken")
	for _, tc := range []struct {
		name      string
		input     map[string]any
		code, msg string
		details   any
	}{
		{"ErrConflictEmail", map[string]any{"email": "TAKEN@example.com", "username": "other1", "password": testPassword},
			"CONFLICT", "Email already registered", map[string]any{"field": "email"}},
		{"ErrConflictUsername", map[string]any{"email": "other2@example.com", "username": "TaKeN", "password": testPassword},
			"CONFLICT", "Username already taken", map[string]any{"field": "username"}},
		{"ErrBadEmail", map[string]any{"email": "nope", "username": "other3", "password": testPassword},
			"VALIDATION_ERROR", auth.MsgValidation, []any{map[string]any{"type": "value_error", "loc": []any{"input", "email"},
				"msg": "value is not a valid email address: An email address must have an @-sign.", "input": "nope",
				"ctx": map[string]any{"reason": "An email address must have an @-sign."}}}},
		{"ErrReservedDomain", map[string]any{"email": "a@mail.localhost", "username": "other4", "password": testPassword},
			"VALIDATION_ERROR", auth.MsgValidation, []any{map[string]any{"type": "value_error", "loc": []any{"input", "email"},
				"msg":   "value is not a valid email address: The part after the @-sign is a special-use or reserved name that cannot be used with email.",
				"input": "a@mail.localhost", "ctx": map[string]any{"reason": "The part after the @-sign is a special-use or reserved name that cannot be used with email."}}}},
		{"ErrShortPassword", map[string]any{"email": "other5@example.com", "username": "other5", "password": "Sh0rt!"},
			"VALIDATION_ERROR", auth.MsgValidation, []any{map[string]any{"type": "string_too_short", "loc": []any{"input", "password"},
				"msg": "String should have at least 8 characters", "input": "[redacted]", "ctx": map[string]any{"min_length": 8}}}},
		{"ErrLongPassword", map[string]any{"email": "other6@example.com", "username": "other6", "password": strings.Repeat("Lq9", 43)},
			"VALIDATION_ERROR", auth.MsgValidation, []any{map[string]any{"type": "string_too_long", "loc": []any{"input", "password"},
				"msg": "String should have at most 128 characters", "input": "[redacted]", "ctx": map[string]any{"max_length": 128}}}},
		{"ErrUsernamePattern", map[string]any{"email": "other7@example.com", "username": "no spaces", "password": testPassword},
			"VALIDATION_ERROR", auth.MsgValidation, []any{map[string]any{"type": "string_pattern_mismatch", "loc": []any{"input", "username"},
				"msg": "String should match pattern '^[A-Za-z0-9_.-]+$'", "input": "no spaces",
				"ctx": map[string]any{"pattern": "^[A-Za-z0-9_.-]+$"}}}},
		{"ErrUsernameTooLong", map[string]any{"email": "other8@example.com", "username": strings.Repeat("u", 33), "password": testPassword},
			"VALIDATION_ERROR", auth.MsgValidation, []any{map[string]any{"type": "string_too_long", "loc": []any{"input", "username"},
				"msg": "String should have at most 32 characters", "input": strings.Repeat("u", 33), "ctx": map[string]any{"max_length": 32}}}},
		{"ErrEveryFieldInOrder", map[string]any{"email": "@example.com", "username": "ab", "password": "Sh0rt!"},
			"VALIDATION_ERROR", auth.MsgValidation, []any{
				map[string]any{"type": "value_error", "loc": []any{"input", "email"},
					"msg": "value is not a valid email address: There must be something before the @-sign.", "input": "@example.com",
					"ctx": map[string]any{"reason": "There must be something before the @-sign."}},
				map[string]any{"type": "string_too_short", "loc": []any{"input", "username"},
					"msg": "String should have at least 3 characters", "input": "ab", "ctx": map[string]any{"min_length": 3}},
				map[string]any{"type": "string_too_short", "loc": []any{"input", "password"},
					"msg": "String should have at least 8 characters", "input": "[redacted]", "ctx": map[string]any{"min_length": 8}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.For(t).GraphQL(registerOp, map[string]any{"input": tc.input}, "")
			wantError(t, r, tc.code, tc.msg, tc.details)
			if pw := tc.input["password"].(string); pw != testPassword && bytes.Contains(r.Raw, []byte(pw)) {
				t.Errorf("the answer echoes the password: %s", r.Raw)
			}
		})
	}

	// Password policy (CONTRACT.md §7): the entry's type and message are the service's
	// own, but it is a VALIDATION_ERROR on input.password that never echoes the password.
	for _, tc := range []struct {
		name  string
		input map[string]any
	}{
		{"ErrCommonPassword", map[string]any{"email": "common@example.com", "username": "common", "password": "password123"}},
		{"ErrPasswordIsUsername", map[string]any{"email": "zq@example.com", "username": "Zqxvwkyplm", "password": "zQXVWKYPLM"}},
		{"ErrPasswordIsEmail", map[string]any{"email": "kxq.wyz@example.com", "username": "kxq", "password": "KXQ.wyz@example.com"}},
		{"ErrPasswordIsLocalPart", map[string]any{"email": "kxqwyzvb@example.com", "username": "kxqw", "password": "KxqWyzVb"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.For(t).GraphQL(registerOp, map[string]any{"input": tc.input}, "")
			g := oneError(t, r, "VALIDATION_ERROR")
			ents := entries(t, g)
			if len(ents) != 1 {
				t.Fatalf("want one entry, got %v", ents)
			}
			jsonEqual(t, "loc", ents[0]["loc"], []any{"input", "password"})
			if ents[0]["input"] != "[redacted]" {
				t.Errorf("input = %v, want [redacted]", ents[0]["input"])
			}
			if bytes.Contains(r.Raw, []byte(tc.input["password"].(string))) {
				t.Errorf("the answer echoes the password: %s", r.Raw)
			}
		})
	}

	t.Run("ErrMissingPassword", func(t *testing.T) {
		r := e.GraphQL(registerOp, map[string]any{"input": map[string]any{"email": "miss@example.com", "username": "miss"}}, "")
		g := oneError(t, r, "VALIDATION_ERROR")
		ents := entries(t, g)
		if len(ents) != 1 {
			t.Fatalf("want one entry, got %v", ents)
		}
		jsonEqual(t, "loc", ents[0]["loc"], []any{"input", "password"})
		// CONTRACT.md §3/§5: the same entry as a 422 for an absent field.
		if ents[0]["type"] != "missing" || ents[0]["msg"] != "Field required" {
			t.Errorf("entry = %v, want type missing, msg Field required", ents[0])
		}
	})
	t.Run("ErrPasswordWrongTypeNotEchoed", func(t *testing.T) {
		r := e.GraphQL(registerOp, map[string]any{"input": map[string]any{"email": "typ@example.com", "username": "typ",
			"password": map[string]any{"secret": "Zebra-Horse-91"}}}, "")
		wantError(t, r, "VALIDATION_ERROR", "", []any{map[string]any{"type": "string_type", "loc": []any{"input", "password"},
			"msg": "Input should be a valid string", "input": nil}})
		if bytes.Contains(r.Raw, []byte("Zebra-Horse-91")) {
			t.Errorf("the answer echoes the password: %s", r.Raw)
		}
	})
	t.Run("ErrPasswordNull", func(t *testing.T) {
		r := e.GraphQL(registerOp, map[string]any{"input": map[string]any{"email": "nul@example.com", "username": "nul", "password": nil}}, "")
		wantError(t, r, "VALIDATION_ERROR", "", []any{map[string]any{"type": "string_type", "loc": []any{"input", "password"},
			"msg": "Input should be a valid string", "input": nil}})
	})
	t.Run("ErrRegistrationDisabled", func(t *testing.T) {
		t.Parallel()
		closed := apitest.New(t, apitest.WithConfig(func(c *auth.Config) { c.AllowRegistration = false }))
		r := closed.GraphQL(registerOp, map[string]any{"input": map[string]any{
			"email": "late@example.com", "username": "late", "password": testPassword}}, "")
		wantError(t, r, "FORBIDDEN", "Registration is disabled", nil)
	})
}

func TestLogin(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := register(t, e, "Lena")
	login := func(t *testing.T, username, password string) *apitest.GQLResponse {
		t.Helper()
		return e.For(t).GraphQL(loginOp, map[string]any{"input": map[string]any{"username": username, "password": password}}, "")
	}
	for _, tc := range []struct{ name, username string }{
		{"OK_ByUsername", "Lena"},
		{"OK_ByUsernameAnyCase", "lENA"},
		{"OK_ByEmail", "Lena@example.com"},
		{"OK_ByEmailAnyCase", "LENA@EXAMPLE.COM"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := obj(t, data(t, login(t, tc.username, a.Password))["login"])
			checkTokens(t, p, true)
			want := freshUser(a)
			want["lastLogin"] = aTimestamp
			u := obj(t, p["user"])
			checkUser(t, e, u, want)
			// The answer already shows the new last_login: me agrees.
			m := obj(t, data(t, me(t, e, p["accessToken"].(string)))["me"])
			if m["lastLogin"] != u["lastLogin"] {
				t.Errorf("me.lastLogin = %v, login answered %v", m["lastLogin"], u["lastLogin"])
			}
			if p["refreshToken"] == a.Refresh || p["accessToken"] == a.Access {
				t.Errorf("login reused the tokens of another session")
			}
		})
	}
	for _, tc := range []struct{ name, username, password string }{
		{"ErrWrongPassword", "Lena", "not the password"},
		{"ErrUnknownUser", "nobody", a.Password},
		{"ErrEmptyPassword", "Lena", ""},
		{"ErrPasswordCaseChanged", "Lena", strings.ToUpper(a.Password)},
		{"ErrPasswordTrailingSpace", "Lena", a.Password + " "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, login(t, tc.username, tc.password), "AUTHENTICATION_FAILED", auth.MsgInvalidLogin, map[string]any{})
		})
	}
	t.Run("ErrMissingPassword", func(t *testing.T) {
		r := e.GraphQL(loginOp, map[string]any{"input": map[string]any{"username": "Lena"}}, "")
		jsonEqual(t, "loc", entries(t, oneError(t, r, "VALIDATION_ERROR"))[0]["loc"], []any{"input", "password"})
	})
}

func TestLogout(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := register(t, e, "leo")
	otherAccess, _ := e.Login(a.Username, a.Password)

	t.Run("OK", func(t *testing.T) {
		jsonEqual(t, "data", data(t, e.For(t).GraphQL(logoutOp, nil, a.Access)), map[string]any{"logout": true})
		wantError(t, me(t, e, a.Access), "AUTHENTICATION_FAILED", "", nil)
		r := e.For(t).GraphQL(refreshOp, map[string]any{"refreshToken": a.Refresh}, "")
		wantError(t, r, "AUTHENTICATION_FAILED", auth.MsgInvalidRefresh, nil)
		if obj(t, data(t, me(t, e, otherAccess))["me"])["id"] != a.ID {
			t.Errorf("logout ended another session")
		}
	})
	t.Run("ErrFieldsAfterLogoutInSameOperation", func(t *testing.T) {
		// "Its access and refresh tokens stop working at once": a root field that runs
		// after logout in the same operation must not act on the ended session.
		b := register(t, e, "leona")
		r := e.For(t).GraphQL(`mutation($pw: String!) { logout
			updateProfile(input: {bio: "after logout"}) { bio }
			changePassword(input: {currentPassword: $pw, newPassword: "another long passphrase"}) }`,
			map[string]any{"pw": b.Password}, b.Access)
		codes := map[string]string{}
		for _, g := range r.Errors {
			if len(g.Path) > 0 {
				codes[fmt.Sprint(g.Path[0])] = g.Code()
			}
		}
		if codes["updateProfile"] != "AUTHENTICATION_FAILED" || codes["changePassword"] != "AUTHENTICATION_FAILED" {
			t.Errorf("fields after logout: %s, want AUTHENTICATION_FAILED for updateProfile and changePassword", r.Raw)
		}
		lr := e.For(t).GraphQL(loginOp, map[string]any{"input": map[string]any{"username": b.Username, "password": b.Password}}, "")
		if len(lr.Errors) > 0 {
			t.Errorf("the password was changed through a logged-out session: %s", lr.Raw)
		}
	})
	t.Run("ErrAlreadyLoggedOut", func(t *testing.T) {
		wantError(t, e.For(t).GraphQL(logoutOp, nil, a.Access), "AUTHENTICATION_FAILED", "", map[string]any{})
	})
	t.Run("ErrNoToken", func(t *testing.T) {
		wantError(t, gqlDo(t, e, logoutOp, nil), "AUTHENTICATION_FAILED", auth.MsgAuthRequired, map[string]any{})
	})
}

func TestRefreshToken(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := register(t, e, "rita")

	t.Run("OK", func(t *testing.T) {
		r := e.For(t).GraphQL(refreshOp, map[string]any{"refreshToken": a.Refresh}, "")
		p := obj(t, data(t, r)["refreshToken"])
		checkTokens(t, p, true)
		if len(p) != 4 {
			t.Errorf("keys = %v, want accessToken refreshToken tokenType expiresIn", p)
		}
		if p["refreshToken"] == a.Refresh {
			t.Errorf("refresh did not rotate the refresh token")
		}
		old, fresh := apitest.Claims(t, a.Access), apitest.Claims(t, p["accessToken"].(string))
		if fresh["sid"] != old["sid"] || fresh["sub"] != a.ID || fresh["org"] != a.WorkspaceID {
			t.Errorf("refreshed claims %v, want the same session, user and organization as %v", fresh, old)
		}
		if obj(t, data(t, me(t, e, p["accessToken"].(string)))["me"])["id"] != a.ID {
			t.Errorf("refreshed access token does not authenticate")
		}
	})
	for _, tc := range []struct{ name, token string }{
		{"ErrUnknown", "bm8tc3VjaC10b2tlbi1hdC1hbGwtbm8tc3VjaC10b2tlbg"},
		{"ErrEmpty", ""},
		{"ErrAccessTokenInstead", a.Access},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.For(t).GraphQL(refreshOp, map[string]any{"refreshToken": tc.token}, "")
			wantError(t, r, "AUTHENTICATION_FAILED", auth.MsgInvalidRefresh, map[string]any{})
		})
	}
	t.Run("ErrMissingArgument", func(t *testing.T) {
		r := e.GraphQL(refreshOp, map[string]any{}, "")
		ents := entries(t, oneError(t, r, "VALIDATION_ERROR"))
		jsonEqual(t, "loc", ents[0]["loc"], []any{"refreshToken"})
		if ents[0]["type"] != "missing" || ents[0]["msg"] != "Field required" {
			t.Errorf("entry = %v, want type missing, msg Field required", ents[0])
		}
	})
}

func TestVerifyEmail(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := register(t, e, "vera")
	tok := e.WaitMail(a.Email, "verify_email", 1).Token()
	verify := func(t *testing.T, token string) *apitest.GQLResponse {
		t.Helper()
		return e.For(t).GraphQL(verifyEmailOp, map[string]any{"token": token}, "")
	}

	t.Run("ErrResetTokenInstead", func(t *testing.T) {
		data(t, e.For(t).GraphQL(forgotOp, map[string]any{"email": a.Email}, ""))
		reset := e.For(t).WaitMail(a.Email, "reset_password", 1).Token()
		wantError(t, verify(t, reset), "INVALID_TOKEN", auth.MsgInvalidToken, map[string]any{})
	})
	t.Run("OK", func(t *testing.T) {
		jsonEqual(t, "data", data(t, verify(t, tok)), map[string]any{"verifyEmail": true})
		if v := obj(t, data(t, me(t, e, a.Access))["me"])["isVerified"]; v != true {
			t.Errorf("isVerified = %v after verification", v)
		}
	})
	t.Run("ErrReused", func(t *testing.T) {
		wantError(t, verify(t, tok), "INVALID_TOKEN", auth.MsgInvalidToken, map[string]any{})
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		wantError(t, verify(t, "no-such-token"), "INVALID_TOKEN", auth.MsgInvalidToken, map[string]any{})
	})
	t.Run("OK_JustBeforeExpiry", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		a := register(t, e, "vic")
		tok := e.WaitMail(a.Email, "verify_email", 1).Token()
		e.Clock.Advance(24*time.Hour - time.Minute)
		jsonEqual(t, "data", data(t, e.GraphQL(verifyEmailOp, map[string]any{"token": tok}, "")), map[string]any{"verifyEmail": true})
	})
	t.Run("ErrExpired", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		a := register(t, e, "val")
		tok := e.WaitMail(a.Email, "verify_email", 1).Token()
		e.Clock.Advance(24*time.Hour + time.Second)
		wantError(t, e.GraphQL(verifyEmailOp, map[string]any{"token": tok}, ""), "INVALID_TOKEN", auth.MsgInvalidToken, nil)
	})
}

// mailCount counts the messages of kind sent to an address (case-insensitively).
func mailCount(e *apitest.Env, to, kind string) int {
	n := 0
	for _, m := range e.Logs.Mails(to) {
		if m.Kind == kind {
			n++
		}
	}
	return n
}

func TestResendVerification(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	r := e.GraphQL(registerOp, map[string]any{"input": map[string]any{
		"email": "Rosa.Mixed@example.com", "username": "rosa", "password": testPassword}}, "")
	data(t, r)
	e.WaitMail("Rosa.Mixed@example.com", "verify_email", 1)
	done := register(t, e, "vernon")
	data(t, e.GraphQL(verifyEmailOp, map[string]any{"token": e.WaitMail(done.Email, "verify_email", 1).Token()}, ""))
	resend := func(t *testing.T, email string) *apitest.GQLResponse {
		t.Helper()
		return e.For(t).GraphQL(resendOp, map[string]any{"email": email}, "")
	}

	t.Run("OK_UnknownAddress", func(t *testing.T) {
		jsonEqual(t, "data", data(t, resend(t, "ghost@example.com")), map[string]any{"resendVerification": true})
	})
	t.Run("OK_AlreadyVerified", func(t *testing.T) {
		jsonEqual(t, "data", data(t, resend(t, done.Email)), map[string]any{"resendVerification": true})
	})
	t.Run("OK_UnverifiedGetsMailAtStoredAddress", func(t *testing.T) {
		jsonEqual(t, "data", data(t, resend(t, "ROSA.MIXED@example.COM")), map[string]any{"resendVerification": true})
		m := e.For(t).WaitMail("rosa.mixed@example.com", "verify_email", 2)
		if m.To != "Rosa.Mixed@example.com" {
			t.Errorf("mail to %q, want the stored address Rosa.Mixed@example.com", m.To)
		}
		r := e.For(t).GraphQL(verifyEmailOp, map[string]any{"token": m.Token()}, "")
		jsonEqual(t, "data", data(t, r), map[string]any{"verifyEmail": true})
		// The outbox sends in order: by now the earlier requests' mail would be out.
		if n := mailCount(e, "ghost@example.com", "verify_email"); n != 0 {
			t.Errorf("%d verification mails to an unknown address", n)
		}
		if n := mailCount(e, done.Email, "verify_email"); n != 1 {
			t.Errorf("%d verification mails to a verified account, want only the first", n)
		}
	})
	t.Run("ErrBadEmail", func(t *testing.T) {
		wantError(t, resend(t, "rosa@"), "VALIDATION_ERROR", auth.MsgValidation, []any{map[string]any{
			"type": "value_error", "loc": []any{"email"}, "msg": "value is not a valid email address: There must be something after the @-sign.",
			"input": "rosa@", "ctx": map[string]any{"reason": "There must be something after the @-sign."}}})
	})
}

func TestForgotPassword(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := register(t, e, "fred")
	forgot := func(t *testing.T, email string) *apitest.GQLResponse {
		t.Helper()
		return e.For(t).GraphQL(forgotOp, map[string]any{"email": email}, "")
	}
	t.Run("OK_UnknownAddress", func(t *testing.T) {
		jsonEqual(t, "data", data(t, forgot(t, "nobody@example.com")), map[string]any{"forgotPassword": true})
	})
	t.Run("OK_KnownAddressGetsLink", func(t *testing.T) {
		jsonEqual(t, "data", data(t, forgot(t, "FRED@example.com")), map[string]any{"forgotPassword": true})
		m := e.For(t).WaitMail(a.Email, "reset_password", 1)
		if m.To != a.Email || !strings.Contains(m.Text, "http://localhost:3000/reset-password?token=") || m.Token() == "" {
			t.Errorf("reset mail to %q: %q, want a front-end link to %s", m.To, m.Text, a.Email)
		}
		if n := mailCount(e, "nobody@example.com", "reset_password"); n != 0 {
			t.Errorf("%d reset mails to an unknown address", n)
		}
	})
	t.Run("ErrBadEmail", func(t *testing.T) {
		wantError(t, forgot(t, "fred example.com"), "VALIDATION_ERROR", auth.MsgValidation, []any{map[string]any{
			"type": "value_error", "loc": []any{"email"}, "msg": "value is not a valid email address: An email address must have an @-sign.",
			"input": "fred example.com", "ctx": map[string]any{"reason": "An email address must have an @-sign."}}})
	})
}

func TestResetPassword(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := register(t, e, "rene")
	data(t, e.GraphQL(forgotOp, map[string]any{"email": a.Email}, ""))
	tok := e.WaitMail(a.Email, "reset_password", 1).Token()
	verifyTok := e.WaitMail(a.Email, "verify_email", 1).Token()
	const newPassword = "a brand new passphrase"
	reset := func(t *testing.T, token, pw string) *apitest.GQLResponse {
		t.Helper()
		return e.For(t).GraphQL(resetPasswordOp, map[string]any{"input": map[string]any{"token": token, "newPassword": pw}}, "")
	}

	t.Run("ErrShortPasswordKeepsToken", func(t *testing.T) {
		r := reset(t, tok, "Sh0rt!")
		wantError(t, r, "VALIDATION_ERROR", auth.MsgValidation, []any{map[string]any{"type": "string_too_short",
			"loc": []any{"input", "newPassword"}, "msg": "String should have at least 8 characters", "input": "[redacted]",
			"ctx": map[string]any{"min_length": 8}}})
		if bytes.Contains(r.Raw, []byte("Sh0rt!")) {
			t.Errorf("the answer echoes the password: %s", r.Raw)
		}
	})
	t.Run("ErrVerifyTokenInstead", func(t *testing.T) {
		wantError(t, reset(t, verifyTok, newPassword), "INVALID_TOKEN", auth.MsgInvalidToken, map[string]any{})
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		wantError(t, reset(t, "no-such-token", newPassword), "INVALID_TOKEN", auth.MsgInvalidToken, map[string]any{})
	})
	t.Run("OK", func(t *testing.T) {
		jsonEqual(t, "data", data(t, reset(t, tok, newPassword)), map[string]any{"resetPassword": true})
		wantError(t, e.For(t).GraphQL(loginOp, map[string]any{"input": map[string]any{"username": a.Username, "password": a.Password}}, ""),
			"AUTHENTICATION_FAILED", auth.MsgInvalidLogin, nil)
		p := obj(t, data(t, e.For(t).GraphQL(loginOp, map[string]any{"input": map[string]any{"username": a.Username, "password": newPassword}}, ""))["login"])
		if v := obj(t, p["user"])["isVerified"]; v != true {
			t.Errorf("isVerified = %v after a reset, want true", v)
		}
		wantError(t, me(t, e, a.Access), "AUTHENTICATION_FAILED", "", nil)
	})
	t.Run("ErrReused", func(t *testing.T) {
		wantError(t, reset(t, tok, "yet another passphrase"), "INVALID_TOKEN", auth.MsgInvalidToken, map[string]any{})
	})
	t.Run("ErrExpired", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t)
		a := register(t, e, "ron")
		data(t, e.GraphQL(forgotOp, map[string]any{"email": a.Email}, ""))
		tok := e.WaitMail(a.Email, "reset_password", 1).Token()
		e.Clock.Advance(time.Hour + time.Second)
		wantError(t, e.GraphQL(resetPasswordOp, map[string]any{"input": map[string]any{"token": tok, "newPassword": newPassword}}, ""),
			"INVALID_TOKEN", auth.MsgInvalidToken, nil)
	})
}

func TestSwitchOrg(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := register(t, e, "sam")
	stranger := register(t, e, "stranger")
	r := e.GraphQL(`mutation { createOrganization(name: "Acme") { organization { id } role } }`, nil, a.Access)
	acme, _ := obj(t, obj(t, data(t, r)["createOrganization"])["organization"])["id"].(string)
	switchOrg := func(t *testing.T, org, token string) *apitest.GQLResponse {
		t.Helper()
		return e.For(t).GraphQL(switchOrgOp, map[string]any{"orgId": org}, token)
	}

	for _, tc := range []struct{ name, org string }{
		{"OK_CreatedOrganization", acme},
		{"OK_PersonalWorkspace", a.WorkspaceID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := obj(t, data(t, switchOrg(t, tc.org, a.Access))["switchOrg"])
			checkTokens(t, p, false)
			if p["orgId"] != tc.org {
				t.Errorf("orgId = %v, want %s", p["orgId"], tc.org)
			}
			c := apitest.Claims(t, p["accessToken"].(string))
			if c["org"] != tc.org || c["sid"] != apitest.Claims(t, a.Access)["sid"] {
				t.Errorf("claims %v: want org %s in the same session", c, tc.org)
			}
			if obj(t, data(t, me(t, e, p["accessToken"].(string)))["me"])["id"] != a.ID {
				t.Errorf("switched access token does not authenticate")
			}
		})
	}
	for _, tc := range []struct{ name, org string }{
		{"ErrNotMember", stranger.WorkspaceID},
		{"ErrUnknownOrganization", "6f1d3a52-9d0e-4c1b-8a51-0e6f2b1c9d77"},
		{"ErrNotAnID", "acme"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, switchOrg(t, tc.org, a.Access), "FORBIDDEN", auth.MsgForbidden, map[string]any{"required_permission": "org:access"})
		})
	}
	t.Run("ErrNoToken", func(t *testing.T) {
		wantError(t, gqlDo(t, e, switchOrgOp, map[string]any{"orgId": acme}), "AUTHENTICATION_FAILED", auth.MsgAuthRequired, map[string]any{})
	})
}

func TestUpdateProfile(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := register(t, e, "uma")
	register(t, e, "Other")
	update := func(t *testing.T, input map[string]any) *apitest.GQLResponse {
		t.Helper()
		return e.For(t).GraphQL(updateProfileOp, map[string]any{"input": input}, a.Access)
	}
	want := freshUser(a)
	step := func(t *testing.T, input map[string]any, changes map[string]any) {
		t.Helper()
		for k, v := range changes {
			want[k] = v
		}
		got := obj(t, data(t, update(t, input))["updateProfile"])
		checkUser(t, e, got, want)
		checkUser(t, e, obj(t, data(t, me(t, e, a.Access))["me"]), want)
	}

	t.Run("OK_SetEveryField", func(t *testing.T) {
		set := map[string]any{"fullName": "Uma Thurman", "avatarUrl": "https://img.example.com/u.png", "bio": "Hi <b>&</b>",
			"timezone": "Europe/Paris", "locale": "fr-FR", "preferences": map[string]any{"theme": "dark", "n": 1},
			"settings": map[string]any{"a": map[string]any{"b": true}}, "username": "uma2"}
		step(t, set, set)
		a.Username = "uma2"
	})
	t.Run("OK_AbsentFieldsUnchanged", func(t *testing.T) {
		step(t, map[string]any{"bio": "changed"}, map[string]any{"bio": "changed"})
	})
	t.Run("OK_EmptyInputChangesNothing", func(t *testing.T) {
		step(t, map[string]any{}, nil)
	})
	t.Run("OK_NullClears", func(t *testing.T) {
		step(t, map[string]any{"fullName": nil, "avatarUrl": nil, "bio": nil, "preferences": nil},
			map[string]any{"fullName": nil, "avatarUrl": nil, "bio": nil, "preferences": map[string]any{}})
	})
	t.Run("OK_NullsInLiteral", func(t *testing.T) {
		r := e.For(t).GraphQL(`mutation { updateProfile(input: {timezone: null, locale: null}) { timezone locale bio fullName } }`, nil, a.Access)
		jsonEqual(t, "updateProfile", data(t, r)["updateProfile"],
			map[string]any{"timezone": nil, "locale": nil, "bio": nil, "fullName": nil})
		want["timezone"], want["locale"] = nil, nil
	})
	// The REST view passes every profile field as a variable of its own: a variable the
	// request does not provide must leave its field absent (GraphQL spec §6.4.2), and a
	// variable given null must clear it.
	const byVariables = `mutation($fullName: String, $bio: String, $locale: String) {
		updateProfile(input: {fullName: $fullName, bio: $bio, locale: $locale}) { ` + userSelection + ` } }`
	t.Run("OK_UnprovidedVariablesLeaveFieldsAbsent", func(t *testing.T) {
		r := e.For(t).GraphQL(byVariables, map[string]any{"fullName": "Uma T", "locale": "en-GB"}, a.Access)
		want["fullName"], want["locale"] = "Uma T", "en-GB"
		want["bio"] = nil
		checkUser(t, e, obj(t, data(t, r)["updateProfile"]), want)
		r = e.For(t).GraphQL(byVariables, map[string]any{"bio": "from a variable"}, a.Access)
		want["bio"] = "from a variable"
		checkUser(t, e, obj(t, data(t, r)["updateProfile"]), want)
	})
	t.Run("OK_NullVariablesClear", func(t *testing.T) {
		r := e.For(t).GraphQL(byVariables, map[string]any{"fullName": nil, "locale": nil}, a.Access)
		want["fullName"], want["locale"] = nil, nil
		checkUser(t, e, obj(t, data(t, r)["updateProfile"]), want)
	})
	t.Run("OK_RenameCaseOnly", func(t *testing.T) {
		step(t, map[string]any{"username": "UMA2"}, map[string]any{"username": "UMA2"})
	})

	valueError := func(field, input string) []any {
		return []any{map[string]any{"type": "value_error", "loc": []any{"input", field}, "input": input, "ctx": map[string]any{"error": map[string]any{}}}}
	}
	for _, tc := range []struct {
		name      string
		input     map[string]any
		code      string
		details   any
		msgPrefix string // for value_error: "Value error, " and the service's reason
	}{
		{"ErrTimezone", map[string]any{"timezone": "Mars/Olympus"}, "VALIDATION_ERROR", valueError("timezone", "Mars/Olympus"), "Value error, "},
		{"ErrTimezonePath", map[string]any{"timezone": "../../etc/passwd"}, "VALIDATION_ERROR", valueError("timezone", "../../etc/passwd"), "Value error, "},
		{"ErrLocale", map[string]any{"locale": "not a tag!"}, "VALIDATION_ERROR", valueError("locale", "not a tag!"), "Value error, "},
		{"ErrAvatarScheme", map[string]any{"avatarUrl": "javascript:alert(1)"}, "VALIDATION_ERROR", valueError("avatarUrl", "javascript:alert(1)"), "Value error, "},
		{"ErrAvatarRelative", map[string]any{"avatarUrl": "/u.png"}, "VALIDATION_ERROR", valueError("avatarUrl", "/u.png"), "Value error, "},
		{"ErrUsernameNull", map[string]any{"username": nil}, "VALIDATION_ERROR", []any{map[string]any{"type": "string_type",
			"loc": []any{"input", "username"}, "msg": "Input should be a valid string", "input": nil}}, ""},
		{"ErrUsernamePattern", map[string]any{"username": "uma two"}, "VALIDATION_ERROR", []any{map[string]any{"type": "string_pattern_mismatch",
			"loc": []any{"input", "username"}, "msg": "String should match pattern '^[A-Za-z0-9_.-]+$'", "input": "uma two",
			"ctx": map[string]any{"pattern": "^[A-Za-z0-9_.-]+$"}}}, ""},
		{"ErrPreferencesNotObject", map[string]any{"preferences": []any{1, 2}}, "VALIDATION_ERROR", []any{map[string]any{"type": "dict_type",
			"loc": []any{"input", "preferences"}, "msg": "Input should be a valid dictionary", "input": []any{1, 2}}}, ""},
		{"ErrSettingsString", map[string]any{"settings": "dark"}, "VALIDATION_ERROR", []any{map[string]any{"type": "dict_type",
			"loc": []any{"input", "settings"}, "msg": "Input should be a valid dictionary", "input": "dark"}}, ""},
		{"ErrUsernameTaken", map[string]any{"username": "oTHER"}, "CONFLICT", map[string]any{"field": "username"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := update(t, tc.input)
			g := oneError(t, r, tc.code)
			got := g.Extensions["details"]
			if tc.msgPrefix != "" {
				ents := entries(t, g)
				if len(ents) == 1 {
					if msg, _ := ents[0]["msg"].(string); !strings.HasPrefix(msg, tc.msgPrefix) || len(msg) == len(tc.msgPrefix) {
						t.Errorf("msg = %q, want %q and a reason", msg, tc.msgPrefix)
					}
					delete(ents[0], "msg")
				}
				got = ents
			}
			jsonEqual(t, "extensions.details", got, tc.details)
			// A refused update changes nothing.
			checkUser(t, e, obj(t, data(t, me(t, e, a.Access))["me"]), want)
		})
	}
	t.Run("ErrNoToken", func(t *testing.T) {
		r := gqlDo(t, e, updateProfileOp, map[string]any{"input": map[string]any{"bio": "x"}})
		wantError(t, r, "AUTHENTICATION_FAILED", auth.MsgAuthRequired, map[string]any{})
	})
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := register(t, e, "chad")
	change := func(t *testing.T, current, next, token string) *apitest.GQLResponse {
		t.Helper()
		return e.For(t).GraphQL(changePasswordOp, map[string]any{"input": map[string]any{"currentPassword": current, "newPassword": next}}, token)
	}
	const next = "the next long passphrase"

	t.Run("ErrWrongCurrent", func(t *testing.T) {
		wantError(t, change(t, "not my password", next, a.Access), "INVALID_PASSWORD", auth.MsgWrongPassword, map[string]any{})
	})
	t.Run("ErrShortNew", func(t *testing.T) {
		r := change(t, a.Password, "Sh0rt!", a.Access)
		wantError(t, r, "VALIDATION_ERROR", auth.MsgValidation, []any{map[string]any{"type": "string_too_short",
			"loc": []any{"input", "newPassword"}, "msg": "String should have at least 8 characters", "input": "[redacted]",
			"ctx": map[string]any{"min_length": 8}}})
	})
	t.Run("ErrCommonNew", func(t *testing.T) {
		r := change(t, a.Password, "password123", a.Access)
		ents := entries(t, oneError(t, r, "VALIDATION_ERROR"))
		jsonEqual(t, "loc", ents[0]["loc"], []any{"input", "newPassword"})
		if bytes.Contains(r.Raw, []byte("password123")) {
			t.Errorf("the answer echoes the password: %s", r.Raw)
		}
	})
	t.Run("ErrLongCurrentNotEchoed", func(t *testing.T) {
		long := strings.Repeat("Zq7", 50)
		r := change(t, long, next, a.Access)
		ents := entries(t, oneError(t, r, "VALIDATION_ERROR"))
		jsonEqual(t, "entry", ents, []any{map[string]any{"type": "string_too_long", "loc": []any{"input", "currentPassword"},
			"msg": "String should have at most 128 characters", "input": "[redacted]", "ctx": map[string]any{"max_length": 128}}})
	})
	t.Run("ErrNoTokenComesFirst", func(t *testing.T) {
		r := gqlDo(t, e, changePasswordOp, map[string]any{"input": map[string]any{"currentPassword": "x", "newPassword": "y"}})
		wantError(t, r, "AUTHENTICATION_FAILED", auth.MsgAuthRequired, map[string]any{})
	})
	t.Run("OK", func(t *testing.T) {
		jsonEqual(t, "data", data(t, change(t, a.Password, next, a.Access)), map[string]any{"changePassword": true})
		if obj(t, data(t, me(t, e, a.Access))["me"])["id"] != a.ID {
			t.Errorf("the current session ended")
		}
		wantError(t, e.For(t).GraphQL(loginOp, map[string]any{"input": map[string]any{"username": a.Username, "password": a.Password}}, ""),
			"AUTHENTICATION_FAILED", auth.MsgInvalidLogin, nil)
		data(t, e.For(t).GraphQL(loginOp, map[string]any{"input": map[string]any{"username": a.Username, "password": next}}, ""))
		e.For(t).WaitMail(a.Email, "password_changed", 1)
	})
}

func TestTransport(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := register(t, e, "tess")

	t.Run("OK_GetQuery", func(t *testing.T) {
		r := parseGQL(t, e.For(t).Do(http.MethodGet, "/graphql?query="+url.QueryEscape(`{ authConfig { allowRegistration } }`), nil, ""))
		jsonEqual(t, "data", data(t, r), map[string]any{"authConfig": map[string]any{"allowRegistration": true}})
	})
	t.Run("OK_GetQueryWithBearerAndVariables", func(t *testing.T) {
		q := url.Values{"query": {`query($t: String!) { inviteInfo(token: $t) { valid } me { id } }`}, "variables": {`{"t":"x"}`}}
		r := parseGQL(t, e.For(t).Do(http.MethodGet, "/graphql?"+q.Encode(), nil, a.Access))
		jsonEqual(t, "data", data(t, r), map[string]any{"inviteInfo": map[string]any{"valid": false}, "me": map[string]any{"id": a.ID}})
	})
	t.Run("ErrGetMutation", func(t *testing.T) {
		q := url.Values{"query": {`mutation { register(input: {email: "get@example.com", username: "getter", password: "a long passphrase"}) { accessToken } }`}}
		r := parseGQL(t, e.For(t).Do(http.MethodGet, "/graphql?"+q.Encode(), nil, ""))
		if len(r.Errors) == 0 || r.Errors[0].Code() == "" || r.Data != nil || r.Status == http.StatusOK {
			t.Errorf("GET mutation: want a non-200 error with a code and no data, got %d %s", r.Status, r.Raw)
		}
		lr := e.For(t).GraphQL(loginOp, map[string]any{"input": map[string]any{"username": "getter", "password": "a long passphrase"}}, "")
		wantError(t, lr, "AUTHENTICATION_FAILED", "", nil)
	})
	t.Run("ErrGetLogout", func(t *testing.T) {
		q := url.Values{"query": {`mutation { logout }`}}
		r := parseGQL(t, e.For(t).Do(http.MethodGet, "/graphql?"+q.Encode(), nil, a.Access))
		if len(r.Errors) == 0 || r.Data != nil {
			t.Errorf("GET mutation: want an error, got %d %s", r.Status, r.Raw)
		}
		data(t, me(t, e, a.Access))
	})
	const secret = "Hunter2-Hunter2-secret"
	for _, tc := range []struct {
		name, contentType, body string
	}{
		{"ErrBodyNotJSON", "application/json", `{"query": "mutation { login(input: {username: \"tess\", password: \"` + secret + `\"}) { accessToken } }"`},
		{"ErrBodyNotAnObject", "application/json", `["` + secret + `"]`},
		{"ErrBodyNotJSONContentType", "text/plain", `password=` + secret},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := parseGQL(t, e.For(t).Do(http.MethodPost, "/graphql", tc.body, "", "Content-Type", tc.contentType))
			if r.Status < 400 || r.Status >= 500 {
				t.Errorf("status = %d, want 4xx", r.Status)
			}
			if len(r.Errors) == 0 || r.Errors[0].Code() == "" {
				t.Errorf("want an error with extensions.code: %s", r.Raw)
			}
			if bytes.Contains(r.Raw, []byte(secret)) {
				t.Errorf("the answer echoes the body: %s", r.Raw)
			}
		})
	}
	t.Run("ErrBodyTooLarge", func(t *testing.T) {
		body := `{"query": "{ authConfig { allowRegistration } }", "pad": "` + strings.Repeat("x", 1<<20) + `"}`
		r := parseGQL(t, e.For(t).Do(http.MethodPost, "/graphql", body, ""))
		if r.Status != http.StatusRequestEntityTooLarge || len(r.Errors) == 0 || r.Errors[0].Code() != "PAYLOAD_TOO_LARGE" {
			t.Errorf("want 413 PAYLOAD_TOO_LARGE, got %d %s", r.Status, r.Raw)
		}
	})
	t.Run("OK_Introspection", func(t *testing.T) {
		r := e.GraphQL(`{ __schema { queryType { name } mutationType { name } } }`, nil, "")
		jsonEqual(t, "data", data(t, r), map[string]any{"__schema": map[string]any{
			"queryType": map[string]any{"name": "Query"}, "mutationType": map[string]any{"name": "Mutation"}}})
	})
	t.Run("OK_IntrospectionListsOperations", func(t *testing.T) {
		r := e.GraphQL(`{ __type(name: "Mutation") { fields { name } } }`, nil, "")
		var names []string
		for _, f := range obj(t, data(t, r)["__type"])["fields"].([]any) {
			names = append(names, obj(t, f)["name"].(string))
		}
		for _, op := range []string{"register", "login", "logout", "refreshToken", "verifyEmail", "resendVerification",
			"forgotPassword", "resetPassword", "switchOrg", "updateProfile", "changePassword"} {
			if !strings.Contains(","+strings.Join(names, ",")+",", ","+op+",") {
				t.Errorf("Mutation has no %s: %v", op, names)
			}
		}
	})
	t.Run("ErrUnknownField", func(t *testing.T) {
		r := e.GraphQL(`{ nope }`, nil, "")
		if len(r.Errors) == 0 || r.Errors[0].Code() == "" {
			t.Errorf("want an error with a code, got %s", r.Raw)
		}
	})
	t.Run("OK_AliasesAndManyFields", func(t *testing.T) {
		r := e.GraphQL(`{ a: me { id } b: me { username } c: authConfig { allowRegistration } }`, nil, a.Access)
		jsonEqual(t, "data", data(t, r), map[string]any{"a": map[string]any{"id": a.ID}, "b": map[string]any{"username": a.Username},
			"c": map[string]any{"allowRegistration": true}})
	})
}
