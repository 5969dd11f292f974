package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"authbff/graph/auth"
)

// fakeEnv is a getenv over name/value pairs.
func fakeEnv(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(name string) string { return m[name] }
}

func TestLoadConfigDefaults(t *testing.T) {
	t.Parallel()
	c, err := loadConfig(fakeEnv())
	if err != nil {
		t.Fatalf("loadConfig with no variables: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Addr", c.Addr, ":8080"},
		{"DatabaseURL", c.DatabaseURL, "sqlite:data/auth.db"},
		{"SMTPURL", c.SMTPURL, ""},
		{"Introspection", c.Introspection, true},
		{"Playground", c.Playground, true},
		{"MaxDepth", c.MaxDepth, 12},
		{"MaxComplexity", c.MaxComplexity, 1000},
		{"MaxRootFields", c.MaxRootFields, 50},
		{"TrustedProxies", len(c.TrustedProxies), 0},
		{"CORSOrigins", c.CORSOrigins, []string{"http://localhost:3000", "http://127.0.0.1:3000",
			"http://localhost:5173", "http://127.0.0.1:5173", "http://localhost:8080", "http://127.0.0.1:8080"}},
		{"Docs", c.Docs, true},
		{"FrontendURL", c.FrontendURL, ""},
		{"PublicURL", c.PublicURL, "http://localhost:8080"},
		{"AllowRegistration", c.Auth.AllowRegistration, true},
		{"AccessTTL", c.Auth.AccessTTL, 15 * time.Minute},
		{"RefreshTTL", c.Auth.RefreshTTL, 168 * time.Hour},
		{"SessionMaxAge", c.Auth.SessionMaxAge, 720 * time.Hour},
		{"RefreshReuseGrace", c.Auth.RefreshReuseGrace, 10 * time.Second},
		{"Issuer", c.Auth.Issuer, "authbff"},
		{"Audience", c.Auth.Audience, ""},
		{"JWTSecret", len(c.Auth.JWTSecret), 0},
		{"Auth.FrontendURL", c.Auth.FrontendURL, "http://localhost:8080"}, // the built-in pages
		{"MailFrom", c.Auth.MailFrom, "no-reply@localhost"},
		{"Hash", c.Auth.Hash, auth.DefaultHashParams},
		{"RateLimits", c.Auth.RateLimits, auth.DefaultLimits},
	}
	for _, k := range checks {
		if !reflect.DeepEqual(k.got, k.want) {
			t.Errorf("%s = %v, want %v", k.name, k.got, k.want)
		}
	}
}

func TestLoadConfigValues(t *testing.T) {
	t.Parallel()
	c, err := loadConfig(fakeEnv(
		"AUTH_ADDR", "127.0.0.1:9999",
		"AUTH_ACCESS_TTL", "5m",
		"AUTH_JWT_SECRET", strings.Repeat("s", auth.MinSecretLen),
		"AUTH_TRUSTED_PROXIES", " 10.0.0.0/8, 192.168.1.7 ,::1",
		"AUTH_CORS_ORIGINS", "https://app.example, https://admin.example",
		"AUTH_GRAPHQL_INTROSPECTION", "off",
		"AUTH_GRAPHQL_PLAYGROUND", "off",
		"AUTH_GRAPHQL_MAX_DEPTH", "6",
		"AUTH_FRONTEND_URL", "https://app.example/",
		"AUTH_HASH_MEMORY_KIB", "64",
		"AUTH_HASH_TIME", "1",
	))
	if err != nil {
		t.Fatal(err)
	}
	wantProxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32"), netip.MustParsePrefix("::1/128")}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Addr", c.Addr, "127.0.0.1:9999"},
		{"AccessTTL", c.Auth.AccessTTL, 5 * time.Minute},
		{"JWTSecret", string(c.Auth.JWTSecret), strings.Repeat("s", auth.MinSecretLen)},
		{"TrustedProxies", c.TrustedProxies, wantProxies},
		{"CORSOrigins", c.CORSOrigins, []string{"https://app.example", "https://admin.example"}},
		{"Introspection", c.Introspection, false},
		{"Playground", c.Playground, false},
		{"MaxDepth", c.MaxDepth, 6},
		{"FrontendURL", c.Auth.FrontendURL, "https://app.example"},
		{"PublicURL", c.PublicURL, "http://127.0.0.1:9999"},
		{"Hash", c.Auth.Hash, auth.HashParams{MemoryKiB: 64, Time: 1, Threads: auth.DefaultHashParams.Threads}},
	}
	for _, k := range checks {
		if !reflect.DeepEqual(k.got, k.want) {
			t.Errorf("%s = %v, want %v", k.name, k.got, k.want)
		}
	}
}

func TestLoadConfigRateLimits(t *testing.T) {
	t.Parallel()
	with := func(overrides map[string]auth.Limit) map[string]auth.Limit {
		m := map[string]auth.Limit{}
		for k, v := range auth.DefaultLimits {
			m[k] = v
		}
		for k, v := range overrides {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name, value string
		want        map[string]auth.Limit
	}{
		{"OKUnsetIsOn", "", auth.DefaultLimits},
		{"OKOn", "on", auth.DefaultLimits},
		{"OKOffIsNil", "off", nil},
		{"OKOffAnyCase", "OFF", nil},
		{"OKOneOverride", "login_ip=60/1m", with(map[string]auth.Limit{auth.LimitLoginIP: {N: 60, Window: time.Minute}})},
		{"OKSeveralOverrides", "login_ip=60/1m, register_ip=5/1h", with(map[string]auth.Limit{
			auth.LimitLoginIP: {N: 60, Window: time.Minute}, auth.LimitRegisterIP: {N: 5, Window: time.Hour}})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := loadConfig(fakeEnv("AUTH_RATE_LIMITS", c.value))
			if err != nil {
				t.Fatalf("AUTH_RATE_LIMITS=%q: %v", c.value, err)
			}
			if c.want == nil {
				if cfg.Auth.RateLimits != nil {
					t.Errorf("RateLimits = %v, want nil (off)", cfg.Auth.RateLimits)
				}
				return
			}
			if !reflect.DeepEqual(cfg.Auth.RateLimits, c.want) {
				t.Errorf("RateLimits = %v, want %v", cfg.Auth.RateLimits, c.want)
			}
		})
	}
	t.Run("OKOverrideLeavesDefaultsAlone", func(t *testing.T) {
		t.Parallel()
		before := auth.DefaultLimits[auth.LimitLoginIP]
		if _, err := loadConfig(fakeEnv("AUTH_RATE_LIMITS", "login_ip=999/1s")); err != nil {
			t.Fatal(err)
		}
		if got := auth.DefaultLimits[auth.LimitLoginIP]; got != before {
			t.Errorf("auth.DefaultLimits[login_ip] = %v after an override, want %v", got, before)
		}
	})
}

func TestLoadConfigErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, variable, value string
	}{
		{"ErrAccessTTLNotADuration", "AUTH_ACCESS_TTL", "abc"},
		{"ErrAccessTTLZero", "AUTH_ACCESS_TTL", "0s"},
		{"ErrRefreshTTLNegative", "AUTH_REFRESH_TTL", "-1h"},
		{"ErrReuseGraceNotADuration", "AUTH_REFRESH_REUSE_GRACE", "ten seconds"},
		{"ErrJWTSecretTooShort", "AUTH_JWT_SECRET", strings.Repeat("x", auth.MinSecretLen-1)},
		{"ErrTrustedProxiesNonsense", "AUTH_TRUSTED_PROXIES", "nonsense"},
		{"ErrTrustedProxiesOneBad", "AUTH_TRUSTED_PROXIES", "10.0.0.0/8,10.0.0.0/33"},
		{"ErrRateLimitsUnknownName", "AUTH_RATE_LIMITS", "bogus=1"},
		{"ErrRateLimitsNoWindow", "AUTH_RATE_LIMITS", "login_ip=5"},
		{"ErrRateLimitsZero", "AUTH_RATE_LIMITS", "login_ip=0/1m"},
		{"ErrRateLimitsBadWindow", "AUTH_RATE_LIMITS", "login_ip=5/soon"},
		{"ErrRateLimitsWord", "AUTH_RATE_LIMITS", "maybe"},
		{"ErrAllowRegistration", "AUTH_ALLOW_REGISTRATION", "perhaps"},
		{"ErrIntrospection", "AUTH_GRAPHQL_INTROSPECTION", "sometimes"},
		{"ErrMaxDepthTooSmall", "AUTH_GRAPHQL_MAX_DEPTH", "1"},
		{"ErrMaxComplexityNotANumber", "AUTH_GRAPHQL_MAX_COMPLEXITY", "lots"},
		{"ErrHashMemory", "AUTH_HASH_MEMORY_KIB", "abc"},
		{"ErrJWTAlg", "AUTH_JWT_ALG", "none"},
		{"ErrTLSCertWithoutKey", "AUTH_TLS_CERT_FILE", "/etc/cert.pem"},
		{"ErrSecretKeyShort", "AUTH_SECRET_KEY", strings.Repeat("ab", 31)},
		{"ErrSecretKeyNotHex", "AUTH_SECRET_KEY", strings.Repeat("zz", 32)},
		{"ErrSecretKeyOldWithoutKey", "AUTH_SECRET_KEY_OLD", strings.Repeat("ab", 32)},
		{"ErrAuditRetention", "AUTH_AUDIT_RETENTION", "forever"},
		{"ErrAuditRetentionZero", "AUTH_AUDIT_RETENTION", "0s"},
		{"ErrLogFormat", "AUTH_LOG_FORMAT", "xml"},
		{"ErrDBTimeout", "AUTH_DB_TIMEOUT", "soon"},
		{"ErrDBTimeoutZero", "AUTH_DB_TIMEOUT", "0s"},
		{"ErrDBMaxConns", "AUTH_DB_MAX_CONNS", "0"},
		{"ErrDBMaxIdleConns", "AUTH_DB_MAX_IDLE_CONNS", "many"},
		{"ErrDBConnLifetime", "AUTH_DB_CONN_MAX_LIFETIME", "forever"},
		{"ErrRateLimitStore", "AUTH_RATE_LIMIT_STORE", "redis"},
		{"ErrRequestTimeoutOverWriteTimeout", "AUTH_REQUEST_TIMEOUT", "1m"},
		{"ErrShutdownDelay", "AUTH_SHUTDOWN_DELAY", "-5s"},
		{"ErrShutdownTimeout", "AUTH_SHUTDOWN_TIMEOUT", "later"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := loadConfig(fakeEnv(c.variable, c.value))
			if err == nil {
				t.Fatalf("%s=%q: no error", c.variable, c.value)
			}
			if !strings.Contains(err.Error(), c.variable) {
				t.Errorf("%s=%q: error %q does not name the variable", c.variable, c.value, err)
			}
			if strings.Contains(c.variable, "SECRET") && strings.Contains(err.Error(), c.value) {
				t.Errorf("error %q shows the secret", err)
			}
		})
	}
	t.Run("ErrEveryBadVariableReported", func(t *testing.T) {
		t.Parallel()
		_, err := loadConfig(fakeEnv("AUTH_ACCESS_TTL", "abc", "AUTH_RATE_LIMITS", "bogus=1", "AUTH_TRUSTED_PROXIES", "nonsense"))
		for _, v := range []string{"AUTH_ACCESS_TTL", "AUTH_RATE_LIMITS", "AUTH_TRUSTED_PROXIES"} {
			if err == nil || !strings.Contains(err.Error(), v) {
				t.Errorf("error %v does not name %s", err, v)
			}
		}
	})
}

func TestRunCommands(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		args   []string
		env    func(string) string
		code   int
		stderr string
	}{
		{"ErrNoCommand", nil, fakeEnv(), 2, "Usage:"},
		{"ErrUnknownCommand", []string{"frobnicate"}, fakeEnv(), 2, `unknown command "frobnicate"`},
		{"OKHelp", []string{"help"}, fakeEnv(), 0, ""},
		{"ErrServeWithArguments", []string{"serve", "now"}, fakeEnv(), 1, "serve takes no arguments"},
		{"ErrServeBadConfig", []string{"serve"}, fakeEnv("AUTH_JWT_SECRET", "short"), 1, "AUTH_JWT_SECRET"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr strings.Builder
			if got := run(context.Background(), c.args, c.env, strings.NewReader(""), &stdout, &stderr); got != c.code {
				t.Errorf("run(%q) = %d, want %d; stderr %s", c.args, got, c.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), c.stderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), c.stderr)
			}
		})
	}
}

// logLines collects the lines a server writes to its stderr while the test reads them.
type logLines struct {
	mu        sync.Mutex
	lines     []string
	listening chan string // receives the address once "authbff listening" is logged
	done      chan struct{}
	watches   []lineWatch // guarded by mu
}

// lineWatch is closed once a line containing substr is logged.
type lineWatch struct {
	substr string
	seen   chan struct{}
}

// logged returns a channel closed once a line containing substr has been logged
// (already, or later): a signal to wait on instead of polling the lines.
func (l *logLines) logged(substr string) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := make(chan struct{})
	if slices.ContainsFunc(l.lines, func(s string) bool { return strings.Contains(s, substr) }) {
		close(ch)
		return ch
	}
	l.watches = append(l.watches, lineWatch{substr, ch})
	return ch
}

var addrRE = regexp.MustCompile(`\baddr=(\S+)`)

// readLogs drains r (never blocking the writer) until EOF.
func readLogs(r io.Reader) *logLines {
	l := &logLines{listening: make(chan string, 1), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			l.mu.Lock()
			l.lines = append(l.lines, line)
			l.watches = slices.DeleteFunc(l.watches, func(w lineWatch) bool {
				if strings.Contains(line, w.substr) {
					close(w.seen)
					return true
				}
				return false
			})
			l.mu.Unlock()
			if m := addrRE.FindStringSubmatch(line); !sent && m != nil && strings.Contains(line, "authbff listening") {
				l.listening <- m[1]
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, r)
	}()
	return l
}

func (l *logLines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.lines)
}

// TestServeStopsGracefully runs `authbff serve` in-process on a free port, checks the
// real server's limits and headers, then cancels ctx (SIGTERM) and expects exit code 0.
func TestServeStopsGracefully(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := fakeEnv(
		"AUTH_ADDR", "127.0.0.1:0",
		"AUTH_DATABASE_URL", "sqlite:"+filepath.Join(dir, "a.db"),
		"AUTH_HASH_MEMORY_KIB", "64",
		"AUTH_HASH_TIME", "1",
		// No readiness delay: draining during the delay is TestShutdownReadinessFirstThenDrain's.
		"AUTH_SHUTDOWN_DELAY", "0",
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	logs := readLogs(pr)
	exit := make(chan int, 1)
	go func() {
		code := run(ctx, []string{"serve"}, env, strings.NewReader(""), io.Discard, pw)
		pw.Close()
		exit <- code
	}()

	var addr string
	select {
	case addr = <-logs.listening:
	case code := <-exit:
		t.Fatalf("serve exited with %d before listening:\n%s", code, strings.Join(logs.all(), "\n"))
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not log \"authbff listening\":\n%s", strings.Join(logs.all(), "\n"))
	}
	base := "http://" + addr
	client := &http.Client{Timeout: 10 * time.Second}
	get := func(t *testing.T, header string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+"/v1/auth/config", nil)
		if header != "" {
			req.Header.Set("X-Padding", header)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET /v1/auth/config: %v", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}

	t.Run("OKServes", func(t *testing.T) {
		resp := get(t, "")
		if resp.StatusCode != http.StatusOK {
			t.Errorf("status = %d", resp.StatusCode)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"} {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
	})
	t.Run("OKWarnsWithoutSecretKey", func(t *testing.T) {
		if !slices.ContainsFunc(logs.all(), func(s string) bool { return strings.Contains(s, "AUTH_SECRET_KEY is unset") }) {
			t.Errorf("no warning about AUTH_SECRET_KEY:\n%s", strings.Join(logs.all(), "\n"))
		}
	})
	t.Run("OKHeaderUnderTheCap", func(t *testing.T) {
		if resp := get(t, strings.Repeat("a", 32<<10)); resp.StatusCode != http.StatusOK {
			t.Errorf("32 KiB header: status %d, want 200", resp.StatusCode)
		}
	})
	t.Run("ErrHugeHeaderRefusedWithout5xx", func(t *testing.T) {
		resp := get(t, strings.Repeat("a", 100<<10))
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("100 KiB header: status %d, want 431", resp.StatusCode)
		}
	})

	// A request in flight when the signal comes is finished, then the server stops. It
	// has its own connection, and its headers and the start of its body (over the
	// client's 4 KiB write buffer) are on that connection before the signal.
	fresh := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	bodyR, bodyW := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/auth/login", bodyR)
	req.Header.Set("Content-Type", "application/json")
	type answer struct {
		status int
		err    error
	}
	inFlight := make(chan answer, 1)
	go func() {
		resp, err := fresh.Do(req)
		if err != nil {
			inFlight <- answer{err: err}
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		inFlight <- answer{status: resp.StatusCode}
	}()
	if _, err := io.WriteString(bodyW, `{"username": "nobody", "padding": "`+strings.Repeat("x", 16<<10)+`", `); err != nil {
		t.Fatal(err)
	}
	// Proof that the server has accepted that connection, without sleeping: a request
	// on a connection opened after it is answered, and the listener accepts in order.
	// (An accepted connection is never dropped by Shutdown before it has had 5 s to
	// send its request.)
	probe := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := probe.Get(base + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("probe on a new connection: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	closing := logs.logged("listener closed, finishing requests in flight")
	cancel()
	select {
	case <-closing: // the server is shutting down with the request still in flight
	case code := <-exit:
		t.Fatalf("serve returned %d before finishing the request in flight", code)
	case <-time.After(15 * time.Second): // a failsafe, not a wait
		t.Fatalf("no \"listener closed\" line after cancel:\n%s", strings.Join(logs.all(), "\n"))
	}
	_, _ = io.WriteString(bodyW, `"password": "wrong-password"}`)
	bodyW.Close()
	if a := <-inFlight; a.err != nil || a.status != http.StatusUnauthorized {
		t.Errorf("request in flight at shutdown: %d %v, want its 401 answer", a.status, a.err)
	}

	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("run returned %d after cancel, want 0:\n%s", code, strings.Join(logs.all(), "\n"))
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop within 15 s of cancel")
	}
	<-logs.done
	if lines := logs.all(); !slices.ContainsFunc(lines, func(s string) bool { return strings.Contains(s, `msg=stopped`) }) {
		t.Errorf("no \"stopped\" line:\n%s", strings.Join(lines, "\n"))
	}
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after shutdown", addr)
	}
}

// AUTH_PUBLIC_URL defaults to the listen address; e-mail links go to AUTH_FRONTEND_URL when
// set, else to the built-in pages there; CORS allows the front end's origin by default.
func TestLoadConfigLinksAndOrigins(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name          string
		env           []string
		public, links string
		origins       []string
	}{
		{"DefaultPort", []string{"AUTH_ADDR", ":9000"}, "http://localhost:9000", "http://localhost:9000", nil},
		{"Wildcard", []string{"AUTH_ADDR", "0.0.0.0:9000"}, "http://localhost:9000", "http://localhost:9000", nil},
		{"IPv6", []string{"AUTH_ADDR", "[::1]:9000"}, "http://[::1]:9000", "http://[::1]:9000", nil},
		{"Public", []string{"AUTH_PUBLIC_URL", "https://auth.example.com/"}, "https://auth.example.com", "https://auth.example.com", nil},
		{"Frontend", []string{"AUTH_FRONTEND_URL", "https://app.example.com/base/"}, "http://localhost:8080",
			"https://app.example.com/base", []string{"https://app.example.com"}},
		{"ExplicitOriginsReplace", []string{"AUTH_FRONTEND_URL", "https://app.example.com", "AUTH_CORS_ORIGINS", "https://a.example"},
			"http://localhost:8080", "https://app.example.com", []string{"https://a.example"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := loadConfig(fakeEnv(c.env...))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.PublicURL != c.public || cfg.Auth.FrontendURL != c.links {
				t.Errorf("public %q links %q; want %q %q", cfg.PublicURL, cfg.Auth.FrontendURL, c.public, c.links)
			}
			if c.origins != nil && !reflect.DeepEqual(cfg.CORSOrigins, c.origins) {
				t.Errorf("CORS origins %v, want %v", cfg.CORSOrigins, c.origins)
			}
		})
	}
	for _, bad := range []string{"localhost:3000", "ftp://x.example", "https://x.example/?a=1", "https://user:pw@x.example"} {
		if _, err := loadConfig(fakeEnv("AUTH_FRONTEND_URL", bad)); err == nil || !strings.Contains(err.Error(), "AUTH_FRONTEND_URL") {
			t.Errorf("AUTH_FRONTEND_URL=%s: %v", bad, err)
		}
		if _, err := loadConfig(fakeEnv("AUTH_PUBLIC_URL", bad)); err == nil || !strings.Contains(err.Error(), "AUTH_PUBLIC_URL") {
			t.Errorf("AUTH_PUBLIC_URL=%s: %v", bad, err)
		}
	}
}

// A misspelled AUTH_* variable is reported with the closest known one.
func TestUnknownVariables(t *testing.T) {
	t.Parallel()
	got := unknownVars([]string{"AUTH_ALLOW_REGISTRATON=false", "AUTH_ADDR=:1", "PATH=/bin", "AUTH_SMTP=x",
		"AUTH_TEST_POSTGRES_URL=postgres://", "AUTH_GRAPHQL_PLAYGROUD=off"})
	want := [][2]string{
		{"AUTH_ALLOW_REGISTRATON", "AUTH_ALLOW_REGISTRATION"},
		{"AUTH_SMTP", "AUTH_SMTP_URL"},
		{"AUTH_GRAPHQL_PLAYGROUD", "AUTH_GRAPHQL_PLAYGROUND"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("unknownVars = %v, want %v", got, want)
	}
	for _, name := range []string{"AUTH_DOCS", "AUTH_PUBLIC_URL", "AUTH_FRONTEND_URL", "AUTH_CORS_ORIGINS"} {
		if !slices.Contains(knownVars(), name) {
			t.Errorf("%s is not known", name)
		}
	}
}

// TestSecretKeyAtStart: a database sealed under one AUTH_SECRET_KEY refuses to start
// under another, or under none, with a message naming the variable; the previous key in
// AUTH_SECRET_KEY_OLD lets the new one take over.
func TestSecretKeyAtStart(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "a.db")
	k1, k2 := strings.Repeat("1f", 32), strings.Repeat("2e", 32)
	// Each start is a real `serve` (it re-encrypts); `keys list` then checks the key
	// read-only, as every operator command does.
	keys := func(vars ...string) (int, string) {
		env := map[string]string{"AUTH_DATABASE_URL": db}
		for i := 0; i+1 < len(vars); i += 2 {
			env[vars[i]] = vars[i+1]
		}
		code, log := serveOnce(t, env)
		if code != 0 {
			return code, log
		}
		var out, errs strings.Builder
		code = run(context.Background(), []string{"keys", "list"}, func(k string) string { return env[k] },
			strings.NewReader(""), &out, &errs)
		return code, errs.String()
	}
	if code, msg := keys("AUTH_SECRET_KEY", k1); code != 0 {
		t.Fatalf("first start with a key: exit %d: %s", code, msg)
	}
	for _, c := range []struct{ name, key, want string }{
		{"ErrOtherKey", k2, "AUTH_SECRET_KEY does not decrypt"},
		{"ErrNoKey", "", "the database's secrets are encrypted: set AUTH_SECRET_KEY"},
	} {
		if code, msg := keys("AUTH_SECRET_KEY", c.key); code == 0 || !strings.Contains(msg, c.want) {
			t.Errorf("%s: exit %d, stderr %q, want a failure saying %q", c.name, code, msg, c.want)
		}
	}
	if code, msg := keys("AUTH_SECRET_KEY", k2, "AUTH_SECRET_KEY_OLD", k1); code != 0 {
		t.Fatalf("rotation: exit %d: %s", code, msg)
	}
	if code, msg := keys("AUTH_SECRET_KEY", k2); code != 0 {
		t.Fatalf("the new key alone after the rotation: exit %d: %s", code, msg)
	}
	if code, _ := keys("AUTH_SECRET_KEY", k1); code == 0 {
		t.Errorf("the old key still opens the database after the rotation")
	}
}
