package apitest

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"authbff/graph/auth"
)

// LogBuffer is an slog.Handler that keeps every record, so tests can read the log
// mailer's messages and scan all log lines for secrets.
type LogBuffer struct {
	mu      sync.Mutex
	records []Record
	attrs   []slog.Attr
}

// Record is one log line: its message and attributes as strings.
type Record struct {
	Level   slog.Level
	Message string
	Attrs   map[string]string
}

// String renders the record as one line.
func (r Record) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q", r.Level, r.Message)
	for k, v := range r.Attrs {
		fmt.Fprintf(&b, " %s=%q", k, v)
	}
	return b.String()
}

func (l *LogBuffer) Enabled(context.Context, slog.Level) bool { return true }

func (l *LogBuffer) Handle(_ context.Context, r slog.Record) error {
	rec := Record{Level: r.Level, Message: r.Message, Attrs: map[string]string{}}
	for _, a := range l.attrs {
		rec.Attrs[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		rec.Attrs[a.Key] = a.Value.String()
		return true
	})
	l.mu.Lock()
	l.records = append(l.records, rec)
	l.mu.Unlock()
	return nil
}

func (l *LogBuffer) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logView{parent: l, attrs: attrs}
}

func (l *LogBuffer) WithGroup(string) slog.Handler { return l }

type logView struct {
	parent *LogBuffer
	attrs  []slog.Attr
}

func (v *logView) Enabled(ctx context.Context, lv slog.Level) bool { return true }
func (v *logView) Handle(ctx context.Context, r slog.Record) error {
	r.AddAttrs(v.attrs...)
	return v.parent.Handle(ctx, r)
}
func (v *logView) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logView{parent: v.parent, attrs: append(append([]slog.Attr{}, v.attrs...), attrs...)}
}
func (v *logView) WithGroup(string) slog.Handler { return v }

// Records returns a copy of every record so far.
func (l *LogBuffer) Records() []Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Record(nil), l.records...)
}

// Mail is a message the log mailer wrote.
type Mail struct {
	Kind, To, Subject, Text string
}

var tokenRE = regexp.MustCompile(`[?&]token=([^\s&"<]+)`)

// Token returns the token of the message's link.
func (m Mail) Token() string {
	s := tokenRE.FindStringSubmatch(m.Text)
	if s == nil {
		return ""
	}
	t, _ := url.QueryUnescape(s[1])
	return t
}

// Mails returns the messages written so far to address to (any address if "").
func (l *LogBuffer) Mails(to string) []Mail {
	var out []Mail
	for _, r := range l.Records() {
		if !strings.HasPrefix(r.Message, "mail ") {
			continue
		}
		if to != "" && !strings.EqualFold(r.Attrs["to"], to) {
			continue
		}
		out = append(out, Mail{Kind: r.Attrs["kind"], To: r.Attrs["to"], Subject: r.Attrs["subject"], Text: r.Attrs["text"]})
	}
	return out
}

// WaitMail returns the n-th (1-based) message of kind to address to, running outbox
// passes (AwaitMail) until it is there.
func (e *Env) WaitMail(to, kind string, n int) Mail {
	e.T.Helper()
	var got []Mail
	e.AwaitMail(fmt.Sprintf("%s mail #%d to %s", kind, n, to), func() bool {
		got = got[:0]
		for _, m := range e.Logs.Mails(to) {
			if m.Kind == kind {
				got = append(got, m)
			}
		}
		return len(got) >= n
	})
	return got[n-1]
}

// awaitPasses bounds AwaitMail: a condition still false after this many full outbox
// passes will not become true (each pass delivers everything due).
const awaitPasses = 20

// awaitFailsafe bounds one pass, so that a wedged worker fails the test instead of
// hanging it; it is never waited out by a passing test.
const awaitFailsafe = 30 * time.Second

// AwaitMail runs outbox passes until cond holds: it checks cond, asks the worker for a
// pass (auth.Service.KickMailer) and waits for that pass to end (MailerPassed), with no
// sleep and no polling interval. It fails the test when cond is still false after
// awaitPasses passes. The Env must run its mailer (not WithoutMailer).
func (e *Env) AwaitMail(what string, cond func() bool) {
	e.T.Helper()
	AwaitMail(e.T, e.Svc, what, cond)
}

// AwaitMail is Env.AwaitMail for a service whose outbox worker the test runs itself.
func AwaitMail(t testing.TB, svc *auth.Service, what string, cond func() bool) {
	t.Helper()
	if !MailPasses(t, svc, cond) {
		t.Fatalf("waiting for %s: still not so after %d outbox passes", what, awaitPasses)
	}
}

// MailPasses runs up to awaitPasses outbox passes of svc until cond holds, and reports
// whether it does. Each pass is asked for (auth.Service.KickMailer) and waited for
// (MailerPassed); a worker that does not finish a pass within awaitFailsafe fails t.
func MailPasses(t testing.TB, svc *auth.Service, cond func() bool) bool {
	t.Helper()
	for range awaitPasses {
		if cond() {
			return true
		}
		// A pass already running may end first and close passed; the kick then queues
		// another, and the loop simply checks again.
		passed := svc.MailerPassed()
		svc.KickMailer()
		failsafe := time.NewTimer(awaitFailsafe)
		select {
		case <-passed:
			failsafe.Stop()
		case <-failsafe.C:
			t.Fatalf("the outbox worker did not finish a pass in %v (is it running?)", awaitFailsafe)
		}
	}
	return cond()
}
