package auth_test

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"authbff/graph/auth"
)

// Unit tests of the limiter's arithmetic (GCRA over the in-memory store) and of
// AUTH_RATE_LIMITS parsing; the stores' agreement and the HTTP answers are tested
// beside them (limitstore_test.go, rest/abuse_test.go).

var t0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// TestGCRAArithmetic replays sequences of (offset from t0, cost) on one key of a fresh
// store and checks each answer: 0 (allowed) or the exact wait.
func TestGCRAArithmetic(t *testing.T) {
	t.Parallel()
	type step struct {
		at   time.Duration
		cost int
		wait time.Duration
	}
	three := auth.Limit{N: 3, Window: time.Minute} // a burst of 3, then one per 20 s
	cases := []struct {
		name  string
		limit auth.Limit
		steps []step
	}{
		{"BurstThenRefused", three, []step{{0, 1, 0}, {0, 1, 0}, {0, 1, 0}, {0, 1, 20 * time.Second}}},
		{"RefusalSpendsNothing", three, []step{{0, 3, 0}, {0, 1, 20 * time.Second}, {0, 1, 20 * time.Second},
			{5 * time.Second, 1, 15 * time.Second}, {20 * time.Second, 1, 0}}},
		{"OneIntervalRefillsOne", three, []step{{0, 3, 0}, {20 * time.Second, 1, 0}, {20 * time.Second, 1, 20 * time.Second}}},
		{"PartialRefill", three, []step{{0, 3, 0}, {30 * time.Second, 1, 0}, {30 * time.Second, 1, 10 * time.Second},
			{40 * time.Second, 1, 0}}},
		{"FullWindowRefillsAll", three, []step{{0, 3, 0}, {time.Minute, 3, 0}, {time.Minute, 1, 20 * time.Second}}},
		{"IdleNeverBanksMoreThanN", three, []step{{0, 1, 0}, {time.Hour, 3, 0}, {time.Hour, 1, 20 * time.Second}}},
		{"CostCountsEvents", three, []step{{0, 2, 0}, {0, 2, 20 * time.Second}, {0, 1, 0}}},
		{"CostOverNNeverPasses", three, []step{{0, 4, 20 * time.Second}, {time.Hour, 4, 20 * time.Second}, {time.Hour, 3, 0}}},
		{"CheckSpendsNothing", three, []step{{0, 0, 0}, {0, 0, 0}, {0, 3, 0}, {0, 0, 20 * time.Second}, {20 * time.Second, 0, 0},
			{20 * time.Second, 1, 0}}},
		{"OnePerWindow", auth.Limit{N: 1, Window: time.Hour}, []step{{0, 1, 0}, {time.Minute, 1, 59 * time.Minute},
			{time.Hour, 1, 0}}},
		// Window/N truncates to 333333333 ns, so the burst's TAT falls 1 ns short of the
		// window; the answer is rounded up to whole seconds for clients anyway.
		{"UnevenInterval", auth.Limit{N: 3, Window: time.Second}, []step{{0, 3, 0}, {0, 1, 333333332}}},
		{"ClockBackwards", three, []step{{time.Minute, 3, 0}, {0, 1, 80 * time.Second}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := auth.NewMemoryStore(0)
			for i, st := range c.steps {
				wait, err := s.Take(context.Background(), "k", c.limit, st.cost, t0.Add(st.at))
				if err != nil || wait != st.wait {
					t.Fatalf("step %d (t0+%v, cost %d): wait %v, %v; want %v", i+1, st.at, st.cost, wait, err, st.wait)
				}
			}
		})
	}
}

// TestMemoryStoreResetAndKeys: Reset forgets one key only, a check never stores a key,
// and a refused attempt on a new key stores nothing either.
func TestMemoryStoreResetAndKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := auth.NewMemoryStore(0)
	l := auth.Limit{N: 1, Window: time.Hour}
	if wait, _ := s.Take(ctx, "checked", l, 0, t0); wait != 0 || s.Len() != 0 {
		t.Fatalf("a check on a new key: wait %v, %d keys held", wait, s.Len())
	}
	if wait, _ := s.Take(ctx, "huge", l, 2, t0); wait == 0 || s.Len() != 0 {
		t.Fatalf("an impossible cost: wait %v, %d keys held", wait, s.Len())
	}
	for _, k := range []string{"a", "b"} {
		if wait, _ := s.Take(ctx, k, l, 1, t0); wait != 0 {
			t.Fatalf("%s: %v", k, wait)
		}
	}
	if err := s.Reset(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Reset(ctx, "never-seen"); err != nil {
		t.Fatal(err)
	}
	if s.Len() != 1 {
		t.Fatalf("%d keys held after resetting one of two", s.Len())
	}
	if wait, _ := s.Take(ctx, "a", l, 1, t0); wait != 0 {
		t.Fatalf("a after Reset: wait %v", wait)
	}
	if wait, _ := s.Take(ctx, "b", l, 1, t0); wait != time.Hour {
		t.Fatalf("b (not reset): wait %v, want 1h", wait)
	}
}

// TestMemoryStoreDropsExpiredBeforeRecent: when full, the store first forgets the keys
// whose bucket is full again (they remember nothing), and only then the least recently
// used; and the periodic sweep forgets expired keys without waiting for the store to
// fill.
func TestMemoryStoreDropsExpiredBeforeRecent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	hour := auth.Limit{N: 1, Window: time.Hour}
	second := auth.Limit{N: 1, Window: time.Second}
	s := auth.NewMemoryStore(3)
	_, _ = s.Take(ctx, "b", hour, 1, t0)
	_, _ = s.Take(ctx, "c", hour, 1, t0)
	_, _ = s.Take(ctx, "a", second, 1, t0) // the most recently used, but expired at t0+1s
	if wait, _ := s.Take(ctx, "d", hour, 1, t0.Add(10*time.Second)); wait != 0 {
		t.Fatalf("d refused: %v", wait)
	}
	if s.Len() != 3 {
		t.Fatalf("%d keys held, want 3 (b, c, d)", s.Len())
	}
	for _, k := range []string{"b", "c", "d"} {
		if wait, _ := s.Take(ctx, k, hour, 0, t0.Add(10*time.Second)); wait == 0 {
			t.Errorf("%s was forgotten; the expired key should have gone first", k)
		}
	}

	big := auth.NewMemoryStore(100)
	_, _ = big.Take(ctx, "x", second, 1, t0)
	_, _ = big.Take(ctx, "y", hour, 1, t0)
	_, _ = big.Take(ctx, "z", hour, 0, t0.Add(2*time.Minute)) // a check; more than a minute since the last sweep
	if big.Len() != 1 {
		t.Fatalf("%d keys held after the sweep, want 1 (y)", big.Len())
	}
}

func TestParseLimits(t *testing.T) {
	t.Parallel()
	with := func(over map[string]auth.Limit) map[string]auth.Limit {
		out := maps.Clone(auth.DefaultLimits)
		maps.Copy(out, over)
		return out
	}
	ok := []struct {
		in   string
		want map[string]auth.Limit
	}{
		{"", auth.DefaultLimits},
		{"on", auth.DefaultLimits},
		{" ON ", auth.DefaultLimits},
		{"true", auth.DefaultLimits},
		{"1", auth.DefaultLimits},
		{"off", nil},
		{"False", nil},
		{"0", nil},
		{"login_ip=60/1m", with(map[string]auth.Limit{auth.LimitLoginIP: {60, time.Minute}})},
		{"LOGIN_IP=60/1M", with(map[string]auth.Limit{auth.LimitLoginIP: {60, time.Minute}})},
		{"login_ip=60/1m, register_ip=5/1h30m", with(map[string]auth.Limit{
			auth.LimitLoginIP: {60, time.Minute}, auth.LimitRegisterIP: {5, 90 * time.Minute}})},
		{"login_ip=1/1s,login_ip=2/1s", with(map[string]auth.Limit{auth.LimitLoginIP: {2, time.Second}})},
	}
	for _, c := range ok {
		got, err := auth.ParseLimits(c.in)
		if err != nil {
			t.Errorf("ParseLimits(%q): %v", c.in, err)
			continue
		}
		if (got == nil) != (c.want == nil) || !maps.Equal(got, c.want) {
			t.Errorf("ParseLimits(%q) = %v, want %v", c.in, got, c.want)
		}
	}
	bad := map[string]string{
		"bogus=1/1m":        "bogus=1/1m",
		"login_ip":          "login_ip",
		"login_ip=5":        "want N/duration",
		"login_ip=0/1m":     "want N/duration",
		"login_ip=-1/1m":    "want N/duration",
		"login_ip=x/1m":     "want N/duration",
		"login_ip=5/0s":     "want N/duration",
		"login_ip=5/-1m":    "want N/duration",
		"login_ip=5/soon":   "want N/duration",
		"login_ip=5/1m,":    "want on, off",
		"maybe":             "want on, off",
		"on,login_ip=5/1m":  "want on, off",
		"login_ip=5/1m/1s":  "want N/duration",
		"login_ip =5/1m":    "want on, off",
		"login_ip=5 / 1m":   "want N/duration",
		"=5/1m":             "want on, off",
		"login_ip=5/1m;x=1": "want N/duration",
	}
	for in, frag := range bad {
		got, err := auth.ParseLimits(in)
		if err == nil || got != nil {
			t.Errorf("ParseLimits(%q) = %v, %v; want an error", in, got, err)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "AUTH_RATE_LIMITS: ") || !strings.Contains(msg, frag) {
			t.Errorf("ParseLimits(%q): error %q, want it to name AUTH_RATE_LIMITS and contain %q", in, msg, frag)
		}
	}
	if got, _ := auth.ParseLimits("on"); got != nil {
		got[auth.LimitLoginIP] = auth.Limit{N: 1, Window: time.Second}
		if auth.DefaultLimits[auth.LimitLoginIP] == got[auth.LimitLoginIP] {
			t.Fatal("ParseLimits returned DefaultLimits itself: changing the result changed the defaults")
		}
	}
}
