package server

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"authbff/graph"
	"authbff/graph/auth"
	"authbff/internal/deadline"
	"authbff/rest"
)

// incomingRequestID returns the caller's X-Request-ID when it is safe to keep (1 to 64
// characters among A-Z a-z 0-9 - _ . : /), so that a proxy's id ties its log to ours;
// otherwise "" and a fresh id is made.
func incomingRequestID(r *http.Request) string {
	v := r.Header.Get("X-Request-ID")
	if v == "" || len(v) > 64 {
		return ""
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.:/", c) >= 0) {
			return ""
		}
	}
	return v
}

// traceID is the trace id of a W3C traceparent header (version 00:
// 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>), "" when absent or malformed.
func traceID(h string) string {
	h = strings.TrimSpace(h)
	if len(h) < 55 || h[2] != '-' || h[35] != '-' || h[52] != '-' || h[:2] == "ff" {
		return ""
	}
	if h[:2] == "00" && len(h) != 55 {
		return ""
	}
	id := h[3:35]
	if !isLowerHex(h[:2]) || !isLowerHex(id) || !isLowerHex(h[36:52]) || !isLowerHex(h[53:55]) ||
		id == strings.Repeat("0", 32) || h[36:52] == strings.Repeat("0", 16) {
		return ""
	}
	return id
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// accessLog logs one line per request and counts it in the metrics: request id, client
// IP, method, path without the query string (tokens travel in query strings), route
// (the REST route, graphql:<root field>, or the path of a fixed endpoint), GraphQL
// operation name, status as the client got it, duration, the user id when
// authenticated and the W3C trace id. Never a body, a token or another header.
func (o Options) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		info := graph.InfoFrom(r.Context())
		rec.logLine = func() { o.logRequest(r, info, rec.status, time.Since(start)) }
		next.ServeHTTP(rec, r)
		rec.logOnce.Do(rec.logLine)
	})
}

// logRequest writes the access log line of a request and counts it in the metrics:
// once per request, when the handler returns or when the timeout answered for it.
func (o Options) logRequest(r *http.Request, info *graph.RequestInfo, status int, d time.Duration) {
	route, op, uid := info.Snapshot()
	if route == "" {
		route = fixedRoute(r.URL.Path)
	}
	if status == 0 {
		status = http.StatusOK
	}
	o.Metrics.Request(route, status, d)
	if r.URL.Path == "/metrics" || r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
		if status < 400 {
			return // probes and scrapes every few seconds would drown the log
		}
	}
	client := auth.ClientFrom(r.Context())
	l := accessLine{requestID: client.RequestID, clientIP: client.IP, method: r.Method, path: r.URL.Path,
		route: route, operation: op, status: status, durationMS: float64(d.Microseconds()) / 1000, userID: uid,
		traceID: traceID(r.Header.Get("traceparent"))}
	if o.AccessLogDirect != nil && o.AccessLogDirect.write(time.Now(), &l) {
		return
	}
	// Typed attributes (LogAttrs): the same line as Info("http", key, value, …) without
	// boxing each value into an interface.
	o.AccessLog.LogAttrs(context.Background(), slog.LevelInfo, "http", l.attrs()...)
}

// fixedRoute names a request no route table named: a known endpoint by its path, and
// everything else "other", so that the metrics' label stays bounded.
func fixedRoute(path string) string {
	switch path {
	case "/graphql", "/healthz", "/readyz", "/metrics", "/playground", "/.well-known/jwks.json":
		return path
	}
	return "other"
}

// timeout bounds a request: a handler still running after d gets its context cancelled
// and the client gets 503 SERVICE_UNAVAILABLE with Retry-After at once (a GraphQL error
// on /graphql), instead of an answer the server's write timeout would silently drop.
// The handler writes into a buffer (authbff streams nothing), copied out if it finishes
// in time; the access log, outside, records what the client got.
//
// The handler runs on the request's own goroutine (issue 12: a goroutine per request,
// its channels and the growth of its fresh stack through the executor cost several µs
// per /me). Its deadline is kept by a deadline.Queue, one timer for all requests in
// flight instead of context.WithTimeout's timer and a second one for the 503 per request
// (~3 µs of a /me, measured in BenchmarkMeRESTProduction). When the deadline passes,
// timedRequest.Expire cancels the handler's context (Err DeadlineExceeded, as before)
// and writes the 503 under the lock that also guards the copy of a finished answer, and
// flushes it at once; it carries Connection: close (HTTP/1), so that the client does not
// queue its next request behind the handler, which holds this connection until it
// notices its cancelled context.
func (o Options) timeout(d time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if d <= 0 {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				graph.InfoFrom(r.Context()).SetHeader(w.Header())
				next.ServeHTTP(w, r)
			})
		}
		q := deadline.New(d)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t := &timedRequest{o: &o, w: w, r: r, d: d}
			t.tw.answer = answers.Get().(*answer)
			t.tw.h = t.tw.answer.h
			t.ctx.Start(q, r.Context(), t)
			graph.InfoFrom(r.Context()).SetHeader(t.tw.h)
			defer t.finish()
			next.ServeHTTP(&t.tw, r.WithContext(&t.ctx))
		})
	}
}

// answer is where a handler under the timeout writes: its header map and body, reused
// once copied out (a map of 12 and a body buffer per request were ~1 µs of a /me).
type answer struct {
	h   http.Header
	buf bytes.Buffer
}

var answers = sync.Pool{New: func() any { return &answer{h: make(http.Header, 12)} }}

// timedRequest is one request under the timeout: one allocation for its context, its
// place in the deadline queue and its buffered answer.
type timedRequest struct {
	ctx deadline.Context
	tw  timeoutWriter
	o   *Options
	w   http.ResponseWriter
	r   *http.Request
	d   time.Duration
}

// Expire answers 503 for a request still running at its deadline (the queue's call).
func (t *timedRequest) Expire() {
	tw, w, r := &t.tw, t.w, t.r
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.finished {
		return
	}
	tw.timedOut = true
	t.ctx.Cancel()
	if r.Context().Err() != nil {
		return // the client is gone
	}
	t.o.Log.Warn("request timed out: answered 503", "request_id", auth.ClientFrom(r.Context()).RequestID,
		"timeout", t.d.String())
	if r.ProtoMajor == 1 {
		w.Header().Set("Connection", "close")
	}
	writeUnavailable(w, r, t.o.Now())
	_ = http.NewResponseController(w).Flush()
	if rec, ok := w.(*statusRecorder); ok {
		rec.logOnce.Do(rec.logLine) // what the client got, now, not when the handler ends
	}
}

// finish runs when the handler returned (or panicked): it copies the buffered answer out
// unless the 503 went first.
func (t *timedRequest) finish() {
	tw, w, r := &t.tw, t.w, t.r
	t.ctx.Stop()
	tw.mu.Lock()
	tw.finished = true
	timedOut := tw.timedOut
	a := tw.answer
	tw.answer = nil // a write after the handler returned gets an error, not a reused buffer
	tw.mu.Unlock()
	if p := recover(); p != nil {
		if !timedOut || p == http.ErrAbortHandler {
			panic(p) // the recoverer answers it
		}
		// The client has its 503 already: log the panic as the recoverer would.
		t.o.Log.Error("panic", "request_id", auth.ClientFrom(r.Context()).RequestID, "panic", p,
			"stack", string(debug.Stack()))
		return
	}
	if timedOut {
		return
	}
	dst := w.Header()
	for k, v := range tw.h {
		dst[k] = v
	}
	if tw.status == 0 {
		tw.status = http.StatusOK
	}
	w.WriteHeader(tw.status)
	_, _ = w.Write(a.buf.Bytes())
	// The map and the buffer are reused only if nothing else can still hold them: the
	// RequestInfo lets go of the map (a goroutine the handler left behind cannot set
	// Retry-After into another request's answer), tw.h is dropped (Header() after the
	// handler returned gets a map of its own), and the values were copied into w's
	// headers as slices (the map itself is not shared).
	graph.InfoFrom(r.Context()).SetHeader(nil)
	tw.mu.Lock()
	tw.h = nil
	tw.mu.Unlock()
	if a.buf.Cap() <= 64<<10 {
		clear(a.h)
		a.buf.Reset()
		answers.Put(a)
	}
}

// writeUnavailable answers 503 SERVICE_UNAVAILABLE with Retry-After: the REST envelope,
// or a GraphQL error on /graphql.
func writeUnavailable(w http.ResponseWriter, r *http.Request, now time.Time) {
	e := &auth.Error{Code: auth.CodeServiceUnavailable, Message: auth.MsgUnavailable, RetryAfter: 2}
	if r.URL.Path == "/graphql" {
		w.Header().Set("Retry-After", "2")
		body := fmt.Sprintf(`{"errors":[{"message":%q,"extensions":{"code":%q,"details":{"retry_after":2}}}],"data":null}`, e.Message, e.Code)
		rest.WriteJSON(w, http.StatusServiceUnavailable, []byte(body))
		return
	}
	rest.WriteError(w, e, now)
}

// timeoutWriter buffers an answer until the handler is done.
type timeoutWriter struct {
	mu       sync.Mutex
	h        http.Header
	answer   *answer // h and the body; nil once copied out
	status   int
	timedOut bool // the deadline passed first: the client got 503
	finished bool // the handler returned first
}

func (t *timeoutWriter) Header() http.Header {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.h == nil { // the answer was copied out and its map reused: a map of its own
		t.h = make(http.Header)
	}
	return t.h
}

func (t *timeoutWriter) WriteHeader(code int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.status == 0 && !t.timedOut {
		t.status = code
	}
}

func (t *timeoutWriter) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.timedOut || t.answer == nil {
		return 0, http.ErrHandlerTimeout
	}
	if t.status == 0 {
		t.status = http.StatusOK
	}
	return t.answer.buf.Write(b)
}

// ReadyCheck is one named condition of readiness (GET /readyz).
type ReadyCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// readyTimeout bounds each readiness check.
const readyTimeout = 2 * time.Second

// healthz answers 200 while the process can answer at all: it touches nothing.
func healthz(w http.ResponseWriter, _ *http.Request) {
	rest.WriteJSON(w, http.StatusOK, []byte(`{"status":"ok"}`))
}

// readyz runs every check (each under readyTimeout) and answers 200 {"status":"ready",
// "checks":{name:"ok"}} or 503 {"status":"unavailable","checks":{name:"ok"|"fail"}}
// with Retry-After. Failure causes go to the log (at most once per check and state
// change), never to the answer.
func (o Options) readyz(checks []ReadyCheck) http.HandlerFunc {
	var mu sync.Mutex
	failing := map[string]bool{}
	return func(w http.ResponseWriter, r *http.Request) {
		type result struct {
			name string
			err  error
		}
		results := make([]result, len(checks))
		panics := make([]any, len(checks))
		var wg sync.WaitGroup
		for i, c := range checks {
			wg.Go(func() {
				// A check that panics must not kill the process from its own goroutine:
				// its panic is raised again on the handler's, where the recoverer
				// answers the generic 500 and logs it.
				defer func() { panics[i] = recover() }()
				ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
				defer cancel()
				results[i] = result{c.Name, c.Check(ctx)}
			})
		}
		wg.Wait()
		for _, p := range panics {
			if p != nil {
				panic(p)
			}
		}
		ok := true
		var b strings.Builder
		b.WriteString(`{"status":`)
		body := &strings.Builder{}
		mu.Lock()
		for i, res := range results {
			if i > 0 {
				body.WriteByte(',')
			}
			state := "ok"
			if res.err != nil {
				ok, state = false, "fail"
				if !failing[res.name] {
					o.Log.Warn("not ready", "check", res.name, "err", res.err.Error())
				}
			} else if failing[res.name] {
				o.Log.Info("ready again", "check", res.name)
			}
			failing[res.name] = res.err != nil
			fmt.Fprintf(body, "%q:%q", res.name, state)
		}
		mu.Unlock()
		status := http.StatusOK
		if ok {
			b.WriteString(`"ready"`)
		} else {
			b.WriteString(`"unavailable"`)
			status = http.StatusServiceUnavailable
			w.Header().Set("Retry-After", "5")
		}
		b.WriteString(`,"checks":{` + body.String() + `}}`)
		rest.WriteJSON(w, status, []byte(b.String()))
	}
}
