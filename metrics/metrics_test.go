package metrics_test

import (
	"bytes"
	"database/sql"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"authbff/metrics"
)

// scrape serves one scrape of s and parses it with the Prometheus text parser; raw is the
// text itself.
func scrape(t *testing.T, s *metrics.Set) (fams map[string]*dto.MetricFamily, raw string) {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/plain; version=0.0.4; charset=utf-8; escaping=underscores" {
		t.Fatalf("scrape: %d %v", rec.Code, rec.Header())
	}
	raw = rec.Body.String()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatalf("parsing: %v\n%s", err, raw)
	}
	return fams, raw
}

// series is the one series of family name whose labels are exactly want.
func series(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	t.Helper()
	for _, m := range fams[name].GetMetric() {
		if len(m.Label) != len(want) {
			continue
		}
		ok := true
		for _, l := range m.Label {
			if v, found := want[l.GetName()]; !found || v != l.GetValue() {
				ok = false
			}
		}
		if ok {
			return m
		}
	}
	t.Fatalf("%s%v: no such series", name, want)
	return nil
}

func TestNilSetIsANoOp(t *testing.T) {
	var s *metrics.Set
	s.Request("/v1/auth/me", 200, time.Millisecond)
	s.Login("success")
	s.RateLimited("login_account")
	s.HashQueued(1)
	s.HashWaited(time.Millisecond, true)
	s.Outbox(1, time.Second)
	s.MailSend("sent")
	s.DBUnavailable()
	s.TLSHandshakeFailed()
	s.WatchDB(nil)
}

// TestExposition: every method lands in its series with the exact value, names, labels,
// types, HELP texts and histogram buckets scrapers had under the Prometheus client.
func TestExposition(t *testing.T) {
	s := metrics.New()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(7)
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	s.WatchDB(db)

	s.Request("/v1/auth/me", 200, 3*time.Millisecond)
	s.Request("/v1/auth/me", 200, 40*time.Millisecond)
	s.Request("/v1/auth/me", 401, 2*time.Minute)
	hostile := "graphql:a\"b\\c\nd"
	s.Request(hostile, 200, time.Millisecond)
	s.Login("success")
	s.Login("success")
	s.Login("failure")
	s.RateLimited("login_account")
	s.HashQueued(3)
	s.HashQueued(-1)
	s.HashWaited(20*time.Millisecond, false)
	s.HashWaited(3*time.Second, true)
	s.Outbox(4, 90*time.Second+500*time.Millisecond)
	s.MailSend("retry")
	s.DBUnavailable()
	s.TLSHandshakeFailed()
	s.TLSHandshakeFailed()

	fams, raw := scrape(t, s)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"authbff_http_requests_total", map[string]string{"route": "/v1/auth/me", "status": "200"}, 2},
		{"authbff_http_requests_total", map[string]string{"route": "/v1/auth/me", "status": "401"}, 1},
		{"authbff_http_requests_total", map[string]string{"route": hostile, "status": "200"}, 1},
		{"authbff_logins_total", map[string]string{"outcome": "success"}, 2},
		{"authbff_logins_total", map[string]string{"outcome": "failure"}, 1},
		{"authbff_rate_limited_total", map[string]string{"limit": "login_account"}, 1},
		{"authbff_password_hash_queue_depth", nil, 2},
		{"authbff_password_hash_rejected_total", nil, 1},
		{"authbff_outbox_pending", nil, 4},
		{"authbff_outbox_oldest_pending_age_seconds", nil, 90.5},
		{"authbff_mail_sends_total", map[string]string{"result": "retry"}, 1},
		{"authbff_db_unavailable_total", nil, 1},
		{"authbff_tls_handshake_errors_total", nil, 2},
		{"go_sql_max_open_connections", map[string]string{"db_name": "authbff"}, 7},
		{"go_sql_open_connections", map[string]string{"db_name": "authbff"}, 1},
		{"go_sql_idle_connections", map[string]string{"db_name": "authbff"}, 1},
		{"go_sql_in_use_connections", map[string]string{"db_name": "authbff"}, 0},
		{"go_sql_wait_count_total", map[string]string{"db_name": "authbff"}, 0},
	} {
		m := series(t, fams, c.name, c.labels)
		var got float64
		switch fams[c.name].GetType() {
		case dto.MetricType_COUNTER:
			got = m.GetCounter().GetValue()
		case dto.MetricType_GAUGE:
			got = m.GetGauge().GetValue()
		default:
			t.Errorf("%s: type %v", c.name, fams[c.name].GetType())
		}
		if got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}

	// Histograms: le buckets as before, cumulative, +Inf = count, and the sum.
	inf := math.Inf(1)
	for _, c := range []struct {
		name   string
		labels map[string]string
		bounds []float64
		counts []uint64
		sum    float64
	}{
		{"authbff_http_request_duration_seconds", map[string]string{"route": "/v1/auth/me"},
			[]float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, inf},
			[]uint64{1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3}, 120.043},
		{"authbff_http_request_duration_seconds", map[string]string{"route": hostile},
			[]float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, inf},
			[]uint64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, .001},
		{"authbff_password_hash_wait_seconds", nil,
			[]float64{.001, .005, .01, .05, .1, .25, .5, 1, 2, 5, inf},
			[]uint64{0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2}, 3.02},
	} {
		if fams[c.name].GetType() != dto.MetricType_HISTOGRAM {
			t.Fatalf("%s: type %v", c.name, fams[c.name].GetType())
		}
		h := series(t, fams, c.name, c.labels).GetHistogram()
		if len(h.Bucket) != len(c.bounds) {
			t.Fatalf("%s%v: %d buckets, want %d", c.name, c.labels, len(h.Bucket), len(c.bounds))
		}
		for i, b := range h.Bucket {
			if b.GetUpperBound() != c.bounds[i] || b.GetCumulativeCount() != c.counts[i] {
				t.Errorf("%s%v bucket %d: le=%v %d, want le=%v %d", c.name, c.labels, i, b.GetUpperBound(),
					b.GetCumulativeCount(), c.bounds[i], c.counts[i])
			}
		}
		if h.GetSampleCount() != c.counts[len(c.counts)-1] || math.Abs(h.GetSampleSum()-c.sum) > 1e-9 {
			t.Errorf("%s%v: count %d sum %v, want %d %v", c.name, c.labels, h.GetSampleCount(), h.GetSampleSum(),
				c.counts[len(c.counts)-1], c.sum)
		}
	}

	// HELP texts: ours and the pool's as under the Prometheus client; no bare HELP line.
	for name, want := range map[string]string{
		"authbff_http_requests_total":           "HTTP requests by route (REST route, graphql:<root field>, or a fixed name) and status.",
		"authbff_http_request_duration_seconds": "HTTP request latency by route.",
		"go_sql_wait_duration_seconds_total":    "The total time blocked waiting for a new connection.",
		"go_gc_gomemlimit_bytes":                "Go runtime memory limit configured by the user, otherwise math.MaxInt64. This value is set by the GOMEMLIMIT environment variable, and the runtime/debug.SetMemoryLimit function. Sourced from /gc/gomemlimit:bytes.",
	} {
		if got := fams[name].GetHelp(); got != want {
			t.Errorf("%s HELP %q, want %q", name, got, want)
		}
	}
	for _, line := range strings.Split(raw, "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "#" && f[1] == "HELP" {
			t.Errorf("bare HELP line %q", line)
		}
	}
	for _, name := range []string{"go_goroutines", "go_gc_gogc_percent", "go_sched_gomaxprocs_threads",
		"process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds"} {
		if fams[name] == nil {
			t.Errorf("%s missing", name)
		}
	}
}

// TestSetsAreIndependent: two Sets in one process (tests run several servers) count apart.
func TestSetsAreIndependent(t *testing.T) {
	a, b := metrics.New(), metrics.New()
	a.Request("/v1/auth/me", 200, time.Millisecond)
	a.Login("success")
	a.DBUnavailable()
	fa, _ := scrape(t, a)
	fb, _ := scrape(t, b)
	if got := series(t, fa, "authbff_http_requests_total", map[string]string{"route": "/v1/auth/me", "status": "200"}).GetCounter().GetValue(); got != 1 {
		t.Errorf("a: %v", got)
	}
	if fb["authbff_http_requests_total"] != nil || fb["authbff_logins_total"] != nil {
		t.Errorf("b shows a's requests: %v", fb["authbff_http_requests_total"])
	}
	if got := series(t, fb, "authbff_db_unavailable_total", nil).GetCounter().GetValue(); got != 0 {
		t.Errorf("b: db_unavailable %v", got)
	}
}

// TestRequestConcurrentFirstUse: goroutines that meet new routes at the same time (the
// copy-on-write cache registering them) lose no count and register each series once.
func TestRequestConcurrentFirstUse(t *testing.T) {
	s := metrics.New()
	routes := []string{"/a", "/b", "/c", "/d"}
	const workers, each, nRoutes = 8, 500, 4
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				s.Request(routes[(w+i)%len(routes)], 200+(i%2), time.Millisecond)
				s.Login(routes[i%len(routes)])
			}
		})
	}
	wg.Wait()
	fams, _ := scrape(t, s)
	for _, r := range routes {
		for _, status := range []string{"200", "201"} {
			if got := series(t, fams, "authbff_http_requests_total", map[string]string{"route": r, "status": status}).GetCounter().GetValue(); got != workers*each/nRoutes/2 {
				t.Errorf("%s %s: %v", r, status, got)
			}
		}
		if got := series(t, fams, "authbff_http_request_duration_seconds", map[string]string{"route": r}).GetHistogram().GetSampleCount(); got != workers*each/nRoutes {
			t.Errorf("%s duration count %d", r, got)
		}
		if got := series(t, fams, "authbff_logins_total", map[string]string{"outcome": r}).GetCounter().GetValue(); got != workers*each/nRoutes {
			t.Errorf("logins %s: %v", r, got)
		}
	}
	if n := len(fams["authbff_http_requests_total"].Metric); n != 2*len(routes) {
		t.Errorf("%d request series", n)
	}
}

// TestGzipNegotiation: gzip when accepted (not with q=0), identity otherwise.
func TestGzipNegotiation(t *testing.T) {
	s := metrics.New()
	for header, want := range map[string]string{
		"":                    "",
		"gzip":                "gzip",
		"deflate, gzip;q=1.0": "gzip",
		"GZIP":                "gzip",
		"gzip;q=0":            "",
		"gzip; q=0.5":         "gzip",
		"br, identity":        "",
	} {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if header != "" {
			req.Header.Set("Accept-Encoding", header)
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if got := rec.Header().Get("Content-Encoding"); got != want {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", header, got, want)
		}
	}
}

// BenchmarkRequest is the per-request cost of counting one HTTP request (a route and
// status already seen, the steady state).
func BenchmarkRequest(b *testing.B) {
	m := metrics.New()
	m.Request("/v1/auth/me", 200, time.Millisecond)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Request("/v1/auth/me", 200, 3*time.Millisecond)
		}
	})
}

// BenchmarkRequestSerial is the same on one goroutine.
func BenchmarkRequestSerial(b *testing.B) {
	m := metrics.New()
	m.Request("/v1/auth/me", 200, time.Millisecond)
	b.ReportAllocs()
	for b.Loop() {
		m.Request("/v1/auth/me", 200, 3*time.Millisecond)
	}
}
