// Package apitest runs the production HTTP handler for tests: a real SQLite file per
// test, the real auth service (with cheap hash parameters passed through its Config),
// the real router behind httptest, and the real outbox worker with the log mailer whose
// lines are read back structurally.
package apitest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"authbff/ent"
	"authbff/graph"
	"authbff/graph/auth"
	"authbff/metrics"
	"authbff/server"
)

// CheapHash keeps tests fast; production uses auth.DefaultHashParams.
var CheapHash = auth.HashParams{MemoryKiB: 64, Time: 1, Threads: 1}

// Env is one running service.
type Env struct {
	T      testing.TB
	DB     *ent.Client
	Svc    *auth.Service
	Server *httptest.Server
	URL    string
	Logs   *LogBuffer
	Clock  *Clock
	Config auth.Config
	// Database is the open database (pool, dialect); Metrics the process's metrics.
	Database *auth.Store
	Metrics  *metrics.Set
}

// Option adjusts an Env before it starts.
type Option func(*settings)

type settings struct {
	cfg      auth.Config
	server   server.Options
	dbURL    string
	dbOpts   auth.DBOptions
	sqlLimit bool
	noMailer bool
	// linksToSelf: e-mail links point at the test server (WithLinksToServer).
	linksToSelf bool
}

// WithLinksToServer makes e-mail links point at the test server itself (its built-in
// pages), as they do in production when AUTH_FRONTEND_URL is unset.
func WithLinksToServer() Option { return func(s *settings) { s.linksToSelf = true } }

// WithDBOptions sets the pool and deadline options.
func WithDBOptions(o auth.DBOptions) Option { return func(s *settings) { s.dbOpts = o } }

// WithSharedLimits keeps rate limits in the database (as replicas on PostgreSQL do).
func WithSharedLimits() Option { return func(s *settings) { s.sqlLimit = true } }

// WithConfig changes the service configuration.
func WithConfig(f func(*auth.Config)) Option { return func(s *settings) { f(&s.cfg) } }

// WithDatabase uses the given AUTH_DATABASE_URL instead of a fresh SQLite file.
func WithDatabase(url string) Option { return func(s *settings) { s.dbURL = url } }

// WithoutMailer does not start the outbox worker.
func WithoutMailer() Option { return func(s *settings) { s.noMailer = true } }

// WithServer changes the HTTP server's options.
func WithServer(f func(*server.Options)) Option { return func(s *settings) { f(&s.server) } }

// New starts a service on a fresh SQLite database in t's temp dir.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	clock := &Clock{}
	logs := &LogBuffer{}
	log := slog.New(logs)
	s := &settings{
		cfg: auth.Config{
			AllowRegistration: true,
			Hash:              CheapHash,
			RefreshReuseGrace: 10 * time.Second,
			Now:               clock.Now,
			Log:               log,
		},
		dbURL: "sqlite:" + filepath.Join(t.TempDir(), "auth.db"),
	}
	s.server = server.Options{Log: log, Now: clock.Now, Playground: true, Docs: true, Pages: true, GraphQL: graph.Options{Introspection: true}}
	if os.Getenv(DatabaseEnv) == "postgres" {
		// The whole suite on PostgreSQL: each test gets a fresh database (Postgres).
		s.dbURL = ""
	}
	for _, o := range opts {
		o(s)
	}
	if s.dbURL == "" {
		s.dbURL = Postgres(t)
	}
	var ln net.Listener
	if s.linksToSelf {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		s.cfg.FrontendURL = "http://" + ln.Addr().String()
	}
	ctx, cancel := context.WithCancel(context.Background())
	dbh, err := auth.OpenWith(ctx, s.dbURL, auth.OpenOrCreate, s.dbOpts)
	if err != nil {
		t.Fatalf("opening database: %v", err)
	}
	if _, err := dbh.Migrate(ctx); err != nil {
		t.Fatalf("migrating database: %v", err)
	}
	db := dbh.Client
	m := metrics.New()
	m.WatchDB(dbh.DB)
	s.cfg.Metrics = m
	s.cfg.Store = dbh // as serve: the SQLite writer and driver path, the AUTH_DB_TIMEOUT deadlines
	if s.sqlLimit {
		s.cfg.LimitStore = auth.NewSQLLimitStore(dbh)
	}
	if s.server.ReadyChecks == nil {
		s.server.ReadyChecks = []server.ReadyCheck{{Name: "database", Check: func(ctx context.Context) error {
			return dbh.Ping(ctx, dbh.Timeout)
		}}}
	}
	s.server.Metrics = m
	svc, err := auth.New(ctx, db, s.cfg)
	if err != nil {
		t.Fatalf("starting service: %v", err)
	}
	s.server.Auth = svc
	h, err := server.New(s.server)
	if err != nil {
		t.Fatalf("building router: %v", err)
	}
	srv := httptest.NewUnstartedServer(h)
	if ln != nil {
		srv.Listener.Close()
		srv.Listener = ln
	}
	srv.Start()
	var wg sync.WaitGroup
	if !s.noMailer {
		wg.Go(func() { svc.RunMailer(ctx) })
	}
	t.Cleanup(func() {
		srv.Close()
		cancel()
		wg.Wait()
		dbh.Close()
	})
	return &Env{T: t, DB: db, Svc: svc, Server: srv, URL: srv.URL, Logs: logs, Clock: clock, Config: s.cfg,
		Database: dbh, Metrics: m}
}

// For returns a copy of e that reports its failures on t: the one way a subtest (or a
// goroutine's own testing.TB) uses an Env started by its parent. The copy shares the
// running service, database, logs and clock.
func (e *Env) For(t testing.TB) *Env {
	c := *e
	c.T = t
	return &c
}

// Clock is the service clock: real time plus an offset tests can advance.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now returns the shifted time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// Response is an HTTP answer, read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic value (numbers as json.Number).
func (r *Response) JSON(t testing.TB) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, r.Body)
	}
	return v
}

// Object decodes the body as a JSON object.
func (r *Response) Object(t testing.TB) map[string]any {
	t.Helper()
	m, ok := r.JSON(t).(map[string]any)
	if !ok {
		t.Fatalf("body is not a JSON object: %s", r.Body)
	}
	return m
}

// Do sends a request. body: nil for none, string or []byte as is, anything else as JSON.
// A non-nil body is sent as application/json unless header says otherwise.
func (e *Env) Do(method, path string, body any, token string, header ...string) *Response {
	e.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.T.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		e.T.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	resp, err := e.Server.Client().Do(req)
	if err != nil {
		e.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.T.Fatal(err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// GQLResponse is a GraphQL answer.
type GQLResponse struct {
	Status int
	Raw    []byte
	Data   map[string]any
	Errors []GQLError
}

// GQLError is one GraphQL error.
type GQLError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code returns extensions.code.
func (g GQLError) Code() string { s, _ := g.Extensions["code"].(string); return s }

// GraphQL posts a GraphQL operation, with extra request headers (name, value pairs, as
// Do takes them), and parses the answer.
func (e *Env) GraphQL(query string, vars map[string]any, token string, header ...string) *GQLResponse {
	e.T.Helper()
	body := map[string]any{"query": query}
	if vars != nil {
		body["variables"] = vars
	}
	return e.Do(http.MethodPost, "/graphql", body, token, header...).GQL(e.T)
}

// GQL parses a GraphQL answer (numbers as json.Number); the test fails if the body is
// not one.
func (r *Response) GQL(t testing.TB) *GQLResponse {
	t.Helper()
	out := &GQLResponse{Status: r.Status, Raw: r.Body}
	var parsed struct {
		Data   map[string]any `json:"data"`
		Errors []GQLError     `json:"errors"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(&parsed); err != nil {
		t.Fatalf("GraphQL answer is not JSON: %v: %d %s", err, r.Status, r.Body)
	}
	out.Data, out.Errors = parsed.Data, parsed.Errors
	return out
}

// Account is a registered user with its first tokens.
type Account struct {
	UserID, Email, Username, Password string
	Access, Refresh                   string
	WorkspaceID                       string
}

// Register creates an account over REST and fails the test unless it answers 200.
func (e *Env) Register(username string) *Account {
	e.T.Helper()
	a := &Account{Username: username, Email: username + "@example.com", Password: "pw-" + username + "-Secret!"}
	r := e.Do(http.MethodPost, "/v1/auth/register", map[string]any{"email": a.Email, "username": a.Username, "password": a.Password}, "")
	if r.Status != http.StatusOK {
		e.T.Fatalf("register %s: %d %s", username, r.Status, r.Body)
	}
	m := r.Object(e.T)
	user := m["user"].(map[string]any)
	a.UserID, a.Access, a.Refresh = user["user_id"].(string), m["access_token"].(string), m["refresh_token"].(string)
	a.WorkspaceID, _ = user["default_workspace_id"].(string)
	return a
}

// Login signs in over REST and returns the tokens, failing the test unless it answers 200.
func (e *Env) Login(username, password string) (access, refresh string) {
	e.T.Helper()
	r := e.Do(http.MethodPost, "/v1/auth/login", map[string]any{"username": username, "password": password}, "")
	if r.Status != http.StatusOK {
		e.T.Fatalf("login %s: %d %s", username, r.Status, r.Body)
	}
	m := r.Object(e.T)
	return m["access_token"].(string), m["refresh_token"].(string)
}

// Claims decodes a JWT's payload without verifying it (checking the signature is the
// service's business; tests read what it wrote).
func Claims(t testing.TB, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("%q is not a compact JWS", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("JWT payload: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("JWT payload: %v", err)
	}
	return m
}
