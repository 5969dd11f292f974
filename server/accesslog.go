package server

import (
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// DirectLog writes the access log's usual lines without slog (issue 12): slog's
// Logger.LogAttrs captures the caller's program counter (runtime.Callers), builds a
// Record whose attributes overflow into a slice, and its handler checks every value for
// quoting through a generic state machine; ~3 µs of a /me on the load machine. A line
// whose values are all "plain" (non-empty printable ASCII without space, `"`, `\` or
// `=`, which neither slog handler quotes or escapes) and whose duration is an ordinary
// number is written here, byte for byte as slog's TextHandler (or JSONHandler) without
// options other than the level would write it (TestDirectLogMatchesSlog compares both
// over many lines); any other line goes through the slog Logger as before.
type DirectLog struct {
	out  io.Writer
	json bool
}

// NewDirectLog writes to out in slog's text format, or JSON; out gets one whole line per
// Write, as from a slog handler.
func NewDirectLog(out io.Writer, json bool) *DirectLog { return &DirectLog{out: out, json: json} }

// accessLine is one access log line's values, in the order they are written.
type accessLine struct {
	requestID, clientIP, method, path, route, operation string // operation optional
	status                                              int
	durationMS                                          float64
	userID, traceID                                     string // optional
}

// attrs are the line's attributes for slog.
func (l *accessLine) attrs() []slog.Attr {
	attrs := make([]slog.Attr, 0, 11)
	attrs = append(attrs, slog.String("request_id", l.requestID), slog.String("client_ip", l.clientIP),
		slog.String("method", l.method), slog.String("path", l.path), slog.String("route", l.route))
	if l.operation != "" {
		attrs = append(attrs, slog.String("operation", l.operation))
	}
	attrs = append(attrs, slog.Int("status", l.status), slog.Float64("duration_ms", l.durationMS))
	if l.userID != "" {
		attrs = append(attrs, slog.String("user_id", l.userID))
	}
	if l.traceID != "" {
		attrs = append(attrs, slog.String("trace_id", l.traceID))
	}
	return attrs
}

var lineBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// write writes l as of t and reports true, or writes nothing and reports false when a
// value is not plain.
func (d *DirectLog) write(t time.Time, l *accessLine) bool {
	// duration_ms: slog's text handler writes strconv 'g', the JSON handler json.Marshal;
	// both are strconv 'f' for 0 and for [0.001, 1e6) (a duration is whole µs / 1000).
	if !(l.durationMS == 0 || l.durationMS >= 0.001 && l.durationMS < 1e6) {
		return false
	}
	for _, s := range [...]string{l.requestID, l.clientIP, l.method, l.path, l.route} {
		if !plain(s) {
			return false
		}
	}
	for _, s := range [...]string{l.operation, l.userID, l.traceID} {
		if s != "" && !plain(s) {
			return false
		}
	}
	if y := t.Year(); y < 0 || y >= 10000 {
		return false // slog's JSON handler reports an error in the line
	}
	bp := lineBufs.Get().(*[]byte)
	b := (*bp)[:0]
	t = t.Round(0) // as slog: no monotonic reading
	if d.json {
		b = append(b, `{"time":"`...)
		b = t.AppendFormat(b, time.RFC3339Nano)
		b = append(b, `","level":"INFO","msg":"http"`...)
	} else {
		b = append(b, "time="...)
		b = appendRFC3339Millis(b, t)
		b = append(b, " level=INFO msg=http"...)
	}
	b = d.str(b, "request_id", l.requestID)
	b = d.str(b, "client_ip", l.clientIP)
	b = d.str(b, "method", l.method)
	b = d.str(b, "path", l.path)
	b = d.str(b, "route", l.route)
	if l.operation != "" {
		b = d.str(b, "operation", l.operation)
	}
	b = d.key(b, "status")
	b = strconv.AppendInt(b, int64(l.status), 10)
	b = d.key(b, "duration_ms")
	b = strconv.AppendFloat(b, l.durationMS, 'f', -1, 64)
	if l.userID != "" {
		b = d.str(b, "user_id", l.userID)
	}
	if l.traceID != "" {
		b = d.str(b, "trace_id", l.traceID)
	}
	if d.json {
		b = append(b, '}')
	}
	b = append(b, '\n')
	_, _ = d.out.Write(b)
	if cap(b) <= 4096 {
		*bp = b
		lineBufs.Put(bp)
	}
	return true
}

func (d *DirectLog) key(b []byte, k string) []byte {
	if d.json {
		b = append(b, ',', '"')
		b = append(b, k...)
		return append(b, '"', ':')
	}
	b = append(b, ' ')
	b = append(b, k...)
	return append(b, '=')
}

func (d *DirectLog) str(b []byte, k, v string) []byte {
	b = d.key(b, k)
	if d.json {
		b = append(b, '"')
		b = append(b, v...)
		return append(b, '"')
	}
	return append(b, v...)
}

// plain: written as is by both slog handlers (text: needsQuoting is false; JSON: no
// byte is escaped).
func plain(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '\\' || c == '=' {
			return false
		}
	}
	return true
}

// appendRFC3339Millis is log/slog's (handler.go): RFC 3339 with exactly three digits of
// milliseconds, the text handler's time.
func appendRFC3339Millis(b []byte, t time.Time) []byte {
	const prefixLen = len("2006-01-02T15:04:05.000")
	n := len(b)
	t = t.Truncate(time.Millisecond).Add(time.Millisecond / 10)
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b[:n+prefixLen], b[n+prefixLen+1:]...) // drop the 4th digit
}
