package main

import (
	"context"
	"crypto/tls"
	"log"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// tlsConfig is what authbff offers when it terminates TLS itself (AUTH_TLS_CERT_FILE):
// Mozilla's "intermediate" profile. TLS 1.3 (whose suites are all AEAD and not
// configurable in Go) and, for older clients, TLS 1.2 with forward-secret AEAD suites
// only: no CBC suites (LUCKY13-style padding oracles, testssl.sh rates them LOW), no
// static-RSA key exchange.
func tlsConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
	}
}

// handshakeWarnEvery is how often, at most, failed TLS handshakes are reported at WARN.
const handshakeWarnEvery = time.Minute

// serverLog receives net/http's own error log. A failed TLS handshake (a scanner, a
// client with no common cipher suite, a health check closing the connection) is
// counted and written at debug, and at WARN at most once per handshakeWarnEvery with
// the count so far: one scan used to write 113 WARN lines. Anything else net/http
// reports stays a WARN line.
type serverLog struct {
	log    *slog.Logger
	now    func() time.Time
	failed atomic.Uint64

	mu       sync.Mutex
	lastWarn time.Time
	onFail   func() // tests: called after a failed handshake is counted
	counted  func() // the metric (authbff_tls_handshake_errors_total), when set
}

func newServerLog(l *slog.Logger, now func() time.Time) *serverLog {
	return &serverLog{log: l, now: now}
}

// TLSHandshakeFailures is the number of failed TLS handshakes since start (for
// /metrics: authbff_tls_handshake_failures_total).
func (s *serverLog) TLSHandshakeFailures() uint64 { return s.failed.Load() }

// Logger is the *log.Logger to give http.Server.ErrorLog.
func (s *serverLog) Logger() *log.Logger { return log.New(s, "", 0) }

const handshakePrefix = "http: TLS handshake error from "

func (s *serverLog) Write(p []byte) (int, error) {
	line := strings.TrimRight(string(p), "\n")
	rest, ok := strings.CutPrefix(line, handshakePrefix)
	if !ok {
		s.log.Warn(line)
		return len(p), nil
	}
	n := s.failed.Add(1)
	if s.counted != nil {
		s.counted()
	}
	addr, reason, _ := strings.Cut(rest, ": ")
	s.log.Debug("TLS handshake failed", "remote", addr, "reason", reason)
	s.mu.Lock()
	warn := s.lastWarn.IsZero() || s.now().Sub(s.lastWarn) >= handshakeWarnEvery
	if warn {
		s.lastWarn = s.now()
	}
	onFail := s.onFail
	s.mu.Unlock()
	if warn {
		s.log.LogAttrs(context.Background(), slog.LevelWarn, "TLS handshakes are failing (each one is logged at debug)",
			slog.Uint64("failed_total", n), slog.String("last_reason", reason))
	}
	if onFail != nil {
		onFail()
	}
	return len(p), nil
}
