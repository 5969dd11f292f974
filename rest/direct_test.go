package rest_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"

	"authbff/ent/membership"
	"authbff/graph"
	"authbff/rest"
	"authbff/rest/apitest"
)

// allUserFields selects every field of User.
const allUserFields = `id email username fullName authProvider isActive isVerified roles avatarUrl bio
	timezone locale preferences settings createdAt updatedAt lastLogin defaultWorkspaceId hasPassword`

// TestDirectMeMatchesExecutor: GET /me and GET /me/profile answered directly
// (graph.CompileMe, issue 12), and `me` queries on /graphql answered directly, give the
// same status, headers and bytes as the same routes and queries run through the GraphQL
// executor (aliases, duplicate keys, fragments; what the direct path declines:
// __typename, directives, several root fields, a document of several operations), for many users and every outcome: every
// field null or set, unicode and control characters, quotes and backslashes, stored
// JSON objects in their own key order, several roles, no password, a missing,
// malformed, expired, logged-out, deactivated or left-organization token, and a
// database that is gone (503). The access log's route, operation and user agree too.
func TestDirectMeMatchesExecutor(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.WithoutMailer())
	fixed := time.Date(2026, 12, 6, 12, 0, 0, 123456000, time.UTC)
	resolver := &graph.Resolver{Auth: e.Svc}
	mount := func(compile func(*ast.Schema, *ast.QueryDocument) graph.DirectMe) http.Handler {
		r := chi.NewRouter()
		api := rest.API{Executor: resolver.NewExecutor(graph.Options{}), Schema: resolver.NewExecutableSchema().Schema(),
			Principal: resolver.Principal, Report: e.Svc.ReportFailure, Now: func() time.Time { return fixed },
			CompileMe: compile}
		if err := api.Mount(r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	compiled := 0
	direct := mount(func(s *ast.Schema, d *ast.QueryDocument) graph.DirectMe {
		dm := resolver.CompileMe(s, d)
		if dm != nil {
			compiled++
		}
		return dm
	})
	executor := mount(nil)
	if compiled != 2 {
		t.Fatalf("want GET /me and GET /me/profile compiled, got %d routes", compiled)
	}

	reqCtx := context.Background()
	// same serves one request to both handlers and wants the same status, body, headers
	// and access-log info.
	same := func(t *testing.T, label string, newReq func() *http.Request, direct, executor http.Handler) {
		t.Helper()
		run := func(h http.Handler) (*httptest.ResponseRecorder, [3]string) {
			info := &graph.RequestInfo{}
			req := newReq()
			req = req.WithContext(graph.WithInfo(req.Context(), info))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			route, op, uid := info.Snapshot()
			return rec, [3]string{route, op, uid}
		}
		d, dinfo := run(direct)
		x, xinfo := run(executor)
		if d.Code != x.Code || !bytes.Equal(d.Body.Bytes(), x.Body.Bytes()) {
			t.Fatalf("%s:\ndirect   %d %s\nexecutor %d %s", label, d.Code, d.Body.Bytes(), x.Code, x.Body.Bytes())
		}
		if fmt.Sprint(d.Header()) != fmt.Sprint(x.Header()) {
			t.Fatalf("%s headers:\ndirect   %v\nexecutor %v", label, d.Header(), x.Header())
		}
		if dinfo != xinfo {
			t.Fatalf("%s request info: direct %v, executor %v", label, dinfo, xinfo)
		}
	}
	compare := func(t *testing.T, path, authz string) {
		t.Helper()
		same(t, fmt.Sprintf("GET %s (%q)", path, authz), func() *http.Request {
			req := httptest.NewRequestWithContext(reqCtx, http.MethodGet, rest.Prefix+path, nil)
			if authz != "" {
				req.Header.Set("Authorization", authz)
			}
			return req
		}, direct, executor)
	}
	gqlDirect := resolver.NewHandler(graph.Options{Introspection: true})
	gqlExecutor := resolver.NewHandler(graph.Options{Introspection: true, ExecutorOnly: true})
	queries := []string{
		`{ me { id email } }`,
		`query Me { me { ` + allUserFields + ` } }`,
		`query { who: me { a: id b: email id roles roles preferences settings lastLogin } }`,
		`{ me { id id email email: username } }`,
		`query Q { me { ...F ...G } } fragment F on User { id fullName bio } fragment G on User { email roles fullName }`,
		`{ me { __typename id } }`,
		`{ me { id @include(if: true) email } }`,
		`{ me { id } authConfig { allowRegistration } }`,
		`query Me { me { hasPassword } } query Other { authConfig { allowRegistration } }`,
	}
	compareGraphQL := func(t *testing.T, authz string) {
		t.Helper()
		for _, q := range queries {
			body := `{"query":` + strconv.Quote(q) + `}`
			if strings.Contains(q, "query Other") {
				body = `{"query":` + strconv.Quote(q) + `,"operationName":"Me"}`
			}
			same(t, fmt.Sprintf("POST /graphql %s (%q)", q, authz), func() *http.Request {
				req := httptest.NewRequestWithContext(reqCtx, http.MethodPost, "/graphql", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				if authz != "" {
					req.Header.Set("Authorization", authz)
				}
				return req
			}, gqlDirect, gqlExecutor)
		}
	}
	both := func(t *testing.T, authz string, want int) {
		t.Helper()
		for _, path := range []string{"/me", "/me/profile"} {
			compare(t, path, authz)
		}
		compareGraphQL(t, authz)
		rec := httptest.NewRecorder()
		req := httptest.NewRequestWithContext(reqCtx, http.MethodGet, rest.Prefix+"/me", nil)
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		direct.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Fatalf("GET /me (%q): %d %s, want %d", authz, rec.Code, rec.Body.Bytes(), want)
		}
	}

	ctx := context.Background()
	texts := []string{
		"Ada Lovelace", "Zoë Ünïcødé — “quotes” ‘single’", "日本語のなまえ", "emoji 🧪🚀 and a ZWJ 👩‍💻",
		`back\slash and "double" quotes`, "control \b\f\n\r\t\x01\x1f\x7f end", "line\u2028sep\u2029para",
		"<script>alert(1)</script> & ampersand", "trailing space ", " ", "\u00a0nbsp\u00ad\ufeffbom",
		strings.Repeat("long ", 200),
	}
	objects := []string{
		"", "{}", `{"theme":"dark","b":1,"a":[true,null,1.5e10,"x"]}`, `{"z":{"y":{"x":{}}},"émoji":"🧪"}`,
		`{"ctl":"\u0001\b\f\u001f","esc":"\"\\\/","u":"\u2028\ud83d\ude80"}`, `{"n":-0,"big":123456789012345678901234567890}`,
	}
	users := make([]*apitest.Account, 0, 24)
	for i := range 24 {
		a := e.Register(fmt.Sprintf("direct%02d", i))
		users = append(users, a)
		u := e.DB.User.UpdateOneID(uuid.MustParse(a.UserID))
		switch i % 4 {
		case 0: // everything optional null
			u.ClearFullName().ClearAvatarURL().ClearBio().ClearTimezone().ClearLocale().ClearLastLogin().
				ClearDefaultWorkspaceID().SetPreferences(objects[0]).SetSettings(objects[0]).SetRoles(nil)
		case 1:
			u.SetFullName(texts[i%len(texts)]).SetBio(texts[(i+1)%len(texts)]).SetTimezone("Europe/Berlin").
				SetLocale("de-DE").SetAvatarURL("https://example.com/a.png?x=1&y=\"2\"").
				SetPreferences(objects[i%len(objects)]).SetSettings(objects[(i+2)%len(objects)]).
				SetRoles([]string{"user", "admin", "rôle ünicode"}).SetIsVerified(true)
		case 2:
			u.SetFullName(texts[(i+3)%len(texts)]).SetBio(texts[(i+5)%len(texts)]).SetLocale(texts[(i+7)%len(texts)]).
				SetPreferences(objects[(i+1)%len(objects)]).SetSettings(objects[(i+3)%len(objects)]).
				SetAuthProvider("github").ClearPasswordHash().SetLastLogin(time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("x", 3600)))
		case 3:
			u.SetFullName(texts[(i+6)%len(texts)]).SetTimezone(texts[(i+2)%len(texts)]).
				SetPreferences(objects[(i+4)%len(objects)]).SetRoles([]string{}).SetEmail("MiXeD.Case+tag@Example.COM")
		}
		if err := u.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range users {
		both(t, "Bearer "+a.Access, http.StatusOK)
		both(t, "bearer   "+a.Access+"  ", http.StatusOK)
	}

	// Every way of not being authenticated.
	both(t, "", http.StatusUnauthorized)
	both(t, "Basic dXNlcjpwdw==", http.StatusUnauthorized)
	both(t, "Bearer", http.StatusUnauthorized)
	both(t, "Bearer not.a.jwt", http.StatusUnauthorized)
	both(t, "Bearer "+users[0].Access+"x", http.StatusUnauthorized)

	// Logged out: the session is revoked.
	if r := e.Do(http.MethodPost, "/v1/auth/logout", nil, users[1].Access); r.Status != http.StatusOK {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
	both(t, "Bearer "+users[1].Access, http.StatusUnauthorized)

	// Deactivated.
	if err := e.DB.User.UpdateOneID(uuid.MustParse(users[2].UserID)).SetIsActive(false).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	both(t, "Bearer "+users[2].Access, http.StatusUnauthorized)

	// A token naming an organization the user is no longer a member of.
	if _, err := e.DB.Membership.Delete().Where(membership.UserID(uuid.MustParse(users[3].UserID))).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	both(t, "Bearer "+users[3].Access, http.StatusUnauthorized)

	// Expired.
	e.Clock.Advance(24 * time.Hour)
	both(t, "Bearer "+users[4].Access, http.StatusUnauthorized)
	e.Clock.Advance(-24 * time.Hour)

	// The database does not answer in time: 503 with Retry-After on both paths.
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	reqCtx = expired
	both(t, "Bearer "+users[5].Access, http.StatusServiceUnavailable)
	reqCtx = context.Background()

	// The database is closed under the service: 500 on both paths.
	if err := e.Database.DB.Close(); err != nil {
		t.Fatal(err)
	}
	both(t, "Bearer "+users[6].Access, http.StatusInternalServerError)
}
