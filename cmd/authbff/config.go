package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agnivade/levenshtein"

	"authbff/graph"
	"authbff/graph/auth"
	"authbff/server"
)

// config is everything serve reads from AUTH_* variables (CONTRACT.md §6).
type config struct {
	Addr           string
	DatabaseURL    string
	SMTPURL        string
	Introspection  bool
	Playground     bool
	Docs           bool // AUTH_DOCS: /openapi.json and Swagger UI at /docs
	MaxDepth       int
	MaxComplexity  int
	MaxRootFields  int
	TrustedProxies []netip.Prefix
	CORSOrigins    []string
	FrontendURL    string // AUTH_FRONTEND_URL; "": e-mail links lead to the built-in pages
	PublicURL      string // AUTH_PUBLIC_URL: where users reach this server
	TLSCertFile    string
	TLSKeyFile     string
	Auth           auth.Config
	LogLevel       string
	LogFormat      string // AUTH_LOG_FORMAT: text or json
	MailTemplates  string // AUTH_MAIL_TEMPLATES_DIR
	// MemoryLimit is the Go runtime's soft memory limit in bytes (AUTH_MEMORY_LIMIT;
	// 0: derived from the hash settings, -1: off). See memoryLimit.
	MemoryLimit int64
	// GOGCSet and GOMEMLIMITSet: the Go runtime's own variables are set (the runtime
	// read them at start; serve then leaves the GC percent or the memory limit alone).
	GOGCSet, GOMEMLIMITSet bool
	// AutoMigrate (AUTH_AUTO_MIGRATE): serve applies pending migrations at start.
	AutoMigrate bool
	// JWTAlgSet: AUTH_JWT_ALG was given (commands then never switch algorithm on their own).
	JWTAlgSet bool

	DB             auth.DBOptions // AUTH_DB_*
	LimitStore     string         // AUTH_RATE_LIMIT_STORE: auto, memory or database
	MetricsAddr    string         // AUTH_METRICS_ADDR: /metrics on a listener of its own
	RequestTimeout time.Duration  // AUTH_REQUEST_TIMEOUT
	// ShutdownDelay is how long /readyz answers 503 before the listener closes (the load
	// balancer's time to notice); ShutdownTimeout bounds the requests still in flight.
	ShutdownDelay   time.Duration
	ShutdownTimeout time.Duration

	// Test hooks: drainStarted is closed when /readyz turns 503; the delay ends early
	// when skipDelay is closed.
	drainStarted chan struct{}
	skipDelay    chan struct{}

	// accessLog is where the access log goes: serve's buffered log output (logwriter.go);
	// nil: the logger serveWith is given.
	accessLog *slog.Logger
	// accessDirect writes accessLog's usual lines without slog (server.DirectLog), to the
	// same output in the same format; nil: every line through accessLog.
	accessDirect *server.DirectLog
}

// loadConfig reads the environment; every variable is optional. Bad values are errors
// naming the variable, so a typo stops the server instead of running with a default.
func loadConfig(getenv func(string) string) (config, error) {
	p := envParser{getenv: getenv}
	d, g := auth.DefaultConfig(), graph.DefaultOptions()
	c := config{
		Addr:          p.str("AUTH_ADDR", ":8080"),
		DatabaseURL:   p.str("AUTH_DATABASE_URL", "sqlite:data/auth.db"),
		SMTPURL:       p.str("AUTH_SMTP_URL", ""),
		Introspection: p.onOff("AUTH_GRAPHQL_INTROSPECTION", g.Introspection),
		Playground:    p.onOff("AUTH_GRAPHQL_PLAYGROUND", true),
		Docs:          p.onOff("AUTH_DOCS", true),
		LogLevel:      p.str("AUTH_LOG_LEVEL", "info"),
		LogFormat:     p.oneOf("AUTH_LOG_FORMAT", "text", "text", "json"),
		MailTemplates: p.str("AUTH_MAIL_TEMPLATES_DIR", ""),
		MaxDepth:      p.integer("AUTH_GRAPHQL_MAX_DEPTH", g.MaxDepth, 2, 100),
		MaxComplexity: p.integer("AUTH_GRAPHQL_MAX_COMPLEXITY", g.MaxComplexity, 10, 1_000_000),
		MaxRootFields: p.integer("AUTH_GRAPHQL_MAX_ROOT_FIELDS", g.MaxRootFields, 1, 1000),
		CORSOrigins:   p.list("AUTH_CORS_ORIGINS"),
		FrontendURL:   p.baseURL("AUTH_FRONTEND_URL", ""),
		TLSCertFile:   p.str("AUTH_TLS_CERT_FILE", ""),
		TLSKeyFile:    p.str("AUTH_TLS_KEY_FILE", ""),
		AutoMigrate:   p.onOff("AUTH_AUTO_MIGRATE", true),
		JWTAlgSet:     p.str("AUTH_JWT_ALG", "") != "",
	}
	// Start from the defaults, so that the fields no variable sets keep theirs.
	c.Auth = d
	c.Auth.AllowRegistration = p.boolean("AUTH_ALLOW_REGISTRATION", d.AllowRegistration)
	c.Auth.AccessTTL = p.duration("AUTH_ACCESS_TTL", d.AccessTTL)
	c.Auth.RefreshTTL = p.duration("AUTH_REFRESH_TTL", d.RefreshTTL)
	c.Auth.SessionMaxAge = p.duration("AUTH_SESSION_MAX_AGE", d.SessionMaxAge)
	c.Auth.RefreshReuseGrace = p.duration("AUTH_REFRESH_REUSE_GRACE", d.RefreshReuseGrace)
	c.Auth.Issuer = p.str("AUTH_JWT_ISSUER", d.Issuer)
	c.Auth.JWTAlg = p.oneOf("AUTH_JWT_ALG", d.JWTAlg, auth.AlgHS256, auth.AlgEdDSA)
	c.Auth.Audience = p.str("AUTH_JWT_AUDIENCE", d.Audience)
	c.Auth.JWTSecret = []byte(p.str("AUTH_JWT_SECRET", ""))
	c.Auth.MailFrom = p.str("AUTH_MAIL_FROM", d.MailFrom)
	c.Auth.Hash = auth.HashParams{
		MemoryKiB: uint32(p.integer("AUTH_HASH_MEMORY_KIB", int(d.Hash.MemoryKiB), 8, 4<<20)),
		Time:      uint32(p.integer("AUTH_HASH_TIME", int(d.Hash.Time), 1, 100)),
		Threads:   uint8(p.integer("AUTH_HASH_THREADS", int(d.Hash.Threads), 1, 255)),
	}
	c.PublicURL = p.baseURL("AUTH_PUBLIC_URL", defaultPublicURL(c.Addr, c.TLSCertFile != ""))
	// E-mail links go to the front end when there is one, else to the built-in pages.
	c.Auth.FrontendURL = c.FrontendURL
	if c.FrontendURL == "" {
		c.Auth.FrontendURL = c.PublicURL
	}
	if len(c.CORSOrigins) == 0 {
		c.CORSOrigins = defaultCORSOrigins(c.FrontendURL)
	}
	c.Auth.SecretKey = p.secretKey("AUTH_SECRET_KEY", p.str("AUTH_SECRET_KEY", ""))
	for i, v := range p.list("AUTH_SECRET_KEY_OLD") {
		c.Auth.SecretKeysOld = append(c.Auth.SecretKeysOld, p.secretKey(fmt.Sprintf("AUTH_SECRET_KEY_OLD (key %d)", i+1), v))
	}
	if len(c.Auth.SecretKey) == 0 && len(c.Auth.SecretKeysOld) > 0 {
		p.errs = append(p.errs, errors.New("AUTH_SECRET_KEY_OLD needs AUTH_SECRET_KEY (the key to re-encrypt under)"))
	}
	c.Auth.AuditRetention = p.duration("AUTH_AUDIT_RETENTION", d.AuditRetention)
	if c.Auth.AuditRetention <= 0 {
		p.errs = append(p.errs, errors.New("AUTH_AUDIT_RETENTION must be positive (such as 8760h)"))
	}
	c.MemoryLimit = p.bytes("AUTH_MEMORY_LIMIT")
	c.GOGCSet, c.GOMEMLIMITSet = getenv("GOGC") != "", getenv("GOMEMLIMIT") != ""
	c.DB = auth.DBOptions{
		Timeout:         p.duration("AUTH_DB_TIMEOUT", auth.DefaultDBTimeout),
		MaxConns:        p.integer("AUTH_DB_MAX_CONNS", 0, 1, 10_000),
		MaxIdleConns:    p.integer("AUTH_DB_MAX_IDLE_CONNS", 0, 1, 10_000),
		ConnMaxLifetime: p.duration("AUTH_DB_CONN_MAX_LIFETIME", 30*time.Minute),
		ConnMaxIdleTime: p.duration("AUTH_DB_CONN_MAX_IDLE_TIME", 5*time.Minute),
	}
	c.LimitStore = p.oneOf("AUTH_RATE_LIMIT_STORE", "auto", "auto", "memory", "database")
	c.MetricsAddr = p.str("AUTH_METRICS_ADDR", "")
	c.RequestTimeout = p.duration("AUTH_REQUEST_TIMEOUT", 15*time.Second)
	c.ShutdownDelay = p.duration("AUTH_SHUTDOWN_DELAY", 5*time.Second)
	c.ShutdownTimeout = p.duration("AUTH_SHUTDOWN_TIMEOUT", 9*time.Second)
	if c.DB.Timeout <= 0 {
		p.errs = append(p.errs, errors.New("AUTH_DB_TIMEOUT must be positive"))
	}
	if c.RequestTimeout >= writeTimeout {
		p.errs = append(p.errs, fmt.Errorf("AUTH_REQUEST_TIMEOUT must be below the write timeout (%v)", writeTimeout))
	}
	c.TrustedProxies = p.prefixes("AUTH_TRUSTED_PROXIES")
	limits, err := auth.ParseLimits(p.str("AUTH_RATE_LIMITS", "on"))
	if err != nil {
		p.errs = append(p.errs, err)
	}
	c.Auth.RateLimits = limits
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		p.errs = append(p.errs, errors.New("AUTH_TLS_CERT_FILE and AUTH_TLS_KEY_FILE go together"))
	}
	if err := c.Auth.Check(); err != nil {
		p.errs = append(p.errs, err)
	}
	if c.Auth.AccessTTL <= 0 || c.Auth.RefreshTTL <= 0 || c.Auth.SessionMaxAge <= 0 {
		p.errs = append(p.errs, errors.New("AUTH_ACCESS_TTL, AUTH_REFRESH_TTL and AUTH_SESSION_MAX_AGE must be positive"))
	}
	return c, errors.Join(p.errs...)
}

// devOrigins are the origins an SPA's development server usually runs on (Create React
// App and Next.js, Vite, webpack-dev-server and Vue CLI), allowed by default when no
// front end is configured, so that a local SPA works out of the box.
var devOrigins = []string{
	"http://localhost:3000", "http://127.0.0.1:3000",
	"http://localhost:5173", "http://127.0.0.1:5173",
	"http://localhost:8080", "http://127.0.0.1:8080",
}

// defaultCORSOrigins is AUTH_CORS_ORIGINS's default: the front end's origin when
// AUTH_FRONTEND_URL is set, else devOrigins.
func defaultCORSOrigins(frontend string) []string {
	if frontend == "" {
		return slices.Clone(devOrigins)
	}
	u, _ := url.Parse(frontend) // checked by baseURL
	return []string{u.Scheme + "://" + u.Host}
}

// defaultPublicURL is AUTH_PUBLIC_URL's default: the listen address, with localhost for
// an empty or wildcard host.
func defaultPublicURL(addr string, tls bool) string {
	scheme := "http://"
	if tls {
		scheme = "https://"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return scheme + "localhost:8080"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return scheme + net.JoinHostPort(host, port)
}

// knownVars lists every variable loadConfig reads, by reading them.
func knownVars() []string {
	var names []string
	_, _ = loadConfig(func(name string) string {
		names = append(names, name)
		return ""
	})
	return names
}

// unknownVars returns a warning for each AUTH_* name in environ (NAME=value entries)
// that loadConfig does not read, naming the closest known variable: a misspelled
// variable would otherwise be ignored without a word. AUTH_TEST_* (the tests') pass.
func unknownVars(environ []string) [][2]string {
	known := knownVars()
	var out [][2]string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "AUTH_") || strings.HasPrefix(name, "AUTH_TEST_") || slices.Contains(known, name) {
			continue
		}
		best, dist := "", -1
		for _, k := range known {
			d := levenshtein.ComputeDistance(name, k)
			if strings.HasPrefix(k, name) || strings.HasPrefix(name, k) {
				d-- // a shortened or extended name: AUTH_SMTP is AUTH_SMTP_URL before AUTH_ADDR
			}
			if dist < 0 || d < dist {
				best, dist = k, d
			}
		}
		out = append(out, [2]string{name, best})
	}
	return out
}

type envParser struct {
	getenv func(string) string
	errs   []error
}

func (p *envParser) str(name, def string) string {
	if v := strings.TrimSpace(p.getenv(name)); v != "" {
		return v
	}
	return def
}

// baseURL reads an absolute http(s) URL without query or fragment, trailing "/" removed.
func (p *envParser) baseURL(name, def string) string {
	v := strings.TrimRight(p.str(name, def), "/")
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		p.errs = append(p.errs, fmt.Errorf("%s=%q: want an absolute http(s) URL such as https://auth.example.com", name, v))
		return def
	}
	return v
}

func (p *envParser) boolean(name string, def bool) bool {
	v := p.str(name, "")
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(strings.ToLower(v))
	if err != nil {
		p.errs = append(p.errs, fmt.Errorf("%s=%q: want true or false", name, v))
		return def
	}
	return b
}

func (p *envParser) onOff(name string, def bool) bool {
	switch v := strings.ToLower(p.str(name, "")); v {
	case "":
		return def
	case "on", "true", "1", "yes":
		return true
	case "off", "false", "0", "no":
		return false
	default:
		p.errs = append(p.errs, fmt.Errorf("%s=%q: want on or off", name, v))
		return def
	}
}

func (p *envParser) duration(name string, def time.Duration) time.Duration {
	v := p.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		p.errs = append(p.errs, fmt.Errorf("%s=%q: want a Go duration such as 15m or 168h", name, v))
		return def
	}
	return d
}

// oneOf reads a value that must be one of allowed.
func (p *envParser) oneOf(name, def string, allowed ...string) string {
	v := p.str(name, def)
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return a
		}
	}
	p.errs = append(p.errs, fmt.Errorf("%s=%q: want one of %s", name, v, strings.Join(allowed, ", ")))
	return def
}

// list reads comma-separated values.
func (p *envParser) list(name string) []string {
	var out []string
	for _, v := range strings.Split(p.str(name, ""), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// prefixes reads comma-separated CIDRs (a bare address is its own /32 or /128).
func (p *envParser) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, v := range p.list(name) {
		if pfx, err := netip.ParsePrefix(v); err == nil {
			out = append(out, pfx.Masked())
			continue
		}
		if a, err := netip.ParseAddr(v); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p.errs = append(p.errs, fmt.Errorf("%s: %q is not a CIDR such as 10.0.0.0/8", name, v))
	}
	return out
}

// secretKey reads a key of auth.SecretKeyLen bytes written as hex ("" is no key).
func (p *envParser) secretKey(name, v string) []byte {
	if v == "" {
		return nil
	}
	b, err := hex.DecodeString(v)
	if err != nil || len(b) != auth.SecretKeyLen {
		// The value itself is never repeated: it is a secret.
		p.errs = append(p.errs, fmt.Errorf("%s: want %d hex characters (%d bytes); generate one with `openssl rand -hex 32`",
			name, 2*auth.SecretKeyLen, auth.SecretKeyLen))
		return nil
	}
	return b
}

// bytes parses a size: "off", a number of bytes, or a number with KiB, MiB or GiB.
// Unset or "auto": 0.
func (p *envParser) bytes(name string) int64 {
	v := strings.TrimSpace(p.str(name, ""))
	switch strings.ToLower(v) {
	case "", "auto":
		return 0
	case "off":
		return -1
	}
	unit := int64(1)
	num := v
	for suffix, u := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if strings.HasSuffix(v, suffix) {
			unit, num = u, strings.TrimSpace(strings.TrimSuffix(v, suffix))
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > (1<<50)/unit || n*unit < 16<<20 {
		p.errs = append(p.errs, fmt.Errorf("%s=%q: want a size of at least 16MiB such as 256MiB or 1GiB, \"auto\" or \"off\"", name, v))
		return 0
	}
	return n * unit
}

func (p *envParser) integer(name string, def, lo, hi int) int {
	v := p.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		p.errs = append(p.errs, fmt.Errorf("%s=%q: want an integer from %d to %d", name, v, lo, hi))
		return def
	}
	return n
}
