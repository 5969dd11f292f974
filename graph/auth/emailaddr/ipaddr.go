package emailaddr

import (
	"strconv"
	"strings"
)

// This file reproduces the ValueError texts of Python's ipaddress module
// (CPython 3.11) for IPv4Address(str) and IPv6Address(str), which
// email-validator puts into its messages about bracketed domain literals.

// pyIPv4Address returns the error of ipaddress.IPv4Address(s), or "".
func pyIPv4Address(s string) string {
	if strings.Contains(s, "/") {
		return "Unexpected '/' in " + pyReprString(s)
	}
	_, err := pyIPv4Int(s)
	return err
}

func pyIPv4Int(s string) (uint32, string) {
	if s == "" {
		return 0, "Address cannot be empty"
	}
	octets := strings.Split(s, ".")
	if len(octets) != 4 {
		return 0, "Expected 4 octets in " + pyReprString(s)
	}
	var v uint32
	for _, o := range octets {
		n, err := pyParseOctet(o)
		if err != "" {
			return 0, err + " in " + pyReprString(s)
		}
		v = v<<8 | uint32(n)
	}
	return v, ""
}

func pyParseOctet(o string) (int, string) {
	if o == "" {
		return 0, "Empty octet not permitted"
	}
	for i := 0; i < len(o); i++ {
		if o[i] < '0' || o[i] > '9' {
			return 0, "Only decimal digits permitted in " + pyReprString(o)
		}
	}
	if len(o) > 3 {
		return 0, "At most 3 characters permitted in " + pyReprString(o)
	}
	if o != "0" && o[0] == '0' {
		return 0, "Leading zeros are not permitted in " + pyReprString(o)
	}
	n, _ := strconv.Atoi(o)
	if n > 255 {
		return 0, "Octet " + strconv.Itoa(n) + " (> 255) not permitted"
	}
	return n, ""
}

// pyIPv6Address returns the error of ipaddress.IPv6Address(s), or "".
func pyIPv6Address(s string) string {
	if strings.Contains(s, "/") {
		return "Unexpected '/' in " + pyReprString(s)
	}
	addr := s
	if i := strings.IndexByte(s, '%'); i >= 0 {
		scope := s[i+1:]
		if scope == "" || strings.Contains(scope, "%") {
			return `Invalid IPv6 address: "` + pyReprString(s) + `"`
		}
		addr = s[:i]
	}
	return pyIPv6Int(addr)
}

const hextetCount = 8

func pyIPv6Int(s string) string {
	if s == "" {
		return "Address cannot be empty"
	}
	parts := strings.Split(s, ":")
	if len(parts) < 3 {
		return "At least 3 parts expected in " + pyReprString(s)
	}
	if last := parts[len(parts)-1]; strings.Contains(last, ".") {
		if strings.Contains(last, "/") {
			return "Unexpected '/' in " + pyReprString(last) + " in " + pyReprString(s)
		}
		v, err := pyIPv4Int(last)
		if err != "" {
			return err + " in " + pyReprString(s)
		}
		parts = append(parts[:len(parts)-1], strconv.FormatUint(uint64(v>>16), 16), strconv.FormatUint(uint64(v&0xFFFF), 16))
	}
	if len(parts) > hextetCount+1 {
		return "At most " + strconv.Itoa(hextetCount) + " colons permitted in " + pyReprString(s)
	}
	skip := -1
	for i := 1; i < len(parts)-1; i++ {
		if parts[i] == "" {
			if skip >= 0 {
				return "At most one '::' permitted in " + pyReprString(s)
			}
			skip = i
		}
	}
	var hi, lo int
	if skip >= 0 {
		hi = skip
		lo = len(parts) - skip - 1
		if parts[0] == "" {
			hi--
			if hi != 0 {
				return "Leading ':' only permitted as part of '::' in " + pyReprString(s)
			}
		}
		if parts[len(parts)-1] == "" {
			lo--
			if lo != 0 {
				return "Trailing ':' only permitted as part of '::' in " + pyReprString(s)
			}
		}
		if hextetCount-(hi+lo) < 1 {
			return "Expected at most " + strconv.Itoa(hextetCount-1) + " other parts with '::' in " + pyReprString(s)
		}
	} else {
		if len(parts) != hextetCount {
			return "Exactly " + strconv.Itoa(hextetCount) + " parts expected without '::' in " + pyReprString(s)
		}
		if parts[0] == "" {
			return "Leading ':' only permitted as part of '::' in " + pyReprString(s)
		}
		if parts[len(parts)-1] == "" {
			return "Trailing ':' only permitted as part of '::' in " + pyReprString(s)
		}
		hi, lo = len(parts), 0
	}
	check := func(h string) string {
		for i := 0; i < len(h); i++ {
			c := h[i]
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return "Only hex digits permitted in " + pyReprString(h) + " in " + pyReprString(s)
			}
		}
		if len([]rune(h)) > 4 {
			return "At most 4 characters permitted in " + pyReprString(h) + " in " + pyReprString(s)
		}
		return ""
	}
	for i := 0; i < hi; i++ {
		if err := check(parts[i]); err != "" {
			return err
		}
	}
	for i := len(parts) - lo; i < len(parts); i++ {
		if err := check(parts[i]); err != "" {
			return err
		}
	}
	return ""
}
