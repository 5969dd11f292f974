// Package deadline bounds work in flight with one timer per Queue instead of one per
// piece of work (issue 12).
//
// context.WithTimeout starts a runtime timer for every call and stops it again: an
// allocation, a push onto and a removal from the P's timer heap, and its context's
// registration with the parent. On GET /v1/auth/me that was several µs per request
// (the request timeout used two: its context's and the one that answered 503). Every
// piece of work a Queue bounds gets the same duration, so their deadlines come in the
// order they started: the Queue keeps them in a list (append on start, unlink on stop:
// O(1), no allocation) and one timer, armed for the oldest deadline, fires once per
// duration at most while work keeps coming, instead of being set and stopped per call.
package deadline

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Expirer is told that a deadline passed.
type Expirer interface{ Expire() }

// Queue bounds work to one fixed duration.
type Queue struct {
	d    time.Duration
	base time.Time // monotonic origin of the entries' deadlines

	mu         sync.Mutex
	head, tail *entry
	timer      *time.Timer
	armed      bool // timer is set for head's deadline or earlier
}

type entry struct {
	prev, next *entry
	at         time.Duration // deadline, since base
	queued     bool
	fire       Expirer
}

// New returns a Queue whose work expires d after it starts (d > 0).
func New(d time.Duration) *Queue {
	q := &Queue{d: d, base: time.Now()}
	q.timer = time.AfterFunc(time.Hour, q.expire)
	q.timer.Stop()
	return q
}

// Duration is the Queue's bound.
func (q *Queue) Duration() time.Duration { return q.d }

// start queues e and returns its deadline.
func (q *Queue) start(e *entry) time.Time {
	q.mu.Lock()
	// The clock is read under the lock, so that the list stays in deadline order.
	e.at = time.Since(q.base) + q.d
	e.queued = true
	e.prev, e.next = q.tail, nil
	if q.tail != nil {
		q.tail.next = e
	} else {
		q.head = e
	}
	q.tail = e
	if !q.armed {
		q.armed = true
		q.timer.Reset(q.d)
	}
	q.mu.Unlock()
	return q.base.Add(e.at)
}

// stop unqueues e; false if its deadline passed first (its Expire runs or has run).
func (q *Queue) stop(e *entry) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !e.queued {
		return false
	}
	q.unlink(e)
	return true
}

func (q *Queue) unlink(e *entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		q.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		q.tail = e.prev
	}
	e.prev, e.next, e.queued = nil, nil, false
}

// expire runs on the timer's goroutine: it takes every entry whose deadline passed,
// re-arms the timer for the next one (or leaves it unarmed when none is left: the next
// start arms it), and tells each expired entry on a goroutine of its own (an Expire may
// block, e.g. writing an answer to a slow client).
func (q *Queue) expire() {
	var due []Expirer
	q.mu.Lock()
	now := time.Since(q.base)
	for q.head != nil && q.head.at <= now {
		e := q.head
		q.unlink(e)
		due = append(due, e.fire)
	}
	if q.head != nil {
		q.timer.Reset(q.head.at - now)
	} else {
		q.armed = false
	}
	q.mu.Unlock()
	for _, f := range due {
		go f.Expire()
	}
}

// Context is a context.Context bounded by a Queue: like the context of
// context.WithTimeout(parent, q.Duration()) (Deadline, Done, Err DeadlineExceeded once
// the deadline passed, Canceled when stopped or when the parent ends) without a timer of
// its own. Its Done is a context.WithCancelCause's, so contexts derived from it
// register with it as with any standard context (no goroutine per child).
type Context struct {
	context.Context
	e        entry
	q        *Queue
	cancel   context.CancelCauseFunc
	deadline time.Time
	expired  atomic.Bool
	hook     Expirer
}

// Start makes c a context of parent bounded by q and queues it. When the deadline
// passes, hook.Expire runs (on a goroutine of its own) if hook is not nil, and must call
// c.Cancel; without a hook, c is cancelled. Stop must be called when the work ends, as
// the CancelFunc of context.WithTimeout.
func (c *Context) Start(q *Queue, parent context.Context, hook Expirer) {
	c.Context, c.cancel = context.WithCancelCause(parent)
	c.q, c.hook = q, hook
	c.e.fire = c
	c.deadline = q.start(&c.e)
	if pd, ok := parent.Deadline(); ok && pd.Before(c.deadline) {
		c.deadline = pd
	}
}

// Expire is the Queue's call when the deadline passed.
func (c *Context) Expire() {
	if c.hook != nil {
		c.hook.Expire()
		return
	}
	c.Cancel()
}

// Cancel ends c because its deadline passed: Done closes and Err is DeadlineExceeded.
func (c *Context) Cancel() {
	if c.Context.Err() == nil { // not ended by its parent first
		c.expired.Store(true)
	}
	c.cancel(context.DeadlineExceeded)
}

// Stop unqueues c and cancels it (Err Canceled unless it expired). It reports false if
// the deadline passed first.
func (c *Context) Stop() bool {
	ok := c.q.stop(&c.e)
	c.cancel(context.Canceled)
	return ok
}

// Deadline is the Queue's deadline, or the parent's if earlier.
func (c *Context) Deadline() (time.Time, bool) { return c.deadline, true }

// Err is DeadlineExceeded once the deadline passed, else the cancel context's.
func (c *Context) Err() error {
	err := c.Context.Err()
	if err != nil && c.expired.Load() {
		return context.DeadlineExceeded
	}
	return err
}
