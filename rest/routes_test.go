package rest_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"authbff/graph/auth"
	"authbff/rest/apitest"
)

// The success answers of the fifteen routes: status 200, application/json, the
// reference's keys in its order, and the values a client relies on.

func TestConfigAnswer(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		allow bool
		want  string
	}{
		{"OpenRegistration", true, `{"allow_registration":true}`},
		{"ClosedRegistration", false, `{"allow_registration":false}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := apitest.New(t, apitest.WithConfig(func(cfg *auth.Config) { cfg.AllowRegistration = c.allow }))
			wantBody(t, e.Do(http.MethodGet, pConfig, nil, ""), http.StatusOK, c.want)
		})
	}
}

func TestRegisterAnswer(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	r := e.Do(http.MethodPost, pRegister, obj{
		"email": "Alice@Example.COM", "username": "Alice_1", "password": "Correct-Horse-9", "full_name": "Alice A.",
	}, "")
	body := wantOK(t, r)
	wantKeys(t, body, authKeys...)
	wantTokens(t, body, true)
	user := member(t, body, "user")
	m := wantUser(t, user, userWant{email: "Alice@example.com", username: "Alice_1"}, false)
	exact := map[string]string{
		"full_name": `"Alice A."`, "avatar_url": "null", "bio": "null", "timezone": "null", "locale": "null",
		"preferences": "{}", "settings": "{}",
	}
	for k, v := range exact {
		if string(m[k]) != v {
			t.Errorf("%s = %s, want %s", k, m[k], v)
		}
	}

	t.Run("MeShowsTheSameUser", func(t *testing.T) {
		me := mustDo(t, e, http.MethodGet, pMe, nil, str(t, body, "access_token"))
		if got, want := str(t, me, "user_id"), unquote(t, m["user_id"]); got != want {
			t.Errorf("me user_id = %s, register said %s", got, want)
		}
		if got, want := str(t, me, "default_workspace_id"), unquote(t, m["default_workspace_id"]); got != want {
			t.Errorf("me default_workspace_id = %s, register said %s", got, want)
		}
	})
	t.Run("WorkspaceIsTheSessionOrg", func(t *testing.T) {
		claims := apitest.Claims(t, str(t, body, "access_token"))
		if claims["org"] != unquote(t, m["default_workspace_id"]) {
			t.Errorf("org claim = %v, default_workspace_id %s", claims["org"], m["default_workspace_id"])
		}
		if claims["sub"] != unquote(t, m["user_id"]) {
			t.Errorf("sub claim = %v, user_id %s", claims["sub"], m["user_id"])
		}
	})
}

func TestLoginAnswer(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("bob")
	r := e.Do(http.MethodPost, pLogin, obj{"username": "bob", "password": a.Password}, "")
	body := wantOK(t, r)
	wantKeys(t, body, authKeys...)
	wantTokens(t, body, true)
	user := member(t, body, "user")
	m := wantUser(t, user, userWant{email: a.Email, username: "bob", loggedIn: true}, false)

	t.Run("MeShowsTheSameLastLogin", func(t *testing.T) {
		me := mustDo(t, e, http.MethodGet, pMe, nil, str(t, body, "access_token"))
		wantUser(t, me, userWant{email: a.Email, username: "bob", loggedIn: true}, false)
		if got := string(member(t, me, "last_login")); got != string(m["last_login"]) {
			t.Errorf("me last_login = %s, login answered %s", got, m["last_login"])
		}
	})
	t.Run("NewSessionHasNewTokens", func(t *testing.T) {
		if str(t, body, "access_token") == a.Access || str(t, body, "refresh_token") == a.Refresh {
			t.Error("login answered the registration's tokens")
		}
	})
}

func TestMeAndProfileAnswers(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("carol")
	cases := []struct {
		name    string
		method  string
		path    string
		body    any
		profile bool
	}{
		{"MeIsTheUser", http.MethodGet, pMe, nil, false},
		{"ProfileAddsHasPassword", http.MethodGet, pProfile, nil, true},
		{"UpdateAnswersTheProfile", http.MethodPut, pProfile, obj{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := mustDo(t, e, c.method, c.path, c.body, a.Access)
			m := wantUser(t, body, userWant{email: a.Email, username: a.Username}, c.profile)
			for _, k := range []string{"full_name", "avatar_url", "bio", "timezone", "locale"} {
				if string(m[k]) != "null" {
					t.Errorf("%s = %s, want null", k, m[k])
				}
			}
			if string(m["preferences"]) != "{}" || string(m["settings"]) != "{}" {
				t.Errorf("preferences %s settings %s, want {} {}", m["preferences"], m["settings"])
			}
			if unquote(t, m["user_id"]) != a.UserID || unquote(t, m["default_workspace_id"]) != a.WorkspaceID {
				t.Errorf("ids %s %s, want %s %s", m["user_id"], m["default_workspace_id"], a.UserID, a.WorkspaceID)
			}
		})
	}
}

func TestNullAnswers(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("dave")
	verify := e.WaitMail(a.Email, auth.MailVerify, 1).Token()
	other, _ := e.Login(a.Username, a.Password)
	cases := []struct {
		name   string
		method string
		path   string
		body   any
		token  *string
	}{
		{"VerifyEmailIsNull", http.MethodPost, pVerify, obj{"token": verify}, nil},
		{"ResendVerificationIsNull", http.MethodPost, pResend, obj{"email": a.Email}, nil},
		{"ForgotPasswordIsNull", http.MethodPost, pForgot, obj{"email": a.Email}, nil},
		{"ChangePasswordIsNull", http.MethodPut, pPassword, obj{"current_password": a.Password, "new_password": "Another-Horse-7"}, &a.Access},
		{"LogoutIsNull", http.MethodPost, pLogout, nil, &a.Access},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := ""
			if c.token != nil {
				tok = *c.token
			}
			wantNull(t, e.Do(c.method, c.path, c.body, tok))
		})
	}
	t.Run("ResetPasswordIsNull", func(t *testing.T) {
		// The first link died with the password change above: ask again.
		wantNull(t, e.Do(http.MethodPost, pForgot, obj{"email": a.Email}, ""))
		reset := e.WaitMail(a.Email, auth.MailReset, 2).Token()
		wantNull(t, e.Do(http.MethodPost, pReset, obj{"token": reset, "new_password": "Third-Horse-55"}, ""))
	})
	t.Run("OtherSessionEnded", func(t *testing.T) {
		wantUnauthorized(t, e.Do(http.MethodPost, pLogout, nil, other))
	})
}

func TestRefreshAnswer(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("erin")
	body := mustDo(t, e, http.MethodPost, pRefresh, obj{"refresh_token": a.Refresh}, "")
	wantKeys(t, body, refreshKeys...)
	wantTokens(t, body, true)
	if str(t, body, "refresh_token") == a.Refresh {
		t.Error("refresh answered the same refresh token (no rotation)")
	}
	t.Run("NewAccessTokenWorks", func(t *testing.T) {
		me := mustDo(t, e, http.MethodGet, pMe, nil, str(t, body, "access_token"))
		if str(t, me, "user_id") != a.UserID {
			t.Errorf("me answered another user: %s", me)
		}
	})
	t.Run("NewRefreshTokenRotates", func(t *testing.T) {
		next := mustDo(t, e, http.MethodPost, pRefresh, obj{"refresh_token": str(t, body, "refresh_token")}, "")
		wantKeys(t, next, refreshKeys...)
	})
}

func TestSwitchOrgAnswer(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("frank")
	g := e.GraphQL(`mutation { createOrganization(name: "Acme") { organization { id } } }`, nil, a.Access)
	if len(g.Errors) > 0 {
		t.Fatalf("createOrganization: %s", g.Raw)
	}
	acme := g.Data["createOrganization"].(map[string]any)["organization"].(map[string]any)["id"].(string)
	cases := []struct{ name, org string }{
		{"OtherOrganization", acme},
		{"BackToWorkspace", a.WorkspaceID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := mustDo(t, e, http.MethodPost, pSwitchOrg, obj{"org_id": c.org}, a.Access)
			wantKeys(t, body, switchKeys...)
			wantTokens(t, body, false)
			if got := str(t, body, "org_id"); got != c.org {
				t.Errorf("org_id = %s, want %s", got, c.org)
			}
			access := str(t, body, "access_token")
			if claims := apitest.Claims(t, access); claims["org"] != c.org {
				t.Errorf("org claim = %v, want %s", claims["org"], c.org)
			}
			mustDo(t, e, http.MethodGet, pMe, nil, access)
		})
	}
	t.Run("RefreshKeepsTheOrganization", func(t *testing.T) {
		mustDo(t, e, http.MethodPost, pSwitchOrg, obj{"org_id": acme}, a.Access)
		body := mustDo(t, e, http.MethodPost, pRefresh, obj{"refresh_token": a.Refresh}, "")
		if claims := apitest.Claims(t, str(t, body, "access_token")); claims["org"] != acme {
			t.Errorf("org claim after refresh = %v, want %s", claims["org"], acme)
		}
	})
}

func TestInviteInfoAnswer(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("grace")
	g := e.GraphQL(`mutation($org: ID!) { createInvite(orgId: $org, email: "Heidi@Example.com", role: MEMBER) { id } }`,
		map[string]any{"org": a.WorkspaceID}, a.Access)
	if len(g.Errors) > 0 {
		t.Fatalf("createInvite: %s", g.Raw)
	}
	tok := e.WaitMail("Heidi@example.com", auth.MailInvite, 1).Token()
	cases := []struct{ name, token, want string }{
		{"ValidInvite", tok, `{"email":"Heidi@example.com","valid":true}`},
		{"UnknownToken", "no-such-token", `{"email":null,"valid":false}`},
		{"EmptyToken", "", `{"email":null,"valid":false}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantBody(t, e.Do(http.MethodGet, pInviteInfo+"?token="+url.QueryEscape(c.token), nil, ""), http.StatusOK, c.want)
		})
	}
	t.Run("UsedInviteIsInvalid", func(t *testing.T) {
		body := wantOK(t, e.Do(http.MethodPost, pRegister, obj{
			"email": "heidi@example.com", "username": "heidi", "password": "Correct-Horse-9", "invite_token": tok,
		}, ""))
		wantUser(t, member(t, body, "user"), userWant{email: "heidi@example.com", username: "heidi", verified: true}, false)
		wantBody(t, e.Do(http.MethodGet, pInviteInfo+"?token="+url.QueryEscape(tok), nil, ""), http.StatusOK,
			`{"email":null,"valid":false}`)
	})
}

func TestRegisterOptionalNulls(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	body := wantOK(t, e.Do(http.MethodPost, pRegister,
		`{"email":"nul@example.com","username":"nul","password":"Correct-Horse-9","full_name":null,"invite_token":null}`, ""))
	m := wantUser(t, member(t, body, "user"), userWant{email: "nul@example.com", username: "nul"}, false)
	if string(m["full_name"]) != "null" || string(m["is_verified"]) != "false" {
		t.Errorf("full_name %s is_verified %s, want null false", m["full_name"], m["is_verified"])
	}
}

func TestExpiresInFollowsConfig(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.WithConfig(func(c *auth.Config) { c.AccessTTL = 5 * time.Minute }))
	a := e.Register("ted")
	for _, c := range []struct {
		name, method, path string
		body               any
		token              string
	}{
		{"Login", http.MethodPost, pLogin, obj{"username": a.Username, "password": a.Password}, ""},
		{"Refresh", http.MethodPost, pRefresh, obj{"refresh_token": a.Refresh}, ""},
		{"SwitchOrg", http.MethodPost, pSwitchOrg, obj{"org_id": a.WorkspaceID}, a.Access},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := mustDo(t, e, c.method, c.path, c.body, c.token)
			if got := string(member(t, body, "expires_in")); got != "300" {
				t.Errorf("expires_in = %s, want 300", got)
			}
			claims := apitest.Claims(t, str(t, body, "access_token"))
			exp, _ := claims["exp"].(float64)
			iat, _ := claims["iat"].(float64)
			if exp-iat != 300 {
				t.Errorf("exp - iat = %v, want 300", exp-iat)
			}
		})
	}
}
