package commonpw

import (
	"crypto/rand"
	"runtime"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

func TestConcurrentFirstUse(t *testing.T) {
	// First in the file so that, in a fresh test binary, it is the first use
	// of the list: under -race it checks that concurrent first loads are safe.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if !IsCommon("password") {
				t.Error("IsCommon(password) = false")
			}
		})
	}
	wg.Wait()
}

func TestCount(t *testing.T) {
	if n := Count(); n < 10000 {
		t.Fatalf("Count() = %d, want at least 10000", n)
	}
	if n := Count(); n != 100000 {
		t.Errorf("Count() = %d, want the 100000 entries SOURCE.md documents", n)
	}
}

// TestListShape checks the invariants SOURCE.md promises: lowercase,
// deduplicated, sorted, at least 8 code points, ASCII.
func TestListShape(t *testing.T) {
	data, err := decompress(passwordsGz)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(data, "\n") {
		t.Error("list does not end in a newline")
	}
	lines := strings.Split(strings.TrimSuffix(data, "\n"), "\n")
	if len(lines) != Count() {
		t.Errorf("%d lines but Count() = %d (duplicates or empty lines?)", len(lines), Count())
	}
	prev := ""
	for i, l := range lines {
		switch {
		case l != strings.ToLower(l):
			t.Errorf("line %d %q is not lowercase", i+1, l)
		case utf8.RuneCountInString(l) < 8:
			t.Errorf("line %d %q is shorter than 8", i+1, l)
		case i > 0 && l <= prev:
			t.Errorf("line %d %q is not after %q: unsorted or duplicate", i+1, l, prev)
		}
		for j := 0; j < len(l); j++ {
			if l[j] >= utf8.RuneSelf || l[j] < ' ' {
				t.Errorf("line %d %q has a non-printable-ASCII byte", i+1, l)
				break
			}
		}
		prev = l
	}
}

func TestIsCommon(t *testing.T) {
	for _, pw := range []string{
		"password", "12345678", "qwertyuiop", "iloveyou", "password1",
		"123456789", "1234567890", "football", "baseball", "sunshine",
		"princess", "trustno1", "abcdefgh",
		// case-insensitive
		"PASSWORD", "PassWord1", "QwertyUiop", "ILoveYou", "TrustNo1",
	} {
		if !IsCommon(pw) {
			t.Errorf("IsCommon(%q) = false, want true", pw)
		}
	}
	for _, pw := range []string{
		"", "123456", "qwerty", // shorter than 8: not in the list (the length rule refuses them)
		"correct horse battery staple",
		"Tr0ub4dor&3-but-longer",
		"password\n", " password", "password ",
		strings.Repeat("a", 300),
		"pässword1",
	} {
		if IsCommon(pw) {
			t.Errorf("IsCommon(%q) = true, want false", pw)
		}
	}
	// Non-ASCII characters that strings.ToLower maps to ASCII: the KELVIN
	// SIGN lowercases to 'k', so it takes the general path and still matches.
	if !IsCommon("\u212Aatherine") || !IsCommon("BLIN\u212A182") {
		t.Errorf("IsCommon with a KELVIN SIGN for k = false, want true")
	}
}

func TestIsCommonRandom(t *testing.T) {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	for range 100 {
		var b [20]byte
		rand.Read(b[:])
		for i := range b {
			b[i] = alphabet[int(b[i])%len(alphabet)]
		}
		if pw := string(b[:]); IsCommon(pw) {
			t.Errorf("random IsCommon(%q) = true", pw)
		}
	}
}

func TestIsCommonNoAlloc(t *testing.T) {
	Count()
	for _, pw := range []string{"password1", "PassWord1", "xK9#mq2!vLp0zR7t", strings.Repeat("A", 200)} {
		if n := testing.AllocsPerRun(100, func() { IsCommon(pw) }); n != 0 {
			t.Errorf("IsCommon(%q) allocates %v times", pw, n)
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		password, username, email, want string
	}{
		{"password1", "alice", "alice@example.com", ReasonCommon},
		{"PassWord1", "alice", "alice@example.com", ReasonCommon},
		{"Alice_Smith", "alice_smith", "as@example.com", ReasonUsername},
		{"alice_smith", "ALICE_SMITH", "", ReasonUsername},
		{"Alice.Smith@Example.com", "alice", "alice.smith@example.com", ReasonEmail},
		{"ALICE.SMITH", "alice", "alice.smith@example.com", ReasonEmail},
		// local part is before the last '@'
		{`"a@b"x`, "alice", `"a@b"x@example.com`, ReasonEmail},
		{`"a`, "alice", `"a@b"x@example.com`, ""},
		// personal data wins over the list
		{"iloveyou", "iloveyou", "x@example.com", ReasonUsername},
		{"sunshine", "bob", "sunshine@example.com", ReasonEmail},
		// acceptable
		{"correct horse battery staple", "alice", "alice@example.com", ""},
		{"vU7#pQ2-zW9!rT4k", "alice", "alice@example.com", ""},
		// empty username / e-mail / local part never match
		{"", "", "", ""},
		{"x9Yq!mZ0w2#Lb", "", "", ""},
		{"", "", "@example.com", ""},
		{"example.com", "alice", "@example.com", ""},
		{"nouserpart", "alice", "nouserpart", ReasonEmail}, // no '@': the whole value
	}
	for _, tc := range tests {
		if got := Check(tc.password, tc.username, tc.email); got != tc.want {
			t.Errorf("Check(%q, %q, %q) = %q, want %q", tc.password, tc.username, tc.email, got, tc.want)
		}
	}
}

// TestLoadedMemory reports the heap held by the loaded list (go test -v).
func TestLoadedMemory(t *testing.T) {
	m0 := heapInUse()
	d, err := decompress(passwordsGz)
	if err != nil {
		t.Fatal(err)
	}
	n, _, err := scan(d)
	if err != nil {
		t.Fatal(err)
	}
	m1 := heapInUse()
	runtime.KeepAlive(d)
	t.Logf("%d entries, %d bytes of text, %.2f MB of heap once loaded", n, len(d), float64(m1-m0)/1e6)
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

var sink int

// BenchmarkFirstLoad measures what the first call pays: decompress and check.
func BenchmarkFirstLoad(b *testing.B) {
	for b.Loop() {
		d, err := decompress(passwordsGz)
		if err != nil {
			b.Fatal(err)
		}
		if sink, _, err = scan(d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIsCommon(b *testing.B) {
	Count()
	for _, bc := range []struct{ name, pw string }{
		{"hit", "password1"},
		{"hit-mixedcase", "PassWord1"},
		{"miss", "vU7#pQ2-zW9!rT4k"},
		{"miss-long", strings.Repeat("x", 64)},
		{"non-ascii", "pässwörd-lang"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				IsCommon(bc.pw)
			}
		})
	}
}

func BenchmarkCheck(b *testing.B) {
	Count()
	b.ReportAllocs()
	for b.Loop() {
		Check("Correct-Horse-7", "alice", "alice@example.com")
	}
}

// TestBisectionAgainstASet checks the offset bisection against a set of the
// same lines: every entry is found, and so is each entry's prefix and
// extension exactly when the set has them (the neighbours of every line).
func TestBisectionAgainstASet(t *testing.T) {
	Count()
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	set := make(map[string]bool, len(lines))
	for _, l := range lines {
		set[l] = true
	}
	for _, l := range lines {
		for _, probe := range []string{l, l[:len(l)-1], l + "0", l + "~", "!" + l} {
			if got := contains(probe); got != set[probe] {
				t.Fatalf("contains(%q) = %v, the set says %v", probe, got, set[probe])
			}
		}
	}
	for _, probe := range []string{"", "\n", "!", "~~~~~~~~~~", lines[0], lines[len(lines)-1]} {
		if got := contains(probe); got != set[probe] {
			t.Errorf("contains(%q) = %v, the set says %v", probe, got, set[probe])
		}
	}
}

// TestScanRefusesWhatBisectionCannotSearch: the load check names the defect.
func TestScanRefusesWhatBisectionCannotSearch(t *testing.T) {
	for _, bad := range []string{"abcdefgh\nabcdefgh\n", "bbbbbbbb\naaaaaaaa\n", "aaaaaaaa\n\nbbbbbbbb\n", "aaaaaaaa\nbbbbbbbb"} {
		if _, _, err := scan(bad); err == nil {
			t.Errorf("scan(%q) accepted it", bad)
		}
	}
	if n, longest, err := scan("aaaaaaaa\nbbbbbbbbbb\n"); err != nil || n != 2 || longest != 10 {
		t.Errorf("scan of a good list = %d, %d, %v; want 2, 10, nil", n, longest, err)
	}
}
