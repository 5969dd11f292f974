package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// parseRefresh decides, before any query, whether a presented refresh token is of the
// new format (its row's id and a secret), a legacy one (found by hash), or neither
// (refused without a query; TestRefreshMalformedTokens checks the answers).
func TestParseRefresh(t *testing.T) {
	t.Parallel()
	id := newOrderedID()
	secret := bytes.Repeat([]byte{0xfe}, refreshSecretLen)
	tok := encodeRefresh(id, secret)
	if len(tok) != refreshTokenLen {
		t.Fatalf("token of %d characters, want %d", len(tok), refreshTokenLen)
	}
	ref, ok := parseRefresh(tok)
	sum := sha256.Sum256([]byte(tok))
	if !ok || ref.legacy || ref.id != id || !bytes.Equal(ref.hash, sum[:]) {
		t.Errorf("new-format token parsed as %+v %v", ref, ok)
	}
	legacy := base64.RawURLEncoding.EncodeToString(secret)
	ref, ok = parseRefresh(legacy)
	sum = sha256.Sum256([]byte(legacy))
	if !ok || !ref.legacy || ref.id != uuid.Nil || !bytes.Equal(ref.hash, sum[:]) {
		t.Errorf("legacy token parsed as %+v %v", ref, ok)
	}
	for name, bad := range map[string]string{
		"Empty":          "",
		"Short":          tok[:63],
		"Long":           tok + "A",
		"Legacy42":       legacy[:42],
		"StdAlphabet":    strings.Repeat("+", 64),
		"Padding":        tok[:62] + "==",
		"Newline":        tok[:10] + "\n" + tok[11:],
		"LegacyNonCanon": strings.Repeat("A", 42) + "B",
		"LegacyStd":      strings.Repeat("/", 43),
	} {
		if ref, ok := parseRefresh(bad); ok {
			t.Errorf("%s: %q parsed as %+v", name, bad, ref)
		}
	}
}
