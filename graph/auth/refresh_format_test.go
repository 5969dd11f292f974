package auth_test

// Issue 12: a refresh token names its row. It is base64url of the row's id (a UUIDv7)
// and a 256-bit secret; the row is found by id and verified by secret_hash. What that
// must not change, and what it must not let an attacker do, on SQLite and PostgreSQL:
// rotation, grace, reuse and pruning as before; an id with a wrong secret is an unknown
// token that revokes nothing; a token of neither shape is a 401, never a 500; tokens
// issued before the format (43 characters, found by token_hash) keep working.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"authbff/ent/auditevent"
	"authbff/ent/refreshtoken"
	"authbff/graph/auth"
	"authbff/rest/apitest"
)

// databases runs f on a SQLite file and on PostgreSQL (skipped, saying so, without
// AUTH_TEST_POSTGRES_URL).
func databases(t *testing.T, f func(t *testing.T, e *apitest.Env)) {
	t.Helper()
	t.Run("SQLite", func(t *testing.T) {
		t.Parallel()
		f(t, apitest.New(t))
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		t.Parallel()
		f(t, apitest.New(t, apitest.WithDatabase(apitest.Postgres(t))))
	})
}

// tokenRow decodes a new-format refresh token: the id of its row and its secret.
func tokenRow(t testing.TB, token string) (uuid.UUID, []byte) {
	t.Helper()
	if len(token) != 64 {
		t.Fatalf("refresh token %q has %d characters, want 64", token, len(token))
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(b) != 48 {
		t.Fatalf("refresh token %q is not base64url of 48 bytes: %v", token, err)
	}
	return uuid.UUID(b[:16]), b[16:]
}

// wantNewFormat checks that token is stored as a new-format row of session sid: id
// (UUIDv7) and secret_hash, token_hash NULL; it returns the row id.
func wantNewFormat(t testing.TB, e *apitest.Env, token string, sid uuid.UUID) uuid.UUID {
	t.Helper()
	id, secret := tokenRow(t, token)
	if id.Version() != 7 {
		t.Errorf("refresh token row id %s is version %d, want 7", id, id.Version())
	}
	if bytes.Equal(secret, make([]byte, 32)) {
		t.Errorf("refresh token secret is all zeros")
	}
	r, err := e.DB.RefreshToken.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("the row the token names: %v", err)
	}
	sum := sha256.Sum256([]byte(token))
	if r.SecretHash == nil || !bytes.Equal(*r.SecretHash, sum[:]) {
		t.Errorf("secret_hash is not the SHA-256 of the token")
	}
	if r.TokenHash != nil && *r.TokenHash != nil {
		t.Errorf("a new-format row has a token_hash")
	}
	if r.SessionID != sid {
		t.Errorf("the row belongs to session %s, want %s", r.SessionID, sid)
	}
	return id
}

func TestRefreshTokenNamesItsRow(t *testing.T) {
	t.Parallel()
	databases(t, func(t *testing.T, e *apitest.Env) {
		a := e.Register("format")
		sid := sessionID(t, a.Access)
		if sid.Version() != 7 {
			t.Errorf("session id %s is version %d, want 7 (time-ordered)", sid, sid.Version())
		}
		first := wantNewFormat(t, e, a.Refresh, sid)
		access, rt := e.Login(a.Username, a.Password)
		wantNewFormat(t, e, rt, sessionID(t, access))

		// Rotation: the child is new-format, names a row whose parent is the first.
		child := mustRefresh(t, e, a.Refresh)
		cid := wantNewFormat(t, e, child.Refresh, sid)
		r, err := e.DB.RefreshToken.Get(context.Background(), cid)
		if err != nil || r.ParentID == nil || *r.ParentID != first {
			t.Fatalf("child row's parent: %v %v, want %s", r, err, first)
		}
		// Grace: the parent again answers the same child, twice.
		e.Clock.Advance(3 * time.Second)
		for range 2 {
			if again := mustRefresh(t, e, a.Refresh); again.Refresh != child.Refresh {
				t.Errorf("inside the grace the parent answered another child")
			}
		}
		next := mustRefresh(t, e, child.Refresh)
		wantMe(t, e, next.Access, true)
		// Reuse after the grace: the session ends, every token of it is refused.
		e.Clock.Advance(time.Minute)
		wantRefreshRefused(t, e, child.Refresh)
		wantMe(t, e, next.Access, false)
		for _, tok := range []string{a.Refresh, child.Refresh, next.Refresh} {
			wantRefreshRefused(t, e, tok)
		}
		assertRevoked(t, e, sid)
	})
}

// An attacker who learns a token's id (logs of a proxy, a partial leak) must not be able
// to use or end its session: the id with any other secret is an unknown token, whether
// the row is current or rotated, inside or after the grace.
func TestRefreshWrongSecretRevokesNothing(t *testing.T) {
	t.Parallel()
	databases(t, func(t *testing.T, e *apitest.Env) {
		a := e.Register("forger")
		sid := sessionID(t, a.Access)
		forge := func(token string, secret []byte) string {
			id, _ := tokenRow(t, token)
			return base64.RawURLEncoding.EncodeToString(append(id[:], secret...))
		}
		random := func() []byte {
			b := make([]byte, 32)
			if _, err := rand.Read(b); err != nil {
				t.Fatal(err)
			}
			return b
		}
		_, realSecret := tokenRow(t, a.Refresh)
		flipped := bytes.Clone(realSecret)
		flipped[31] ^= 1
		for _, bad := range []string{forge(a.Refresh, random()), forge(a.Refresh, make([]byte, 32)), forge(a.Refresh, flipped)} {
			wantRefreshRefused(t, e, bad)
		}
		wantMe(t, e, a.Access, true)
		// The real token still rotates; then the rotated row's id with a wrong secret,
		// inside the grace and after it, is still only unknown.
		child := mustRefresh(t, e, a.Refresh)
		wantRefreshRefused(t, e, forge(a.Refresh, random()))
		e.Clock.Advance(time.Minute)
		wantRefreshRefused(t, e, forge(a.Refresh, random()))
		wantRefreshRefused(t, e, forge(child.Refresh, random()))
		wantMe(t, e, child.Access, true)
		s, err := e.DB.Session.Get(context.Background(), sid)
		if err != nil || s.RevokedAt != nil {
			t.Fatalf("session after forged tokens: revoked %v (%v)", s.RevokedAt, err)
		}
		n, err := e.DB.AuditEvent.Query().Where(auditevent.TypeEQ(auth.EventRefreshReuse)).Count(context.Background())
		if err != nil || n != 0 {
			t.Errorf("%d reuse events after forged tokens (%v), want 0", n, err)
		}
		next := mustRefresh(t, e, child.Refresh)
		wantMe(t, e, next.Access, true)
	})
}

// Tokens of neither shape are refused before any query: 401, never a 500.
func TestRefreshMalformedTokens(t *testing.T) {
	t.Parallel()
	zeros := base64.RawURLEncoding.EncodeToString(make([]byte, 48))
	databases(t, func(t *testing.T, e *apitest.Env) {
		a := e.Register("garbage")
		for name, tok := range map[string]string{
			"ShortByOne":        a.Refresh[:63],
			"LongByOne":         a.Refresh + "A",
			"Legacy42":          strings.Repeat("A", 42),
			"Legacy44":          strings.Repeat("A", 44),
			"StdAlphabet":       strings.Repeat("+/", 32),
			"Padded":            a.Refresh[:60] + "====",
			"Newline":           a.Refresh[:32] + "\n" + a.Refresh[33:],
			"NonASCII":          strings.Repeat("é", 32),
			"LegacyBadChars":    strings.Repeat("*", 43),
			"LegacyNonCanon":    strings.Repeat("A", 42) + "B", // trailing bits set: not canonical base64url
			"AllZeros":          zeros,
			"ZeroIDRealSecret":  base64.RawURLEncoding.EncodeToString(append(make([]byte, 16), mustDecode(t, a.Refresh)[16:]...)),
			"LegacyUnknown":     base64.RawURLEncoding.EncodeToString(make([]byte, 32)),
			"SQL":               "' OR 1=1 --" + strings.Repeat("A", 53),
			"VeryLong":          strings.Repeat("A", 4096),
			"SpacesAroundValid": " " + a.Refresh[1:63] + " ",
		} {
			r := refresh(t, e, tok)
			if r.Status != http.StatusUnauthorized {
				t.Errorf("%s: %d %s, want 401", name, r.Status, r.Body)
				continue
			}
			checkEnvelope(t, r, http.StatusUnauthorized, "AUTHENTICATION_FAILED")
		}
		// GraphQL answers the same.
		g := e.GraphQL(`mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }`, map[string]any{"t": zeros}, "")
		if len(g.Errors) != 1 || g.Errors[0].Code() != "AUTHENTICATION_FAILED" {
			t.Errorf("GraphQL refresh with zeros: %s", g.Raw)
		}
		// None of it touched the session.
		mustRefresh(t, e, a.Refresh)
	})
}

func mustDecode(t testing.TB, token string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// legacyToken stores a refresh token the way releases before the format change did (43
// characters, 256 random bits, found by token_hash, secret_hash NULL) as the current
// token of session sid, and returns it with its row id.
func legacyToken(t testing.TB, e *apitest.Env, sid uuid.UUID, parent *uuid.UUID, token string, rotated bool) uuid.UUID {
	t.Helper()
	if token == "" {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		token = base64.RawURLEncoding.EncodeToString(b)
	}
	if len(token) != 43 {
		t.Fatalf("legacy token of %d characters", len(token))
	}
	now := e.Clock.Now()
	sum := sha256.Sum256([]byte(token))
	id := uuid.New() // the old release's ids were random
	c := e.DB.RefreshToken.Create().SetID(id).SetSessionID(sid).SetTokenHash(sum[:]).SetNillableParentID(parent).
		SetCreatedAt(now).SetExpiresAt(now.Add(time.Hour))
	if rotated {
		c.SetRotatedAt(now)
	}
	if err := c.Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	return id
}

// legacyOnly leaves session sid with no token but the ones inserted the old way.
func legacyOnly(t testing.TB, e *apitest.Env, sid uuid.UUID) {
	t.Helper()
	if _, err := e.DB.RefreshToken.Delete().Where(refreshtoken.SessionID(sid)).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestRefreshLegacyToken(t *testing.T) {
	t.Parallel()
	databases(t, func(t *testing.T, e *apitest.Env) {
		a := e.Register("legacy")
		sid := sessionID(t, a.Access)
		legacyOnly(t, e, sid)
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		old := base64.RawURLEncoding.EncodeToString(b)
		oldID := legacyToken(t, e, sid, nil, old, false)
		e.Clock.Advance(time.Second)

		// It refreshes; its child is of the new format, a child of its row.
		child := mustRefresh(t, e, old)
		cid := wantNewFormat(t, e, child.Refresh, sid)
		if r, err := e.DB.RefreshToken.Get(context.Background(), cid); err != nil || r.ParentID == nil || *r.ParentID != oldID {
			t.Fatalf("the child's parent is not the legacy row: %v", err)
		}
		wantMe(t, e, child.Access, true)
		// Inside the grace: the same child again.
		if again := mustRefresh(t, e, old); again.Refresh != child.Refresh {
			t.Errorf("inside the grace the legacy parent answered another child")
		}
		next := mustRefresh(t, e, child.Refresh)
		// After the grace, the legacy token presented again is reuse: the session ends.
		e.Clock.Advance(time.Minute)
		wantRefreshRefused(t, e, old)
		wantMe(t, e, next.Access, false)
		wantRefreshRefused(t, e, next.Refresh)
		assertRevoked(t, e, sid)
	})
}

// A legacy parent rotated by a release before the format change has a legacy child
// (the derived secret alone, base64url). Presented again inside the grace, it answers
// that child in its own encoding, which then rotates to a new-format token.
func TestRefreshLegacyChildInsideGrace(t *testing.T) {
	t.Parallel()
	databases(t, func(t *testing.T, e *apitest.Env) {
		a := e.Register("legacychild")
		sid := sessionID(t, a.Access)
		legacyOnly(t, e, sid)
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		parent := base64.RawURLEncoding.EncodeToString(b)
		pid := legacyToken(t, e, sid, nil, parent, true)
		// The old release's child: HMAC(refresh key, "refresh-child:" + parent).
		m := hmac.New(sha256.New, e.Svc.SecretsForTest()[0])
		m.Write([]byte("refresh-child:" + parent))
		oldChild := base64.RawURLEncoding.EncodeToString(m.Sum(nil))
		legacyToken(t, e, sid, &pid, oldChild, false)
		e.Clock.Advance(2 * time.Second)

		got := mustRefresh(t, e, parent)
		if got.Refresh != oldChild {
			t.Fatalf("inside the grace the legacy parent answered %q, want its legacy child", got.Refresh)
		}
		wantMe(t, e, got.Access, true)
		next := mustRefresh(t, e, oldChild)
		wantNewFormat(t, e, next.Refresh, sid)
		wantMe(t, e, next.Access, true)
		// The legacy parent after its child rotated is reuse.
		wantRefreshRefused(t, e, parent)
		wantMe(t, e, next.Access, false)
	})
}

// The pruning of issue 12 is unchanged by the format: refreshKeep rows per session,
// whatever mix of legacy and new rows it started with.
func TestRefreshPrunedFromLegacy(t *testing.T) {
	t.Parallel()
	databases(t, func(t *testing.T, e *apitest.Env) {
		a := e.Register("prunelegacy")
		sid := sessionID(t, a.Access)
		legacyOnly(t, e, sid)
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		cur := base64.RawURLEncoding.EncodeToString(b)
		legacyToken(t, e, sid, nil, cur, false)
		for range 15 {
			e.Clock.Advance(time.Second)
			cur = mustRefresh(t, e, cur).Refresh
		}
		if n := tokensOfSession(t, e, a.Access); n != 10 {
			t.Errorf("%d refresh tokens kept after 15 rotations, want 10", n)
		}
		n, err := e.DB.RefreshToken.Query().Where(refreshtoken.SessionID(sid), refreshtoken.TokenHashNotNil()).Count(context.Background())
		if err != nil || n != 0 {
			t.Errorf("%d legacy rows left after 15 rotations (%v), want 0", n, err)
		}
	})
}
