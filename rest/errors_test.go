package rest_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"authbff/graph/auth"
	"authbff/rest/apitest"
)

// The documented errors, each as the exact envelope
// {"error","message","details","timestamp","status_code"}.

// authRoutes are the routes that need a bearer token, each with a valid body.
var authRoutes = []struct {
	method, path string
	body         any
}{
	{http.MethodGet, pMe, nil},
	{http.MethodPost, pLogout, nil},
	{http.MethodPost, pSwitchOrg, obj{"org_id": "00000000-0000-0000-0000-000000000000"}},
	{http.MethodGet, pProfile, nil},
	{http.MethodPut, pProfile, obj{"bio": "x"}},
	{http.MethodPut, pPassword, obj{"current_password": "whatever-1", "new_password": "Correct-Horse-9"}},
}

func TestMissingBearer(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	for _, rt := range authRoutes {
		t.Run("AuthRequired"+rt.method+strings.ReplaceAll(rt.path, "/", "_"), func(t *testing.T) {
			env := wantError(t, e.Do(rt.method, rt.path, rt.body, ""), http.StatusUnauthorized,
				"AUTHENTICATION_FAILED", "Authentication required", "")
			if d := e.Clock.Now().UTC().Sub(env.Timestamp); d < -time.Second || d > time.Minute {
				t.Errorf("timestamp %v is %v away from the service clock", env.Timestamp, d)
			}
		})
	}
}

func TestBadBearer(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("ivan")
	cases := []struct {
		name   string
		header string
	}{
		{"GarbageToken", "Bearer garbage"},
		{"TruncatedJWT", "Bearer " + a.Access[:len(a.Access)-5]},
		{"TamperedSignature", "Bearer " + tamper(a.Access)},
		{"RefreshTokenAsAccess", "Bearer " + a.Refresh},
		{"OtherScheme", "Basic " + base64.StdEncoding.EncodeToString([]byte("ivan:pw"))},
		{"SchemeWithoutToken", "Bearer"},
		{"TokenWithoutScheme", a.Access},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantUnauthorized(t, e.Do(http.MethodGet, pMe, nil, "", "Authorization", c.header))
		})
	}
	for _, scheme := range []string{"bearer", "BEARER", "Bearer", "bEaReR"} {
		t.Run("OKScheme"+scheme, func(t *testing.T) {
			wantOK(t, e.Do(http.MethodGet, pMe, nil, "", "Authorization", scheme+" "+a.Access))
		})
	}
}

// tamper flips one character of a JWT's signature.
func tamper(tok string) string {
	b := []byte(tok)
	i := len(b) - 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestForgedAccessTokens(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef0123456789abcdef-test-secret")
	e := apitest.New(t, apitest.WithConfig(func(c *auth.Config) { c.JWTSecret = secret }))
	a := e.Register("judy")
	header, claims := splitJWT(t, a.Access)
	cases := []struct {
		name   string
		edit   func(h, c map[string]any) (key []byte, alg jwt.SigningMethod)
		status int
	}{
		{"OKResignedUnchanged", func(h, c map[string]any) ([]byte, jwt.SigningMethod) { return secret, jwt.SigningMethodHS256 }, 200},
		{"ErrOtherSecret", func(h, c map[string]any) ([]byte, jwt.SigningMethod) {
			return []byte("another-secret-of-at-least-32-bytes!!"), jwt.SigningMethodHS256
		}, 401},
		{"ErrOtherAlgorithm", func(h, c map[string]any) ([]byte, jwt.SigningMethod) { return secret, jwt.SigningMethodHS512 }, 401},
		{"ErrTypeJWT", func(h, c map[string]any) ([]byte, jwt.SigningMethod) {
			h["typ"] = "JWT"
			return secret, jwt.SigningMethodHS256
		}, 401},
		{"ErrOtherIssuer", func(h, c map[string]any) ([]byte, jwt.SigningMethod) {
			c["iss"] = "someone-else"
			return secret, jwt.SigningMethodHS256
		}, 401},
		{"ErrNoExpiry", func(h, c map[string]any) ([]byte, jwt.SigningMethod) {
			delete(c, "exp")
			return secret, jwt.SigningMethodHS256
		}, 401},
		{"ErrNoIssuedAt", func(h, c map[string]any) ([]byte, jwt.SigningMethod) {
			delete(c, "iat")
			return secret, jwt.SigningMethodHS256
		}, 401},
		{"ErrExpired", func(h, c map[string]any) ([]byte, jwt.SigningMethod) {
			c["exp"] = time.Now().Add(-time.Minute).Unix()
			return secret, jwt.SigningMethodHS256
		}, 401},
		{"ErrUnknownSession", func(h, c map[string]any) ([]byte, jwt.SigningMethod) {
			c["sid"] = "00000000-0000-0000-0000-000000000000"
			return secret, jwt.SigningMethodHS256
		}, 401},
		{"ErrAlgNone", func(h, c map[string]any) ([]byte, jwt.SigningMethod) { return nil, jwt.SigningMethodNone }, 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, cl := cloneMap(header), cloneMap(claims)
			key, alg := c.edit(h, cl)
			tok := signJWT(t, h, cl, alg, key)
			r := e.Do(http.MethodGet, pMe, nil, tok)
			if c.status == 200 {
				wantOK(t, r)
				return
			}
			wantUnauthorized(t, r)
		})
	}
}

func splitJWT(t testing.TB, tok string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func signJWT(t testing.TB, header, claims map[string]any, alg jwt.SigningMethod, key []byte) string {
	t.Helper()
	tok := jwt.NewWithClaims(alg, jwt.MapClaims(claims))
	for k, v := range header {
		if k != "alg" {
			tok.Header[k] = v
		}
	}
	var k any = key
	if alg == jwt.SigningMethodNone {
		k = jwt.UnsafeAllowNoneSignatureType
	}
	s, err := tok.SignedString(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestExpiredAccessToken(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("ken")
	mustDo(t, e, http.MethodGet, pMe, nil, a.Access)
	e.Clock.Advance(15*time.Minute + 2*time.Second)
	t.Run("ErrExpired", func(t *testing.T) {
		wantUnauthorized(t, e.Do(http.MethodGet, pMe, nil, a.Access))
	})
	t.Run("OKRefreshStillWorks", func(t *testing.T) {
		body := mustDo(t, e, http.MethodPost, pRefresh, obj{"refresh_token": a.Refresh}, "")
		mustDo(t, e, http.MethodGet, pMe, nil, str(t, body, "access_token"))
	})
}

func TestLoginFailure(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("laura")
	cases := []struct{ name, username, password string }{
		{"ErrWrongPassword", a.Username, "not-the-password"},
		{"ErrWrongPasswordByEmail", a.Email, "not-the-password"},
		{"ErrUnknownUser", "nobody", "not-the-password"},
		{"ErrUnknownEmail", "nobody@example.com", a.Password},
		{"ErrEmptyPassword", a.Username, ""},
	}
	var first string
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.Do(http.MethodPost, pLogin, obj{"username": c.username, "password": c.password}, "")
			wantError(t, r, http.StatusUnauthorized, "AUTHENTICATION_FAILED", "Invalid username or password", "")
			got := withoutTimestamp(r.Body)
			if first == "" {
				first = got
			} else if got != first {
				t.Errorf("answers differ:\n%s\n%s", got, first)
			}
			if strings.Contains(string(r.Body), c.password) && c.password != "" {
				t.Errorf("the answer echoes the password: %s", r.Body)
			}
		})
	}
}

func TestRegistrationDisabled(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.WithConfig(func(c *auth.Config) { c.AllowRegistration = false }))
	cases := []struct {
		name string
		body obj
	}{
		{"ErrNoInvite", obj{"email": "mallory@example.com", "username": "mallory", "password": "Correct-Horse-9"}},
		{"ErrUnknownInvite", obj{"email": "mallory@example.com", "username": "mallory", "password": "Correct-Horse-9", "invite_token": "nope"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, e.Do(http.MethodPost, pRegister, c.body, ""), http.StatusForbidden, "FORBIDDEN", "Registration is disabled", "")
		})
	}
	t.Run("ValidationStill422", func(t *testing.T) {
		r := e.Do(http.MethodPost, pRegister, obj{"email": "mallory@example.com", "username": "mallory"}, "")
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("status = %d, want 422: %s", r.Status, r.Body)
		}
	})
}

func TestRegistrationDisabledInviteAdmits(t *testing.T) {
	t.Parallel()
	// The owner registers while sign-up is open; then a second service on the same
	// database, with sign-up closed, serves the rest.
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "auth.db")
	open := apitest.New(t, apitest.WithDatabase(dbURL), apitest.WithoutMailer())
	owner := open.Register("olivia")
	e := apitest.New(t, apitest.WithDatabase(dbURL), apitest.WithConfig(func(c *auth.Config) { c.AllowRegistration = false }))
	g := e.GraphQL(`mutation($org: ID!) { createInvite(orgId: $org, email: "peggy@example.com", role: MEMBER) { id } }`,
		map[string]any{"org": owner.WorkspaceID}, owner.Access)
	if len(g.Errors) > 0 {
		t.Fatalf("createInvite: %s", g.Raw)
	}
	tok := e.WaitMail("peggy@example.com", auth.MailInvite, 1).Token()
	t.Run("ErrOtherAddress", func(t *testing.T) {
		r := e.Do(http.MethodPost, pRegister, obj{"email": "trudy@example.com", "username": "trudy", "password": "Correct-Horse-9", "invite_token": tok}, "")
		wantError(t, r, http.StatusForbidden, "FORBIDDEN", "Registration is disabled", "")
	})
	t.Run("OKInvitedAddress", func(t *testing.T) {
		body := wantOK(t, e.Do(http.MethodPost, pRegister, obj{"email": "peggy@example.com", "username": "peggy", "password": "Correct-Horse-9", "invite_token": tok}, ""))
		wantUser(t, member(t, body, "user"), userWant{email: "peggy@example.com", username: "peggy", verified: true}, false)
		// The invitation joined the inviting organization.
		mustDo(t, e, http.MethodPost, pSwitchOrg, obj{"org_id": owner.WorkspaceID}, str(t, body, "access_token"))
	})
}

func TestSwitchOrgForbidden(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("nina")
	b := e.Register("oscar")
	cases := []struct{ name, org string }{
		{"ErrOtherUsersWorkspace", b.WorkspaceID},
		{"ErrUnknownOrganization", "5f0c9a8e-4d1b-4c47-9d7e-2a3b4c5d6e7f"},
		{"ErrNotAUUID", "not-a-uuid"},
		{"ErrEmpty", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.Do(http.MethodPost, pSwitchOrg, obj{"org_id": c.org}, a.Access)
			wantError(t, r, http.StatusForbidden, "FORBIDDEN", "You don't have permission to perform this action",
				`{"required_permission":"org:access"}`)
		})
	}
}

func TestConflicts(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	register(t, e, "Paul@example.com", "Paul", "Correct-Horse-9")
	cases := []struct {
		name, email, username, field string
	}{
		{"ErrSameEmail", "Paul@example.com", "paul2", "email"},
		{"ErrEmailOtherCase", "PAUL@EXAMPLE.COM", "paul3", "email"},
		{"ErrEmailLowerCase", "paul@example.com", "paul4", "email"},
		{"ErrSameUsername", "paul5@example.com", "Paul", "username"},
		{"ErrUsernameOtherCase", "paul6@example.com", "pAUL", "username"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.Do(http.MethodPost, pRegister, obj{"email": c.email, "username": c.username, "password": "Correct-Horse-9"}, "")
			wantError(t, r, http.StatusConflict, "CONFLICT", "", `{"field":"`+c.field+`"}`)
		})
	}
	q := e.Register("quentin")
	profileCases := []struct {
		name, username string
		status         int
	}{
		{"ErrProfileUsernameTaken", "Paul", http.StatusConflict},
		{"ErrProfileUsernameTakenOtherCase", "PAUL", http.StatusConflict},
		{"OKOwnUsernameOtherCase", "Quentin", http.StatusOK},
		{"OKOwnUsername", "Quentin", http.StatusOK},
	}
	for _, c := range profileCases {
		t.Run(c.name, func(t *testing.T) {
			r := e.Do(http.MethodPut, pProfile, obj{"username": c.username}, q.Access)
			if c.status == http.StatusOK {
				body := wantOK(t, r)
				if str(t, body, "username") != c.username {
					t.Errorf("username = %s, want %s", member(t, body, "username"), c.username)
				}
				return
			}
			wantError(t, r, http.StatusConflict, "CONFLICT", "", `{"field":"username"}`)
		})
	}
}

func TestInvalidOneTimeTokens(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("rupert")
	verify := e.WaitMail(a.Email, auth.MailVerify, 1).Token()
	mustDo(t, e, http.MethodPost, pForgot, obj{"email": a.Email}, "")
	reset := e.WaitMail(a.Email, auth.MailReset, 1).Token()
	newPw := obj{"new_password": "Another-Horse-7"}
	withToken := func(tok string) obj { return obj{"token": tok, "new_password": newPw["new_password"]} }

	invalid := func(t *testing.T, r *apitest.Response) {
		t.Helper()
		wantError(t, r, http.StatusBadRequest, "INVALID_TOKEN", "", "")
	}
	t.Run("ErrVerifyUnknown", func(t *testing.T) { invalid(t, e.Do(http.MethodPost, pVerify, obj{"token": "unknown"}, "")) })
	t.Run("ErrVerifyEmpty", func(t *testing.T) { invalid(t, e.Do(http.MethodPost, pVerify, obj{"token": ""}, "")) })
	t.Run("ErrVerifyWithResetToken", func(t *testing.T) { invalid(t, e.Do(http.MethodPost, pVerify, obj{"token": reset}, "")) })
	t.Run("ErrResetUnknown", func(t *testing.T) { invalid(t, e.Do(http.MethodPost, pReset, withToken("unknown"), "")) })
	t.Run("ErrResetWithVerifyToken", func(t *testing.T) { invalid(t, e.Do(http.MethodPost, pReset, withToken(verify), "")) })
	t.Run("ErrVerifyUsed", func(t *testing.T) {
		wantNull(t, e.Do(http.MethodPost, pVerify, obj{"token": verify}, ""))
		invalid(t, e.Do(http.MethodPost, pVerify, obj{"token": verify}, ""))
	})
	t.Run("ErrResetUsed", func(t *testing.T) {
		wantNull(t, e.Do(http.MethodPost, pReset, withToken(reset), ""))
		invalid(t, e.Do(http.MethodPost, pReset, obj{"token": reset, "new_password": "Fourth-Horse-3"}, ""))
		e.Login(a.Username, "Another-Horse-7")
	})
}

func TestExpiredOneTimeTokens(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("sybil")
	b := e.Register("sybil2")
	verifyA := e.WaitMail(a.Email, auth.MailVerify, 1).Token()
	verifyB := e.WaitMail(b.Email, auth.MailVerify, 1).Token()
	mustDo(t, e, http.MethodPost, pForgot, obj{"email": a.Email}, "")
	reset := e.WaitMail(a.Email, auth.MailReset, 1).Token()
	e.Clock.Advance(time.Hour + time.Minute)
	t.Run("ErrResetAfterOneHour", func(t *testing.T) {
		r := e.Do(http.MethodPost, pReset, obj{"token": reset, "new_password": "Another-Horse-7"}, "")
		wantError(t, r, http.StatusBadRequest, "INVALID_TOKEN", "", "")
		e.Login(a.Username, a.Password) // unchanged
	})
	t.Run("OKVerifyWithinOneDay", func(t *testing.T) {
		wantNull(t, e.Do(http.MethodPost, pVerify, obj{"token": verifyB}, ""))
	})
	e.Clock.Advance(23 * time.Hour)
	t.Run("ErrVerifyAfterOneDay", func(t *testing.T) {
		wantError(t, e.Do(http.MethodPost, pVerify, obj{"token": verifyA}, ""), http.StatusBadRequest, "INVALID_TOKEN", "", "")
	})
}

func TestWrongCurrentPassword(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("trent")
	cases := []struct{ name, current string }{
		{"ErrWrong", "not-the-password"},
		{"ErrEmpty", ""},
		{"ErrOtherCase", strings.ToUpper(a.Password)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.Do(http.MethodPut, pPassword, obj{"current_password": c.current, "new_password": "Another-Horse-7"}, a.Access)
			wantError(t, r, http.StatusBadRequest, "INVALID_PASSWORD", "", "")
		})
	}
	t.Run("PasswordUnchanged", func(t *testing.T) {
		e.Login(a.Username, a.Password)
		mustDo(t, e, http.MethodGet, pMe, nil, a.Access)
	})
}

func TestUnknownRoute(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	cases := []struct{ name, method, path string }{
		{"ErrUnknownAuthRoute", http.MethodGet, "/v1/auth/nope"},
		{"ErrUnknownSubRoute", http.MethodPost, "/v1/auth/me/nope"},
		{"ErrUnknownPrefix", http.MethodGet, "/v2/auth/me"},
		{"ErrRoot", http.MethodGet, "/nope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, e.Do(c.method, c.path, nil, ""), http.StatusNotFound, "NOT_FOUND", "", "")
		})
	}
}

func TestWrongMethod(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	cases := []struct {
		name, method, path string
		allow              []string
	}{
		{"ErrGetLogin", http.MethodGet, pLogin, []string{"POST"}},
		{"ErrPutRegister", http.MethodPut, pRegister, []string{"POST"}},
		{"ErrPostMe", http.MethodPost, pMe, []string{"GET"}},
		{"ErrPostConfig", http.MethodPost, pConfig, []string{"GET"}},
		{"ErrDeleteProfile", http.MethodDelete, pProfile, []string{"GET", "PUT"}},
		{"ErrGetPassword", http.MethodGet, pPassword, []string{"PUT"}},
		{"ErrPostInviteInfo", http.MethodPost, pInviteInfo, []string{"GET"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.Do(c.method, c.path, nil, "")
			wantError(t, r, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "", "")
			var got []string
			for _, m := range strings.Split(r.Header.Get("Allow"), ",") {
				if m = strings.TrimSpace(m); m != "" && m != "HEAD" && m != "OPTIONS" {
					got = append(got, m)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, c.allow) {
				t.Errorf("Allow = %q, want %v", r.Header.Get("Allow"), c.allow)
			}
		})
	}
}

func TestPayloadTooLarge(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("uma")
	const limit = 1 << 20
	// padded returns a valid JSON object of exactly n bytes with the given fields.
	padded := func(n int, fields string) []byte {
		head := `{` + fields + `,"pad":"`
		return []byte(head + strings.Repeat("x", n-len(head)-2) + `"}`)
	}
	tooLarge := func(t *testing.T, r *apitest.Response) {
		t.Helper()
		wantError(t, r, http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", "", "")
	}
	t.Run("ErrOneByteOver", func(t *testing.T) {
		tooLarge(t, e.Do(http.MethodPost, pForgot, padded(limit+1, `"email":"uma@example.com"`), ""))
	})
	t.Run("ErrOneByteOverChunked", func(t *testing.T) {
		rd := io.MultiReader(bytes.NewReader(padded(limit+1, `"email":"uma@example.com"`)))
		tooLarge(t, rawRequest(t, e, http.MethodPost, pForgot, rd, "Content-Type", "application/json"))
	})
	t.Run("ErrHugeChunked", func(t *testing.T) {
		rd := io.LimitReader(zeroReader{}, 64<<20)
		tooLarge(t, rawRequest(t, e, http.MethodPost, pLogin, rd, "Content-Type", "application/json"))
	})
	t.Run("ErrAuthenticatedRoute", func(t *testing.T) {
		tooLarge(t, e.Do(http.MethodPut, pProfile, padded(limit+1, `"bio":"x"`), a.Access))
	})
	t.Run("OKExactlyOneMiB", func(t *testing.T) {
		wantNull(t, e.Do(http.MethodPost, pForgot, padded(limit, `"email":"uma@example.com"`), ""))
	})
}

// zeroReader yields spaces forever (a body that is never valid JSON).
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

func TestInvalidUTF8(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("victor")
	cases := []struct {
		name, method, path string
		body               string
		token              string
	}{
		{"ErrInString", http.MethodPost, pForgot, "{\"email\":\"v\xffv@example.com\"}", ""},
		{"ErrInPassword", http.MethodPost, pLogin, "{\"username\":\"victor\",\"password\":\"\xc3\x28abcdefgh\"}", ""},
		{"ErrInKey", http.MethodPost, pResend, "{\"\xfe\":1,\"email\":\"v@example.com\"}", ""},
		{"ErrTruncatedSequence", http.MethodPut, pProfile, "{\"bio\":\"caf\xc3\"}", a.Access},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.Do(c.method, c.path, c.body, c.token)
			wantError(t, r, http.StatusBadRequest, "BAD_REQUEST", "", "")
			if strings.Contains(string(r.Body), "abcdefgh") {
				t.Errorf("the answer echoes the body: %s", r.Body)
			}
		})
	}
}

func TestBearerBeforeBody(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	cases := []struct {
		name, method, path string
		body               any
		header             []string
	}{
		{"ErrBadTokenBadJSON", http.MethodPost, pSwitchOrg, `{"org_id": }`, nil},
		{"ErrBadTokenNoBody", http.MethodPost, pSwitchOrg, nil, nil},
		{"ErrBadTokenMissingField", http.MethodPut, pPassword, obj{"new_password": "x"}, nil},
		{"ErrBadTokenWrongType", http.MethodPut, pProfile, obj{"timezone": 5, "preferences": "x"}, nil},
		{"ErrBadTokenNotAnObject", http.MethodPut, pProfile, `[1,2]`, nil},
		{"ErrBadTokenTextPlain", http.MethodPut, pPassword, `current_password=x`, []string{"Content-Type", "text/plain"}},
		{"ErrBadTokenInvalidUTF8", http.MethodPut, pProfile, "{\"bio\":\"\xff\"}", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantUnauthorized(t, e.Do(c.method, c.path, c.body, "garbage", c.header...))
		})
		t.Run(strings.Replace(c.name, "BadToken", "NoToken", 1), func(t *testing.T) {
			wantError(t, e.Do(c.method, c.path, c.body, "", c.header...), http.StatusUnauthorized,
				"AUTHENTICATION_FAILED", "Authentication required", "")
		})
	}
}

func TestDeactivatedAccount(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("wade")
	if err := e.DB.User.UpdateOneID(uuid.MustParse(a.UserID)).SetIsActive(false).Exec(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Run("ErrAccessTokenAtOnce", func(t *testing.T) { wantUnauthorized(t, e.Do(http.MethodGet, pMe, nil, a.Access)) })
	t.Run("ErrRefresh", func(t *testing.T) {
		wantUnauthorized(t, e.Do(http.MethodPost, pRefresh, obj{"refresh_token": a.Refresh}, ""))
	})
	t.Run("ForbiddenAfterCorrectPassword", func(t *testing.T) {
		wantError(t, e.Do(http.MethodPost, pLogin, obj{"username": a.Username, "password": a.Password}, ""),
			http.StatusForbidden, "FORBIDDEN", "", "")
	})
	t.Run("ErrWrongPasswordTellsNothing", func(t *testing.T) {
		wantError(t, e.Do(http.MethodPost, pLogin, obj{"username": a.Username, "password": "not-the-password"}, ""),
			http.StatusUnauthorized, "AUTHENTICATION_FAILED", "Invalid username or password", "")
	})
}

func TestRateLimited(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.WithConfig(func(c *auth.Config) {
		c.RateLimits = map[string]auth.Limit{auth.LimitLoginIP: {N: 2, Window: time.Minute}}
	}))
	a := e.Register("xavi")
	for i := range 2 {
		if r := e.Do(http.MethodPost, pLogin, obj{"username": a.Username, "password": "not-the-password"}, ""); r.Status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	r := e.Do(http.MethodPost, pLogin, obj{"username": a.Username, "password": a.Password}, "")
	ra := r.Header.Get("Retry-After")
	if n, err := strconv.Atoi(ra); err != nil || n < 1 || n > 60 {
		t.Errorf("Retry-After = %q, want whole seconds within the window", ra)
	}
	wantError(t, r, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED", "Too many requests. Please try again later.",
		`{"retry_after":`+ra+`}`)
}

func TestInternalErrorsHidden(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.WithoutMailer())
	a := e.Register("yara")
	e.DB.Close() // the database goes away under the service
	cases := []struct {
		name, method, path string
		body               any
		token              string
	}{
		{"Login", http.MethodPost, pLogin, obj{"username": a.Username, "password": a.Password}, ""},
		{"Me", http.MethodGet, pMe, nil, a.Access},
		{"Register", http.MethodPost, pRegister, obj{"email": "y2@example.com", "username": "yara2", "password": "Correct-Horse-9"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.Do(c.method, c.path, c.body, c.token)
			switch r.Status {
			case http.StatusInternalServerError:
				wantError(t, r, r.Status, "INTERNAL_SERVER_ERROR", "An unexpected error occurred", "")
			case http.StatusServiceUnavailable:
				env := wantError(t, r, r.Status, "SERVICE_UNAVAILABLE", "", "")
				if env.Details != "{}" && !strings.HasPrefix(env.Details, `{"retry_after":`) {
					t.Errorf("details = %s", env.Details)
				}
				if r.Header.Get("Retry-After") == "" {
					t.Error("503 without Retry-After")
				}
			default:
				t.Fatalf("status = %d, want 500 or 503: %s", r.Status, r.Body)
			}
			low := strings.ToLower(string(r.Body))
			for _, leak := range []string{"sql", "database", "ent:", ".go", "goroutine", "closed"} {
				if strings.Contains(low, leak) {
					t.Errorf("the answer shows internals (%q): %s", leak, r.Body)
				}
			}
			id := r.Header.Get("X-Request-ID")
			logged := false
			for _, rec := range e.Logs.Records() {
				if rec.Attrs["request_id"] == id && rec.Level >= slog.LevelError {
					logged = true
				}
			}
			if !logged {
				t.Errorf("no error log line with request_id %s", id)
			}
		})
	}
}

func TestHostileBodies(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("zed")
	cases := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"ErrDeepArray", http.MethodPost, pForgot, strings.Repeat("[", 5000) + strings.Repeat("]", 5000), 0, ""},
		{"ErrDeepObject", http.MethodPut, pProfile, `{"preferences":` + strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000) + "}", 0, ""},
		{"ErrHugeInteger", http.MethodPost, pForgot, `{"email":` + strings.Repeat("9", 5000) + `}`, http.StatusBadRequest, "BAD_REQUEST"},
		{"ErrNULBytes", http.MethodPost, pLogin, "{\"username\":\"a\x00\",\"password\":\"\x00\"}", http.StatusUnprocessableEntity, ""},
		{"ErrLoneSurrogate", http.MethodPost, pLogin, `{"username":"\ud800","password":"\udfff-long-enough"}`, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.Do(c.method, c.path, c.body, a.Access)
			if r.Status >= 500 {
				t.Fatalf("status = %d: %s", r.Status, r.Body)
			}
			if c.status != 0 && r.Status != c.status {
				t.Errorf("status = %d, want %d: %s", r.Status, c.status, r.Body)
			}
			if c.code != "" {
				wantError(t, r, c.status, c.code, "", "")
			}
			if !json.Valid(r.Body) {
				t.Errorf("answer is not JSON: %s", r.Body)
			}
		})
	}
}

func TestPublicRoutesIgnoreBearer(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("abe")
	cases := []struct {
		name, method, path string
		body               any
	}{
		{"OKConfig", http.MethodGet, pConfig, nil},
		{"OKInviteInfo", http.MethodGet, pInviteInfo + "?token=x", nil},
		{"OKLogin", http.MethodPost, pLogin, obj{"username": a.Username, "password": a.Password}},
		{"OKForgot", http.MethodPost, pForgot, obj{"email": a.Email}},
		{"OKRefresh", http.MethodPost, pRefresh, obj{"refresh_token": a.Refresh}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantOK(t, e.Do(c.method, c.path, c.body, "garbage"))
		})
	}
}
