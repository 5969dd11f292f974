package auth_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"authbff/graph/auth"
	"authbff/rest/apitest"
)

// stores returns the LimitStores to test: memory, SQLite, and PostgreSQL when available.
func stores(t testing.TB) map[string]auth.LimitStore {
	t.Helper()
	out := map[string]auth.LimitStore{"memory": auth.NewMemoryStore(0)}
	open := func(url string) auth.LimitStore {
		d, err := auth.Open(context.Background(), url, auth.OpenOrCreate)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return auth.NewSQLLimitStore(d)
	}
	out["sqlite"] = open("sqlite:" + filepath.Join(t.TempDir(), "limits.db"))
	if testing.Short() {
		return out
	}
	out["postgres"] = open(apitest.Postgres(t))
	return out
}

// TestLimitStoresAgree: every store implements the same GCRA: N at once, then one per
// Window/N; a check spends nothing; Reset forgets.
func TestLimitStoresAgree(t *testing.T) {
	t.Parallel()
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			l := auth.Limit{N: 3, Window: time.Minute}
			now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			for i := range 3 {
				if wait, err := s.Take(ctx, "k", l, 1, now); err != nil || wait != 0 {
					t.Fatalf("attempt %d: %v %v", i+1, wait, err)
				}
			}
			if wait, _ := s.Take(ctx, "k", l, 0, now); wait <= 0 {
				t.Fatal("check after the burst passes")
			}
			wait, err := s.Take(ctx, "k", l, 1, now)
			if err != nil || wait != 20*time.Second {
				t.Fatalf("4th attempt: wait %v (%v), want 20s", wait, err)
			}
			if wait, _ := s.Take(ctx, "k", l, 1, now.Add(20*time.Second)); wait != 0 {
				t.Fatalf("after one interval: wait %v", wait)
			}
			if wait, _ := s.Take(ctx, "other", l, 1, now); wait != 0 {
				t.Fatalf("another key: wait %v", wait)
			}
			if err := s.Reset(ctx, "k"); err != nil {
				t.Fatal(err)
			}
			if wait, _ := s.Take(ctx, "k", l, 1, now.Add(20*time.Second)); wait != 0 {
				t.Fatalf("after reset: wait %v", wait)
			}
		})
	}
}

// TestMemoryStoreEvictsInsteadOfRefusing: a full store makes room for a new key (expired
// keys first, then the least recently used), and never refuses it.
func TestMemoryStoreEvictsInsteadOfRefusing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := auth.NewMemoryStore(3)
	l := auth.Limit{N: 1, Window: time.Hour}
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, k := range []string{"a", "b", "c"} {
		if wait, _ := s.Take(ctx, k, l, 1, now); wait != 0 {
			t.Fatalf("%s: %v", k, wait)
		}
	}
	if wait, _ := s.Take(ctx, "a", l, 1, now); wait == 0 { // a is now the most recently used
		t.Fatal("a second attempt on a passes")
	}
	for i := range 100 {
		if wait, _ := s.Take(ctx, fmt.Sprintf("flood%d", i), l, 1, now); wait != 0 {
			t.Fatalf("new key %d refused: %v", i, wait)
		}
	}
	if s.Len() != 3 {
		t.Fatalf("%d keys held, cap 3", s.Len())
	}
	// b and c went before a: after "d" joins, a still counts.
	s2 := auth.NewMemoryStore(3)
	for _, k := range []string{"a", "b", "c"} {
		_, _ = s2.Take(ctx, k, l, 1, now)
	}
	_, _ = s2.Take(ctx, "a", l, 0, now) // a check touches a
	_, _ = s2.Take(ctx, "d", l, 1, now)
	if wait, _ := s2.Take(ctx, "a", l, 1, now); wait == 0 {
		t.Fatal("the recently used key was evicted")
	}
	if wait, _ := s2.Take(ctx, "b", l, 1, now); wait != 0 {
		t.Fatal("the least recently used key was kept")
	}
}

// BenchmarkLimitStoreTake measures the cost of one rate-limited attempt per store (the
// PostgreSQL one is a round trip to the server of AUTH_TEST_POSTGRES_URL).
func BenchmarkLimitStoreTake(b *testing.B) {
	for name, s := range stores(b) {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			l := auth.Limit{N: 1_000_000, Window: time.Second}
			now := time.Now()
			i := 0
			for b.Loop() {
				i++
				if _, err := s.Take(ctx, fmt.Sprintf("bench-%d", i%1000), l, 1, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
