package apitest

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
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

// WaitMail waits up to 10 s for the n-th (1-based) message of kind to address to.
func (e *Env) WaitMail(to, kind string, n int) Mail {
	e.T.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got []Mail
		for _, m := range e.Logs.Mails(to) {
			if m.Kind == kind {
				got = append(got, m)
			}
		}
		if len(got) >= n {
			return got[n-1]
		}
		if time.Now().After(deadline) {
			e.T.Fatalf("no %s mail #%d to %s; have %d", kind, n, to, len(got))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
