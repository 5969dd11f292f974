package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"

	"authbff/graph"
	"authbff/graph/auth"
	"authbff/graph/auth/smtpmail"
	"authbff/metrics"
	"authbff/server"
)

const serveUsage = `Usage: authbff serve

Runs the HTTP server, configured by the AUTH_* environment variables (README.md).
With AUTH_AUTO_MIGRATE=on (the default) pending migrations are applied first, under
the migration lock; with it off, a database that is behind stops the start (run
` + "`authbff migrate up`" + `). A database migrated by a newer release is always refused.
SIGINT/SIGTERM: stop accepting, finish the requests in flight, exit 0.
`

// serve runs the HTTP server until ctx ends (SIGINT/SIGTERM), then stops accepting,
// finishes the requests in flight and the mail being sent, and returns nil.
func serve(ctx context.Context, args []string, getenv func(string) string, std stdio) error {
	if len(args) > 0 {
		return fmt.Errorf("serve takes no arguments (configure it with AUTH_* variables)")
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	out := newLogWriter(std.err)
	defer out.Close()
	log := newLogger(out.Sync(), cfg.LogLevel, cfg.LogFormat)
	cfg.accessLog = newLogger(out, cfg.LogLevel, cfg.LogFormat)
	if cfg.accessLog.Enabled(ctx, slog.LevelInfo) {
		cfg.accessDirect = server.NewDirectLog(out, cfg.LogFormat == "json")
	}
	applyMemorySettings(&cfg, log)
	keepCHeap()
	for _, u := range unknownVars(os.Environ()) {
		log.Warn("unknown variable ignored: "+u[0]+"; did you mean "+u[1]+"?", "variable", u[0], "closest", u[1])
	}
	return serveWith(ctx, cfg, log, nil)
}

// writeTimeout is the server's write timeout; AUTH_REQUEST_TIMEOUT stays below it, so
// that a slow request answers 503 itself instead of being cut off without an answer.
const writeTimeout = 30 * time.Second

// serveWith is serve with a parsed configuration; ready, if not nil, receives the
// listening address (tests use it).
func serveWith(ctx context.Context, cfg config, log *slog.Logger, ready chan<- string) error {
	st, err := openForServe(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	db := st.Client
	m := metrics.New()
	m.WatchDB(st.DB)
	cfg.Auth.Metrics = m
	cfg.Auth.Log = log
	cfg.Auth.Store = st // its SQLite writer and driver path, and the AUTH_DB_TIMEOUT deadlines
	if cfg.MailTemplates != "" {
		cfg.Auth.MailTemplates = os.DirFS(cfg.MailTemplates)
	}
	if cfg.SMTPURL == "" {
		log.Warn("AUTH_SMTP_URL is unset: e-mails, with their links, are written to this log (development only)")
	} else {
		sender, err := smtpmail.New(cfg.SMTPURL, smtpmail.Options{})
		if err != nil {
			return fmt.Errorf("AUTH_SMTP_URL: %w", err)
		}
		cfg.Auth.MailSender = sender
		log.Info("mail via SMTP", "host", sender.Addr())
	}
	if cfg.LimitStore == "database" || (cfg.LimitStore == "auto" && st.Dialect == dialect.Postgres) {
		cfg.Auth.LimitStore = auth.NewSQLLimitStore(st)
	}
	if !cfg.JWTAlgSet {
		// Without AUTH_JWT_ALG the signer's algorithm is kept: a start never rotates an
		// EdDSA database to HS256 as a side effect (a new database starts with HS256).
		op, err := operatorService(ctx, cfg, st)
		if err != nil {
			return err
		}
		if stored, err := op.StoredKeys(ctx); err != nil {
			return err
		} else if len(stored) > 0 {
			cfg.Auth.JWTAlg = stored[0].Alg
		}
	}
	svc, err := auth.New(ctx, db, cfg.Auth)
	if err != nil {
		return err
	}
	if !svc.Encrypted() {
		log.Warn("AUTH_SECRET_KEY is unset: signing keys and pending mail links are stored in clear in the database; " +
			"set it in production (generate one with `openssl rand -hex 32`)")
	}
	var draining atomic.Bool
	checks := []server.ReadyCheck{
		{Name: "database", Check: func(ctx context.Context) error { return st.Ping(ctx, st.Timeout) }},
		{Name: "shutdown", Check: func(context.Context) error {
			if draining.Load() {
				return errors.New("shutting down")
			}
			return nil
		}},
	}
	if check := migrationsCheck(st); check != nil {
		checks = append(checks, server.ReadyCheck{Name: "migrations", Check: check})
	}
	h, err := server.New(server.Options{
		Auth: svc,
		GraphQL: graph.Options{Introspection: cfg.Introspection, MaxDepth: cfg.MaxDepth,
			MaxComplexity: cfg.MaxComplexity, MaxRootFields: cfg.MaxRootFields},
		Playground:       cfg.Playground,
		Docs:             cfg.Docs,
		Pages:            cfg.FrontendURL == "",
		Log:              log,
		AccessLog:        cfg.accessLog,
		AccessLogDirect:  cfg.accessDirect,
		TrustedProxies:   cfg.TrustedProxies,
		CORSOrigins:      cfg.CORSOrigins,
		Metrics:          m,
		MetricsElsewhere: cfg.MetricsAddr != "",
		RequestTimeout:   cfg.RequestTimeout,
		ReadyChecks:      checks,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	serverLog := newServerLog(log, time.Now)
	serverLog.counted = m.TLSHandshakeFailed // authbff_tls_handshake_errors_total
	srv := newHTTPServer(h, serverLog, cfg.TLSCertFile != "")
	var metricsSrv *http.Server
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("AUTH_METRICS_ADDR: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", m.Handler())
		metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: writeTimeout}
		go func() { _ = metricsSrv.Serve(mln) }()
		log.Info("metrics listening", "addr", mln.Addr().String())
	}
	mailCtx, stopMail := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { svc.RunMailer(mailCtx) })
	wg.Go(func() { svc.RunJanitor(mailCtx) })

	addr := ln.Addr().String()
	scheme := "http://"
	if cfg.TLSCertFile != "" {
		scheme = "https://"
	}
	if cfg.Auth.RateLimits == nil {
		log.Warn("AUTH_RATE_LIMITS=off: no rate limits")
	}
	releaseStartupMemory()
	log.Info("authbff listening", "addr", addr, "url", scheme+displayAddr(addr), "graphql", "/graphql",
		"playground", cfg.Playground, "docs", cfg.Docs, "database", st.Name)
	if cfg.FrontendURL == "" {
		log.Info("e-mail links lead to the built-in pages (AUTH_FRONTEND_URL is unset)", "base", cfg.PublicURL)
	} else {
		log.Info("e-mail links lead to the front end", "base", cfg.FrontendURL)
	}
	if ready != nil {
		ready <- addr
	}
	errc := make(chan error, 1)
	go func() {
		if cfg.TLSCertFile != "" {
			errc <- srv.ServeTLS(ln, cfg.TLSCertFile, cfg.TLSKeyFile)
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		stopMail()
		wg.Wait()
		return err
	case <-ctx.Done():
	}
	// Readiness first: the load balancer stops sending new requests while the listener
	// still accepts them, then the listener closes and the requests in flight finish.
	draining.Store(true)
	if cfg.drainStarted != nil {
		close(cfg.drainStarted)
	}
	log.Info("shutting down: /readyz answers 503", "delay", cfg.ShutdownDelay.String())
	if cfg.ShutdownDelay > 0 {
		t := time.NewTimer(cfg.ShutdownDelay)
		select {
		case <-t.C:
		case <-cfg.skipDelay:
		}
		t.Stop()
	}
	log.Info("shutting down: listener closed, finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	if metricsSrv != nil {
		_ = metricsSrv.Shutdown(sctx)
	}
	stopMail()
	wg.Wait()
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// migrationsCheck is the readiness check "migrations": the database schema is exactly
// this binary's (no pending, unknown or altered migration), so that a replica whose
// database another release migrated ahead, or that someone rolled back, leaves the load
// balancer instead of answering with the wrong schema. SELECTs only.
func migrationsCheck(st *auth.Store) func(context.Context) error {
	return func(ctx context.Context) error {
		status, err := st.Status(ctx)
		if err != nil {
			return err
		}
		if !status.Current() {
			return status.Check(st.Name)
		}
		return nil
	}
}

// newHTTPServer is the server with its timeouts and, when it terminates TLS, tlsConfig.
func newHTTPServer(h http.Handler, sl *serverLog, withTLS bool) *http.Server {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          sl.Logger(),
	}
	if withTLS {
		srv.TLSConfig = tlsConfig()
	}
	return srv
}

// newLogger writes text (the default, for people) or JSON (AUTH_LOG_FORMAT=json, for
// log pipelines) lines at level.
func newLogger(w io.Writer, level, format string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: l}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func displayAddr(addr string) string {
	if strings.HasPrefix(addr, "[::]:") {
		return "localhost:" + strings.TrimPrefix(addr, "[::]:")
	}
	if strings.HasPrefix(addr, "0.0.0.0:") {
		return "localhost:" + strings.TrimPrefix(addr, "0.0.0.0:")
	}
	return addr
}
