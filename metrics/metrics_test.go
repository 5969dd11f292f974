package metrics_test

import (
	"testing"
	"time"

	"authbff/metrics"
)

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
