package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestShutdownReadinessFirstThenDrain: on SIGTERM (ctx cancelled) /readyz turns 503 at
// once while the listener still serves; after AUTH_SHUTDOWN_DELAY the listener closes,
// and a request in flight still gets its answer before serve returns nil.
func TestShutdownReadinessFirstThenDrain(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"AUTH_ADDR": "127.0.0.1:0", "AUTH_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "auth.db"),
		"AUTH_RATE_LIMITS": "off", "AUTH_HASH_MEMORY_KIB": "64", "AUTH_HASH_TIME": "1", "AUTH_SHUTDOWN_DELAY": "1h",
	}
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg.drainStarted, cfg.skipDelay = make(chan struct{}), make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- serveWith(ctx, cfg, slog.New(slog.DiscardHandler), ready) }()
	base := "http://" + <-ready
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if s, b := get("/readyz"); s != 200 || !strings.Contains(b, `"shutdown":"ok"`) {
		t.Fatalf("readyz: %d %s", s, b)
	}
	// A request in flight: its body arrives in two parts.
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/auth/login", pr)
	req.Header.Set("Content-Type", "application/json")
	answer := make(chan int, 1)
	go func() {
		resp, err := client.Do(req)
		if err != nil {
			answer <- 0
			return
		}
		resp.Body.Close()
		answer <- resp.StatusCode
	}()
	if _, err := pw.Write([]byte(`{"username": "nobody", `)); err != nil { // returns once the server reads it
		t.Fatal(err)
	}
	cancel() // SIGTERM
	<-cfg.drainStarted
	if s, b := get("/readyz"); s != 503 || !strings.Contains(b, `"shutdown":"fail"`) {
		t.Fatalf("readyz while draining: %d %s", s, b)
	}
	if s, _ := get("/healthz"); s != 200 {
		t.Fatalf("healthz while draining: %d", s)
	}
	close(cfg.skipDelay) // the delay is over: the listener closes
	if _, err := pw.Write([]byte(`"password": "not-the-password"}`)); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if s := <-answer; s != 401 {
		t.Fatalf("the request in flight got %d, want its answer (401)", s)
	}
	if err := <-errc; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if _, err := client.Get(base + "/healthz"); err == nil {
		t.Fatal("the listener still accepts after shutdown")
	}
}

// TestMetricsOnTheirOwnAddress: with AUTH_METRICS_ADDR, /metrics is served there and not
// on the public listener.
func TestMetricsOnTheirOwnAddress(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := ln.Addr().String()
	ln.Close()
	env := map[string]string{
		"AUTH_ADDR": "127.0.0.1:0", "AUTH_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "auth.db"),
		"AUTH_METRICS_ADDR": metricsAddr, "AUTH_SHUTDOWN_DELAY": "0", "AUTH_LOG_FORMAT": "json",
	}
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- serveWith(ctx, cfg, slog.New(slog.DiscardHandler), ready) }()
	base := "http://" + <-ready
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("/metrics on the public listener: %d", resp.StatusCode)
	}
	resp, err = http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "authbff_http_requests_total") ||
		!strings.Contains(string(b), `go_sql_max_open_connections{db_name="authbff"}`) {
		t.Fatalf("/metrics on AUTH_METRICS_ADDR: %d %.300s", resp.StatusCode, b)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestJSONLogs(t *testing.T) {
	t.Parallel()
	var buf strings.Builder
	log := newLogger(&buf, "info", "json")
	log.Info("http", "status", 200)
	var m map[string]any
	if err := json.Unmarshal([]byte(buf.String()), &m); err != nil || m["msg"] != "http" || m["status"] != float64(200) {
		t.Fatalf("JSON log line: %q (%v)", buf.String(), err)
	}
}
