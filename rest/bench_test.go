package rest_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"authbff/graph/auth"
	"authbff/rest/apitest"
	"authbff/server"
)

// Benchmarks of the hot paths, in-process through the production handler (router,
// middleware, persisted operation, executor, service, SQLite). Run: make bench.

func benchServe(b *testing.B, h http.Handler, newReq func() *http.Request, want int) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, newReq())
		if rec.Code != want {
			b.Fatalf("status %d: %s", rec.Code, rec.Body.Bytes())
		}
	}
	reportCPU(b, cpu)
}

// cpuTime is the process's user+system CPU time so far (every thread: the collector's
// too). reportCPU reports the CPU time per op since start as cpu-ns/op: on a shared
// machine it varies much less than wall time per op, which also counts the time other
// processes held the cores (the load harness's "server CPU per request" is the same
// measure).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	if b.N > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkMeREST is GET /v1/auth/me: JWT check, the session/account query, the answer.
func BenchmarkMeREST(b *testing.B) {
	e := apitest.New(b, apitest.WithoutMailer())
	a := e.Register("bench")
	h := e.Server.Config.Handler
	benchServe(b, h, func() *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/v1/auth/me", nil)
		r.Header.Set("Authorization", "Bearer "+a.Access)
		return r
	}, http.StatusOK)
}

// production is the HTTP options serve runs with by default (cmd/authbff): a request
// timeout, the development CORS origins, and an access log line per request in slog's
// text format, written directly as serve writes it (server.DirectLog; here into
// io.Discard instead of stderr).
func production() apitest.Option {
	return apitest.WithServer(func(o *server.Options) {
		o.RequestTimeout = 15 * time.Second
		o.CORSOrigins = []string{"http://localhost:5173", "http://127.0.0.1:5173", "http://localhost:8080", "http://127.0.0.1:8080"}
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
		o.AccessLogDirect = server.NewDirectLog(io.Discard, false)
	})
}

// BenchmarkMeRESTProduction is BenchmarkMeREST with serve's default HTTP options.
func BenchmarkMeRESTProduction(b *testing.B) {
	e := apitest.New(b, apitest.WithoutMailer(), production())
	a := e.Register("bench")
	h := e.Server.Config.Handler
	benchServe(b, h, func() *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/v1/auth/me", nil)
		r.Header.Set("Authorization", "Bearer "+a.Access)
		return r
	}, http.StatusOK)
}

// BenchmarkMeGraphQLProduction is the load harness's GraphQL case, { me { id email } },
// with serve's default HTTP options.
func BenchmarkMeGraphQLProduction(b *testing.B) {
	e := apitest.New(b, apitest.WithoutMailer(), production())
	a := e.Register("bench")
	h := e.Server.Config.Handler
	body := []byte(`{"query":"{ me { id email } }"}`)
	benchServe(b, h, graphQLRequest(body, a.Access), http.StatusOK)
}

// BenchmarkMeGraphQL is the same read over POST /graphql.
func BenchmarkMeGraphQL(b *testing.B) {
	e := apitest.New(b, apitest.WithoutMailer())
	a := e.Register("bench")
	h := e.Server.Config.Handler
	body := []byte(`{"query":"{ me { id email username fullName isVerified roles createdAt lastLogin defaultWorkspaceId } }"}`)
	benchServe(b, h, graphQLRequest(body, a.Access), http.StatusOK)
}

// BenchmarkConfigREST is the cheapest route: the fixed cost of the REST → GraphQL path.
func BenchmarkConfigREST(b *testing.B) {
	e := apitest.New(b, apitest.WithoutMailer())
	h := e.Server.Config.Handler
	benchServe(b, h, func() *http.Request { return httptest.NewRequest(http.MethodGet, "/v1/auth/config", nil) }, http.StatusOK)
}

// BenchmarkRefresh is POST /v1/auth/refresh: one rotation (a write transaction) per op.
func BenchmarkRefresh(b *testing.B) {
	e := apitest.New(b, apitest.WithoutMailer())
	a := e.Register("bench")
	h := e.Server.Config.Handler
	tok := a.Refresh
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/v1/auth/refresh", bytes.NewReader([]byte(`{"refresh_token":"`+tok+`"}`)))
		r.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body.Bytes())
		}
		b.StopTimer()
		tok = refreshOf(b, rec.Body.Bytes())
		b.StartTimer()
	}
}

func refreshOf(b *testing.B, body []byte) string {
	const key = `"refresh_token":"`
	i := bytes.Index(body, []byte(key))
	if i < 0 {
		b.Fatalf("no refresh token in %s", body)
	}
	rest := body[i+len(key):]
	return string(rest[:bytes.IndexByte(rest, '"')])
}

// BenchmarkLoginCheapHash is POST /v1/auth/login with test hash parameters, so it
// measures everything but argon2 (which costs ~20–40 ms at the production parameters).
func BenchmarkLoginCheapHash(b *testing.B) {
	e := apitest.New(b, apitest.WithoutMailer())
	a := e.Register("bench")
	h := e.Server.Config.Handler
	body := []byte(`{"username":"bench","password":"` + a.Password + `"}`)
	benchServe(b, h, func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/v1/auth/login", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return r
	}, http.StatusOK)
}

// BenchmarkRefreshParallel is POST /v1/auth/refresh from 64 clients at once, each
// rotating its own session: on SQLite the rotations share transactions and fsyncs
// (group commit, graph/auth/refresh.go). Compare with BenchmarkRefresh (one client).
func BenchmarkRefreshParallel(b *testing.B) {
	e := apitest.New(b, apitest.WithoutMailer(), apitest.WithConfig(func(c *auth.Config) { c.MaxSessions = 100 }))
	a := e.Register("bench")
	const clients = 64
	pool := make(chan string, clients)
	for range clients {
		_, refresh := e.Login(a.Username, a.Password)
		pool <- refresh
	}
	h := e.Server.Config.Handler
	b.SetParallelism(clients / 2) // x GOMAXPROCS (2 here) = 64 goroutines
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			tok := <-pool
			r := httptest.NewRequest(http.MethodPost, "/v1/auth/refresh", bytes.NewReader([]byte(`{"refresh_token":"`+tok+`"}`)))
			r.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != http.StatusOK {
				b.Errorf("status %d: %s", rec.Code, rec.Body.Bytes())
				pool <- tok
				return
			}
			pool <- refreshOf(b, rec.Body.Bytes())
		}
	})
}

// graphQLRequest makes POST /graphql requests with body and a bearer token.
func graphQLRequest(body []byte, token string) func() *http.Request {
	return func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+token)
		return r
	}
}
