// Package commonpw implements the password blocklist of NIST SP 800-63B-4
// (CONTRACT §7 Passwords): a password is refused when it is among the most
// common passwords, or when it equals, ignoring case, the account's username,
// e-mail address or the e-mail's local part.
//
// The list of common passwords is embedded (passwords.txt.gz, 100,000
// entries; see SOURCE.md for where it comes from and how it was made). It is
// decompressed and indexed once, on first use; call Count at start-up to pay
// that cost (a few tens of milliseconds) before the first request instead.
//
// The list holds only entries of at least 8 characters, because the length
// policy (8–128 code points, CONTRACT §4) refuses shorter passwords before
// this check runs: IsCommon("123456") is false.
package commonpw

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"io"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// The human reasons returned by Check.
const (
	ReasonCommon   = "This password is too common. Choose a less common password."
	ReasonUsername = "The password must not be your username."
	ReasonEmail    = "The password must not be your e-mail address."
)

// passwordsGz is the gzip-compressed list: lowercased, deduplicated, sorted,
// one entry per line, each line ending in '\n'.
//
//go:embed passwords.txt.gz
var passwordsGz []byte

var (
	loadOnce sync.Once
	// text is the decompressed list (sorted, one entry per line) and ends holds
	// the end offset of each entry in it: 0.94 MB of text and 0.4 MB of
	// offsets for the 100,000 entries, searched by bisection (~17 string
	// compares, well under a microsecond). A map of the same entries held
	// 4.4 MB of heap for a lookup that runs only when a password is set, next
	// to an argon2id hash of tens of milliseconds (issue 12: the idle heap
	// holds only what it needs).
	text string
	ends []uint32
	// maxLen is the length in bytes of the longest entry. Every entry is
	// ASCII, so an ASCII password longer than this cannot be in the list.
	maxLen int
)

func load() {
	loadOnce.Do(func() {
		data, err := decompress(passwordsGz)
		if err != nil {
			// The list is compiled into the binary: a broken one is a
			// build defect, not a runtime condition to recover from.
			panic("commonpw: embedded password list is corrupt: " + err.Error())
		}
		text, ends, maxLen = parse(data)
	})
}

// parse indexes the decompressed list: the end offset of every entry, and the
// longest entry's length. Entries are sorted (gen.go writes them so; an
// unsorted list is sorted here, so that bisection holds whatever the input).
func parse(data string) (txt string, e []uint32, longest int) {
	e = make([]uint32, 0, strings.Count(data, "\n"))
	sorted := true
	prev := ""
	for off := 0; off < len(data); {
		i := strings.IndexByte(data[off:], '\n')
		if i < 0 {
			i = len(data) - off // tolerate a missing final newline
		}
		if i > 0 {
			entry := data[off : off+i]
			if entry < prev {
				sorted = false
			}
			prev = entry
			e = append(e, uint32(off+i))
			longest = max(longest, i)
		}
		off += i + 1
	}
	if !sorted {
		lines := strings.Fields(data)
		slices.Sort(lines)
		lines = slices.Compact(lines)
		return parse(strings.Join(lines, "\n") + "\n")
	}
	return data, e, longest
}

// entry returns the i-th entry of the list.
func entry(i int) string {
	start := 0
	if i > 0 {
		start = int(ends[i-1]) + 1
	}
	for start < int(ends[i]) && text[start] == '\n' {
		start++ // blank lines
	}
	return text[start:ends[i]]
}

// contains reports whether the lowercased password is an entry (bisection,
// no allocation).
func contains[T string | []byte](lower T) bool {
	lo, hi := 0, len(ends)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch c := compare(lower, entry(m)); {
		case c == 0:
			return true
		case c > 0:
			lo = m + 1
		default:
			hi = m
		}
	}
	return false
}

// compare is strings.Compare for a string or a byte slice against a string.
func compare[T string | []byte](a T, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// decompress inflates gz into a single string, sized up front from the gzip
// trailer so that the text is allocated once.
func decompress(gz []byte) (string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	if n := len(gz); n >= 4 {
		// ISIZE: the uncompressed length modulo 2^32 (a hint only).
		sb.Grow(int(binary.LittleEndian.Uint32(gz[n-4:])))
	}
	if _, err := io.Copy(&sb, zr); err != nil {
		return "", err
	}
	if err := zr.Close(); err != nil {
		return "", err
	}
	return sb.String(), nil
}

// Count is the number of entries in the embedded list.
func Count() int {
	load()
	return len(ends)
}

// IsCommon reports whether password, compared case-insensitively, is in the
// list. The password is lowercased with strings.ToLower (Unicode NFC
// normalization, if wanted, is the caller's). It does not allocate unless the
// password has non-ASCII characters.
func IsCommon(password string) bool {
	load()
	for i := 0; i < len(password); i++ {
		if password[i] >= utf8.RuneSelf {
			// Rare: a non-ASCII rune may still lowercase to ASCII (the
			// Kelvin sign K to k, for instance), so take the general path.
			return contains(strings.ToLower(password))
		}
	}
	if len(password) > maxLen {
		return false
	}
	// ASCII: lowercase into a stack buffer.
	var buf [128]byte
	if len(password) > len(buf) {
		return contains(strings.ToLower(password))
	}
	b := buf[:len(password)]
	for i := 0; i < len(password); i++ {
		c := password[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return contains(b)
}

// Check applies the whole NIST SP 800-63B-4 blocklist rule to a password that
// is being set. It returns "" when the password is acceptable, else the human
// reason: ReasonUsername when the password equals the username, ReasonEmail
// when it equals the e-mail address or the e-mail's local part (the part
// before the last '@'), ReasonCommon when it is in the list. Equality ignores
// case (strings.EqualFold). An empty username, e-mail or local part never
// matches. The personal-data rules are tested first, as their reason is the
// more specific one.
func Check(password, username, email string) string {
	if username != "" && strings.EqualFold(password, username) {
		return ReasonUsername
	}
	if email != "" {
		if strings.EqualFold(password, email) {
			return ReasonEmail
		}
		if at := strings.LastIndexByte(email, '@'); at > 0 && strings.EqualFold(password, email[:at]) {
			return ReasonEmail
		}
	}
	if IsCommon(password) {
		return ReasonCommon
	}
	return ""
}
