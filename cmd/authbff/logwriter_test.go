package main

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestLogWriterKeepsLinesWholeAndInOrder: buffered lines (the access log) and immediate
// ones (everything else) from many goroutines reach the output whole, each goroutine's
// lines in its order, an immediate line after every buffered line written before it,
// and Close leaves nothing behind.
func TestLogWriterKeepsLinesWholeAndInOrder(t *testing.T) {
	t.Parallel()
	out := &logBuffer{}
	w := newLogWriter(out)
	const writers, lines = 8, 2000
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range lines {
				line := fmt.Sprintf("g=%d i=%d %s\n", g, i, strings.Repeat("x", i%300))
				if i%100 == 99 {
					_, _ = w.Sync().Write([]byte(line))
				} else {
					_, _ = w.Write([]byte(line))
				}
			}
		})
	}
	wg.Wait()
	_, _ = w.Write([]byte("last buffered\n"))
	_, _ = w.Sync().Write([]byte("last immediate\n"))
	w.Close()
	_, _ = w.Write([]byte("after close\n"))
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(got) != writers*lines+3 {
		t.Fatalf("%d lines, want %d", len(got), writers*lines+3)
	}
	next := make([]int, writers)
	for _, l := range got[:writers*lines] {
		var g, i int
		var rest string
		if _, err := fmt.Sscanf(l, "g=%d i=%d %s", &g, &i, &rest); err != nil && i%300 != 0 {
			t.Fatalf("line not whole: %q (%v)", l, err)
		}
		if i != next[g] || len(l) != len(fmt.Sprintf("g=%d i=%d ", g, i))+i%300 {
			t.Fatalf("goroutine %d: line %q, want i=%d whole", g, l, next[g])
		}
		next[g]++
	}
	if tail := got[writers*lines:]; tail[0] != "last buffered" || tail[1] != "last immediate" || tail[2] != "after close" {
		t.Fatalf("tail %q", tail)
	}
}
