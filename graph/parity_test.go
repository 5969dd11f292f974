package graph_test

import (
	"net/http"
	"testing"

	"authbff/rest/apitest"
)

// gqlUser maps a REST user object onto GraphQL names (user_id → id, snake → camel).
func gqlUser(rest map[string]any) map[string]any {
	out := make(map[string]any, len(rest))
	for k, v := range rest {
		if k == "user_id" {
			out["id"] = v
			continue
		}
		out[camel(k)] = v
	}
	return out
}

// restMe reads the caller's profile over REST (the user and has_password).
func restMe(t testing.TB, e *apitest.Env, token string) map[string]any {
	t.Helper()
	r := e.For(t).Do(http.MethodGet, "/v1/auth/me/profile", nil, token)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /me/profile: %d %s", r.Status, r.Body)
	}
	return r.Object(t)
}

func TestParityAccountsAndTokens(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	viaGQL := register(t, e, "gqlborn")
	viaREST := e.Register("restborn")

	t.Run("OK_RegisteredOverGraphQLLogsInOverREST", func(t *testing.T) {
		r := e.For(t).Do(http.MethodPost, "/v1/auth/login", map[string]any{"username": viaGQL.Username, "password": viaGQL.Password}, "")
		if r.Status != http.StatusOK {
			t.Fatalf("REST login: %d %s", r.Status, r.Body)
		}
		m := r.Object(t)
		u := gqlUser(obj(t, m["user"]))
		if u["id"] != viaGQL.ID || u["email"] != viaGQL.Email {
			t.Errorf("REST login user = %v, want %s", u, viaGQL.ID)
		}
		// The REST token works on GraphQL and shows the same user as the REST profile.
		g := obj(t, data(t, me(t, e, m["access_token"].(string)))["me"])
		jsonEqual(t, "GraphQL me vs REST profile", g, gqlUser(restMe(t, e, m["access_token"].(string))))
	})
	t.Run("OK_RegisteredOverRESTLogsInOverGraphQL", func(t *testing.T) {
		r := e.For(t).GraphQL(loginOp, map[string]any{"input": map[string]any{"username": viaREST.Username, "password": viaREST.Password}}, "")
		p := obj(t, data(t, r)["login"])
		u := obj(t, p["user"])
		if u["id"] != viaREST.UserID || u["defaultWorkspaceId"] != viaREST.WorkspaceID {
			t.Errorf("GraphQL login user = %v, want %s", u, viaREST.UserID)
		}
		// The GraphQL token works on REST: /me answers the same data as GraphQL's me.
		rr := e.For(t).Do(http.MethodGet, "/v1/auth/me", nil, p["accessToken"].(string))
		if rr.Status != http.StatusOK {
			t.Fatalf("REST /me with a GraphQL token: %d %s", rr.Status, rr.Body)
		}
		restUser := gqlUser(rr.Object(t))
		gqlMe := obj(t, data(t, me(t, e, p["accessToken"].(string)))["me"])
		delete(gqlMe, "hasPassword")
		jsonEqual(t, "REST /me vs GraphQL me", restUser, gqlMe)
	})
	t.Run("OK_RefreshTokensCrossTransports", func(t *testing.T) {
		r := e.For(t).Do(http.MethodPost, "/v1/auth/refresh", map[string]any{"refresh_token": viaGQL.Refresh}, "")
		if r.Status != http.StatusOK {
			t.Fatalf("REST refresh of a GraphQL refresh token: %d %s", r.Status, r.Body)
		}
		m := r.Object(t)
		g := e.For(t).GraphQL(refreshOp, map[string]any{"refreshToken": m["refresh_token"]}, "")
		p := obj(t, data(t, g)["refreshToken"])
		if apitest.Claims(t, p["accessToken"].(string))["sid"] != apitest.Claims(t, viaGQL.Access)["sid"] {
			t.Errorf("refresh across transports left the session")
		}
		if rr := e.For(t).Do(http.MethodGet, "/v1/auth/me", nil, p["accessToken"].(string)); rr.Status != http.StatusOK {
			t.Errorf("REST /me with a GraphQL-refreshed token: %d %s", rr.Status, rr.Body)
		}
	})
	t.Run("OK_LogoutOverRESTEndsGraphQLSession", func(t *testing.T) {
		access, _ := e.For(t).Login(viaGQL.Username, viaGQL.Password)
		if r := e.For(t).Do(http.MethodPost, "/v1/auth/logout", nil, access); r.Status != http.StatusOK || string(r.Body) != "null" {
			t.Fatalf("REST logout: %d %s", r.Status, r.Body)
		}
		wantError(t, me(t, e, access), "AUTHENTICATION_FAILED", "", nil)
	})
}

// parityCase is one bad input sent to a REST route and to its GraphQL operation.
type parityCase struct {
	name         string
	method, path string
	body         map[string]any
	query        string
	vars         map[string]any
	token        func() string
	status       int
	code         string
	inputArg     bool // GraphQL loc is ["input", camelName]; else [camelName]
}

func TestParityErrors(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("paula")
	e.Register("taken")
	access := func() string { return a.Access }
	const pw = "correct horse battery staple"
	reg := func(email, username, password string) (map[string]any, map[string]any) {
		b := map[string]any{"email": email, "username": username, "password": password}
		return b, map[string]any{"input": b}
	}
	badEmail, badEmailVars := reg("nope", "newbie", pw)
	shortPW, shortPWVars := reg("newbie@example.com", "newbie", "Sh0rt!")
	allBad, allBadVars := reg("x@", "n!", "Sh0rt!")
	dupUser, dupUserVars := reg("newbie@example.com", "TAKEN", pw)
	dupEmail, dupEmailVars := reg("Taken@Example.com", "newbie", pw)

	cases := []parityCase{
		{name: "ErrValidationBadEmail", method: http.MethodPost, path: "/v1/auth/register", body: badEmail,
			query: registerOp, vars: badEmailVars, status: 422, code: "VALIDATION_ERROR", inputArg: true},
		{name: "ErrValidationShortPassword", method: http.MethodPost, path: "/v1/auth/register", body: shortPW,
			query: registerOp, vars: shortPWVars, status: 422, code: "VALIDATION_ERROR", inputArg: true},
		{name: "ErrValidationEveryField", method: http.MethodPost, path: "/v1/auth/register", body: allBad,
			query: registerOp, vars: allBadVars, status: 422, code: "VALIDATION_ERROR", inputArg: true},
		{name: "ErrConflictUsername", method: http.MethodPost, path: "/v1/auth/register", body: dupUser,
			query: registerOp, vars: dupUserVars, status: 409, code: "CONFLICT"},
		{name: "ErrConflictEmail", method: http.MethodPost, path: "/v1/auth/register", body: dupEmail,
			query: registerOp, vars: dupEmailVars, status: 409, code: "CONFLICT"},
		{name: "ErrAuthenticationWrongPassword", method: http.MethodPost, path: "/v1/auth/login",
			body: map[string]any{"username": "paula", "password": "wrong password"}, query: loginOp,
			vars: map[string]any{"input": map[string]any{"username": "paula", "password": "wrong password"}}, status: 401, code: "AUTHENTICATION_FAILED"},
		{name: "ErrAuthenticationUnknownUser", method: http.MethodPost, path: "/v1/auth/login",
			body: map[string]any{"username": "nobody", "password": "wrong password"}, query: loginOp,
			vars: map[string]any{"input": map[string]any{"username": "nobody", "password": "wrong password"}}, status: 401, code: "AUTHENTICATION_FAILED"},
		{name: "ErrInvalidTokenVerify", method: http.MethodPost, path: "/v1/auth/verify-email",
			body: map[string]any{"token": "no-such-token"}, query: verifyEmailOp, vars: map[string]any{"token": "no-such-token"},
			status: 400, code: "INVALID_TOKEN"},
		{name: "ErrInvalidTokenReset", method: http.MethodPost, path: "/v1/auth/reset-password",
			body: map[string]any{"token": "no-such-token", "new_password": pw}, query: resetPasswordOp,
			vars: map[string]any{"input": map[string]any{"token": "no-such-token", "newPassword": pw}}, status: 400, code: "INVALID_TOKEN"},
		{name: "ErrValidationResetShortPassword", method: http.MethodPost, path: "/v1/auth/reset-password",
			body: map[string]any{"token": "no-such-token", "new_password": "Sh0rt!"}, query: resetPasswordOp,
			vars: map[string]any{"input": map[string]any{"token": "no-such-token", "newPassword": "Sh0rt!"}}, status: 422,
			code: "VALIDATION_ERROR", inputArg: true},
		{name: "ErrValidationResendBadEmail", method: http.MethodPost, path: "/v1/auth/resend-verification",
			body: map[string]any{"email": "a@b"}, query: resendOp, vars: map[string]any{"email": "a@b"}, status: 422, code: "VALIDATION_ERROR"},
		{name: "ErrValidationForgotBadEmail", method: http.MethodPost, path: "/v1/auth/forgot-password",
			body: map[string]any{"email": "a b@example.com"}, query: forgotOp, vars: map[string]any{"email": "a b@example.com"}, status: 422, code: "VALIDATION_ERROR"},
		{name: "ErrAuthenticationUnknownRefresh", method: http.MethodPost, path: "/v1/auth/refresh",
			body: map[string]any{"refresh_token": "nope"}, query: refreshOp, vars: map[string]any{"refreshToken": "nope"}, status: 401, code: "AUTHENTICATION_FAILED"},
		{name: "ErrAuthenticationNoToken", method: http.MethodGet, path: "/v1/auth/me", query: meOp, status: 401, code: "AUTHENTICATION_FAILED"},
		{name: "ErrInvalidPasswordChange", method: http.MethodPut, path: "/v1/auth/me/password",
			body: map[string]any{"current_password": "wrong password", "new_password": pw + "!"}, query: changePasswordOp,
			vars: map[string]any{"input": map[string]any{"currentPassword": "wrong password", "newPassword": pw + "!"}}, token: access,
			status: 400, code: "INVALID_PASSWORD"},
		{name: "ErrValidationChangeShortPassword", method: http.MethodPut, path: "/v1/auth/me/password",
			body: map[string]any{"current_password": "wrong password", "new_password": "Sh0rt!"}, query: changePasswordOp,
			vars: map[string]any{"input": map[string]any{"currentPassword": "wrong password", "newPassword": "Sh0rt!"}}, token: access,
			status: 422, code: "VALIDATION_ERROR", inputArg: true},
		{name: "ErrForbiddenSwitchOrg", method: http.MethodPost, path: "/v1/auth/switch-org",
			body: map[string]any{"org_id": "6f1d3a52-9d0e-4c1b-8a51-0e6f2b1c9d77"}, query: switchOrgOp,
			vars: map[string]any{"orgId": "6f1d3a52-9d0e-4c1b-8a51-0e6f2b1c9d77"}, token: access, status: 403, code: "FORBIDDEN"},
		{name: "ErrValidationProfile", method: http.MethodPut, path: "/v1/auth/me/profile",
			body: map[string]any{"timezone": "Nowhere/City", "avatar_url": "ftp://x", "username": "a"}, query: updateProfileOp,
			vars: map[string]any{"input": map[string]any{"timezone": "Nowhere/City", "avatarUrl": "ftp://x", "username": "a"}}, token: access,
			status: 422, code: "VALIDATION_ERROR", inputArg: true},
		{name: "ErrValidationProfileNotObject", method: http.MethodPut, path: "/v1/auth/me/profile",
			body: map[string]any{"preferences": []any{1, 2}}, query: updateProfileOp,
			vars: map[string]any{"input": map[string]any{"preferences": []any{1, 2}}}, token: access,
			status: 422, code: "VALIDATION_ERROR", inputArg: true},
		{name: "ErrConflictProfileUsername", method: http.MethodPut, path: "/v1/auth/me/profile",
			body: map[string]any{"username": "Taken"}, query: updateProfileOp,
			vars: map[string]any{"input": map[string]any{"username": "Taken"}}, token: access, status: 409, code: "CONFLICT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			token := ""
			if tc.token != nil {
				token = tc.token()
			}
			var body any
			if tc.body != nil {
				body = tc.body
			}
			rr := e.For(t).Do(tc.method, tc.path, body, token)
			gr := e.For(t).GraphQL(tc.query, tc.vars, token)
			g := oneError(t, gr, tc.code)
			if tc.status == http.StatusUnprocessableEntity {
				restEntries := rest422(t, rr)
				gqlEntries := entries(t, g)
				if len(restEntries) != len(gqlEntries) {
					t.Fatalf("REST has %d entries, GraphQL %d:\n REST %s\n GraphQL %s", len(restEntries), len(gqlEntries), rr.Body, gr.Raw)
				}
				for i, re := range restEntries {
					loc, _ := re["loc"].([]any)
					if len(loc) != 2 || loc[0] != "body" {
						t.Fatalf("REST loc = %v, want [body, name]", re["loc"])
					}
					want := []any{camel(loc[1].(string))}
					if tc.inputArg {
						want = []any{"input", camel(loc[1].(string))}
					}
					jsonEqual(t, "GraphQL loc", gqlEntries[i]["loc"], want)
					delete(re, "loc")
					ge := gqlEntries[i]
					delete(ge, "loc")
					jsonEqual(t, "entry", ge, re)
				}
				return
			}
			env := restError(t, rr, tc.status, tc.code, g.Message)
			jsonEqual(t, "details", g.Extensions["details"], env["details"])
		})
	}
}
