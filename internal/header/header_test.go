package header_test

import (
	"net/http"
	"testing"

	"authbff/internal/header"
)

// An answer that adds to a shared header gets its own copy: the shared value is
// unchanged for the next answer.
func TestFixedIsNotWrittenThroughByAdd(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	h["Content-Type"] = header.JSON
	h.Add("Content-Type", "text/plain")
	if len(header.JSON) != 1 || header.JSON[0] != "application/json" {
		t.Fatalf("shared value changed to %q", header.JSON)
	}
	if got := h.Values("Content-Type"); len(got) != 2 || got[1] != "text/plain" {
		t.Fatalf("answer's header %q", got)
	}
	if v := header.Fixed("x"); len(v) != cap(v) {
		t.Fatalf("len %d != cap %d", len(v), cap(v))
	}
}
