package auth

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestPlainRolesAsJSON: the roles fast path decodes exactly what json.Unmarshal decodes,
// or declines (nil) and leaves the column to json.Unmarshal.
func TestPlainRolesAsJSON(t *testing.T) {
	t.Parallel()
	cases := []string{
		`[]`, `["user"]`, `["user","admin"]`, `["a","b","c","d"]`, `[""]`, `["",""]`,
		`[ "user" ]`, `["user",]`, `[,"user"]`, `["us\"er"]`, `["\u00e9"]`, `["é"]`, "[\"a\tb\"]",
		`["user"`, `"user"]`, `[user]`, `[1]`, `[null]`, `null`, `{}`, `["a""b"]`, `["a",`, `[`, `]`, `["`,
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte(`[]",\ aé` + "\t")
	for range 20000 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, c := range cases {
		got := plainRoles([]byte(c))
		if got == nil {
			continue // declined: json.Unmarshal decides
		}
		var want []string
		if err := json.Unmarshal([]byte(c), &want); err != nil {
			t.Fatalf("%q: fast path accepted %q, json.Unmarshal refuses: %v", c, got, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: fast path %q, json.Unmarshal %q", c, got, want)
		}
	}
	for _, c := range []string{`[]`, `["user"]`, `["user","admin"]`} {
		if plainRoles([]byte(c)) == nil {
			t.Errorf("%s: the usual shape must take the fast path", c)
		}
	}
}
