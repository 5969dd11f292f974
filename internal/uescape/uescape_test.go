package uescape_test

import (
	"testing"
	"unicode/utf16"

	"authbff/internal/uescape"
)

func TestHex4(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		in   string
		i    int
		want rune
		ok   bool
	}{
		{"OK_Digits", "0041", 0, 'A', true},
		{"OK_Lowercase", "00e9", 0, 'é', true},
		{"OK_Uppercase", "00E9", 0, 'é', true},
		{"OK_Mixed", "dBfF", 0, 0xDBFF, true},
		{"OK_AtOffset", `"\uffff`, 3, 0xFFFF, true},
		{"OK_Zero", "0000", 0, 0, true},
		{"OK_ExtraAfter", "12345", 0, 0x1234, true},
		{"ErrShort", "123", 0, 0, false},
		{"ErrShortAtOffset", "x1234", 2, 0, false},
		{"ErrNegativeOffset", "1234", -1, 0, false},
		{"ErrNotHex", "12g4", 0, 0, false},
		{"ErrSign", "+123", 0, 0, false},
		{"ErrSpace", " 123", 0, 0, false},
		{"ErrNonASCII", "12é", 0, 0, false}, // é is two bytes: four bytes, not four digits
		{"ErrFullwidthDigit", "１２３４", 0, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := uescape.Hex4([]byte(c.in), c.i)
			if got != c.want || ok != c.ok {
				t.Fatalf("Hex4(%q, %d) = %U, %v; want %U, %v", c.in, c.i, got, ok, c.want, c.ok)
			}
		})
	}
}

func TestAt(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		in   string
		i    int
		want rune
		ok   bool
	}{
		{"OK", `\u00e9`, 0, 'é', true},
		{"OK_Surrogate", `\ud800`, 0, 0xD800, true},
		{"OK_AtOffset", `ab\u0041cd`, 2, 'A', true},
		{"ErrNoBackslash", `u00e9`, 0, 0, false},
		{"ErrOtherEscape", `\n00e9`, 0, 0, false},
		{"ErrUppercaseU", `\U00e9`, 0, 0, false},
		{"ErrShort", `\u00e`, 0, 0, false},
		{"ErrNotHex", `\u00eg`, 0, 0, false},
		{"ErrPastEnd", `\u00e9`, 6, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := uescape.At([]byte(c.in), c.i)
			if got != c.want || ok != c.ok {
				t.Fatalf("At(%q, %d) = %U, %v; want %U, %v", c.in, c.i, got, ok, c.want, c.ok)
			}
		})
	}
}

func TestPair(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		hi, lo rune
		want   rune
		ok     bool
	}{
		{"OK_Emoji", 0xD83D, 0xDE00, 0x1F600, true},
		{"OK_First", 0xD800, 0xDC00, 0x10000, true},
		{"OK_Last", 0xDBFF, 0xDFFF, 0x10FFFF, true},
		{"ErrLowFirst", 0xDE00, 0xD83D, 0, false},
		{"ErrTwoHighs", 0xD800, 0xDBFF, 0, false},
		{"ErrTwoLows", 0xDC00, 0xDFFF, 0, false},
		{"ErrNotSurrogates", 'a', 'b', 0, false},
		{"ErrHighThenText", 0xD800, 'a', 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := uescape.Pair(c.hi, c.lo)
			if got != c.want || ok != c.ok {
				t.Fatalf("Pair(%U, %U) = %U, %v; want %U, %v", c.hi, c.lo, got, ok, c.want, c.ok)
			}
			// The standard library agrees wherever both speak.
			if std := utf16.DecodeRune(c.hi, c.lo); c.ok && std != got || !c.ok && std != 0xFFFD {
				t.Errorf("utf16.DecodeRune(%U, %U) = %U", c.hi, c.lo, std)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		in   string
		i    int
		want rune
		n    int
	}{
		{"OK_BMP", `\u00e9`, 0, 'é', 6},
		{"OK_ASCII", `\u0041rest`, 0, 'A', 6},
		{"OK_Pair", `\ud83d\ude00`, 0, 0x1F600, 12},
		{"OK_PairUppercase", `\uD83D\uDE00`, 0, 0x1F600, 12},
		{"OK_PairAtOffset", `x\ud83d\ude00y`, 1, 0x1F600, 12},
		{"LoneHigh", `\ud800`, 0, 0xD800, 6},
		{"LoneHighBeforeText", `\ud800abcdef`, 0, 0xD800, 6},
		{"LoneHighBeforeBMPEscape", `\ud800\u0041`, 0, 0xD800, 6},
		{"LoneHighBeforeHigh", `\ud800\ud800`, 0, 0xD800, 6},
		{"LoneHighBeforeBadEscape", `\ud800\uZZZZ`, 0, 0xD800, 6},
		{"LoneHighBeforeShortEscape", `\ud800\udc0`, 0, 0xD800, 6},
		{"LoneLow", `\udc00`, 0, 0xDC00, 6},
		{"LoneLowBeforeHigh", `\ude00\ud83d`, 0, 0xDE00, 6},
		{"NoEscape", `abcdef`, 0, 0, 0},
		{"OtherEscape", `\n0041`, 0, 0, 0},
		{"BadHex", `\u12x4`, 0, 0, 0},
		{"Short", `\u12`, 0, 0, 0},
		{"Empty", ``, 0, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, n := uescape.Decode([]byte(c.in), c.i)
			if got != c.want || n != c.n {
				t.Fatalf("Decode(%q, %d) = %U, %d; want %U, %d", c.in, c.i, got, n, c.want, c.n)
			}
			if lone := n > 0 && uescape.IsSurrogate(got); lone != (n == 6 && c.want >= 0xD800 && c.want <= 0xDFFF) {
				t.Errorf("IsSurrogate(%U) = %v", got, lone)
			}
		})
	}
}

func TestSurrogateRanges(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		r                 rune
		high, low, surrog bool
	}{
		{0xD7FF, false, false, false},
		{0xD800, true, false, true},
		{0xDBFF, true, false, true},
		{0xDC00, false, true, true},
		{0xDFFF, false, true, true},
		{0xE000, false, false, false},
		{0x1F600, false, false, false},
	} {
		if uescape.IsHigh(c.r) != c.high || uescape.IsLow(c.r) != c.low || uescape.IsSurrogate(c.r) != c.surrog {
			t.Errorf("%U: IsHigh %v IsLow %v IsSurrogate %v; want %v %v %v", c.r,
				uescape.IsHigh(c.r), uescape.IsLow(c.r), uescape.IsSurrogate(c.r), c.high, c.low, c.surrog)
		}
		if uescape.IsSurrogate(c.r) != utf16.IsSurrogate(c.r) {
			t.Errorf("%U: IsSurrogate disagrees with unicode/utf16", c.r)
		}
	}
}
