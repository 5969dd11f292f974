// Package header holds response header values that every answer shares (issue 12).
//
// A fixed header is assigned as a preallocated slice under its canonical key
// (h["Content-Type"] = header.JSON) instead of Header.Set, which canonicalizes the key
// and allocates a one-element slice per header per request (~1 µs and 5 allocations of
// a /me with the other fixed headers). Sharing one slice between answers is safe: a
// header's slice is only ever replaced (Set) or appended to (Add), and with len == cap
// an append copies; nothing writes one in place.
package header

// Fixed returns a one-value header slice to share between answers (len == cap).
func Fixed(v string) []string { return []string{v}[:1:1] }

// JSON is the Content-Type of JSON answers.
var JSON = Fixed("application/json")
