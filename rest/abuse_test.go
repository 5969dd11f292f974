package rest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"authbff/ent/auditevent"
	"authbff/graph/auth"
	"authbff/rest"
	"authbff/rest/apitest"
)

// Abuse resistance seen from HTTP (issue 4): every rate limit over both transports, the
// 40-alias attack, answers that do not tell whether an account exists, account lockout
// and the client address behind trusted proxies.

// limitedRE is the exact 429 envelope; its group is details.retry_after.
var limitedRE = regexp.MustCompile(`^\{"error":"RATE_LIMIT_EXCEEDED","message":"Too many requests\. Please try again later\.",` +
	`"details":\{"retry_after":([0-9]+)\},"timestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}","status_code":429\}$`)

const msgLimited = "Too many requests. Please try again later."

// strongPassword passes the password policy.
const strongPassword = "Violet-Kettle-Orbit-42"

// limitsEnv starts a service with exactly the given limits (every other limit off).
func limitsEnv(t testing.TB, limits map[string]auth.Limit, opts ...apitest.Option) *apitest.Env {
	t.Helper()
	return apitest.New(t, append([]apitest.Option{apitest.WithConfig(func(c *auth.Config) { c.RateLimits = limits })}, opts...)...)
}

// defaultLimits is a copy of auth.DefaultLimits.
func defaultLimits() map[string]auth.Limit {
	m := make(map[string]auth.Limit, len(auth.DefaultLimits))
	for k, v := range auth.DefaultLimits {
		m[k] = v
	}
	return m
}

// wantLimited fails unless r is the 429 envelope with details.retry_after a whole number
// of seconds in [1, most] equal to the Retry-After header; it returns retry_after.
func wantLimited(t testing.TB, r *apitest.Response, most time.Duration) int {
	t.Helper()
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("status = %d, want 429: %s", r.Status, r.Body)
	}
	wantJSONContent(t, r)
	m := limitedRE.FindSubmatch(r.Body)
	if m == nil {
		t.Fatalf("not the 429 envelope: %s", r.Body)
	}
	ra, _ := strconv.Atoi(string(m[1]))
	if hi := int(math.Ceil(most.Seconds())); ra < 1 || ra > hi {
		t.Errorf("retry_after = %d, want 1..%d", ra, hi)
	}
	if h := r.Header.Get("Retry-After"); h != string(m[1]) {
		t.Errorf("Retry-After = %q, details.retry_after = %s", h, m[1])
	}
	return ra
}

// wantStatus fails unless r has status.
func wantStatus(t testing.TB, r *apitest.Response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d: %s", r.Status, status, r.Body)
	}
}

// wantGQLLimited fails unless g is RATE_LIMIT_EXCEEDED with the contract's message and an
// integer extensions.details.retry_after in [1, most]; it returns retry_after.
func wantGQLLimited(t testing.TB, g apitest.GQLError, most time.Duration) int {
	t.Helper()
	if g.Code() != string(auth.CodeRateLimited) || g.Message != msgLimited {
		t.Fatalf("error = %q %q, want RATE_LIMIT_EXCEEDED %q", g.Code(), g.Message, msgLimited)
	}
	d, ok := g.Extensions["details"].(map[string]any)
	if !ok {
		t.Fatalf("extensions.details = %v, want an object", g.Extensions["details"])
	}
	n, ok := d["retry_after"].(json.Number)
	if !ok {
		t.Fatalf("extensions.details.retry_after = %#v, want an integer", d["retry_after"])
	}
	ra, err := strconv.Atoi(n.String())
	if hi := int(math.Ceil(most.Seconds())); err != nil || ra < 1 || ra > hi {
		t.Errorf("extensions.details.retry_after = %s, want an integer 1..%d", n, hi)
	}
	return ra
}

// errorsByAlias returns r's errors keyed by the root field (alias) they belong to ("" for
// errors of the whole request).
func errorsByAlias(r *apitest.GQLResponse) map[string]apitest.GQLError {
	out := map[string]apitest.GQLError{}
	for _, g := range r.Errors {
		key := ""
		if len(g.Path) > 0 {
			key, _ = g.Path[0].(string)
		}
		out[key] = g
	}
	return out
}

// wantNotLimited fails if any error of r is RATE_LIMIT_EXCEEDED (or r is not a 200).
func wantNotLimited(t testing.TB, r *apitest.GQLResponse) {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("GraphQL status = %d: %s", r.Status, r.Raw)
	}
	for _, g := range r.Errors {
		if g.Code() == string(auth.CodeRateLimited) {
			t.Fatalf("limited too early: %s", r.Raw)
		}
	}
}

// wantRateLimitedAudit fails unless a rate_limited audit row names limit.
func wantRateLimitedAudit(t testing.TB, e *apitest.Env, limit string) {
	t.Helper()
	rows, err := e.DB.AuditEvent.Query().Where(auditevent.Type(auth.EventRateLimited)).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if strings.Contains(r.Data, `"limit":"`+limit+`"`) {
			return
		}
	}
	t.Errorf("no rate_limited audit row for %s among %d", limit, len(rows))
}

// input wraps a GraphQL input object in the variables of an operation taking $input.
func input(m map[string]any) map[string]any { return map[string]any{"input": m} }

// The GraphQL operations the limit tests send.
const (
	gqlLogin    = `mutation($input: LoginInput!) { login(input: $input) { accessToken } }`
	gqlRegister = `mutation($input: RegisterInput!) { register(input: $input) { accessToken } }`
	gqlForgot   = `mutation($email: String!) { forgotPassword(email: $email) }`
	gqlResend   = `mutation($email: String!) { resendVerification(email: $email) }`
	gqlReset    = `mutation($input: ResetPasswordInput!) { resetPassword(input: $input) }`
	gqlVerify   = `mutation($token: String!) { verifyEmail(token: $token) }`
	gqlRefresh  = `mutation($refreshToken: String!) { refreshToken(refreshToken: $refreshToken) { accessToken } }`
	gqlChangePw = `mutation($input: ChangePasswordInput!) { changePassword(input: $input) }`
)

// limitCase is one rate limit exercised over REST and GraphQL with a small N.
type limitCase struct {
	name    string
	limit   string
	window  time.Duration
	account bool // register "victim" first (password "pw-victim-Secret!")
	method  string
	path    string
	body    func(i int) obj // REST body of attempt i
	query   string          // the same operation over GraphQL
	vars    func(i int) map[string]any
	status  int // the REST answer while under the limit
}

const limitN = 3

var limitCases = []limitCase{
	{
		name: "LoginPerIP", limit: auth.LimitLoginIP, window: time.Minute, method: http.MethodPost, path: pLogin,
		body:  func(i int) obj { return obj{"username": fmt.Sprintf("nobody%d", i), "password": "wrong-password"} },
		query: gqlLogin,
		vars: func(i int) map[string]any {
			return input(obj{"username": fmt.Sprintf("nobody%d", i), "password": "wrong-password"})
		},
		status: http.StatusUnauthorized,
	},
	{
		name: "FailedLoginsPerAccount", limit: auth.LimitLoginAccount, window: 15 * time.Minute, account: true,
		method: http.MethodPost, path: pLogin,
		body:  func(i int) obj { return obj{"username": "victim", "password": fmt.Sprintf("guess-%d", i)} },
		query: gqlLogin,
		vars: func(i int) map[string]any {
			return input(obj{"username": "victim", "password": fmt.Sprintf("guess-%d", i)})
		},
		status: http.StatusUnauthorized,
	},
	{
		name: "RegisterPerIP", limit: auth.LimitRegisterIP, window: time.Hour, method: http.MethodPost, path: pRegister,
		body: func(i int) obj {
			return obj{"email": fmt.Sprintf("new%d@example.com", i), "username": fmt.Sprintf("new%d", i), "password": strongPassword}
		},
		query: gqlRegister,
		vars: func(i int) map[string]any {
			return input(obj{"email": fmt.Sprintf("new%d@example.com", i), "username": fmt.Sprintf("new%d", i), "password": strongPassword})
		},
		status: http.StatusOK,
	},
	{
		name: "ForgotPasswordPerIP", limit: auth.LimitForgotIP, window: time.Hour, method: http.MethodPost, path: pForgot,
		body:   func(i int) obj { return obj{"email": fmt.Sprintf("someone%d@example.com", i)} },
		query:  gqlForgot,
		vars:   func(i int) map[string]any { return obj{"email": fmt.Sprintf("someone%d@example.com", i)} },
		status: http.StatusOK,
	},
	{
		name: "ResendVerificationPerIP", limit: auth.LimitResendIP, window: time.Hour, method: http.MethodPost, path: pResend,
		body:   func(i int) obj { return obj{"email": fmt.Sprintf("someone%d@example.com", i)} },
		query:  gqlResend,
		vars:   func(i int) map[string]any { return obj{"email": fmt.Sprintf("someone%d@example.com", i)} },
		status: http.StatusOK,
	},
	{
		name: "ResetPasswordPerIP", limit: auth.LimitResetIP, window: time.Hour, method: http.MethodPost, path: pReset,
		body:  func(i int) obj { return obj{"token": fmt.Sprintf("bogus-%d", i), "new_password": strongPassword} },
		query: gqlReset,
		vars: func(i int) map[string]any {
			return input(obj{"token": fmt.Sprintf("bogus-%d", i), "newPassword": strongPassword})
		},
		status: http.StatusBadRequest,
	},
	{
		name: "VerifyEmailPerIP", limit: auth.LimitVerifyIP, window: time.Hour, method: http.MethodPost, path: pVerify,
		body:   func(i int) obj { return obj{"token": fmt.Sprintf("bogus-%d", i)} },
		query:  gqlVerify,
		vars:   func(i int) map[string]any { return obj{"token": fmt.Sprintf("bogus-%d", i)} },
		status: http.StatusBadRequest,
	},
	{
		name: "RefreshPerIP", limit: auth.LimitRefreshIP, window: time.Minute, method: http.MethodPost, path: pRefresh,
		body:   func(i int) obj { return obj{"refresh_token": fmt.Sprintf("bogus-%d", i)} },
		query:  gqlRefresh,
		vars:   func(i int) map[string]any { return obj{"refreshToken": fmt.Sprintf("bogus-%d", i)} },
		status: http.StatusUnauthorized,
	},
	{
		name: "ChangePasswordPerIP", limit: auth.LimitChangePasswordIP, window: time.Minute, account: true,
		method: http.MethodPut, path: pPassword,
		body: func(i int) obj {
			return obj{"current_password": fmt.Sprintf("wrong-%d", i), "new_password": strongPassword}
		},
		query: gqlChangePw,
		vars: func(i int) map[string]any {
			return input(obj{"currentPassword": fmt.Sprintf("wrong-%d", i), "newPassword": strongPassword})
		},
		status: http.StatusBadRequest,
	},
}

// TestEachLimit spends limitN attempts of each limit (REST, then the last one over
// GraphQL: one bucket), checks the next attempt is refused on both transports with the
// contract's answers, and that the limit lifts once its window has passed.
func TestEachLimit(t *testing.T) {
	t.Parallel()
	for _, c := range limitCases {
		t.Run("Err429"+c.name, func(t *testing.T) {
			t.Parallel()
			e := limitsEnv(t, map[string]auth.Limit{c.limit: {N: limitN, Window: c.window}})
			token := ""
			if c.account {
				token = e.Register("victim").Access
			}
			interval := c.window / limitN
			for i := range limitN - 1 {
				wantStatus(t, e.Do(c.method, c.path, c.body(i), token), c.status)
			}
			wantNotLimited(t, e.GraphQL(c.query, c.vars(limitN-1), token))

			wantLimited(t, e.Do(c.method, c.path, c.body(limitN), token), interval)
			r := e.GraphQL(c.query, c.vars(limitN+1), token)
			if len(r.Errors) != 1 {
				t.Fatalf("want one error, got %s", r.Raw)
			}
			wantGQLLimited(t, r.Errors[0], interval)
			wantRateLimitedAudit(t, e, c.limit)

			e.Clock.Advance(c.window)
			wantStatus(t, e.Do(c.method, c.path, c.body(limitN+2), token), c.status)
		})
	}
}

func TestLoginAccountLimit(t *testing.T) {
	t.Parallel()
	limits := map[string]auth.Limit{auth.LimitLoginAccount: {N: 3, Window: 15 * time.Minute}}
	login := func(e *apitest.Env, user, pw string) *apitest.Response {
		return e.Do(http.MethodPost, pLogin, obj{"username": user, "password": pw}, "")
	}

	t.Run("OKSuccessResetsTheCount", func(t *testing.T) {
		t.Parallel()
		e := limitsEnv(t, limits)
		a := e.Register("victim")
		for range 2 {
			wantStatus(t, login(e, "victim", "wrong-password"), http.StatusUnauthorized)
		}
		wantStatus(t, login(e, "victim", a.Password), http.StatusOK)
		for range 3 {
			wantStatus(t, login(e, "victim", "wrong-password"), http.StatusUnauthorized)
		}
		wantLimited(t, login(e, "victim", a.Password), 5*time.Minute)
	})

	t.Run("Err429UsernameAndEmailShareOneBucket", func(t *testing.T) {
		t.Parallel()
		e := limitsEnv(t, limits)
		a := e.Register("victim")
		b := e.Register("bystander")
		for _, id := range []string{"victim", "VICTIM@example.com", "victim@EXAMPLE.COM"} {
			wantStatus(t, login(e, id, "wrong-password"), http.StatusUnauthorized)
		}
		wantLimited(t, login(e, "Victim", a.Password), 5*time.Minute)
		wantLimited(t, login(e, a.Email, a.Password), 5*time.Minute)
		wantStatus(t, login(e, b.Username, b.Password), http.StatusOK) // another account is unaffected
		e.Clock.Advance(15 * time.Minute)
		wantStatus(t, login(e, a.Username, a.Password), http.StatusOK)
	})

	t.Run("Err429UnknownAccountAnsweredAlike", func(t *testing.T) {
		t.Parallel()
		e := limitsEnv(t, limits)
		e.Register("victim")
		for range 3 {
			known := login(e, "victim", "wrong-password")
			unknown := login(e, "ghost", "wrong-password")
			wantStatus(t, known, http.StatusUnauthorized)
			if withoutTimestamp(known.Body) != withoutTimestamp(unknown.Body) || unknown.Status != known.Status {
				t.Errorf("wrong password: known %d %s, unknown %d %s", known.Status, known.Body, unknown.Status, unknown.Body)
			}
		}
		known := login(e, "victim", "wrong-password")
		unknown := login(e, "ghost", "wrong-password")
		wantLimited(t, known, 5*time.Minute)
		wantLimited(t, unknown, 5*time.Minute)
		if withoutTimestamp(known.Body) != withoutTimestamp(unknown.Body) ||
			known.Header.Get("Retry-After") != unknown.Header.Get("Retry-After") {
			t.Errorf("limited: known %s, unknown %s", known.Body, unknown.Body)
		}
	})
}

// aliasedLogins is one GraphQL mutation with a login per credential pair, aliased a1, a2, …
func aliasedLogins(creds [][2]string) string {
	var b strings.Builder
	b.WriteString("mutation {")
	for i, c := range creds {
		fmt.Fprintf(&b, "\n  a%d: login(input: {username: %s, password: %s}) { accessToken }", i+1,
			strconv.Quote(c[0]), strconv.Quote(c[1]))
	}
	b.WriteString("\n}")
	return b.String()
}

// distinctUnknown returns n credential pairs of distinct unknown users (no per-account limit).
func distinctUnknown(n int) [][2]string {
	out := make([][2]string, n)
	for i := range out {
		out[i] = [2]string{fmt.Sprintf("stuffed%d", i), "hunter2-guess"}
	}
	return out
}

// wantAliasCodes checks the error code of each alias a1…an of a response: want[i] is the
// code of alias i+1 ("" for no error). leak allows that many aliases wanted limited
// to have passed instead (a GCRA bucket refills while a slow request runs).
func wantAliasCodes(t testing.TB, r *apitest.GQLResponse, want []string, leak int) {
	t.Helper()
	got := errorsByAlias(r)
	if g, ok := got[""]; ok {
		t.Fatalf("request-level error %q: %s", g.Message, r.Raw)
	}
	leaked := 0
	for i, w := range want {
		alias := fmt.Sprintf("a%d", i+1)
		g := got[alias]
		switch {
		case g.Code() == w:
			if w == string(auth.CodeRateLimited) {
				wantGQLLimited(t, g, 15*time.Minute)
			}
		case w == string(auth.CodeRateLimited) && g.Code() == string(auth.CodeAuthFailed) && leaked < leak:
			leaked++
		default:
			t.Errorf("%s: code %q, want %q (%s)", alias, g.Code(), w, g.Message)
		}
	}
	if len(got) > len(want) {
		t.Errorf("%d errors for %d aliases: %s", len(got), len(want), r.Raw)
	}
}

// codes is n copies of code.
func codes(n int, code auth.Code) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = string(code)
	}
	return out
}

// refills is how many events a limit lets through again while d passes.
func refills(l auth.Limit, d time.Duration) int { return int(d / (l.Window / time.Duration(l.N))) }

func TestAliasAttack(t *testing.T) {
	t.Parallel()
	ipLimit := auth.DefaultLimits[auth.LimitLoginIP]
	accountLimit := auth.DefaultLimits[auth.LimitLoginAccount]
	if ipLimit.N != 30 || accountLimit.N != 10 {
		t.Fatalf("defaults changed: login_ip %v, login_account %v; this test assumes 30/1m and 10/15m", ipLimit, accountLimit)
	}
	withDefaults := apitest.WithConfig(func(c *auth.Config) { c.RateLimits = defaultLimits() })

	t.Run("Err429FortyAliasesSpendFortyAttemptsPerIP", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, withDefaults)
		a := e.Register("bystander")
		start := time.Now()
		r := e.GraphQL(aliasedLogins(distinctUnknown(40)), nil, "")
		leak := refills(ipLimit, time.Since(start))
		wantAliasCodes(t, r, append(codes(30, auth.CodeAuthFailed), codes(10, auth.CodeRateLimited)...), leak)
		// The aliases emptied the bucket REST draws from too.
		if refills(ipLimit, time.Since(start)) == 0 {
			wantLimited(t, e.Do(http.MethodPost, pLogin, obj{"username": a.Username, "password": a.Password}, ""), time.Minute)
		}
		e.Clock.Advance(ipLimit.Window)
		wantStatus(t, e.Do(http.MethodPost, pLogin, obj{"username": a.Username, "password": a.Password}, ""), http.StatusOK)
	})

	t.Run("Err429RESTAndGraphQLShareTheIPBucket", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, withDefaults)
		start := time.Now()
		for i := range 12 {
			wantStatus(t, e.Do(http.MethodPost, pLogin, obj{"username": fmt.Sprintf("rest%d", i), "password": "x"}, ""),
				http.StatusUnauthorized)
		}
		r := e.GraphQL(aliasedLogins(distinctUnknown(40)), nil, "")
		leak := refills(ipLimit, time.Since(start))
		wantAliasCodes(t, r, append(codes(18, auth.CodeAuthFailed), codes(22, auth.CodeRateLimited)...), leak)
	})

	t.Run("Err429AccountFailuresAcrossTransports", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, withDefaults)
		victim := e.Register("victim")
		bystander := e.Register("bystander")
		for i := range 4 {
			wantStatus(t, e.Do(http.MethodPost, pLogin, obj{"username": "victim", "password": fmt.Sprintf("guess-%d", i)}, ""),
				http.StatusUnauthorized)
		}
		creds := make([][2]string, 20)
		for i := range 19 {
			creds[i] = [2]string{"victim", fmt.Sprintf("alias-guess-%d", i)}
		}
		creds[19] = [2]string{"victim@example.com", victim.Password} // even the right password, once limited
		r := e.GraphQL(aliasedLogins(creds), nil, "")
		wantAliasCodes(t, r, append(codes(6, auth.CodeAuthFailed), codes(14, auth.CodeRateLimited)...), 0)
		// 24 attempts from this IP so far: below 30, so only the account is limited.
		wantLimited(t, e.Do(http.MethodPost, pLogin, obj{"username": "victim", "password": victim.Password}, ""), 15*time.Minute)
		wantStatus(t, e.Do(http.MethodPost, pLogin, obj{"username": "bystander", "password": bystander.Password}, ""), http.StatusOK)
		e.Clock.Advance(accountLimit.Window)
		wantStatus(t, e.Do(http.MethodPost, pLogin, obj{"username": "victim", "password": victim.Password}, ""), http.StatusOK)
	})

	t.Run("ErrFiftyOneAliasesRefusedSpendNothing", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, withDefaults)
		wantCapped := func(t *testing.T, r *apitest.GQLResponse) {
			t.Helper()
			if len(r.Errors) != 1 || r.Data != nil {
				t.Fatalf("want one error and no data: %s", r.Raw)
			}
			g := r.Errors[0]
			if g.Code() != "GRAPHQL_VALIDATION_FAILED" || g.Message != "Too many root fields: 51 exceeds the limit of 50 per operation" {
				t.Errorf("error = %q %q", g.Code(), g.Message)
			}
		}
		wantCapped(t, e.GraphQL(aliasedLogins(distinctUnknown(51)), nil, ""))
		// Through a fragment, the cap counts the same fields.
		doc := strings.Replace(aliasedLogins(distinctUnknown(51)), "mutation {", "mutation { ...F }\nfragment F on Mutation {", 1)
		wantCapped(t, e.GraphQL(doc, nil, ""))
		n, err := e.DB.AuditEvent.Query().Where(auditevent.Type(auth.EventLoginFailed)).Count(context.Background())
		if err != nil || n != 0 {
			t.Errorf("login_failed rows after refused operations = %d (%v), want 0", n, err)
		}
		// Nothing was spent: the whole per-IP allowance is still there.
		wantAliasCodes(t, e.GraphQL(aliasedLogins(distinctUnknown(30)), nil, ""), codes(30, auth.CodeAuthFailed), 0)
	})

	t.Run("OKFiftyAliasesAllowed", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, withDefaults)
		var b strings.Builder
		b.WriteString("{")
		for i := range 50 {
			fmt.Fprintf(&b, " c%d: authConfig { allowRegistration }", i)
		}
		b.WriteString(" }")
		r := e.GraphQL(b.String(), nil, "")
		if len(r.Errors) != 0 || len(r.Data) != 50 {
			t.Errorf("want 50 answers, got %d fields: %.300s", len(r.Data), r.Raw)
		}
	})
}

// TestNoEnumerationWhenLimited: forgot-password and resend-verification answer an
// address with an account exactly as one without, under and over the per-address limits,
// over both transports; over them nothing is sent and nothing is refused.
func TestNoEnumerationWhenLimited(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, limit, path, query, kind string
	}{
		{"ForgotPassword", auth.LimitForgotAddress, pForgot, gqlForgot, "reset_password"},
		{"ResendVerification", auth.LimitResendAddress, pResend, gqlResend, "verify_email"},
	}
	for _, c := range cases {
		t.Run("OKSameAnswers"+c.name, func(t *testing.T) {
			t.Parallel()
			e := limitsEnv(t, map[string]auth.Limit{c.limit: {N: 2, Window: time.Hour}})
			e.Register("victim")
			const existing, ghost = "victim@example.com", "ghost@example.com"
			same := func(t *testing.T, a, b *apitest.Response) {
				t.Helper()
				wantNull(t, a)
				if a.Status != b.Status || string(a.Body) != string(b.Body) || a.Header.Get("Retry-After") != "" {
					t.Errorf("existing: %d %s\nunknown:  %d %s", a.Status, a.Body, b.Status, b.Body)
				}
			}
			sameGQL := func(t *testing.T, a, b *apitest.GQLResponse) {
				t.Helper()
				wantNotLimited(t, a)
				if a.Status != b.Status || string(a.Raw) != string(b.Raw) || len(a.Errors) > 0 {
					t.Errorf("existing: %d %s\nunknown:  %d %s", a.Status, a.Raw, b.Status, b.Raw)
				}
			}
			sameGQL(t, e.GraphQL(c.query, obj{"email": existing}, ""), e.GraphQL(c.query, obj{"email": ghost}, ""))
			same(t, e.Do(http.MethodPost, c.path, obj{"email": existing}, ""), e.Do(http.MethodPost, c.path, obj{"email": ghost}, ""))
			// Over the limit (the address compared without case): the same null, nothing sent.
			for range 3 {
				same(t, e.Do(http.MethodPost, c.path, obj{"email": "VICTIM@example.com"}, ""),
					e.Do(http.MethodPost, c.path, obj{"email": "GHOST@example.com"}, ""))
				sameGQL(t, e.GraphQL(c.query, obj{"email": existing}, ""), e.GraphQL(c.query, obj{"email": ghost}, ""))
			}
			// Another address has its own bucket: its mail is the next one delivered,
			// so by then any mail of the over-limit requests would have been too.
			other := e.Register("other")
			if c.kind == "reset_password" {
				wantNull(t, e.Do(http.MethodPost, c.path, obj{"email": other.Email}, ""))
				e.WaitMail(other.Email, c.kind, 1)
			} else {
				wantNull(t, e.Do(http.MethodPost, c.path, obj{"email": other.Email}, ""))
				e.WaitMail(other.Email, c.kind, 2) // the registration sent the first
			}
			n := 0
			for _, m := range e.Logs.Mails(existing) {
				if m.Kind == c.kind {
					n++
				}
			}
			want := 2 // the limit
			if c.kind == "verify_email" {
				want = 3 // plus the registration's
			}
			if n != want {
				t.Errorf("%d %s mails to the victim, want %d", n, c.kind, want)
			}
			if len(e.Logs.Mails(ghost)) != 0 {
				t.Errorf("mail sent to an address without an account")
			}
		})
	}
}

func TestLockout(t *testing.T) {
	t.Parallel()
	const threshold = 5
	lockout := apitest.WithConfig(func(c *auth.Config) { c.LockoutThreshold = threshold; c.RateLimits = nil })
	login := func(e *apitest.Env, user, pw string) *apitest.Response {
		return e.Do(http.MethodPost, pLogin, obj{"username": user, "password": pw}, "")
	}

	t.Run("ErrCorrectPasswordRefusedLikeAWrongOne", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, lockout)
		a := e.Register("victim")
		for range threshold {
			wantUnauthorized(t, login(e, a.Username, "wrong-password"))
		}
		locked := login(e, a.Username, a.Password)
		wrong := login(e, a.Username, "wrong-password")
		unknown := login(e, "ghost", "wrong-password")
		wantError(t, locked, http.StatusUnauthorized, "AUTHENTICATION_FAILED", "Invalid username or password", "")
		for _, other := range []*apitest.Response{wrong, unknown} {
			if withoutTimestamp(locked.Body) != withoutTimestamp(other.Body) || locked.Header.Get("WWW-Authenticate") != other.Header.Get("WWW-Authenticate") {
				t.Errorf("locked %s differs from %s", locked.Body, other.Body)
			}
		}
		r := e.GraphQL(gqlLogin, input(obj{"username": a.Email, "password": a.Password}), "")
		if len(r.Errors) != 1 || r.Errors[0].Code() != "AUTHENTICATION_FAILED" || r.Errors[0].Message != "Invalid username or password" {
			t.Errorf("GraphQL login of a locked account: %s", r.Raw)
		}
	})

	t.Run("OKPasswordResetUnlocks", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, lockout)
		a := e.Register("victim")
		for range threshold {
			wantUnauthorized(t, login(e, a.Username, "wrong-password"))
		}
		wantUnauthorized(t, login(e, a.Username, a.Password))
		wantNull(t, e.Do(http.MethodPost, pForgot, obj{"email": a.Email}, ""))
		tok := e.WaitMail(a.Email, "reset_password", 1).Token()
		wantNull(t, e.Do(http.MethodPost, pReset, obj{"token": tok, "new_password": strongPassword}, ""))
		wantStatus(t, login(e, a.Username, strongPassword), http.StatusOK)
		wantUnauthorized(t, login(e, a.Username, a.Password))
	})

	t.Run("ErrWrongCurrentPasswordCounts", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, lockout)
		a := e.Register("victim")
		for range threshold - 2 {
			wantUnauthorized(t, login(e, a.Username, "wrong-password"))
		}
		for range 2 {
			r := e.Do(http.MethodPut, pPassword, obj{"current_password": "wrong-password", "new_password": strongPassword}, a.Access)
			wantError(t, r, http.StatusBadRequest, "INVALID_PASSWORD", "Current password is incorrect", "")
		}
		wantError(t, login(e, a.Username, a.Password), http.StatusUnauthorized, "AUTHENTICATION_FAILED", "Invalid username or password", "")
	})

	t.Run("OKOnlyConsecutiveFailuresCount", func(t *testing.T) {
		t.Parallel()
		e := apitest.New(t, lockout)
		a := e.Register("victim")
		for range 2 {
			for range threshold - 1 {
				wantUnauthorized(t, login(e, a.Username, "wrong-password"))
			}
			wantStatus(t, login(e, a.Username, a.Password), http.StatusOK)
		}
	})
}

// TestClientIP: limits key on the socket peer unless it is a trusted proxy; then on the
// right-most X-Forwarded-For address that is not a trusted proxy.
func TestClientIP(t *testing.T) {
	t.Parallel()
	limits := map[string]auth.Limit{auth.LimitLoginIP: {N: 3, Window: time.Hour}}
	trusting := apitest.WithREST(func(o *rest.Options) {
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
	login := func(e *apitest.Env, xff string) *apitest.Response {
		return e.Do(http.MethodPost, pLogin, obj{"username": "nobody", "password": "wrong-password"}, "", "X-Forwarded-For", xff)
	}
	failedIPs := func(t *testing.T, e *apitest.Env) map[string]int {
		t.Helper()
		rows, err := e.DB.AuditEvent.Query().Where(auditevent.Type(auth.EventLoginFailed)).All(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, r := range rows {
			out[r.IP]++
		}
		return out
	}

	t.Run("Err429SpoofedForwardedForIgnoredByDefault", func(t *testing.T) {
		t.Parallel()
		e := limitsEnv(t, limits)
		for i := range 3 {
			wantStatus(t, login(e, fmt.Sprintf("203.0.113.%d", i+1)), http.StatusUnauthorized)
		}
		wantLimited(t, login(e, "198.51.100.77"), 20*time.Minute)
		wantLimited(t, login(e, ""), 20*time.Minute)
		if got := failedIPs(t, e); len(got) != 1 || got["127.0.0.1"] != 3 {
			t.Errorf("audit IPs = %v, want 3 × 127.0.0.1", got)
		}
	})

	t.Run("Err429RightMostUntrustedAddressBehindTrustedProxy", func(t *testing.T) {
		t.Parallel()
		e := limitsEnv(t, limits, trusting)
		for range 3 {
			wantStatus(t, login(e, "203.0.113.7"), http.StatusUnauthorized)
		}
		wantLimited(t, login(e, "203.0.113.7"), 20*time.Minute)
		// Addresses prepended by the client do not make another client.
		wantLimited(t, login(e, "10.1.2.3, 203.0.113.7"), 20*time.Minute)
		wantLimited(t, login(e, "198.51.100.9, 192.0.2.1, 203.0.113.7"), 20*time.Minute)
		// A trusted proxy hop on the right is skipped.
		wantLimited(t, login(e, "203.0.113.7, 127.0.0.9"), 20*time.Minute)
		// Another client behind the proxy has its own bucket.
		wantStatus(t, login(e, "198.51.100.9"), http.StatusUnauthorized)
		wantStatus(t, login(e, "203.0.113.7, 198.51.100.10"), http.StatusUnauthorized)
		want := map[string]int{"203.0.113.7": 3, "198.51.100.9": 1, "198.51.100.10": 1}
		if got := failedIPs(t, e); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("audit IPs = %v, want %v", got, want)
		}
	})

	sessionIP := func(t *testing.T, e *apitest.Env, token string) string {
		t.Helper()
		r := e.GraphQL(`{ sessions { ip current } }`, nil, token)
		list, _ := r.Data["sessions"].([]any)
		for _, s := range list {
			if m, _ := s.(map[string]any); m["current"] == true {
				ip, _ := m["ip"].(string)
				return ip
			}
		}
		t.Fatalf("no current session: %s", r.Raw)
		return ""
	}
	cases := []struct {
		name    string
		opts    []apitest.Option
		xff, ip string
	}{
		{"OKSessionIPIsPeerByDefault", nil, "203.0.113.50", "127.0.0.1"},
		{"OKSessionIPFromTrustedProxy", []apitest.Option{trusting}, "192.0.2.1, 203.0.113.50", "203.0.113.50"},
		{"OKAllHopsTrustedMeansLeftMostTrusted", []apitest.Option{trusting}, "127.0.0.3, 127.0.0.2", "127.0.0.3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := apitest.New(t, c.opts...)
			a := e.Register("traveller")
			r := e.Do(http.MethodPost, pLogin, obj{"username": a.Username, "password": a.Password}, "", "X-Forwarded-For", c.xff)
			wantOK(t, r)
			if got := sessionIP(t, e, str(t, r.Body, "access_token")); got != c.ip {
				t.Errorf("session ip = %q, want %q", got, c.ip)
			}
		})
	}
}

// TestOverloadSheds503: with one hashing slot and no patience, a burst of logins over
// both transports is shed with SERVICE_UNAVAILABLE and Retry-After, never a wrong answer.
func TestOverloadSheds503(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.WithConfig(func(c *auth.Config) {
		c.Hash = auth.HashParams{MemoryKiB: 16 * 1024, Time: 3, Threads: 1} // tens of milliseconds per hash
		c.HashConcurrency = 1
		c.HashWait = time.Millisecond
	}))
	const each = 4
	restAnswers := make([]*apitest.Response, each)
	gqlAnswers := make([]*apitest.GQLResponse, each)
	var wg sync.WaitGroup
	for i := range each {
		wg.Go(func() {
			restAnswers[i] = e.Do(http.MethodPost, pLogin, obj{"username": fmt.Sprintf("rest%d", i), "password": "wrong-password"}, "")
		})
		wg.Go(func() {
			gqlAnswers[i] = e.GraphQL(gqlLogin, input(obj{"username": fmt.Sprintf("gql%d", i), "password": "wrong-password"}), "")
		})
	}
	wg.Wait()
	shed := 0
	for _, r := range restAnswers {
		switch r.Status {
		case http.StatusUnauthorized:
		case http.StatusServiceUnavailable:
			shed++
			wantError(t, r, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE",
				"Service temporarily unavailable. Please try again later.", `{"retry_after":1}`)
			if ra := r.Header.Get("Retry-After"); ra != "1" {
				t.Errorf("Retry-After = %q, want 1", ra)
			}
		default:
			t.Errorf("REST answer %d %s, want 401 or 503", r.Status, r.Body)
		}
	}
	if shed == 0 {
		t.Errorf("no REST login of the burst was shed")
	}
	shed = 0
	for _, r := range gqlAnswers {
		if len(r.Errors) != 1 {
			t.Errorf("GraphQL answer %s, want one error", r.Raw)
			continue
		}
		switch g := r.Errors[0]; g.Code() {
		case string(auth.CodeAuthFailed):
		case string(auth.CodeServiceUnavailable):
			shed++
			d, _ := g.Extensions["details"].(map[string]any)
			if d["retry_after"] != json.Number("1") {
				t.Errorf("extensions.details = %v, want retry_after 1", g.Extensions["details"])
			}
		default:
			t.Errorf("GraphQL error %q %q, want AUTHENTICATION_FAILED or SERVICE_UNAVAILABLE", g.Code(), g.Message)
		}
	}
	if shed == 0 {
		t.Errorf("no GraphQL login of the burst was shed")
	}
}

// TestInviteLimit: invitations per IP, a GraphQL-only operation.
func TestInviteLimit(t *testing.T) {
	t.Parallel()
	e := limitsEnv(t, map[string]auth.Limit{auth.LimitInviteIP: {N: limitN, Window: time.Minute}}) // within the access token lifetime
	owner := e.Register("owner")
	g := e.GraphQL(`mutation { createOrganization(name: "Acme") { organization { id } } }`, nil, owner.Access)
	m, _ := g.Data["createOrganization"].(map[string]any)
	org, _ := m["organization"].(map[string]any)
	if org["id"] == nil {
		t.Fatalf("createOrganization: %s", g.Raw)
	}
	invite := func(i int) *apitest.GQLResponse {
		return e.GraphQL(`mutation($org: ID!, $email: String!) { createInvite(orgId: $org, email: $email, role: MEMBER) { id } }`,
			obj{"org": org["id"], "email": fmt.Sprintf("guest%d@example.com", i)}, owner.Access)
	}
	for i := range limitN {
		if r := invite(i); len(r.Errors) > 0 {
			t.Fatalf("invite %d: %s", i, r.Raw)
		}
	}
	r := invite(limitN)
	if len(r.Errors) != 1 {
		t.Fatalf("want one error: %s", r.Raw)
	}
	wantGQLLimited(t, r.Errors[0], time.Minute/limitN)
	wantRateLimitedAudit(t, e, auth.LimitInviteIP)
	e.Clock.Advance(time.Minute)
	if r := invite(limitN + 1); len(r.Errors) > 0 {
		t.Errorf("invite after the window: %s", r.Raw)
	}
}

// TestEveryDefaultLimitTested keeps this file in step with auth.DefaultLimits.
func TestEveryDefaultLimitTested(t *testing.T) {
	t.Parallel()
	tested := map[string]bool{
		auth.LimitInviteIP: true, auth.LimitInviteAddress: true, // TestInviteLimit
		// TestNoEnumerationWhenLimited, TestStrangerCannotBlockOwnersReset
		auth.LimitForgotAddress: true, auth.LimitResendAddress: true,
		auth.LimitForgotAddressTotal: true, auth.LimitResendAddressTotal: true,
		auth.LimitLoginAccountTotal: true, // TestStrangerCannotLockOwnerOut
	}
	for _, c := range limitCases {
		tested[c.limit] = true
	}
	for name := range auth.DefaultLimits {
		if !tested[name] {
			t.Errorf("limit %s has no case in limitCases", name)
		}
	}
}
