package graph

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// TestPlainQueryBodyMatchesDecoder: the shortcut for {"query":"…"} bodies reads the
// query json.Decoder reads, and declines every body it cannot vouch for.
func TestPlainQueryBodyMatchesDecoder(t *testing.T) {
	t.Parallel()
	pieces := []string{"{", "}", " ", "me", "id", "email", "query", "é", "☃", "\u2028", "<&>", "\x7f",
		`"`, `\`, `\n`, `\u0041`, "\n", "\t", "\x00", "\xff", "\xe2\x80"}
	rng := rand.New(rand.NewPCG(3, 4))
	bodies := [][]byte{[]byte(`{"query":"{ me { id email } }"}`), []byte(`{"query":""}`), []byte(`{"query":"x"} `),
		[]byte(` {"query":"x"}`), []byte(`{"query":"x","variables":{}}`), []byte(`{"Query":"x"}`), []byte(`{"query":"x"}}`)}
	for range 20000 {
		var q []byte
		for range rng.IntN(8) {
			p := pieces[rng.IntN(len(pieces))]
			if rng.IntN(3) != 0 {
				p = pieces[rng.IntN(8)]
			}
			q = append(q, p...)
		}
		bodies = append(bodies, append(append([]byte(`{"query":"`), q...), `"}`...))
	}
	taken := 0
	for _, body := range bodies {
		got, ok := plainQueryBody(body)
		if !ok {
			continue
		}
		taken++
		var want graphql.RawParams
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("%q: taken, but the decoder fails: %v", body, err)
		}
		if !reflect.DeepEqual(graphql.RawParams{Query: got}, want) {
			t.Fatalf("%q: %q, decoder %+v", body, got, want)
		}
	}
	if taken < 1000 {
		t.Fatalf("only %d bodies took the shortcut", taken)
	}
}

// TestWriteDataMatchesWriteResponse: writeData writes the bytes writeResponse writes
// for a Response with only Data, HTML escapes and U+2028 included.
func TestWriteDataMatchesWriteResponse(t *testing.T) {
	t.Parallel()
	for _, data := range []string{`{"me":{"id":"x","email":"a<b>&c@example.com"}}`, `{"a":"\u2028 \u2029 ☃"}`,
		`{"a": [1, 2,  3], "b" : {"c":null}}`, `{"a":"` + "\u2028" + `"}`, `null`, `{"a":`} {
		var got, want bytes.Buffer
		writeData(&got, []byte(data))
		writeResponse(&want, &graphql.Response{Data: []byte(data)})
		if got.String() != want.String() {
			t.Errorf("%s:\n got %s\nwant %s", data, got.String(), want.String())
		}
	}
}
