package rest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"authbff/graph/auth"
	"authbff/rest/apitest"
)

// What the routes do, seen from the outside.

func TestLoginIdentifiers(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	reg := register(t, e, "Alice.W@Example.COM", "Alice_W", "Correct-Horse-9")
	uid := str(t, member(t, reg, "user"), "user_id")
	for _, name := range []string{"Alice_W", "alice_w", "ALICE_W", "Alice.W@example.com", "alice.w@example.com", "ALICE.W@EXAMPLE.COM"} {
		t.Run("OK"+name, func(t *testing.T) {
			body := mustDo(t, e, http.MethodPost, pLogin, obj{"username": name, "password": "Correct-Horse-9"}, "")
			if got := str(t, member(t, body, "user"), "user_id"); got != uid {
				t.Errorf("logged in as %s, want %s", got, uid)
			}
		})
	}
	t.Run("ErrPasswordIsCaseSensitive", func(t *testing.T) {
		wantUnauthorized(t, e.Do(http.MethodPost, pLogin, obj{"username": "Alice_W", "password": "correct-horse-9"}, ""))
	})
	t.Run("ErrPasswordNotTrimmed", func(t *testing.T) {
		wantUnauthorized(t, e.Do(http.MethodPost, pLogin, obj{"username": "Alice_W", "password": " Correct-Horse-9"}, ""))
	})
}

func TestRegisterNormalizesEmail(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	body := register(t, e, "  Mixed.Case@EXAMPLE.Com ", "mixed", "Correct-Horse-9")
	const stored = "Mixed.Case@example.com"
	t.Run("StoredNormalized", func(t *testing.T) {
		if got := str(t, member(t, body, "user"), "email"); got != stored {
			t.Errorf("email = %q, want %q", got, stored)
		}
		me := mustDo(t, e, http.MethodGet, pMe, nil, str(t, body, "access_token"))
		if got := str(t, me, "email"); got != stored {
			t.Errorf("me email = %q, want %q", got, stored)
		}
	})
	t.Run("VerificationGoesToStoredAddress", func(t *testing.T) {
		m := e.WaitMail(stored, auth.MailVerify, 1)
		if m.To != stored {
			t.Errorf("mail to %q, want %q", m.To, stored)
		}
		if !strings.Contains(m.Text, "http://localhost:3000/verify-email?token=") {
			t.Errorf("verification link not on the front end: %q", m.Text)
		}
	})
	t.Run("ResetGoesToStoredAddress", func(t *testing.T) {
		wantNull(t, e.Do(http.MethodPost, pForgot, obj{"email": "MIXED.CASE@example.COM"}, ""))
		m := e.WaitMail(stored, auth.MailReset, 1)
		if m.To != stored {
			t.Errorf("mail to %q, want %q", m.To, stored)
		}
		if !strings.Contains(m.Text, "http://localhost:3000/reset-password?token=") {
			t.Errorf("reset link not on the front end: %q", m.Text)
		}
	})
}

func TestVerifyEmail(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("amy")
	verified := func(t *testing.T, want bool) {
		t.Helper()
		for _, p := range []string{pMe, pProfile} {
			body := mustDo(t, e, http.MethodGet, p, nil, a.Access)
			if got := string(member(t, body, "is_verified")); got != map[bool]string{true: "true", false: "false"}[want] {
				t.Errorf("%s is_verified = %s, want %v", p, got, want)
			}
		}
	}
	t.Run("UnverifiedAtFirst", func(t *testing.T) { verified(t, false) })
	t.Run("VerifiedAfterToken", func(t *testing.T) {
		tok := e.WaitMail(a.Email, auth.MailVerify, 1).Token()
		wantNull(t, e.Do(http.MethodPost, pVerify, obj{"token": tok}, ""))
		verified(t, true)
	})
}

func TestProfileUpdate(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("bea")
	put := func(t *testing.T, body string) []byte {
		t.Helper()
		return mustDo(t, e, http.MethodPut, pProfile, body, a.Access)
	}
	full := `{"full_name":"Bea B.","avatar_url":"https://example.com/a.png","bio":"<b>hi</b> & bye","timezone":"Europe/Paris",` +
		`"locale":"en-US","preferences":{"b":1,"a":2},"settings":{"theme":"dark","n":[1,2.5,{"y":true,"x":null}]}}`
	wantFull := map[string]string{
		"full_name": `"Bea B."`, "avatar_url": `"https://example.com/a.png"`, "bio": `"<b>hi</b> & bye"`,
		"timezone": `"Europe/Paris"`, "locale": `"en-US"`, "preferences": `{"b":1,"a":2}`,
		"settings": `{"theme":"dark","n":[1,2.5,{"y":true,"x":null}]}`, "username": `"bea"`,
	}
	check := func(t *testing.T, body []byte, want map[string]string) {
		t.Helper()
		m := wantUser(t, body, userWant{email: a.Email, username: a.Username}, true)
		for k, v := range want {
			if string(m[k]) != v {
				t.Errorf("%s = %s, want %s", k, m[k], v)
			}
		}
	}
	var first []byte
	t.Run("SetsEveryField", func(t *testing.T) {
		first = put(t, full)
		check(t, first, wantFull)
		if !strings.Contains(string(first), `"bio":"<b>hi</b> & bye"`) {
			t.Errorf("<, > or & escaped: %s", first)
		}
	})
	t.Run("ProfileShowsTheSame", func(t *testing.T) {
		check(t, mustDo(t, e, http.MethodGet, pProfile, nil, a.Access), wantFull)
	})
	t.Run("MeShowsTheSame", func(t *testing.T) {
		me := mustDo(t, e, http.MethodGet, pMe, nil, a.Access)
		wantKeys(t, me, userKeys...)
		if !strings.Contains(string(me), `"preferences":{"b":1,"a":2}`) {
			t.Errorf("me preferences lost their order: %s", me)
		}
	})
	t.Run("EmptyBodyChangesNothing", func(t *testing.T) {
		check(t, put(t, `{}`), wantFull)
	})
	t.Run("AbsentFieldsUnchanged", func(t *testing.T) {
		want := map[string]string{}
		for k, v := range wantFull {
			want[k] = v
		}
		want["bio"] = `"new bio"`
		check(t, put(t, `{"bio":"new bio"}`), want)
		wantFull["bio"] = `"new bio"`
	})
	t.Run("UnknownFieldsIgnored", func(t *testing.T) {
		check(t, put(t, `{"email":"other@example.com","is_verified":true,"roles":["admin"]}`), wantFull)
	})
	t.Run("UpdatedAtMoves", func(t *testing.T) {
		before := str(t, mustDo(t, e, http.MethodGet, pProfile, nil, a.Access), "updated_at")
		e.Clock.Advance(time.Minute)
		after := str(t, put(t, `{"bio":"later"}`), "updated_at")
		tb, err1 := time.Parse(time.RFC3339Nano, before)
		ta, err2 := time.Parse(time.RFC3339Nano, after)
		if err1 != nil || err2 != nil || !ta.After(tb) {
			t.Errorf("updated_at %s then %s", before, after)
		}
		wantFull["bio"] = `"later"`
	})
	t.Run("NullClears", func(t *testing.T) {
		body := put(t, `{"full_name":null,"avatar_url":null,"bio":null,"timezone":null,"locale":null,"preferences":null,"settings":null}`)
		check(t, body, map[string]string{
			"full_name": "null", "avatar_url": "null", "bio": "null", "timezone": "null", "locale": "null",
			"preferences": "{}", "settings": "{}", "username": `"bea"`,
		})
	})
	t.Run("EmptyObjectsKept", func(t *testing.T) {
		check(t, put(t, `{"preferences":{},"settings":{"a":{}}}`), map[string]string{"preferences": "{}", "settings": `{"a":{}}`})
	})
	t.Run("NestedOrderKept", func(t *testing.T) {
		prefs := `{"z":{"y":1,"x":[{"b":1,"a":2}]},"a":"é","m":-0.5,"big":12345678901234567890}`
		check(t, put(t, `{"preferences":`+prefs+`}`), map[string]string{"preferences": prefs})
	})
	t.Run("TextAsPythonWritesIt", func(t *testing.T) {
		body := put(t, "{\"bio\":\"caf\u00e9 \\u2028 tab\\t ctl\\u0001 quote\\\" <&>\"}")
		if !strings.Contains(string(body), "\"bio\":\"caf\u00e9 \u2028 tab\\t ctl\\u0001 quote\\\" <&>\"") {
			t.Errorf("bio not written as Python writes it: %s", body)
		}
	})
}

func TestProfileValidValues(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("cleo")
	cases := []struct{ name, field, value string }{
		{"OKAvatarHTTPS", "avatar_url", "https://example.com/a.png"},
		{"OKAvatarHTTP", "avatar_url", "http://example.com/a.png?size=64"},
		{"OKTimezoneParis", "timezone", "Europe/Paris"},
		{"OKTimezoneUTC", "timezone", "UTC"},
		{"OKTimezoneNewYork", "timezone", "America/New_York"},
		{"OKLocaleEnUS", "locale", "en-US"},
		{"OKLocaleFr", "locale", "fr"},
		{"OKLocaleZhHant", "locale", "zh-Hant-TW"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := mustDo(t, e, http.MethodPut, pProfile, obj{c.field: c.value}, a.Access)
			if got := str(t, body, c.field); got != c.value {
				t.Errorf("%s = %q, want %q", c.field, got, c.value)
			}
		})
	}
}

func TestUsernameChange(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("dora")
	body := mustDo(t, e, http.MethodPut, pProfile, obj{"username": "Dora.New"}, a.Access)
	if got := str(t, body, "username"); got != "Dora.New" {
		t.Fatalf("username = %q", got)
	}
	t.Run("OKLoginWithNewName", func(t *testing.T) { e.Login("dora.new", a.Password) })
	t.Run("ErrLoginWithOldName", func(t *testing.T) {
		wantUnauthorized(t, e.Do(http.MethodPost, pLogin, obj{"username": "dora", "password": a.Password}, ""))
	})
	t.Run("OKOldNameFreeAgain", func(t *testing.T) {
		register(t, e, "dora2@example.com", "dora", "Correct-Horse-9")
	})
}

func TestLogout(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("edna")
	otherAccess, otherRefresh := e.Login(a.Username, a.Password)
	wantNull(t, e.Do(http.MethodPost, pLogout, nil, a.Access))
	t.Run("ErrAccessTokenAtOnce", func(t *testing.T) { wantUnauthorized(t, e.Do(http.MethodGet, pMe, nil, a.Access)) })
	t.Run("ErrRefreshToken", func(t *testing.T) {
		wantUnauthorized(t, e.Do(http.MethodPost, pRefresh, obj{"refresh_token": a.Refresh}, ""))
	})
	t.Run("ErrLogoutTwice", func(t *testing.T) { wantUnauthorized(t, e.Do(http.MethodPost, pLogout, nil, a.Access)) })
	t.Run("OKOtherSessionLives", func(t *testing.T) {
		mustDo(t, e, http.MethodGet, pMe, nil, otherAccess)
		mustDo(t, e, http.MethodPost, pRefresh, obj{"refresh_token": otherRefresh}, "")
	})
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("fay")
	otherAccess, otherRefresh := e.Login(a.Username, a.Password)
	const newPassword = "Brand-New-Horse-4"
	wantNull(t, e.Do(http.MethodPut, pPassword, obj{"current_password": a.Password, "new_password": newPassword}, a.Access))
	t.Run("OKCurrentSessionStays", func(t *testing.T) {
		mustDo(t, e, http.MethodGet, pMe, nil, a.Access)
		mustDo(t, e, http.MethodPost, pRefresh, obj{"refresh_token": a.Refresh}, "")
	})
	t.Run("ErrOtherSessionAccess", func(t *testing.T) { wantUnauthorized(t, e.Do(http.MethodGet, pMe, nil, otherAccess)) })
	t.Run("ErrOtherSessionRefresh", func(t *testing.T) {
		wantUnauthorized(t, e.Do(http.MethodPost, pRefresh, obj{"refresh_token": otherRefresh}, ""))
	})
	t.Run("ErrOldPassword", func(t *testing.T) {
		wantError(t, e.Do(http.MethodPost, pLogin, obj{"username": a.Username, "password": a.Password}, ""),
			http.StatusUnauthorized, "AUTHENTICATION_FAILED", "Invalid username or password", "")
	})
	t.Run("OKNewPassword", func(t *testing.T) { e.Login(a.Username, newPassword) })
	t.Run("ErrOldPasswordAsCurrent", func(t *testing.T) {
		r := e.Do(http.MethodPut, pPassword, obj{"current_password": a.Password, "new_password": "Yet-Another-Horse-2"}, a.Access)
		wantError(t, r, http.StatusBadRequest, "INVALID_PASSWORD", "", "")
	})
}

func TestForgotPassword(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("gina")
	const unknown = "nobody-here@example.com"
	known := e.Do(http.MethodPost, pForgot, obj{"email": a.Email}, "")
	wantNull(t, known)
	other := e.Do(http.MethodPost, pForgot, obj{"email": unknown}, "")
	wantNull(t, other)
	t.Run("KnownAddressMailed", func(t *testing.T) {
		m := e.WaitMail(a.Email, auth.MailReset, 1)
		if m.Token() == "" {
			t.Errorf("reset mail without a token: %q", m.Text)
		}
	})
	t.Run("UnknownAddressNotMailed", func(t *testing.T) {
		// The unknown address's request came after the known one's, whose mail is out.
		e.WaitMail(a.Email, auth.MailReset, 1)
		if ms := e.Logs.Mails(unknown); len(ms) != 0 {
			t.Errorf("mail to an unknown address: %+v", ms)
		}
	})
}

func TestResetPassword(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("hana")
	otherAccess, otherRefresh := e.Login(a.Username, a.Password)
	mustDo(t, e, http.MethodPost, pForgot, obj{"email": a.Email}, "")
	tok := e.WaitMail(a.Email, auth.MailReset, 1).Token()
	const newPassword = "Reset-Horse-88"
	wantNull(t, e.Do(http.MethodPost, pReset, obj{"token": tok, "new_password": newPassword}, ""))
	t.Run("ErrEverySessionAccess", func(t *testing.T) {
		wantUnauthorized(t, e.Do(http.MethodGet, pMe, nil, a.Access))
		wantUnauthorized(t, e.Do(http.MethodGet, pMe, nil, otherAccess))
	})
	t.Run("ErrEverySessionRefresh", func(t *testing.T) {
		wantUnauthorized(t, e.Do(http.MethodPost, pRefresh, obj{"refresh_token": a.Refresh}, ""))
		wantUnauthorized(t, e.Do(http.MethodPost, pRefresh, obj{"refresh_token": otherRefresh}, ""))
	})
	t.Run("ErrOldPassword", func(t *testing.T) {
		wantUnauthorized(t, e.Do(http.MethodPost, pLogin, obj{"username": a.Username, "password": a.Password}, ""))
	})
	t.Run("OKNewPasswordAndVerified", func(t *testing.T) {
		access, _ := e.Login(a.Username, newPassword)
		me := mustDo(t, e, http.MethodGet, pMe, nil, access)
		if got := string(member(t, me, "is_verified")); got != "true" {
			t.Errorf("is_verified = %s after a reset, want true", got)
		}
	})
	t.Run("ErrTokenUsedTwice", func(t *testing.T) {
		wantError(t, e.Do(http.MethodPost, pReset, obj{"token": tok, "new_password": "Other-Horse-99"}, ""),
			http.StatusBadRequest, "INVALID_TOKEN", "", "")
		e.Login(a.Username, newPassword)
	})
}

func TestResendVerification(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("iris")
	first := e.WaitMail(a.Email, auth.MailVerify, 1).Token()
	wantNull(t, e.Do(http.MethodPost, pResend, obj{"email": a.Email}, ""))
	second := e.WaitMail(a.Email, auth.MailVerify, 2).Token()
	t.Run("NewToken", func(t *testing.T) {
		if second == "" || second == first {
			t.Errorf("resent token %q, first %q", second, first)
		}
	})
	t.Run("NewTokenVerifies", func(t *testing.T) {
		wantNull(t, e.Do(http.MethodPost, pVerify, obj{"token": second}, ""))
		if got := string(member(t, mustDo(t, e, http.MethodGet, pMe, nil, a.Access), "is_verified")); got != "true" {
			t.Errorf("is_verified = %s", got)
		}
	})
	t.Run("VerifiedAccountNotMailed", func(t *testing.T) {
		wantNull(t, e.Do(http.MethodPost, pResend, obj{"email": a.Email}, ""))
		wantNull(t, e.Do(http.MethodPost, pResend, obj{"email": "nobody-here@example.com"}, ""))
		// A later mail to the same address is a marker: once it is out, so would be
		// anything queued before it.
		mustDo(t, e, http.MethodPost, pForgot, obj{"email": a.Email}, "")
		e.WaitMail(a.Email, auth.MailReset, 1)
		n := 0
		for _, m := range e.Logs.Mails(a.Email) {
			if m.Kind == auth.MailVerify {
				n++
			}
		}
		if n != 2 {
			t.Errorf("%d verification mails, want 2", n)
		}
		if ms := e.Logs.Mails("nobody-here@example.com"); len(ms) != 0 {
			t.Errorf("mail to an unknown address: %+v", ms)
		}
	})
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("jade")
	child := mustDo(t, e, http.MethodPost, pRefresh, obj{"refresh_token": a.Refresh}, "")
	wantKeys(t, child, refreshKeys...)
	t.Run("ReuseInsideGraceSameChild", func(t *testing.T) {
		again := mustDo(t, e, http.MethodPost, pRefresh, obj{"refresh_token": a.Refresh}, "")
		wantKeys(t, again, refreshKeys...)
		if str(t, again, "refresh_token") != str(t, child, "refresh_token") {
			t.Error("reuse inside the grace answered another child")
		}
	})
	t.Run("ReuseAfterGraceRevokesSession", func(t *testing.T) {
		e.Clock.Advance(11 * time.Second)
		wantUnauthorized(t, e.Do(http.MethodPost, pRefresh, obj{"refresh_token": a.Refresh}, ""))
		wantUnauthorized(t, e.Do(http.MethodPost, pRefresh, obj{"refresh_token": str(t, child, "refresh_token")}, ""))
		wantUnauthorized(t, e.Do(http.MethodGet, pMe, nil, str(t, child, "access_token")))
	})
	t.Run("ErrUnknownRefreshToken", func(t *testing.T) {
		wantUnauthorized(t, e.Do(http.MethodPost, pRefresh, obj{"refresh_token": "nope"}, ""))
		wantUnauthorized(t, e.Do(http.MethodPost, pRefresh, obj{"refresh_token": ""}, ""))
	})
	t.Run("ErrAccessTokenAsRefresh", func(t *testing.T) {
		access, _ := e.Login(a.Username, a.Password)
		wantUnauthorized(t, e.Do(http.MethodPost, pRefresh, obj{"refresh_token": access}, ""))
	})
}

func TestLastLogin(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("kira")
	first := str(t, member(t, mustDo(t, e, http.MethodPost, pLogin, obj{"username": a.Username, "password": a.Password}, ""), "user"), "last_login")
	e.Clock.Advance(time.Hour)
	body := mustDo(t, e, http.MethodPost, pLogin, obj{"username": a.Username, "password": a.Password}, "")
	second := str(t, member(t, body, "user"), "last_login")
	t1, err1 := time.Parse(time.RFC3339Nano, first)
	t2, err2 := time.Parse(time.RFC3339Nano, second)
	if err1 != nil || err2 != nil || t2.Sub(t1) < 59*time.Minute {
		t.Errorf("last_login %s then %s (an hour later)", first, second)
	}
	if d := e.Clock.Now().Sub(t2); d < -time.Second || d > time.Minute {
		t.Errorf("last_login %s is %v from the service clock", second, d)
	}
	t.Run("MeShowsIt", func(t *testing.T) {
		me := mustDo(t, e, http.MethodGet, pProfile, nil, str(t, body, "access_token"))
		if got := str(t, me, "last_login"); got != second {
			t.Errorf("profile last_login = %s, login answered %s", got, second)
		}
	})
}

func TestCommonHeaders(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("lena")
	cases := []struct {
		name         string
		method, path string
		body         any
		token        string
		status       int
	}{
		{"Config", http.MethodGet, pConfig, nil, "", 200},
		{"Me", http.MethodGet, pMe, nil, a.Access, 200},
		{"Login", http.MethodPost, pLogin, obj{"username": a.Username, "password": a.Password}, "", 200},
		{"Refresh", http.MethodPost, pRefresh, obj{"refresh_token": a.Refresh}, "", 200},
		{"NullAnswer", http.MethodPost, pForgot, obj{"email": a.Email}, "", 200},
		{"Unauthorized", http.MethodGet, pProfile, nil, "", 401},
		{"LoginFailed", http.MethodPost, pLogin, obj{"username": a.Username, "password": "wrong-password"}, "", 401},
		{"Validation", http.MethodPost, pLogin, obj{}, "", 422},
		{"BadRequest", http.MethodPost, pLogin, "{\"username\":\"\xff\"}", "", 400},
		{"NotFound", http.MethodGet, "/v1/auth/nope", nil, "", 404},
		{"MethodNotAllowed", http.MethodDelete, pMe, nil, "", 405},
		{"TooLarge", http.MethodPost, pForgot, strings.Repeat(" ", 1<<20+1), "", 413},
	}
	seen := map[string]string{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.Do(c.method, c.path, c.body, c.token)
			if r.Status != c.status {
				t.Errorf("status = %d, want %d: %s", r.Status, c.status, r.Body)
			}
			id := r.Header.Get("X-Request-ID")
			if id == "" {
				t.Error("no X-Request-ID")
			} else if prev, dup := seen[id]; dup {
				t.Errorf("X-Request-ID %s repeated (also %s)", id, prev)
			}
			seen[id] = c.name
			if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", cc)
			}
			wantJSONContent(t, r)
		})
	}
	t.Run("GraphQLHasRequestID", func(t *testing.T) {
		r := e.Do(http.MethodPost, "/graphql", obj{"query": "{ authConfig { allowRegistration } }"}, "")
		if r.Header.Get("X-Request-ID") == "" {
			t.Errorf("no X-Request-ID on /graphql: %d %s", r.Status, r.Body)
		}
	})
}
