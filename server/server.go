// Package server is authbff's HTTP composition root: from the domain service it builds
// the GraphQL resolver, the /graphql handler, the REST view (/v1/auth, over the same
// executor), the JWKS, health, readiness and metrics endpoints, and the middleware every
// request passes. No package below it mounts anything or reaches back up: graph and rest
// each serve their own paths from explicit values.
package server

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/cors"

	"authbff/graph"
	"authbff/graph/auth"
	"authbff/internal/header"
	"authbff/metrics"
	"authbff/rest"
)

// Options configures the HTTP surface.
type Options struct {
	Auth       *auth.Service
	GraphQL    graph.Options
	Playground bool // GraphiQL at /playground
	// Docs serves /openapi.json and Swagger UI at /docs (AUTH_DOCS).
	Docs bool
	// Pages serves the built-in pages e-mail links lead to when no front end is
	// configured: /verify-email, /reset-password, /accept-invite.
	Pages bool
	Log   *slog.Logger
	// AccessLog, if set, takes the access log's lines instead of Log (serve gives it a
	// buffered output: cmd/authbff/logwriter.go).
	AccessLog *slog.Logger
	// AccessLogDirect, if set, writes the access log's usual lines itself, the same bytes
	// as AccessLog's handler would, to the same output (accesslog.go; serve sets it when
	// AccessLog logs at Info); a line it cannot vouch for goes through AccessLog.
	AccessLogDirect *DirectLog
	Now             func() time.Time
	// MaxBodyBytes caps a request body, REST and GraphQL alike (0: graph.DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// TrustedProxies are the peers whose X-Forwarded-For is believed (AUTH_TRUSTED_PROXIES).
	// Empty: the client IP is always the socket peer.
	TrustedProxies []netip.Prefix
	// CORSOrigins are the browser origins allowed to call the API (AUTH_CORS_ORIGINS).
	// Empty: no CORS headers, so only same-origin pages can read answers.
	CORSOrigins []string
	// Metrics counts every request (nil: none); /metrics serves it unless
	// MetricsElsewhere (AUTH_METRICS_ADDR: a listener of its own).
	Metrics          *metrics.Set
	MetricsElsewhere bool
	// RequestTimeout bounds a request: past it the client gets 503 with Retry-After
	// (0: no bound).
	RequestTimeout time.Duration
	// ReadyChecks are the conditions of GET /readyz (database, migrations, shutdown...).
	ReadyChecks []ReadyCheck
}

// New builds the whole HTTP handler: /v1/auth/* (the REST view), /graphql,
// /playground, the JWKS, /healthz, /readyz, /metrics, and the middleware every request
// passes (request id, client address, panic recovery, access log without query strings,
// security headers, the request timeout). It fails if a persisted operation does not
// validate against the schema.
func New(o Options) (http.Handler, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.AccessLog == nil {
		o.AccessLog = o.Log
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = graph.DefaultMaxBodyBytes
	}
	o.GraphQL.MaxBodyBytes = o.MaxBodyBytes
	resolver := &graph.Resolver{Auth: o.Auth, Log: o.Log}
	r := chi.NewRouter()
	r.Use(o.requestContext, o.recoverer, o.accessLog, securityHeaders, o.timeout(o.RequestTimeout))
	if len(o.CORSOrigins) > 0 {
		r.Use(cors.Handler(cors.Options{
			AllowedOrigins:     o.CORSOrigins,
			AllowedMethods:     []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodOptions},
			AllowedHeaders:     []string{"Authorization", "Content-Type"},
			ExposedHeaders:     []string{"Retry-After", "X-Request-ID", "WWW-Authenticate"},
			AllowCredentials:   false, // tokens travel in the Authorization header, never in cookies
			MaxAge:             600,
			OptionsPassthrough: true, // preflightAnswer answers
		}), o.preflightAnswer)
	}
	api := rest.API{
		Executor:     resolver.NewExecutor(o.GraphQL),
		Schema:       resolver.NewExecutableSchema().Schema(),
		Principal:    resolver.Principal,
		Report:       o.Auth.ReportFailure,
		Log:          o.Log,
		Now:          o.Now,
		MaxBodyBytes: o.MaxBodyBytes,
		CompileMe:    resolver.CompileMe,
	}
	if err := api.Mount(r); err != nil {
		return nil, err
	}
	r.Get("/healthz", healthz)
	r.Get("/readyz", o.readyz(o.ReadyChecks))
	if o.Metrics != nil && !o.MetricsElsewhere {
		r.Method(http.MethodGet, "/metrics", o.Metrics.Handler())
	}
	r.Get("/.well-known/jwks.json", func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		rest.WriteJSON(w, http.StatusOK, o.Auth.JWKS())
	})
	gql := resolver.NewHandler(o.GraphQL)
	r.Get("/graphql", gql.ServeHTTP)
	r.Post("/graphql", gql.ServeHTTP)
	if err := o.mountExplore(r, api.Schema); err != nil {
		return nil, err
	}
	r.NotFound(func(w http.ResponseWriter, req *http.Request) {
		rest.WriteError(w, &auth.Error{Code: auth.CodeNotFound, Message: "Not Found"}, o.Now())
	})
	allowed, err := allowedMethods(r)
	if err != nil {
		return nil, err
	}
	r.MethodNotAllowed(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Allow", allowed[strings.TrimSuffix(req.URL.Path, "/")])
		rest.WriteError(w, &auth.Error{Code: auth.CodeMethodNotAllowed, Message: "Method Not Allowed"}, o.Now())
	})
	return r, nil
}

// allowedMethods is the Allow header of each mounted path ("GET, POST"), read from the
// router itself so that a 405 can never disagree with the routes.
func allowedMethods(r chi.Routes) (map[string]string, error) {
	byPath := map[string][]string{}
	err := chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		route = strings.TrimSuffix(route, "/")
		if !slices.Contains(byPath[route], method) {
			byPath[route] = append(byPath[route], method)
		}
		return nil
	})
	out := make(map[string]string, len(byPath))
	for path, methods := range byPath {
		slices.Sort(methods)
		out[path] = strings.Join(methods, ", ")
	}
	return out, err
}

// preflightAnswer answers a CORS preflight once the cors handler has judged it: 204 when
// it allowed it, else a clear 403 FORBIDDEN envelope naming the origin (rather than the
// 405 an OPTIONS request would otherwise get), so that a developer sees why in the
// browser's network tab. Other requests pass.
func (o Options) preflightAnswer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if r.Method != http.MethodOptions || origin == "" || r.Header.Get("Access-Control-Request-Method") == "" {
			next.ServeHTTP(w, r)
			return
		}
		if w.Header().Get("Access-Control-Allow-Origin") != "" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		rest.WriteError(w, &auth.Error{Code: auth.CodeForbidden,
			Message: "CORS preflight refused: this origin, method or header is not allowed (see AUTH_CORS_ORIGINS)",
			Details: map[string]any{"origin": origin}}, o.Now())
	})
}

// requestContext gives each request an id (X-Request-ID), the caller's address and user
// agent, and the RequestInfo the access log reads (each transport reads its own bearer).
func (o Options) requestContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := incomingRequestID(r)
		if id == "" {
			id = newRequestID()
		}
		w.Header()["X-Request-Id"] = []string{id} // Set("X-Request-ID", id) without canonicalizing the key
		ctx := auth.WithClient(r.Context(), auth.Client{IP: o.clientIP(r), UserAgent: r.UserAgent(), RequestID: id})
		ctx = graph.WithInfo(ctx, &graph.RequestInfo{})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// clientIP is the socket peer, unless the peer is a trusted proxy: then the right-most
// address of X-Forwarded-For that is not a trusted proxy (addresses to its left could
// have been written by the client). Nothing trusts X-Forwarded-For by default.
func (o Options) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !o.trusted(peer) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed hop: stop believing the header
		}
		a = a.Unmap()
		if !o.trusted(a) {
			return a.String()
		}
		peer = a
	}
	return peer.Unmap().String()
}

func (o Options) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range o.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// recoverer answers a panic with the generic 500 envelope and logs the stack.
func (o Options) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				o.Log.Error("panic", "request_id", auth.ClientFrom(r.Context()).RequestID, "panic", p,
					"stack", string(debug.Stack()))
				rest.WriteError(w, &auth.Error{Code: auth.CodeInternal, Message: auth.MsgInternal}, o.Now())
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status for the access log, and writes its line once
// (logOnce: the request's timeout may write it before the handler returns).
type statusRecorder struct {
	http.ResponseWriter
	status  int
	logOnce sync.Once
	logLine func()
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// securityHeaders: no sniffing, no framing, no caching of anything auth answers. The
// values are shared slices under their canonical keys (package header says why).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["X-Content-Type-Options"] = hdrNosniff
		h["X-Frame-Options"] = hdrDeny
		if r.TLS != nil {
			h["Strict-Transport-Security"] = hdrHSTS
		}
		h["Referrer-Policy"] = hdrNoReferrer
		switch r.URL.Path {
		default:
			h["Content-Security-Policy"] = hdrCSP
			h["Cache-Control"] = hdrNoStore
		case "/.well-known/jwks.json":
			h["Content-Security-Policy"] = hdrCSP
		}
		next.ServeHTTP(w, r)
	})
}

var (
	hdrNosniff    = header.Fixed("nosniff")
	hdrDeny       = header.Fixed("DENY")
	hdrHSTS       = header.Fixed("max-age=63072000; includeSubDomains")
	hdrNoReferrer = header.Fixed("no-referrer")
	hdrCSP        = header.Fixed("default-src 'none'; frame-ancestors 'none'")
	hdrNoStore    = header.Fixed("no-store")
)
