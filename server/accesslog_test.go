package server

import (
	"bytes"
	"context"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestDirectLogMatchesSlog: DirectLog writes the very bytes slog's text and JSON
// handlers write for the same access line (the format the log pipeline parses), and
// declines every line it would not write the same way.
func TestDirectLogMatchesSlog(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"a", "Z", "0", "-", "_", ".", ":", "/", "%2F", "graphql:me", "::1", "192.0.2.1",
		"0191b6b2-8c1e-7d3a-9f00-0123456789ab", "<", ">", "&", "'", "?", "#", "+", "@", "~", "{", "}", "[", "]",
		// not plain: quoted or escaped by one handler or both
		" ", "=", `"`, `\`, "\t", "\n", "\x00", "\x7f", "é", "\u2028", "\xff"}
	str := func(optional bool) string {
		if optional && rng.IntN(3) == 0 {
			return ""
		}
		if rng.IntN(40) == 0 {
			return "" // an empty required value: quoted by the text handler
		}
		var b strings.Builder
		for range 1 + rng.IntN(6) {
			p := pieces[rng.IntN(len(pieces))]
			if rng.IntN(4) != 0 {
				p = pieces[rng.IntN(20)] // mostly plain
			}
			b.WriteString(p)
		}
		return b.String()
	}
	zones := []*time.Location{time.UTC, time.FixedZone("X", 5*3600+30*60), time.FixedZone("Y", -7*3600)}
	direct, declined := 0, 0
	for i := range 20000 {
		l := accessLine{requestID: str(false), clientIP: str(false), method: str(false), path: str(false),
			route: str(false), operation: str(true), status: 100 + rng.IntN(500), userID: str(true), traceID: str(true)}
		switch rng.IntN(10) {
		case 0:
			l.durationMS = 0
		case 1:
			l.durationMS = float64(rng.Int64N(1e13)) / 1000 // up to ~115 days
		default:
			l.durationMS = float64(rng.Int64N(3e7)) / 1000
		}
		tm := time.Unix(1_700_000_000+rng.Int64N(1e9), rng.Int64N(1e9)).In(zones[i%len(zones)])
		if i%7 == 0 {
			tm = tm.Truncate(time.Millisecond)
		}
		if i%11 == 0 {
			tm = tm.Truncate(time.Second)
		}
		for _, json := range []bool{false, true} {
			var want, got bytes.Buffer
			var h slog.Handler = slog.NewTextHandler(&want, &slog.HandlerOptions{Level: slog.LevelInfo})
			if json {
				h = slog.NewJSONHandler(&want, &slog.HandlerOptions{Level: slog.LevelInfo})
			}
			rec := slog.NewRecord(tm, slog.LevelInfo, "http", 0)
			rec.AddAttrs(l.attrs()...)
			if err := h.Handle(context.Background(), rec); err != nil {
				t.Fatal(err)
			}
			if !NewDirectLog(&got, json).write(tm, &l) {
				declined++
				if isPlainLine(&l) {
					t.Fatalf("declined a plain line: %+v", l)
				}
				continue
			}
			direct++
			if got.String() != want.String() {
				t.Fatalf("json=%v\n got %q\nwant %q", json, got.String(), want.String())
			}
		}
	}
	if direct < 5000 || declined < 5000 {
		t.Fatalf("direct %d, declined %d: the inputs do not cover both paths", direct, declined)
	}
}

func isPlainLine(l *accessLine) bool {
	for _, s := range []string{l.requestID, l.clientIP, l.method, l.path, l.route} {
		if !plain(s) {
			return false
		}
	}
	for _, s := range []string{l.operation, l.userID, l.traceID} {
		if s != "" && !plain(s) {
			return false
		}
	}
	return l.durationMS < 1e6
}
