package rest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"math"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"authbff/graph/auth"
	"authbff/rest/apitest"
	"authbff/server"
)

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	r := e.Do(http.MethodGet, "/healthz", nil, "")
	if r.Status != 200 || string(r.Body) != `{"status":"ok"}` {
		t.Fatalf("healthz: %d %s", r.Status, r.Body)
	}
	r = e.Do(http.MethodGet, "/readyz", nil, "")
	if r.Status != 200 || string(r.Body) != `{"status":"ready","checks":{"database":"ok"}}` {
		t.Fatalf("readyz: %d %s", r.Status, r.Body)
	}
	if r := e.Do(http.MethodPost, "/readyz", nil, ""); r.Status != 405 {
		t.Fatalf("POST readyz: %d", r.Status)
	}
}

func TestReadinessFailsWithACheck(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.WithServer(func(o *server.Options) {
		o.ReadyChecks = []server.ReadyCheck{
			{Name: "database", Check: func(context.Context) error { return nil }},
			{Name: "migrations", Check: func(context.Context) error { return context.DeadlineExceeded }},
		}
	}))
	r := e.Do(http.MethodGet, "/readyz", nil, "")
	if r.Status != 503 || r.Header.Get("Retry-After") == "" ||
		string(r.Body) != `{"status":"unavailable","checks":{"database":"ok","migrations":"fail"}}` {
		t.Fatalf("readyz: %d %v %s", r.Status, r.Header, r.Body)
	}
}

// scrape fetches /metrics and parses it with the Prometheus text parser.
func scrape(t *testing.T, e *apitest.Env) map[string]*dto.MetricFamily {
	t.Helper()
	r := e.Do(http.MethodGet, "/metrics", nil, "")
	if r.Status != 200 {
		t.Fatalf("metrics: %d", r.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("parsing metrics: %v\n%s", err, r.Body)
	}
	return fams
}

// value is the value of the sample of family name whose labels include want.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		for k, v := range want {
			found := false
			for _, l := range m.Label {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func TestMetricsScrapedAndParsed(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.WithConfig(func(c *auth.Config) {
		c.RateLimits = map[string]auth.Limit{auth.LimitLoginAccount: {N: 2, Window: time.Hour}}
	}))
	a := e.Register("metrics1")
	for range 3 {
		e.Do(http.MethodPost, "/v1/auth/login", map[string]any{"username": "metrics1", "password": "wrong-password"}, "")
	}
	e.Do(http.MethodGet, "/v1/auth/me", nil, a.Access)
	e.GraphQL(`query Me { me { id } }`, nil, a.Access)
	e.WaitMail(a.Email, "verify_email", 1)
	fams := scrape(t, e)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"authbff_http_requests_total", map[string]string{"route": "/v1/auth/register", "status": "200"}, 1},
		{"authbff_http_requests_total", map[string]string{"route": "/v1/auth/login", "status": "401"}, 2},
		{"authbff_http_requests_total", map[string]string{"route": "/v1/auth/login", "status": "429"}, 1},
		{"authbff_http_requests_total", map[string]string{"route": "/v1/auth/me", "status": "200"}, 1},
		{"authbff_http_requests_total", map[string]string{"route": "graphql:me", "status": "200"}, 1},
		{"authbff_http_request_duration_seconds", map[string]string{"route": "/v1/auth/me"}, 1},
		{"authbff_logins_total", map[string]string{"outcome": "failure"}, 2},
		{"authbff_logins_total", map[string]string{"outcome": "rate_limited"}, 1},
		{"authbff_rate_limited_total", map[string]string{"limit": "login_account"}, 1},
		{"authbff_mail_sends_total", map[string]string{"result": "sent"}, 1},
		{"authbff_password_hash_queue_depth", nil, 0},
		{"authbff_tls_handshake_errors_total", nil, 0},
	} {
		got, ok := value(fams, c.name, c.labels)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	// Every family of README's table with its type and a HELP text, as scrapers had it under
	// the Prometheus client.
	for name, typ := range map[string]dto.MetricType{
		"authbff_http_requests_total":               dto.MetricType_COUNTER,
		"authbff_http_request_duration_seconds":     dto.MetricType_HISTOGRAM,
		"authbff_logins_total":                      dto.MetricType_COUNTER,
		"authbff_rate_limited_total":                dto.MetricType_COUNTER,
		"authbff_password_hash_queue_depth":         dto.MetricType_GAUGE,
		"authbff_password_hash_wait_seconds":        dto.MetricType_HISTOGRAM,
		"authbff_password_hash_rejected_total":      dto.MetricType_COUNTER,
		"authbff_outbox_pending":                    dto.MetricType_GAUGE,
		"authbff_outbox_oldest_pending_age_seconds": dto.MetricType_GAUGE,
		"authbff_mail_sends_total":                  dto.MetricType_COUNTER,
		"authbff_db_unavailable_total":              dto.MetricType_COUNTER,
		"authbff_tls_handshake_errors_total":        dto.MetricType_COUNTER,
		"go_sql_max_open_connections":               dto.MetricType_GAUGE,
		"go_sql_open_connections":                   dto.MetricType_GAUGE,
		"go_sql_in_use_connections":                 dto.MetricType_GAUGE,
		"go_sql_idle_connections":                   dto.MetricType_GAUGE,
		"go_sql_wait_count_total":                   dto.MetricType_COUNTER,
		"go_sql_wait_duration_seconds_total":        dto.MetricType_COUNTER,
		"go_sql_max_idle_closed_total":              dto.MetricType_COUNTER,
		"go_sql_max_idle_time_closed_total":         dto.MetricType_COUNTER,
		"go_sql_max_lifetime_closed_total":          dto.MetricType_COUNTER,
	} {
		f := fams[name]
		if f == nil {
			t.Errorf("metric %s missing", name)
			continue
		}
		if f.GetType() != typ || f.GetHelp() == "" {
			t.Errorf("%s: type %v help %q, want type %v and a help text", name, f.GetType(), f.GetHelp(), typ)
		}
		if strings.HasPrefix(name, "go_sql_") {
			if len(f.Metric) != 1 || len(f.Metric[0].Label) != 1 || f.Metric[0].Label[0].GetName() != "db_name" ||
				f.Metric[0].Label[0].GetValue() != "authbff" {
				t.Errorf("%s: want one series with db_name=\"authbff\", got %v", name, f.Metric)
			}
		}
	}
	st := e.Database.DB.Stats()
	if got, _ := value(fams, "go_sql_max_open_connections", map[string]string{"db_name": "authbff"}); got != float64(st.MaxOpenConnections) || got == 0 {
		t.Errorf("go_sql_max_open_connections = %v, pool says %d", got, st.MaxOpenConnections)
	}
	// The histograms keep their buckets (le, +Inf last), cumulative, with _sum and _count.
	for name, want := range map[string][]float64{
		"authbff_http_request_duration_seconds": {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		"authbff_password_hash_wait_seconds":    {.001, .005, .01, .05, .1, .25, .5, 1, 2, 5},
	} {
		for _, m := range fams[name].GetMetric() {
			h := m.GetHistogram()
			var bounds []float64
			prev := uint64(0)
			for _, b := range h.GetBucket() {
				bounds = append(bounds, b.GetUpperBound())
				if b.GetCumulativeCount() < prev || b.GetCumulativeCount() > h.GetSampleCount() {
					t.Errorf("%s%v: bucket counts not cumulative: %v", name, m.Label, h.GetBucket())
				}
				prev = b.GetCumulativeCount()
			}
			if !slices.Equal(bounds, append(want, math.Inf(1))) {
				t.Errorf("%s%v: buckets %v, want %v", name, m.Label, bounds, want)
			}
			if name == "authbff_http_request_duration_seconds" && h.GetSampleCount() > 0 && h.GetSampleSum() <= 0 {
				t.Errorf("%s%v: %d samples summing to %v", name, m.Label, h.GetSampleCount(), h.GetSampleSum())
			}
		}
	}
	// The Go runtime and process metrics README names.
	for _, name := range []string{"go_goroutines", "go_threads", "go_info", "go_gc_duration_seconds",
		"go_memstats_heap_inuse_bytes", "go_gc_gogc_percent", "go_gc_gomemlimit_bytes", "go_sched_gomaxprocs_threads",
		"process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
		"process_open_fds", "process_max_fds", "process_start_time_seconds"} {
		if fams[name] == nil {
			t.Errorf("metric %s missing", name)
		}
	}
	if v, _ := value(fams, "go_goroutines", nil); v < 1 {
		t.Errorf("go_goroutines = %v", v)
	}
}

// TestMetricsGzip: a scraper that accepts gzip gets the same exposition compressed.
func TestMetricsGzip(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	r := e.Do(http.MethodGet, "/metrics", nil, "", "Accept-Encoding", "gzip")
	if r.Status != 200 || r.Header.Get("Content-Encoding") != "gzip" ||
		!strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("metrics: %d %v", r.Status, r.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(zr)
	if err != nil {
		t.Fatal(err)
	}
	if fams["authbff_outbox_pending"] == nil || fams["go_sql_open_connections"] == nil || fams["go_goroutines"] == nil {
		t.Fatalf("families missing from the gzipped exposition: %d families", len(fams))
	}
	if r := e.Do(http.MethodGet, "/metrics", nil, "", "Accept-Encoding", "gzip;q=0, identity"); r.Header.Get("Content-Encoding") != "" {
		t.Fatalf("gzip;q=0 answered with %q", r.Header.Get("Content-Encoding"))
	}
}

// TestAccessLogAndRequestID: the access line carries the request id (a safe incoming one
// kept, a hostile one replaced), client IP, route or GraphQL operation, status, duration,
// user id and trace id, and never a token.
func TestAccessLogAndRequestID(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("logger1")
	r := e.Do(http.MethodGet, "/v1/auth/me", nil, a.Access, "X-Request-ID", "lb-1234.abc",
		"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	if r.Status != 200 || r.Header.Get("X-Request-ID") != "lb-1234.abc" {
		t.Fatalf("me: %d, X-Request-ID %q", r.Status, r.Header.Get("X-Request-ID"))
	}
	hostile := "bad id\"<script>" + strings.Repeat("x", 80)
	r = e.Do(http.MethodGet, "/v1/auth/config", nil, "", "X-Request-ID", hostile)
	if id := r.Header.Get("X-Request-ID"); id == hostile || len(id) != 24 {
		t.Fatalf("hostile request id kept: %q", id)
	}
	e.GraphQL(`query WhoAmI { me { id } }`, nil, a.Access)
	var rest, gql *apitest.Record
	for _, rec := range e.Logs.Records() {
		if rec.Message != "http" {
			continue
		}
		if rec.Attrs["request_id"] == "lb-1234.abc" {
			rest = &rec
		}
		if rec.Attrs["operation"] == "WhoAmI" {
			gql = &rec
		}
		if strings.Contains(rec.String(), a.Access) || strings.Contains(rec.String(), a.Refresh) {
			t.Fatalf("a token in the log: %s", rec)
		}
	}
	if rest == nil || gql == nil {
		for _, rec := range e.Logs.Records() {
			t.Log(rec)
		}
		t.Fatalf("access lines missing: %v %v", rest, gql)
	}
	for k, want := range map[string]string{"route": "/v1/auth/me", "status": "200", "user_id": a.UserID,
		"client_ip": "127.0.0.1", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "path": "/v1/auth/me", "method": "GET"} {
		if rest.Attrs[k] != want {
			t.Errorf("REST access line %s = %q, want %q (%s)", k, rest.Attrs[k], want, rest)
		}
	}
	if rest.Attrs["duration_ms"] == "" {
		t.Errorf("no duration: %s", rest)
	}
	if gql.Attrs["route"] != "graphql:me" || gql.Attrs["user_id"] != a.UserID || gql.Attrs["status"] != "200" {
		t.Errorf("GraphQL access line: %s", gql)
	}
}

// TestSlowRequestAnswers503: a request still running at AUTH_REQUEST_TIMEOUT answers 503
// with Retry-After itself (here: SQLite's write lock held by another process), and the
// access log records the 503 the client got.
func TestSlowRequestAnswers503(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "auth.db")
	e := apitest.New(t, apitest.WithDatabase("sqlite:"+path), apitest.WithServer(func(o *server.Options) {
		o.RequestTimeout = 300 * time.Millisecond
	}))
	other, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	r := e.Do(http.MethodPost, "/v1/auth/register", map[string]any{"email": "slow@example.com", "username": "slow", "password": "slow-Password-1"}, "")
	assertUnavailable(t, r)
	g := e.Do(http.MethodPost, "/graphql", map[string]any{"query": `mutation { register(input: {email: "slow2@example.com", username: "slow2", password: "slow-Password-2"}) { accessToken } }`}, "")
	if g.Status != 503 || g.Header.Get("Retry-After") == "" || !strings.Contains(string(g.Body), `"code":"SERVICE_UNAVAILABLE"`) {
		t.Fatalf("GraphQL: %d %v %s", g.Status, g.Header, g.Body)
	}
	if _, err := conn.ExecContext(t.Context(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, rec := range e.Logs.Records() {
		if rec.Message == "http" && rec.Attrs["path"] == "/v1/auth/register" && rec.Attrs["status"] == "503" {
			found = true
		}
	}
	if !found {
		t.Fatalf("access log does not record the 503")
	}
	e.Register("after")
}

// assertUnavailable checks a REST 503 SERVICE_UNAVAILABLE envelope with Retry-After.
func assertUnavailable(t *testing.T, r *apitest.Response) {
	t.Helper()
	if r.Status != 503 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("want 503 with Retry-After, got %d %v %s", r.Status, r.Header, r.Body)
	}
	m := r.Object(t)
	if m["error"] != "SERVICE_UNAVAILABLE" || m["status_code"].(interface{ String() string }).String() != "503" {
		t.Fatalf("envelope: %s", r.Body)
	}
}
