// Package commonpw implements the password blocklist of NIST SP 800-63B-4
// (CONTRACT §7 Passwords): a password is refused when it is among the most
// common passwords, or when it equals, ignoring case, the account's username,
// e-mail address or the e-mail's local part.
//
// The list of common passwords is embedded (passwords.txt.gz, 100,000
// entries; see SOURCE.md for where it comes from and how it was made). It is
// decompressed once, on first use (a few milliseconds, once per process, next
// to the argon2id hash of the password being set).
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
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
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
	// text is the decompressed list: sorted, one entry per line, each line
	// ending in '\n' (0.94 MB for the 100,000 entries). It is searched by
	// bisection over byte offsets (each probe backs up to the start of the
	// line it lands in: ~17 probes, well under a microsecond), so no index is
	// kept beside it. It is loaded on the first password check, not at start:
	// a service at idle holds none of it (issue 12). A map of the same
	// entries held 4.4 MB of heap, and the offsets index this replaced 0.4 MB.
	text string
	// count is the number of entries; maxLen the length in bytes of the
	// longest one. Every entry is ASCII, so an ASCII password longer than
	// maxLen cannot be in the list.
	count, maxLen int
	loaded        atomic.Bool
)

func load() {
	loadOnce.Do(func() {
		data, err := decompress(passwordsGz)
		if err == nil {
			count, maxLen, err = scan(data)
		}
		if err != nil {
			// The list is compiled into the binary (and its shape checked by
			// TestListShape): a broken one is a build defect, not a runtime
			// condition to recover from.
			panic("commonpw: embedded password list is corrupt: " + err.Error())
		}
		text = data
		loaded.Store(true)
	})
}

// scan checks in one pass what bisection relies on (every line non-empty and
// after the one before it, the last one ending in '\n') and returns the number
// of entries and the longest one's length.
func scan(data string) (n, longest int, err error) {
	if data != "" && data[len(data)-1] != '\n' {
		return 0, 0, errors.New("the list does not end in a newline")
	}
	prev := ""
	for off := 0; off < len(data); {
		i := strings.IndexByte(data[off:], '\n')
		entry := data[off : off+i]
		if entry == "" || (n > 0 && entry <= prev) {
			return 0, 0, fmt.Errorf("line %d %q is empty, unsorted or a duplicate", n+1, entry)
		}
		prev, n, longest = entry, n+1, max(longest, i)
		off += i + 1
	}
	return n, longest, nil
}

// contains reports whether lower is an entry of text, by bisection over byte
// offsets: [lo, hi) always starts at a line's start and ends just after a
// '\n', and each probe compares the line that holds the middle byte.
func contains[T string | []byte](lower T) bool {
	lo, hi := 0, len(text)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		start := lo + strings.LastIndexByte(text[lo:mid], '\n') + 1
		end := start + strings.IndexByte(text[start:hi], '\n')
		switch c := compare(lower, text[start:end]); {
		case c == 0:
			return true
		case c > 0:
			lo = end + 1
		default:
			hi = start
		}
	}
	return false
}

// compare is strings.Compare for either a string or a byte slice, without
// converting (and so allocating) the slice.
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

// Loaded reports whether the list has been loaded into memory (by a password check,
// or Count). Tests use it to show what loads it.
func Loaded() bool { return loaded.Load() }

// Count is the number of entries in the embedded list.
func Count() int {
	load()
	return count
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
