package deadline

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestExpires: every context of a queue ends with DeadlineExceeded once its deadline
// passed, in the order started, and a context derived from it ends with it.
func TestExpires(t *testing.T) {
	t.Parallel()
	q := New(20 * time.Millisecond)
	before := time.Now()
	cs := make([]*Context, 5)
	for i := range cs {
		cs[i] = &Context{}
		cs[i].Start(q, context.Background(), nil)
	}
	child, cancel := context.WithCancel(cs[4])
	defer cancel()
	for _, c := range cs {
		<-c.Done()
		if !errors.Is(c.Err(), context.DeadlineExceeded) || !errors.Is(context.Cause(c), context.DeadlineExceeded) {
			t.Fatalf("Err %v, cause %v", c.Err(), context.Cause(c))
		}
		d, ok := c.Deadline()
		if !ok || d.Before(before.Add(20*time.Millisecond)) {
			t.Fatalf("deadline %v, %v (started after %v)", d, ok, before)
		}
		if c.Stop() {
			t.Fatal("Stop after the deadline reported true")
		}
	}
	<-child.Done()
	if !errors.Is(child.Err(), context.Canceled) || !errors.Is(context.Cause(child), context.DeadlineExceeded) {
		t.Fatalf("child: Err %v, cause %v", child.Err(), context.Cause(child))
	}
}

// TestStop: a context stopped in time is cancelled (Canceled, as WithTimeout's
// CancelFunc), leaves the queue, and the queue goes on serving later contexts.
func TestStop(t *testing.T) {
	t.Parallel()
	q := New(time.Hour)
	var c Context
	c.Start(q, context.Background(), nil)
	if !c.Stop() {
		t.Fatal("Stop before the deadline reported false")
	}
	if !errors.Is(c.Err(), context.Canceled) {
		t.Fatalf("Err %v", c.Err())
	}
	q.mu.Lock()
	empty := q.head == nil && q.tail == nil
	q.mu.Unlock()
	if !empty {
		t.Fatal("the queue still holds a stopped context")
	}
	// Unlinking from the middle, the head and the tail.
	cs := make([]*Context, 4)
	for i := range cs {
		cs[i] = &Context{}
		cs[i].Start(q, context.Background(), nil)
	}
	for _, i := range []int{1, 0, 3, 2} {
		if !cs[i].Stop() {
			t.Fatalf("Stop %d", i)
		}
	}
	if q.head != nil || q.tail != nil {
		t.Fatal("queue not empty")
	}
}

// TestParentEnds: a context whose parent ends first ends with the parent's error, not
// DeadlineExceeded, and keeps the parent's earlier deadline.
func TestParentEnds(t *testing.T) {
	t.Parallel()
	q := New(time.Hour)
	parent, cancel := context.WithDeadline(context.Background(), time.Now().Add(time.Minute))
	var c Context
	c.Start(q, parent, nil)
	pd, _ := parent.Deadline()
	if d, _ := c.Deadline(); !d.Equal(pd) {
		t.Fatalf("deadline %v, parent's %v", d, pd)
	}
	cancel()
	<-c.Done()
	c.Cancel() // a late expiry does not turn it into DeadlineExceeded
	if !errors.Is(c.Err(), context.Canceled) {
		t.Fatalf("Err %v", c.Err())
	}
	c.Stop()
}

type hook struct {
	c    *Context
	once sync.Once
	done chan struct{}
}

func (h *hook) Expire() { h.c.Cancel(); h.once.Do(func() { close(h.done) }) }

// TestHook: with a hook, the queue calls it (and it cancels).
func TestHook(t *testing.T) {
	t.Parallel()
	q := New(time.Millisecond)
	h := &hook{c: &Context{}, done: make(chan struct{})}
	h.c.Start(q, context.Background(), h)
	<-h.done
	<-h.c.Done()
	if !errors.Is(h.c.Err(), context.DeadlineExceeded) {
		t.Fatalf("Err %v", h.c.Err())
	}
	// The queue re-arms after it went empty.
	h2 := &hook{c: &Context{}, done: make(chan struct{})}
	h2.c.Start(q, context.Background(), h2)
	<-h2.done
}
