package rest

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
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/cors"

	"authbff/graph"
	"authbff/graph/auth"
	"authbff/metrics"
)

// Options configures the HTTP surface.
type Options struct {
	Resolver   *graph.Resolver
	GraphQL    graph.Options
	Playground bool // GraphiQL at /playground
	// Docs serves /openapi.json and Swagger UI at /docs (AUTH_DOCS).
	Docs bool
	// Pages serves the built-in pages e-mail links lead to when no front end is
	// configured: /verify-email, /reset-password, /accept-invite.
	Pages        bool
	Log          *slog.Logger
	Now          func() time.Time
	MaxBodyBytes int64 // default 1 MiB
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

// Prefix is where the REST routes live.
const Prefix = "/v1/auth"

// NewRouter builds the whole HTTP handler: /v1/auth/* (the REST view), /graphql,
// /playground, and the middleware every request passes (request id, client address,
// panic recovery, access log without query strings, security headers). It fails if a
// persisted operation does not validate against the schema.
func NewRouter(o Options) (http.Handler, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	o.GraphQL.MaxBodyBytes = o.MaxBodyBytes
	o.Resolver.Log = o.Log
	a := &adapter{
		exec:      o.Resolver.NewExecutor(o.GraphQL),
		principal: o.Resolver.Principal,
		report:    o.Resolver.Auth.ReportFailure,
		log:       o.Log,
		now:       o.Now,
		maxBody:   o.MaxBodyBytes,
	}
	schema := o.Resolver.NewExecutableSchema().Schema()
	allowed := map[string][]string{}
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
	var loadErr error
	var ops []*operation
	r.Route(Prefix, func(sub chi.Router) {
		for _, rt := range routes {
			op, err := loadOperation(schema, rt.op)
			if err != nil {
				loadErr = err
				return
			}
			ops = append(ops, op)
			sub.Method(rt.method, rt.path, a.handle(rt, op))
			allowed[Prefix+rt.path] = append(allowed[Prefix+rt.path], rt.method)
		}
	})
	if loadErr != nil {
		return nil, loadErr
	}
	r.Get("/healthz", healthz)
	r.Get("/readyz", o.readyz(o.ReadyChecks))
	allowed["/healthz"], allowed["/readyz"] = []string{http.MethodGet}, []string{http.MethodGet}
	if o.Metrics != nil && !o.MetricsElsewhere {
		r.Method(http.MethodGet, "/metrics", o.Metrics.Handler())
		allowed["/metrics"] = []string{http.MethodGet}
	}
	r.Get("/.well-known/jwks.json", func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		writeJSON(w, http.StatusOK, o.Resolver.Auth.JWKS())
	})
	allowed["/.well-known/jwks.json"] = []string{http.MethodGet}
	gql := o.Resolver.NewHandler(o.GraphQL)
	r.Get("/graphql", gql.ServeHTTP)
	r.Post("/graphql", gql.ServeHTTP)
	allowed["/graphql"] = []string{http.MethodGet, http.MethodPost}
	if err := o.mountExplore(r, allowed, schema, ops); err != nil {
		return nil, err
	}
	r.NotFound(func(w http.ResponseWriter, req *http.Request) {
		writeError(w, &auth.Error{Code: auth.CodeNotFound, Message: "Not Found"}, "", o.Now())
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, req *http.Request) {
		methods := slices.Clone(allowed[strings.TrimSuffix(req.URL.Path, "/")])
		slices.Sort(methods)
		w.Header().Set("Allow", strings.Join(methods, ", "))
		writeError(w, &auth.Error{Code: auth.CodeMethodNotAllowed, Message: "Method Not Allowed"}, "", o.Now())
	})
	return r, nil
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
		writeError(w, &auth.Error{Code: auth.CodeForbidden,
			Message: "CORS preflight refused: this origin, method or header is not allowed (see AUTH_CORS_ORIGINS)",
			Details: map[string]any{"origin": origin}}, "", o.Now())
	})
}

// requestContext gives each request an id (X-Request-ID), the caller's address and user
// agent, and its bearer token, for the resolvers and the log.
func (o Options) requestContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := incomingRequestID(r)
		if id == "" {
			id = newRequestID()
		}
		w.Header().Set("X-Request-ID", id)
		ctx := auth.WithClient(r.Context(), auth.Client{IP: o.clientIP(r), UserAgent: r.UserAgent(), RequestID: id})
		ctx = graph.WithBearer(ctx, bearerToken(r.Header.Get("Authorization")))
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

// bearerToken extracts the token of "Bearer <token>" (scheme case-insensitive). Any
// other non-empty header yields a token that fails verification, so the answer is 401.
func bearerToken(h string) string {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok {
		if h != "" {
			return "invalid"
		}
		return ""
	}
	if !strings.EqualFold(scheme, "bearer") {
		return "invalid"
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return "invalid"
	}
	return tok
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
				writeError(w, &auth.Error{Code: auth.CodeInternal, Message: auth.MsgInternal}, "", o.Now())
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
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

// securityHeaders: no sniffing, no framing, no caching of anything auth answers.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		h.Set("Referrer-Policy", "no-referrer")
		switch r.URL.Path {
		default:
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
			h.Set("Cache-Control", "no-store")
		case "/.well-known/jwks.json":
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		}
		next.ServeHTTP(w, r)
	})
}
