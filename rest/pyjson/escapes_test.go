package pyjson

import (
	"bytes"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// TestRewriteEscapesGolden: a string as gqlgen writes it, rewritten, is what CPython
// 3.11's json.dumps(s, ensure_ascii=False, separators=(",", ":")) writes (the "want"
// column was printed by the interpreter), and what Encode writes.
func TestRewriteEscapesGolden(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, in, want string }{
		{"Plain", "plain text", `"plain text"`},
		{"Controls", "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f",
			`"\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f"`},
		{"BackspaceFormFeed", "a\bb\fc", `"a\bb\fc"`},
		{"TabNewlineReturn", "\t\n\r", `"\t\n\r"`},
		{"QuoteBackslash", `say "hi" \ bye`, `"say \"hi\" \\ bye"`},
		{"HTMLAndSeparatorsRaw", "<a href='x'>&amp;</a>\u2028\u2029\x7f", "\"<a href='x'>&amp;</a>\u2028\u2029\x7f\""},
		{"NonASCIIRaw", "café 😀 日本", `"café 😀 日本"`},
		{"LiteralBackslashUKept", `\u0008 \u001F \u00e9`, `"\\u0008 \\u001F \\u00e9"`},
		{"EscapeAtEnd", "end\x1f", `"end\u001f"`},
		{"OneControl", "\x01", `"\u0001"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var gq bytes.Buffer
			graphql.MarshalString(c.in).MarshalGQL(&gq)
			if got := string(RewriteEscapes(gq.Bytes())); got != c.want {
				t.Errorf("RewriteEscapes(%s) = %s; want %s", gq.Bytes(), got, c.want)
			}
			if got := string(Encode(c.in)); got != c.want {
				t.Errorf("Encode(%q) = %s; want %s", c.in, got, c.want)
			}
		})
	}
}

// Inside a whole answer: only string escapes change, and an answer without a \u00
// escape is the same slice.
func TestRewriteEscapesAnswer(t *testing.T) {
	t.Parallel()
	in := []byte(`{"bio":"a\u0008b\u000Cc\u001F","n":1,"s":"\\u000C"}`)
	if got, want := string(RewriteEscapes(in)), `{"bio":"a\bb\fc\u001f","n":1,"s":"\\u000C"}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	plain := []byte(`{"username":"ada","bio":"tab\t"}`)
	if got := RewriteEscapes(plain); &got[0] != &plain[0] || !bytes.Equal(got, plain) {
		t.Errorf("an answer without \\u00 escapes was copied or changed: %s", got)
	}
}
