package main

import (
	"io"
	"sync"
)

// logWriter is serve's log output. The access log (one line per request) appends its
// lines to a buffer that one goroutine writes out, so that under load many lines share
// one write(2) instead of paying one each (issue 12: the access log's write was ~4% of
// a /me's CPU). Every other line (Sync: start-up, warnings, errors) is written at once,
// after what is pending, so the output keeps its order and no write of one interleaves
// with another's.
//
// A buffered line reaches the output within the time it takes to schedule the writer
// goroutine (microseconds); lines not yet written when the process is killed (SIGKILL,
// a crash) are lost, as with any buffered log. Close writes what is left.
type logWriter struct {
	out io.Writer

	wmu sync.Mutex // held while writing to out: one write at a time, in order

	mu      sync.Mutex // guards what follows
	pending []byte
	spare   []byte
	closed  bool

	kick chan struct{}
	done chan struct{}
}

// logPendingMax bounds the buffered lines: past it a Write waits for the output (as a
// write to a slow stderr always did), so a stalled log cannot grow the heap.
const logPendingMax = 256 << 10

func newLogWriter(out io.Writer) *logWriter {
	w := &logWriter{out: out, kick: make(chan struct{}, 1), done: make(chan struct{})}
	go w.run()
	return w
}

// Write buffers p (a whole line: slog writes one per call) for the writer goroutine.
func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	if w.closed || len(w.pending)+len(p) > logPendingMax {
		w.mu.Unlock()
		return w.writeNow(p)
	}
	w.pending = append(w.pending, p...)
	select { // under mu: Close cannot close kick meanwhile
	case w.kick <- struct{}{}:
	default: // the writer is already due to run
	}
	w.mu.Unlock()
	return len(p), nil
}

// Sync is the unbuffered view: each Write goes out at once, after what is pending.
func (w *logWriter) Sync() io.Writer { return syncLogWriter{w} }

type syncLogWriter struct{ w *logWriter }

func (s syncLogWriter) Write(p []byte) (int, error) { return s.w.writeNow(p) }

// writeNow writes what is pending, then p.
func (w *logWriter) writeNow(p []byte) (int, error) {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	w.flushLocked()
	return w.out.Write(p)
}

// flushLocked writes the pending lines; the caller holds wmu.
func (w *logWriter) flushLocked() {
	w.mu.Lock()
	b := w.pending
	w.pending, w.spare = w.spare[:0], nil
	w.mu.Unlock()
	if len(b) == 0 {
		w.mu.Lock()
		w.spare = b
		w.mu.Unlock()
		return
	}
	_, _ = w.out.Write(b)
	w.mu.Lock()
	if cap(b) <= logPendingMax {
		w.spare = b[:0]
	}
	w.mu.Unlock()
}

func (w *logWriter) run() {
	defer close(w.done)
	for range w.kick {
		w.wmu.Lock()
		w.flushLocked()
		w.wmu.Unlock()
	}
}

// Close writes what is pending and stops the writer goroutine; later writes go out at
// once.
func (w *logWriter) Close() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed = true
	close(w.kick)
	w.mu.Unlock()
	<-w.done
	w.wmu.Lock()
	w.flushLocked()
	w.wmu.Unlock()
}
