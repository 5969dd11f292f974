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
	// set holds every entry; its keys are substrings of one decompressed
	// string, so the entries cost no allocation of their own. Measured on
	// the 100,000 entries: 4.4 MB of heap (0.94 MB of text, 3.5 MB of map)
	// and ~25 ns a lookup, against 1.3 MB and ~200 ns for a sorted offset
	// table with binary search; the map was chosen for speed.
	set map[string]struct{}
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
		set, maxLen = parse(data)
	})
}

// parse indexes the decompressed list: its entries become keys of the map
// (substrings of data, not copies); maxLen is the longest entry's length.
func parse(data string) (m map[string]struct{}, longest int) {
	m = make(map[string]struct{}, strings.Count(data, "\n"))
	for len(data) > 0 {
		i := strings.IndexByte(data, '\n')
		if i < 0 {
			i = len(data) // tolerate a missing final newline
		}
		if i > 0 {
			m[data[:i]] = struct{}{}
			longest = max(longest, i)
		}
		data = data[min(i+1, len(data)):]
	}
	return m, longest
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
	return len(set)
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
			_, ok := set[strings.ToLower(password)]
			return ok
		}
	}
	if len(password) > maxLen {
		return false
	}
	// ASCII: lowercase into a stack buffer. Indexing a map with
	// string(bytes) does not allocate.
	var buf [128]byte
	if len(password) > len(buf) {
		_, ok := set[strings.ToLower(password)]
		return ok
	}
	b := buf[:len(password)]
	for i := 0; i < len(password); i++ {
		c := password[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	_, ok := set[string(b)]
	return ok
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
