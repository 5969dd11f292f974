package auth

import (
	"context"
	"crypto/rand"
	"sync"
	"testing"
	"time"
)

// TestHashActivityTransitions: the hook hears true when a hash starts while none runs
// and false when the last running one ends, alternating, however hashes overlap; it
// ends with false.
func TestHashActivityTransitions(t *testing.T) {
	t.Parallel()
	h, err := newHasher(HashParams{MemoryKiB: 64, Time: 1, Threads: 1}, 2, time.Minute, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var events []bool
	h.activity = func(running bool) {
		mu.Lock()
		events = append(events, running)
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if _, _, err := h.Verify(context.Background(), "", "password"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if _, err := h.Hash(context.Background(), "one more"); err != nil {
		t.Fatal(err)
	}
	if len(events) < 2 || len(events)%2 != 0 {
		t.Fatalf("events %v: want pairs of start and end", events)
	}
	for i, e := range events {
		if e != (i%2 == 0) {
			t.Fatalf("events %v: not alternating at %d", events, i)
		}
	}
	if h.running != 0 {
		t.Fatalf("running %d after every hash ended", h.running)
	}
}
