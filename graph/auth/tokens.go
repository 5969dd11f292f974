package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// TokenType is the token_type of every token answer.
const TokenType = "bearer"

// accessTokenType is the JWT header typ of access tokens (RFC 9068); others are refused.
const accessTokenType = "at+jwt"

// accessClaims are the claims of an access token.
type accessClaims struct {
	jwt.RegisteredClaims
	SID   string   `json:"sid"`
	Org   string   `json:"org,omitempty"`
	Roles []string `json:"roles"`
	kid   string   // the header's key id, once verified (not a claim)
}

// UnmarshalJSON decodes the claims as golang-jwt does, but refuses an exp, iat or nbf
// that is not a JSON number: golang-jwt's NumericDate also takes a numeric string
// ("exp": "9999999999"), which RFC 7519 §2 does not allow and no token of ours has.
func (c *accessClaims) UnmarshalJSON(b []byte) error {
	type plain accessClaims
	if err := json.Unmarshal(b, (*plain)(c)); err != nil {
		return err
	}
	var dates struct {
		Exp, Iat, Nbf json.RawMessage
	}
	if err := json.Unmarshal(b, &dates); err != nil {
		return err
	}
	for _, raw := range []json.RawMessage{dates.Exp, dates.Iat, dates.Nbf} {
		if len(raw) > 0 && raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') && string(raw) != "null" {
			return errBadToken
		}
	}
	return nil
}

// issueAccess signs an access token for a session.
func (s *Service) issueAccess(userID, sessionID uuid.UUID, org *uuid.UUID, roles []string, now time.Time) (string, error) {
	key := s.ring.signer()
	c := accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    s.cfg.Issuer,
			Subject:   userID.String(),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(s.cfg.AccessTTL)),
			ID:        uuid.New().String(),
		},
		SID:   sessionID.String(),
		Roles: roles,
	}
	if s.cfg.Audience != "" {
		c.Audience = jwt.ClaimStrings{s.cfg.Audience}
	}
	if org != nil {
		c.Org = org.String()
	}
	t := jwt.NewWithClaims(key.method(), c)
	t.Header["typ"] = accessTokenType
	t.Header["kid"] = key.kid
	return t.SignedString(key.signKey())
}

var errBadToken = errors.New("auth: bad access token")

// parseAccess verifies an access token's signature and claims (not the session).
func (s *Service) parseAccess(ctx context.Context, raw string, now time.Time) (*accessClaims, error) {
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{s.cfg.JWTAlg}),
		jwt.WithIssuer(s.cfg.Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return now }),
	}
	if s.cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(s.cfg.Audience))
	}
	var c accessClaims
	var kid string
	_, err := jwt.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		if typ, _ := t.Header["typ"].(string); typ != accessTokenType {
			return nil, errBadToken
		}
		// RFC 7515 §4.1.11: a recipient must refuse a "crit" header naming extensions it
		// does not understand; we understand none (and "crit": [] is invalid).
		if _, ok := t.Header["crit"]; ok {
			return nil, errBadToken
		}
		kid, _ = t.Header["kid"].(string)
		k, ok := s.ring.find(kid)
		if !ok {
			s.maybeReload(ctx, true)
			if k, ok = s.ring.find(kid); !ok {
				return nil, errBadToken
			}
		}
		return k.verifyKey(), nil
	}, opts...)
	if err != nil || c.IssuedAt == nil || c.Subject == "" || c.SID == "" {
		return nil, errBadToken
	}
	c.kid = kid
	return &c, nil
}

// newOpaqueToken returns 256 random bits, base64url without padding.
func newOpaqueToken(r io.Reader) (string, error) {
	var b [32]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// hashToken is how refresh, verification, reset and invite tokens are stored.
func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// Refresh tokens name their row (issue 12). A refresh token is base64url without
// padding of 48 bytes: the id of its refresh_tokens row (16 bytes, a time-ordered UUIDv7)
// followed by a 32-byte secret (256 random bits at login; for a rotation's child, an HMAC
// of its parent, childRefresh), 64 characters in all. The row holds secret_hash, the
// SHA-256 of the whole token, and is found by its primary key: `WHERE id = ? AND
// secret_hash = ?`. A token that was only a random string had to be found through a
// unique index on its hash, a random key: every rotation looked up, inserted and pruned
// entries at random places of an index far larger than the page cache at scale, and each
// group-commit batch wrote several pages per rotation to the WAL (refresh lost 19% of
// its throughput between 1,000 and 1,000,000 accounts, BENCHMARKS.md § Scale run). By
// id, a rotation touches the end of the primary key (its child) and pages already hot.
//
// The id is not secret (it is the lookup key, and tells when the token was issued, as
// the access token's iat does); the secret is: an id with a wrong secret matches no row
// and is an unknown token (401), which revokes nothing, so learning a token's id does
// not let anyone end its session. The hash is compared by the database: a timing
// difference there tells something about a SHA-256 of the attacker's own input, nothing
// about the secret.
//
// Tokens issued before this format (43 characters: 32 random bytes) are legacy tokens:
// their rows hold token_hash (secret_hash NULL) and are found through the partial unique
// index on it, until they rotate (their children are of the new format) or expire.
const (
	refreshIDLen        = 16
	refreshSecretLen    = 32
	refreshTokenLen     = 64 // base64url of refreshIDLen + refreshSecretLen bytes
	legacyRefreshLength = 43 // base64url of 32 bytes
)

// refreshRef is what a presented refresh token names: the row id and the hash to verify
// (new format), or the hash to look up (legacy).
type refreshRef struct {
	id     uuid.UUID
	hash   []byte // SHA-256 of the token as presented
	legacy bool
}

// parseRefresh reads a presented refresh token. A token of neither shape (length, or
// not base64url) is refused here, without a query.
func parseRefresh(token string) (refreshRef, bool) {
	switch len(token) {
	case refreshTokenLen:
		var b [refreshIDLen + refreshSecretLen]byte
		if n, err := base64.RawURLEncoding.Strict().Decode(b[:], []byte(token)); err != nil || n != len(b) {
			return refreshRef{}, false
		}
		return refreshRef{id: uuid.UUID(b[:refreshIDLen]), hash: hashToken(token)}, true
	case legacyRefreshLength:
		var b [32]byte
		if n, err := base64.RawURLEncoding.Strict().Decode(b[:], []byte(token)); err != nil || n != len(b) {
			return refreshRef{}, false
		}
		return refreshRef{hash: hashToken(token), legacy: true}, true
	}
	return refreshRef{}, false
}

// encodeRefresh is the refresh token of row id with secret.
func encodeRefresh(id uuid.UUID, secret []byte) string {
	b := make([]byte, 0, refreshIDLen+refreshSecretLen)
	b = append(append(b, id[:]...), secret...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// newRefreshToken returns a new token for row id: the id and 256 random bits.
func newRefreshToken(r io.Reader, id uuid.UUID) (string, error) {
	var secret [refreshSecretLen]byte
	if _, err := io.ReadFull(r, secret[:]); err != nil {
		return "", err
	}
	return encodeRefresh(id, secret[:]), nil
}

// childRefresh derives the secret of the refresh token that replaces parent (the child
// token is its row's id and this secret). Deriving it (instead of drawing it at random)
// lets a reuse inside the grace get the same child again without the child ever being
// stored in clear: the grace finds the child's row by parent_id and rebuilds the token
// from its id and this secret. A legacy child (rotated before the format changed) was
// this secret alone, base64url: legacyChild.
func (s *Service) childRefresh(parent string) []byte {
	m := hmac.New(sha256.New, s.refreshKey)
	m.Write([]byte("refresh-child:"))
	m.Write([]byte(parent))
	return m.Sum(nil)
}

// legacyChild is the child token that releases before the format change derived from
// the same secret.
func legacyChild(secret []byte) string { return base64.RawURLEncoding.EncodeToString(secret) }

// newOrderedID is a time-ordered UUID (version 7) for the rows written on the hot paths:
// refresh tokens and sessions. Rows created at about the same time get neighbouring ids,
// so inserts append at the end of the primary key and of the indexes on these ids
// (refresh_tokens.parent_id, refresh_tokens.session_id), and the rows of the sessions in
// use sit together, instead of each insert dirtying a leaf page at a random place of
// indexes far larger than the page cache at 100,000 sessions (with random ids refresh
// lost ~46% of its throughput between 1,000 and 1,000,000 accounts, BENCHMARKS.md
// § Scale run). The time it carries is no secret: a session id is in the access token
// with its iat, and a refresh token's id tells its holder when it was issued.
func newOrderedID() uuid.UUID { return uuid.Must(uuid.NewV7()) }
