package auth_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"authbff/rest/apitest"
)

// pair is an access and a refresh token of one session.
type pair struct{ Access, Refresh string }

// login signs in over REST and returns the session's tokens.
func login(t testing.TB, e *apitest.Env, a *apitest.Account) pair {
	t.Helper()
	at, rt := e.For(t).Login(a.Username, a.Password)
	return pair{at, rt}
}

// meStatus is the status of GET /v1/auth/me with token; a 401 must be the contract's.
func meStatus(t testing.TB, e *apitest.Env, token string) int {
	t.Helper()
	r := e.For(t).Do(http.MethodGet, "/v1/auth/me", nil, token)
	if r.Status == http.StatusUnauthorized {
		checkEnvelope(t, r, http.StatusUnauthorized, "AUTHENTICATION_FAILED")
	}
	return r.Status
}

// wantMe checks whether token authenticates, on REST and on GraphQL.
func wantMe(t testing.TB, e *apitest.Env, token string, ok bool) {
	t.Helper()
	want := http.StatusUnauthorized
	if ok {
		want = http.StatusOK
	}
	if got := meStatus(t, e, token); got != want {
		t.Errorf("GET /v1/auth/me: %d, want %d", got, want)
	}
	g := e.For(t).GraphQL(`{ me { id } }`, nil, token)
	switch {
	case ok && len(g.Errors) > 0:
		t.Errorf("GraphQL me: %s, want data", g.Raw)
	case !ok && (len(g.Errors) != 1 || g.Errors[0].Code() != "AUTHENTICATION_FAILED"):
		t.Errorf("GraphQL me: %s, want AUTHENTICATION_FAILED", g.Raw)
	}
}

// refresh posts a refresh token to /v1/auth/refresh.
func refresh(t testing.TB, e *apitest.Env, token string) *apitest.Response {
	t.Helper()
	return e.For(t).Do(http.MethodPost, "/v1/auth/refresh", map[string]any{"refresh_token": token}, "")
}

// mustRefresh rotates token and returns the new pair.
func mustRefresh(t testing.TB, e *apitest.Env, token string) pair {
	t.Helper()
	r := refresh(t, e, token)
	if r.Status != http.StatusOK {
		t.Fatalf("refresh: %d %s", r.Status, r.Body)
	}
	m := r.Object(t)
	p := pair{Access: str(m["access_token"]), Refresh: str(m["refresh_token"])}
	if p.Access == "" || p.Refresh == "" || m["token_type"] != "bearer" {
		t.Fatalf("refresh answer %s", r.Body)
	}
	return p
}

// wantRefreshRefused checks that token is refused with the contract's 401.
func wantRefreshRefused(t testing.TB, e *apitest.Env, token string) {
	t.Helper()
	r := refresh(t, e, token)
	if r.Status != http.StatusUnauthorized {
		t.Errorf("refresh: %d %s, want 401", r.Status, r.Body)
		return
	}
	checkEnvelope(t, r, http.StatusUnauthorized, "AUTHENTICATION_FAILED")
}

// checkEnvelope checks an error envelope's status, code and status_code.
func checkEnvelope(t testing.TB, r *apitest.Response, status int, code string) map[string]any {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	m := r.Object(t)
	if m["error"] != code || fmt.Sprint(m["status_code"]) != fmt.Sprint(status) {
		t.Errorf("envelope %s, want error %s, status_code %d", r.Body, code, status)
	}
	if status == http.StatusUnauthorized && r.Header.Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("401 without WWW-Authenticate: Bearer")
	}
	return m
}

func str(v any) string { s, _ := v.(string); return s }

// jwtParts decodes a compact JWS's header and payload.
func jwtParts(t testing.TB, token string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("%q is not a compact JWS", token)
	}
	dec := func(s string) map[string]any {
		raw, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("JWT part %q: %v", s, err)
		}
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			t.Fatalf("JWT part: %v", err)
		}
		return m
	}
	return dec(parts[0]), dec(parts[1])
}

// claimsOf decodes an access token's payload.
func claimsOf(t testing.TB, token string) map[string]any {
	t.Helper()
	_, c := jwtParts(t, token)
	return c
}

// sessionID is the sid claim of an access token.
func sessionID(t testing.TB, token string) uuid.UUID {
	t.Helper()
	id, err := uuid.Parse(str(claimsOf(t, token)["sid"]))
	if err != nil {
		t.Fatalf("sid claim: %v", err)
	}
	return id
}

// b64json is base64url(JSON(v)) without padding.
func b64json(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// sign builds a compact JWS by hand: alg HS256 or HS512 sign with key, "none" leaves the
// signature empty.
func sign(t testing.TB, header, claims map[string]any, key []byte) string {
	t.Helper()
	input := b64json(t, header) + "." + b64json(t, claims)
	var h func() hash.Hash
	switch header["alg"] {
	case "HS256":
		h = sha256.New
	case "HS384":
		h = sha512.New384
	case "HS512":
		h = sha512.New
	default:
		return input + "."
	}
	m := hmac.New(h, key)
	m.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// clone copies a JSON object one level deep.
func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// result is one concurrent request's answer (no testing.TB off the test goroutine).
type result struct {
	status int
	body   []byte
	err    error
}

// concurrently sends n copies of a request at once and returns every answer.
func concurrently(e *apitest.Env, n int, method, path string, body func(i int) (string, any)) []result {
	out := make([]result, n)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			p, b := path, any(nil)
			if body != nil {
				p, b = body(i)
			}
			raw, err := json.Marshal(b)
			if err != nil {
				out[i].err = err
				ready.Done()
				return
			}
			req, err := http.NewRequestWithContext(context.Background(), method, e.URL+p, bytes.NewReader(raw))
			if err != nil {
				out[i].err = err
				ready.Done()
				return
			}
			req.Header.Set("Content-Type", "application/json")
			ready.Done()
			<-start
			resp, err := e.Server.Client().Do(req)
			if err != nil {
				out[i].err = err
				return
			}
			defer resp.Body.Close()
			out[i].body, out[i].err = io.ReadAll(resp.Body)
			out[i].status = resp.StatusCode
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return out
}
