// Package metrics holds the metrics of one authbff process, exposed in the Prometheus text
// format. A Set is made by the composition root and handed to the parts that count (no
// package globals); every method is safe on a nil *Set, so tests and tools may leave it out.
//
// The metrics live in a github.com/VictoriaMetrics/metrics Set rather than in the
// Prometheus Go client: the exposition is the same for scrapers (names, types, labels,
// histogram buckets, HELP texts of our own metrics), and the binary is ~2.5 MB smaller,
// without protobuf's descriptors on the heap at start (issue 12, idle RSS).
package metrics

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	rtmetrics "runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vm "github.com/VictoriaMetrics/metrics"
)

// Namespace prefixes every authbff metric.
const Namespace = "authbff"

// Metric names. The HELP texts are in help.
const (
	nameRequests     = Namespace + "_http_requests_total"
	nameDuration     = Namespace + "_http_request_duration_seconds"
	nameLogins       = Namespace + "_logins_total"
	nameRateLimited  = Namespace + "_rate_limited_total"
	nameHashQueue    = Namespace + "_password_hash_queue_depth"
	nameHashWait     = Namespace + "_password_hash_wait_seconds"
	nameHashRejected = Namespace + "_password_hash_rejected_total"
	nameOutboxSize   = Namespace + "_outbox_pending"
	nameOutboxAge    = Namespace + "_outbox_oldest_pending_age_seconds"
	nameMailSends    = Namespace + "_mail_sends_total"
	nameDBErrors     = Namespace + "_db_unavailable_total"
	nameTLSErrors    = Namespace + "_tls_handshake_errors_total"
)

// Histogram buckets (upper bounds, seconds), as they were under the Prometheus client.
var (
	durationBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	hashWaitBuckets = []float64{.001, .005, .01, .05, .1, .25, .5, 1, 2, 5}
)

// help is the HELP text of each family we define (the library writes "# HELP name" without
// text; Handler fills these in and drops the HELP lines it has no text for).
var help = map[string]string{
	nameRequests:     "HTTP requests by route (REST route, graphql:<root field>, or a fixed name) and status.",
	nameDuration:     "HTTP request latency by route.",
	nameLogins:       "Password logins by outcome (success, failure, forbidden, rate_limited, unavailable).",
	nameRateLimited:  "Attempts refused by a rate limit, by limit name.",
	nameHashQueue:    "Password hashes waiting for a slot.",
	nameHashWait:     "Time a password hash waited for a slot.",
	nameHashRejected: "Password hashes refused because the queue was full for too long (503).",
	nameOutboxSize:   "Mails waiting in the outbox (pending or being sent).",
	nameOutboxAge:    "Age of the oldest mail waiting in the outbox (0 when empty).",
	nameMailSends:    "Mail delivery attempts by result (sent, retry, failed).",
	nameDBErrors:     "Requests answered 503 because the database was unavailable.",
	nameTLSErrors:    "Failed TLS handshakes.",
}

func init() {
	// TYPE lines (and HELP lines, which Handler completes) are a process-wide switch of the
	// library; every Set of this process wants them, and nothing else here uses the library.
	vm.ExposeMetadata(true)
}

// Set is the metrics of one process.
type Set struct {
	set *vm.Set

	// requests caches the counter and histogram of each (route, status) seen, so that
	// Request neither builds nor hashes a series name per request. The map is never
	// changed once published (copy on write under mu): readers take no lock. Routes and
	// statuses are bounded by the code (README § Health, metrics, logs), so it stays small.
	requests  atomic.Pointer[map[requestKey]requestSeries]
	durations map[string]*vm.PrometheusHistogram // by route; under mu
	mu        sync.Mutex

	logins, rateLimited, mailSends *counterVec

	hashQueue          *vm.Gauge
	hashWait           *vm.PrometheusHistogram
	hashRejected       *vm.Counter
	outboxSize         *vm.Gauge
	outboxAge          *vm.Gauge
	dbErrors           *vm.Counter
	tlsHandshakeErrors *vm.Counter

	db atomic.Pointer[sql.DB] // WatchDB's pool
}

type requestKey struct {
	route  string
	status int
}

type requestSeries struct {
	count    *vm.Counter
	duration *vm.PrometheusHistogram
}

// New makes a Set with every metric; Handler adds the Go runtime and process metrics.
func New() *Set {
	set := vm.NewSet()
	s := &Set{
		set:                set,
		durations:          map[string]*vm.PrometheusHistogram{},
		logins:             &counterVec{set: set, name: nameLogins, label: "outcome"},
		rateLimited:        &counterVec{set: set, name: nameRateLimited, label: "limit"},
		mailSends:          &counterVec{set: set, name: nameMailSends, label: "result"},
		hashQueue:          set.NewGauge(nameHashQueue, nil),
		hashWait:           set.NewPrometheusHistogramExt(nameHashWait, hashWaitBuckets),
		hashRejected:       set.NewCounter(nameHashRejected),
		outboxSize:         set.NewGauge(nameOutboxSize, nil),
		outboxAge:          set.NewGauge(nameOutboxAge, nil),
		dbErrors:           set.NewCounter(nameDBErrors),
		tlsHandshakeErrors: set.NewCounter(nameTLSErrors),
	}
	s.requests.Store(&map[requestKey]requestSeries{})
	return s
}

// WatchDB exports the pool statistics of db (go_sql_* with db_name="authbff", the names
// and types of the Prometheus client's DBStatsCollector), read from db.Stats() at each
// scrape. A later call replaces the pool watched.
func (s *Set) WatchDB(db *sql.DB) {
	if s != nil && db != nil {
		s.db.Store(db)
	}
}

// Handler serves the metrics in the Prometheus text format (gzip when the scraper accepts
// it): ours, the pool's, then the Go runtime's and the process's.
func (s *Set) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var raw bytes.Buffer
		s.set.WritePrometheus(&raw)
		if db := s.db.Load(); db != nil {
			writeDBStats(&raw, db.Stats())
		}
		vm.WriteGoMetrics(&raw)
		writeRuntimeExtras(&raw)
		vm.WriteProcMetrics(&raw)
		vm.WriteFDMetrics(&raw)

		h := w.Header()
		h.Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8; escaping=underscores")
		var out io.Writer = w
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			h.Set("Content-Encoding", "gzip")
			h.Add("Vary", "Accept-Encoding")
			gz := gzip.NewWriter(w)
			defer gz.Close()
			out = gz
		}
		writeWithHelp(out, raw.Bytes())
	})
}

// writeWithHelp copies the exposition, completing the library's bare "# HELP name" lines
// with our texts and dropping those we have no text for (HELP is optional).
func writeWithHelp(w io.Writer, b []byte) {
	bw := bufio.NewWriterSize(w, 32<<10)
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i+1], b[i+1:]
		} else {
			b = nil
		}
		if rest, ok := bytes.CutPrefix(line, []byte("# HELP ")); ok {
			name := string(bytes.TrimSpace(rest))
			if !strings.ContainsRune(name, ' ') {
				if text, ok := help[name]; ok {
					fmt.Fprintf(bw, "# HELP %s %s\n", name, text)
				}
				continue
			}
		}
		bw.Write(line)
	}
	bw.Flush()
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip (and not with q=0).
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q, ok := strings.CutPrefix(strings.TrimSpace(params), "q=")
		if !ok {
			return true
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(q), 64)
		return err == nil && v > 0
	}
	return false
}

// writeDBStats writes what collectors.NewDBStatsCollector(db, "authbff") of the Prometheus
// client wrote: same names, types, HELP texts and label.
func writeDBStats(w io.Writer, st sql.DBStats) {
	for _, m := range []struct {
		name, typ, help string
		value           float64
	}{
		{"go_sql_idle_connections", "gauge", "The number of idle connections.", float64(st.Idle)},
		{"go_sql_in_use_connections", "gauge", "The number of connections currently in use.", float64(st.InUse)},
		{"go_sql_max_idle_closed_total", "counter", "The total number of connections closed due to SetMaxIdleConns.", float64(st.MaxIdleClosed)},
		{"go_sql_max_idle_time_closed_total", "counter", "The total number of connections closed due to SetConnMaxIdleTime.", float64(st.MaxIdleTimeClosed)},
		{"go_sql_max_lifetime_closed_total", "counter", "The total number of connections closed due to SetConnMaxLifetime.", float64(st.MaxLifetimeClosed)},
		{"go_sql_max_open_connections", "gauge", "Maximum number of open connections to the database.", float64(st.MaxOpenConnections)},
		{"go_sql_open_connections", "gauge", "The number of established connections both in use and idle.", float64(st.OpenConnections)},
		{"go_sql_wait_count_total", "counter", "The total number of connections waited for.", float64(st.WaitCount)},
		{"go_sql_wait_duration_seconds_total", "counter", "The total time blocked waiting for a new connection.", st.WaitDuration.Seconds()},
	} {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s{db_name=%q} %s\n", m.name, m.help, m.name, m.typ,
			m.name, Namespace, strconv.FormatFloat(m.value, 'g', -1, 64))
	}
}

// runtimeExtras are gauges the Prometheus client's Go collector exported and the library
// does not (under these names), kept with its names and HELP texts for existing
// dashboards: GOGC, the memory limit (AUTH_MEMORY_LIMIT) and GOMAXPROCS.
var runtimeExtras = []struct{ sample, name, help string }{
	{"/gc/gogc:percent", "go_gc_gogc_percent", "Heap size target percentage configured by the user, otherwise 100. This value is set by the GOGC environment variable, and the runtime/debug.SetGCPercent function. Sourced from /gc/gogc:percent."},
	{"/gc/gomemlimit:bytes", "go_gc_gomemlimit_bytes", "Go runtime memory limit configured by the user, otherwise math.MaxInt64. This value is set by the GOMEMLIMIT environment variable, and the runtime/debug.SetMemoryLimit function. Sourced from /gc/gomemlimit:bytes."},
	{"/sched/gomaxprocs:threads", "go_sched_gomaxprocs_threads", "The current runtime.GOMAXPROCS setting, or the number of operating system threads that can execute user-level Go code simultaneously. Sourced from /sched/gomaxprocs:threads."},
}

func writeRuntimeExtras(w io.Writer) {
	samples := make([]rtmetrics.Sample, len(runtimeExtras))
	for i, e := range runtimeExtras {
		samples[i].Name = e.sample
	}
	rtmetrics.Read(samples)
	for i, e := range runtimeExtras {
		if samples[i].Value.Kind() != rtmetrics.KindUint64 {
			continue // not in this Go runtime
		}
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %d\n", e.name, e.help, e.name, e.name, samples[i].Value.Uint64())
	}
}

// Request counts one HTTP request.
func (s *Set) Request(route string, status int, d time.Duration) {
	if s == nil {
		return
	}
	rs, ok := (*s.requests.Load())[requestKey{route, status}]
	if !ok {
		rs = s.newRequestSeries(route, status)
	}
	rs.count.Inc()
	rs.duration.Update(d.Seconds())
}

// newRequestSeries registers the series of a (route, status) not seen before.
func (s *Set) newRequestSeries(route string, status int) requestSeries {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := requestKey{route, status}
	old := *s.requests.Load()
	if rs, ok := old[key]; ok {
		return rs
	}
	h := s.durations[route]
	if h == nil {
		h = s.set.NewPrometheusHistogramExt(series(nameDuration, "route", route), durationBuckets)
		s.durations[route] = h
	}
	rs := requestSeries{
		count:    s.set.NewCounter(series(nameRequests, "route", route, "status", strconv.Itoa(status))),
		duration: h,
	}
	next := make(map[requestKey]requestSeries, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[key] = rs
	s.requests.Store(&next)
	return rs
}

// counterVec is a counter with one label, its series cached by label value (copy on write,
// as Set.requests).
type counterVec struct {
	set         *vm.Set
	name, label string
	mu          sync.Mutex
	byValue     atomic.Pointer[map[string]*vm.Counter]
}

func (v *counterVec) inc(value string) {
	if m := v.byValue.Load(); m != nil {
		if c, ok := (*m)[value]; ok {
			c.Inc()
			return
		}
	}
	v.mu.Lock()
	var old map[string]*vm.Counter
	if m := v.byValue.Load(); m != nil {
		old = *m
	}
	c, ok := old[value]
	if !ok {
		c = v.set.NewCounter(series(v.name, v.label, value))
		next := make(map[string]*vm.Counter, len(old)+1)
		for k, x := range old {
			next[k] = x
		}
		next[value] = c
		v.byValue.Store(&next)
	}
	v.mu.Unlock()
	c.Inc()
}

// series is the name of a series: name{label="value",...}, values escaped as the text
// format wants (backslash, double quote, line feed).
func series(name string, labels ...string) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('{')
	for i := 0; i+1 < len(labels); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(labels[i])
		b.WriteString(`="`)
		b.WriteString(labelEscaper.Replace(labels[i+1]))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// Login counts a password login by outcome.
func (s *Set) Login(outcome string) {
	if s != nil {
		s.logins.inc(outcome)
	}
}

// RateLimited counts a refusal by limit name.
func (s *Set) RateLimited(limit string) {
	if s != nil {
		s.rateLimited.inc(limit)
	}
}

// HashQueued adds delta to the hash queue depth.
func (s *Set) HashQueued(delta float64) {
	if s != nil {
		s.hashQueue.Add(delta)
	}
}

// HashWaited records how long a hash waited for its slot; rejected when it never got one.
func (s *Set) HashWaited(d time.Duration, rejected bool) {
	if s == nil {
		return
	}
	s.hashWait.Update(d.Seconds())
	if rejected {
		s.hashRejected.Inc()
	}
}

// Outbox sets the outbox backlog and the age of its oldest message.
func (s *Set) Outbox(pending int, oldest time.Duration) {
	if s != nil {
		s.outboxSize.Set(float64(pending))
		s.outboxAge.Set(oldest.Seconds())
	}
}

// MailSend counts a delivery attempt by result.
func (s *Set) MailSend(result string) {
	if s != nil {
		s.mailSends.inc(result)
	}
}

// DBUnavailable counts a request answered 503 for the database.
func (s *Set) DBUnavailable() {
	if s != nil {
		s.dbErrors.Inc()
	}
}

// TLSHandshakeFailed counts a failed TLS handshake.
func (s *Set) TLSHandshakeFailed() {
	if s != nil {
		s.tlsHandshakeErrors.Inc()
	}
}
