package main

import (
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"authbff/graph/auth"
)

// TestREADMEDefaultsAreTheCode: every AUTH_* variable of README's configuration table
// states the default the code applies when the variable is unset (loadConfig over an
// empty environment, whose defaults come from auth.DefaultConfig and
// graph.DefaultOptions). A variable documented as unset, empty or generated has no value
// of its own ("" here). A new variable needs a row in the table and a line here.
func TestREADMEDefaultsAreTheCode(t *testing.T) {
	t.Parallel()
	c, err := loadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	onOff := func(b bool) string {
		if b {
			return "on"
		}
		return "off"
	}
	limits := "off"
	if maps.EqualFunc(c.Auth.RateLimits, auth.DefaultLimits, func(a, b auth.Limit) bool { return a == b }) {
		limits = "on"
	}
	code := map[string]string{
		"AUTH_ADDR":                c.Addr,
		"AUTH_DATABASE_URL":        c.DatabaseURL,
		"AUTH_AUTO_MIGRATE":        onOff(c.AutoMigrate),
		"AUTH_AUDIT_RETENTION":     shortDuration(c.Auth.AuditRetention),
		"AUTH_JWT_SECRET":          string(c.Auth.JWTSecret),
		"AUTH_SECRET_KEY":          string(c.Auth.SecretKey),
		"AUTH_SECRET_KEY_OLD":      "",
		"AUTH_ALLOW_REGISTRATION":  strconv.FormatBool(c.Auth.AllowRegistration),
		"AUTH_ACCESS_TTL":          shortDuration(c.Auth.AccessTTL),
		"AUTH_REFRESH_TTL":         shortDuration(c.Auth.RefreshTTL),
		"AUTH_SESSION_MAX_AGE":     shortDuration(c.Auth.SessionMaxAge),
		"AUTH_REFRESH_REUSE_GRACE": shortDuration(c.Auth.RefreshReuseGrace),
		"AUTH_JWT_ISSUER":          c.Auth.Issuer,
		"AUTH_JWT_AUDIENCE":        c.Auth.Audience,
		// Unset, links lead to the built-in pages under AUTH_PUBLIC_URL.
		"AUTH_FRONTEND_URL":       c.FrontendURL,
		"AUTH_PUBLIC_URL":         derived(c.PublicURL == "http://localhost:8080" && c.Auth.FrontendURL == c.PublicURL, "http://"),
		"AUTH_DOCS":               onOff(c.Docs),
		"AUTH_SMTP_URL":           c.SMTPURL,
		"AUTH_MAIL_FROM":          c.Auth.MailFrom,
		"AUTH_MAIL_TEMPLATES_DIR": c.MailTemplates,
		"AUTH_RATE_LIMITS":        limits,
		"AUTH_TRUSTED_PROXIES":    strings.Repeat("x", len(c.TrustedProxies)),
		// The default is derived (the front end's origin, else local development servers).
		"AUTH_CORS_ORIGINS":            derived(slices.Contains(c.CORSOrigins, "http://localhost:3000"), ""),
		"AUTH_TLS_CERT_FILE":           c.TLSCertFile,
		"AUTH_TLS_KEY_FILE":            c.TLSKeyFile,
		"AUTH_JWT_ALG":                 c.Auth.JWTAlg,
		"AUTH_GRAPHQL_MAX_DEPTH":       strconv.Itoa(c.MaxDepth),
		"AUTH_GRAPHQL_MAX_COMPLEXITY":  strconv.Itoa(c.MaxComplexity),
		"AUTH_GRAPHQL_MAX_ROOT_FIELDS": strconv.Itoa(c.MaxRootFields),
		"AUTH_GRAPHQL_INTROSPECTION":   onOff(c.Introspection),
		"AUTH_GRAPHQL_PLAYGROUND":      onOff(c.Playground),
		"AUTH_HASH_MEMORY_KIB":         strconv.Itoa(int(c.Auth.Hash.MemoryKiB)),
		"AUTH_HASH_TIME":               strconv.Itoa(int(c.Auth.Hash.Time)),
		"AUTH_HASH_THREADS":            strconv.Itoa(int(c.Auth.Hash.Threads)),
		"AUTH_LOG_LEVEL":               c.LogLevel,
		"AUTH_LOG_FORMAT":              c.LogFormat,
		"AUTH_METRICS_ADDR":            c.MetricsAddr,
		"AUTH_DB_TIMEOUT":              shortDuration(c.DB.Timeout),
		// The default depends on the database; the table gives PostgreSQL's first.
		"AUTH_DB_MAX_CONNS":          strconv.Itoa(auth.DefaultPostgresMaxConns),
		"AUTH_DB_MAX_IDLE_CONNS":     "",
		"AUTH_DB_CONN_MAX_LIFETIME":  shortDuration(c.DB.ConnMaxLifetime),
		"AUTH_DB_CONN_MAX_IDLE_TIME": shortDuration(c.DB.ConnMaxIdleTime),
		"AUTH_RATE_LIMIT_STORE":      c.LimitStore,
		"AUTH_REQUEST_TIMEOUT":       shortDuration(c.RequestTimeout),
		"AUTH_SHUTDOWN_DELAY":        shortDuration(c.ShutdownDelay),
		"AUTH_SHUTDOWN_TIMEOUT":      shortDuration(c.ShutdownTimeout),
		"AUTH_MEMORY_LIMIT":          memoryLimitWord(c.MemoryLimit),
	}
	if c.DB.MaxConns != 0 || c.DB.MaxIdleConns != 0 {
		t.Errorf("AUTH_DB_MAX_CONNS/AUTH_DB_MAX_IDLE_CONNS: the per-database default is applied by OpenStore, but loadConfig set %d/%d",
			c.DB.MaxConns, c.DB.MaxIdleConns)
	}
	doc := readmeDefaults(t)
	for name, want := range code {
		got, ok := doc[name]
		if !ok {
			t.Errorf("%s: not in README's configuration table", name)
			continue
		}
		if got != want {
			t.Errorf("%s: README says %q, the code %q", name, got, want)
		}
	}
	for name := range doc {
		if _, ok := code[name]; !ok {
			t.Errorf("%s: documented in README but not pinned here (add it to this test)", name)
		}
	}
}

// memoryLimitWord is AUTH_MEMORY_LIMIT as README words its default: 0 is "auto"
// (derived from the hash settings at start).
func memoryLimitWord(n int64) string {
	if n == 0 {
		return "auto"
	}
	return strconv.FormatInt(n, 10)
}

// readmeDefaults reads README's configuration table: variable → its default, the first
// `quoted` value of the default column ("" for unset, empty or generated). A row naming
// several variables (`A` / `B`) gives its defaults in the same order, separated by " / ".
func readmeDefaults(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	quoted := regexp.MustCompile("`([^`]*)`")
	out := map[string]string{}
	_, table, ok := strings.Cut(string(b), "\n## Configuration\n")
	if !ok {
		t.Fatal("README has no ## Configuration section")
	}
	inTable := false
	for _, line := range strings.Split(table, "\n") {
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break // the end of the first table of the section
			}
			continue
		}
		inTable = true
		if !strings.HasPrefix(line, "| `AUTH_") {
			continue
		}
		cols := strings.Split(line, " | ")
		if len(cols) < 3 {
			t.Fatalf("README row without a default column: %s", line)
		}
		names := quoted.FindAllStringSubmatch(cols[0], -1)
		defs := strings.Split(cols[1], " / ")
		if len(defs) != len(names) {
			defs = []string{cols[1]}
		}
		for i, n := range names {
			d := defs[min(i, len(defs)-1)]
			v := ""
			if strings.HasPrefix(d, "`") {
				v = quoted.FindStringSubmatch(d)[1]
			}
			out[n[1]] = v
		}
	}
	if len(out) < 30 {
		t.Fatalf("found %d variables in README's configuration table: has its format changed?", len(out))
	}
	return out
}

// derived is want when the code's derived default holds (ok), else a value no README
// row has, so that the comparison fails.
func derived(ok bool, want string) string {
	if ok {
		return want
	}
	return "<the code's default changed>"
}

// shortDuration writes d as the README does: 15m, 168h, 10s, 8760h.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.ContainsAny(s, "hm") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.Contains(s, "h") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
