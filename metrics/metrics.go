// Package metrics holds the Prometheus collectors of one authbff process. A Set is made
// by the composition root and handed to the parts that count (no package globals); every
// method is safe on a nil *Set, so tests and tools may leave it out.
package metrics

import (
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every authbff metric.
const Namespace = "authbff"

// Set is the metrics of one process.
type Set struct {
	reg          *prometheus.Registry
	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	logins       *prometheus.CounterVec
	rateLimited  *prometheus.CounterVec
	hashQueue    prometheus.Gauge
	hashWait     prometheus.Histogram
	hashRejected prometheus.Counter
	outboxSize   prometheus.Gauge
	outboxAge    prometheus.Gauge
	mailSends    *prometheus.CounterVec
	dbErrors     prometheus.Counter
	// tlsHandshakeErrors counts failed TLS handshakes (the TLS listener increments it
	// through TLSHandshakeFailed; wired where the server's ErrorLog sees them).
	tlsHandshakeErrors prometheus.Counter
}

// New registers every collector, with the Go runtime and process collectors, on a fresh
// registry.
func New() *Set {
	s := &Set{reg: prometheus.NewRegistry()}
	s.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "http_requests_total",
		Help: "HTTP requests by route (REST route, graphql:<root field>, or a fixed name) and status."}, []string{"route", "status"})
	s.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "http_request_duration_seconds",
		Help:    "HTTP request latency by route.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"route"})
	s.logins = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "logins_total",
		Help: "Password logins by outcome (success, failure, forbidden, rate_limited, unavailable)."}, []string{"outcome"})
	s.rateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "rate_limited_total",
		Help: "Attempts refused by a rate limit, by limit name."}, []string{"limit"})
	s.hashQueue = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "password_hash_queue_depth",
		Help: "Password hashes waiting for a slot."})
	s.hashWait = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: "password_hash_wait_seconds",
		Help: "Time a password hash waited for a slot.", Buckets: []float64{.001, .005, .01, .05, .1, .25, .5, 1, 2, 5}})
	s.hashRejected = prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "password_hash_rejected_total",
		Help: "Password hashes refused because the queue was full for too long (503)."})
	s.outboxSize = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "outbox_pending",
		Help: "Mails waiting in the outbox (pending or being sent)."})
	s.outboxAge = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "outbox_oldest_pending_age_seconds",
		Help: "Age of the oldest mail waiting in the outbox (0 when empty)."})
	s.mailSends = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "mail_sends_total",
		Help: "Mail delivery attempts by result (sent, retry, failed)."}, []string{"result"})
	s.dbErrors = prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "db_unavailable_total",
		Help: "Requests answered 503 because the database was unavailable."})
	s.tlsHandshakeErrors = prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "tls_handshake_errors_total",
		Help: "Failed TLS handshakes."})
	s.reg.MustRegister(s.httpRequests, s.httpDuration, s.logins, s.rateLimited, s.hashQueue, s.hashWait,
		s.hashRejected, s.outboxSize, s.outboxAge, s.mailSends, s.dbErrors, s.tlsHandshakeErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return s
}

// WatchDB exports the pool statistics of db (go_sql_* with db_name="authbff").
func (s *Set) WatchDB(db *sql.DB) {
	if s != nil && db != nil {
		s.reg.MustRegister(collectors.NewDBStatsCollector(db, Namespace))
	}
}

// Handler serves the registry in the Prometheus text format.
func (s *Set) Handler() http.Handler {
	return promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg})
}

// Registry is the registry, for tests and extra collectors.
func (s *Set) Registry() *prometheus.Registry { return s.reg }

// Request counts one HTTP request.
func (s *Set) Request(route string, status int, d time.Duration) {
	if s == nil {
		return
	}
	s.httpRequests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	s.httpDuration.WithLabelValues(route).Observe(d.Seconds())
}

// Login counts a password login by outcome.
func (s *Set) Login(outcome string) {
	if s != nil {
		s.logins.WithLabelValues(outcome).Inc()
	}
}

// RateLimited counts a refusal by limit name.
func (s *Set) RateLimited(limit string) {
	if s != nil {
		s.rateLimited.WithLabelValues(limit).Inc()
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
	s.hashWait.Observe(d.Seconds())
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
		s.mailSends.WithLabelValues(result).Inc()
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
