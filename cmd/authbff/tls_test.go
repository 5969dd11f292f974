package main

import (
	"authbff/rest/apitest"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// logBuffer is a log destination shared by the server's goroutines (or a child's
// output reader) and the test.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *logBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *logBuffer) WriteString(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.WriteString(v)
}

func (s *logBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *logBuffer) lines(level string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Count(s.b.String(), "level="+level)
}

// tlsServer starts newHTTPServer with TLS on a free port, with a self-signed ECDSA
// certificate, and returns its address, the certificate pool a client trusts, the
// server log and the log output.
func tlsServer(t *testing.T, now func() time.Time) (string, *x509.CertPool, *serverLog, *logBuffer) {
	t.Helper()
	cert, pool := apitest.TestCert(t)
	certFile, keyFile := apitest.WriteCertFiles(t, cert)

	out := &logBuffer{}
	sl := newServerLog(slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug})), now)
	srv := newHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }), sl, true)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.ServeTLS(ln, certFile, keyFile)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), pool, sl, out
}

func dialTLS(addr string, pool *x509.CertPool, suites ...uint16) error {
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS12, CipherSuites: suites})
	if err != nil {
		return err
	}
	return c.Close()
}

// TestTLSOffersOnlyForwardSecretAEAD (issue 8 §6): a TLS 1.2 client offering only CBC
// suites is refused; one offering an ECDHE AEAD suite, or TLS 1.3, gets through.
func TestTLSOffersOnlyForwardSecretAEAD(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	addr, pool, _, _ := tlsServer(t, func() time.Time { return now })
	for _, c := range []struct {
		name   string
		suites []uint16
		ok     bool
	}{
		{"ErrCBCSHA", []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA}, false},
		{"ErrCBCSHA256", []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256}, false},
		{"OKAES128GCM", []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}, true},
		{"OKAES256GCM", []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384}, true},
		{"OKChaCha20", []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := dialTLS(addr, pool, c.suites...)
			if (err == nil) != c.ok {
				t.Errorf("handshake error = %v, want ok=%v", err, c.ok)
			}
		})
	}
	t.Run("OKTLS13", func(t *testing.T) {
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13})
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	})
	t.Run("OKHTTPSRequest", func(t *testing.T) {
		cl := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		resp, err := cl.Get("https://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "ok" {
			t.Errorf("body = %q", body)
		}
	})
}

// TestTLSHandshakeFailuresCountedNotShouted: a burst of bad handshakes (a scan) is
// counted one by one, logged at debug, and at WARN once per minute, not once each.
func TestTLSHandshakeFailuresCountedNotShouted(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	addr, pool, sl, out := tlsServer(t, clock)
	failed := make(chan struct{}, 200)
	sl.mu.Lock()
	sl.onFail = func() { failed <- struct{}{} }
	sl.mu.Unlock()
	burst := func(n int) {
		t.Helper()
		for range n {
			if err := dialTLS(addr, pool, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA); err == nil {
				t.Fatal("a CBC-only client got through")
			}
		}
		for range n {
			select {
			case <-failed:
			case <-time.After(30 * time.Second):
				t.Fatal("the server did not report the failed handshakes")
			}
		}
	}
	burst(60)
	if got := sl.TLSHandshakeFailures(); got != 60 {
		t.Errorf("failures = %d, want 60", got)
	}
	if w, d := out.lines("WARN"), out.lines("DEBUG"); w != 1 || d != 60 {
		t.Errorf("log lines: %d WARN, %d DEBUG, want 1 and 60:\n%s", w, d, out.String())
	}
	// A minute later the next failure warns again, with the running count.
	mu.Lock()
	now = now.Add(handshakeWarnEvery)
	mu.Unlock()
	burst(5)
	if w := out.lines("WARN"); w != 2 || !strings.Contains(out.String(), "failed_total=61") {
		t.Errorf("after a minute: %d WARN lines, want 2 (the second with failed_total=61):\n%s", w, out.String())
	}
	if got := sl.TLSHandshakeFailures(); got != 65 {
		t.Errorf("failures = %d, want 65", got)
	}
	// A good client is unaffected, and not counted.
	if err := dialTLS(addr, pool, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256); err != nil {
		t.Fatal(err)
	}
}

// TestServerLogKeepsOtherErrors: what net/http reports besides handshakes stays a WARN.
func TestServerLogKeepsOtherErrors(t *testing.T) {
	t.Parallel()
	out := &logBuffer{}
	sl := newServerLog(slog.New(slog.NewTextHandler(out, nil)), time.Now)
	sl.Logger().Printf("http: Accept error: too many open files; retrying in 5ms")
	if out.lines("WARN") != 1 || sl.TLSHandshakeFailures() != 0 {
		t.Errorf("log: %s", out.String())
	}
}
