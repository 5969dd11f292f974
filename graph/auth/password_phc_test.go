package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
)

// Unit tests of the PHC string format of stored password hashes
// ($argon2id$v=19$m=…,t=…,p=…$salt$key, unpadded standard base64).

var cheapParams = HashParams{MemoryKiB: 64, Time: 1, Threads: 1}

func newTestHasher(t *testing.T, p HashParams) *hasher {
	t.Helper()
	h, err := newHasher(p, 1, time.Second, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// referenceHash was made by the reference implementation (Debian's argon2 CLI,
// phc-winner-argon2 20171227): echo -n "correct horse" | argon2 saltsaltsaltsalt -id -t 2
// -m 6 -p 1 -l 32 -e. Reading it proves the decoder speaks the standard format, not
// only its own.
const referenceHash = "$argon2id$v=19$m=64,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$5jdMIzWoFbzSOl6k3wai9uU3f8LD+HmGXQgo1uhHQPI"

func TestDecodePHCReadsTheReferenceFormat(t *testing.T) {
	t.Parallel()
	p, salt, key, err := decodePHC(referenceHash)
	if err != nil {
		t.Fatal(err)
	}
	if p != (HashParams{MemoryKiB: 64, Time: 2, Threads: 1}) {
		t.Errorf("params = %+v", p)
	}
	if string(salt) != "saltsaltsaltsalt" || len(key) != 32 {
		t.Errorf("salt = %q, key of %d bytes", salt, len(key))
	}
	h := newTestHasher(t, p)
	for pw, want := range map[string]bool{"correct horse": true, "correct horse ": false, "Correct horse": false} {
		ok, rehash, err := h.Verify(context.Background(), referenceHash, pw)
		if err != nil || ok != want || rehash {
			t.Errorf("Verify(%q) = %v, %v, %v; want %v, false, nil", pw, ok, rehash, err, want)
		}
	}
}

func TestEncodePHCRoundTrip(t *testing.T) {
	t.Parallel()
	salt := bytes.Repeat([]byte{0xA5}, saltLen)
	h, err := newHasher(cheapParams, 1, time.Second, bytes.NewReader(append(make([]byte, 24+saltLen), salt...)))
	if err != nil {
		t.Fatal(err)
	}
	enc, err := h.encode("pässword") // the dummy hash took the first 40 bytes; this one gets salt
	if err != nil {
		t.Fatal(err)
	}
	shape := regexp.MustCompile(`^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !shape.MatchString(enc) {
		t.Fatalf("encoded %q: not the PHC shape", enc)
	}
	p, gotSalt, key, err := decodePHC(enc)
	if err != nil || p != cheapParams || !bytes.Equal(gotSalt, salt) {
		t.Fatalf("decode = %+v %x %v", p, gotSalt, err)
	}
	want := argon2.IDKey([]byte("pässword"), salt, 1, 64, 1, keyLen)
	if !bytes.Equal(key, want) {
		t.Fatal("the key is not argon2id of the password and salt")
	}
	if strings.Contains(enc, base64.RawStdEncoding.EncodeToString([]byte("pässword"))) {
		t.Fatal("the encoding holds the password")
	}
}

func TestDecodePHCRefusesMalformed(t *testing.T) {
	t.Parallel()
	salt := base64.RawStdEncoding.EncodeToString([]byte("saltsaltsaltsalt"))
	key := base64.RawStdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	short := base64.RawStdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 15))
	for name, s := range map[string]string{
		"Empty":          "",
		"Bcrypt":         "$2b$12$abcdefghijklmnopqrstuuN9Yk2dTQQ4SHTaMNBUIYJ3jYGKyTGfO",
		"Argon2i":        "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"Argon2d":        "$argon2d$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"OldVersion":     "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key,
		"NoVersion":      "$argon2id$m=64,t=1,p=1$" + salt + "$" + key,
		"ZeroMemory":     "$argon2id$v=19$m=0,t=1,p=1$" + salt + "$" + key,
		"ZeroTime":       "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key,
		"ZeroThreads":    "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key,
		"ThreadsOver255": "$argon2id$v=19$m=64,t=1,p=256$" + salt + "$" + key,
		"NegativeTime":   "$argon2id$v=19$m=64,t=-1,p=1$" + salt + "$" + key,
		"ParamsReorder":  "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key,
		"PaddedSalt":     "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key,
		"URLSafeKey":     "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + strings.ReplaceAll(key, "+", "-") + "_",
		"ShortKey":       "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + short,
		"ExtraField":     "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$x",
		"MissingKey":     "$argon2id$v=19$m=64,t=1,p=1$" + salt,
	} {
		if p, _, _, err := decodePHC(s); err == nil {
			t.Errorf("%s: %q decoded as %+v", name, s, p)
		}
	}
}

// TestVerifyPHC: the verifier's answers for a stored hash — match, rehash when the
// configured parameters changed, never a match for a missing or unreadable hash, and the
// password compared after NFC (composed and decomposed é are one password).
func TestVerifyPHC(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newTestHasher(t, cheapParams)
	enc, err := h.Hash(ctx, "caf\u00e9 au lait")
	if err != nil {
		t.Fatal(err)
	}
	stronger := newTestHasher(t, HashParams{MemoryKiB: 128, Time: 1, Threads: 1})
	cases := []struct {
		name       string
		h          *hasher
		stored, pw string
		ok, rehash bool
	}{
		{"Match", h, enc, "caf\u00e9 au lait", true, false},
		{"MatchDecomposed", h, enc, "cafe\u0301 au lait", true, false},
		{"Wrong", h, enc, "cafe au lait", false, false},
		{"Empty", h, enc, "", false, false},
		{"NewParamsAskRehash", stronger, enc, "caf\u00e9 au lait", true, true},
		{"WrongNoRehash", stronger, enc, "nope", false, false},
		{"NoStoredHash", h, "", "", false, false},
		{"Unreadable", h, "$argon2id$garbage", "caf\u00e9 au lait", false, false},
		{"DummyNeverMatches", h, h.dummy[:len(h.dummy)-1] + "A", "", false, false},
	}
	for _, c := range cases {
		ok, rehash, err := c.h.Verify(ctx, c.stored, c.pw)
		if err != nil || ok != c.ok || rehash != c.rehash {
			t.Errorf("%s: Verify = %v, %v, %v; want %v, %v, nil", c.name, ok, rehash, err, c.ok, c.rehash)
		}
	}
}
