package auth_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"authbff/graph/auth"
	"authbff/rest/apitest"
)

// benchmarkExistingVsUnknown times call for an address with an account and for one
// without, interleaved (existing, unknown, existing, …) so that drift affects both
// alike, and reports each median and their ratio. forgot-password and
// resend-verification must not tell, by their time, whether an account exists: the
// ratio should stay within 0.9–1.1. The outbox worker is off, so the numbers are the
// request path's (the work an existing address causes happens in the worker).
func benchmarkExistingVsUnknown(b *testing.B, call func(s *auth.Service, ctx context.Context, email string) error) {
	e := apitest.New(b, apitest.WithoutMailer(), apitest.WithConfig(func(c *auth.Config) { c.RateLimits = nil }))
	a := e.Register("timed")
	ctx := auth.WithClient(context.Background(), auth.Client{IP: "192.0.2.1"})
	for range 50 { // warm up both paths
		_ = call(e.Svc, ctx, a.Email)
		_ = call(e.Svc, ctx, "nobody@example.com")
	}
	var known, unknown []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		addr, into := a.Email, &known
		if i%2 == 1 {
			addr, into = "nobody@example.com", &unknown
		}
		start := time.Now()
		if err := call(e.Svc, ctx, addr); err != nil {
			b.Fatal(err)
		}
		*into = append(*into, time.Since(start))
	}
	b.StopTimer()
	mk, mu := median(known), median(unknown)
	b.ReportMetric(float64(mk.Nanoseconds()), "ns/existing")
	b.ReportMetric(float64(mu.Nanoseconds()), "ns/unknown")
	if mu > 0 {
		b.ReportMetric(float64(mk)/float64(mu), "existing/unknown")
	}
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func BenchmarkForgotPasswordExistingVsUnknown(b *testing.B) {
	benchmarkExistingVsUnknown(b, func(s *auth.Service, ctx context.Context, email string) error {
		return s.ForgotPassword(ctx, auth.ForgotPasswordInput{Email: email})
	})
}

func BenchmarkResendVerificationExistingVsUnknown(b *testing.B) {
	benchmarkExistingVsUnknown(b, func(s *auth.Service, ctx context.Context, email string) error {
		return s.ResendVerification(ctx, auth.ResendVerificationInput{Email: email})
	})
}
