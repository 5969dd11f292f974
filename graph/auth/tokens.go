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

// childRefresh derives the refresh token that replaces parent. Deriving it (instead of
// drawing it at random) lets a reuse inside the grace get the same child again without
// the child ever being stored in clear.
func (s *Service) childRefresh(parent string) string {
	m := hmac.New(sha256.New, s.refreshKey)
	m.Write([]byte("refresh-child:"))
	m.Write([]byte(parent))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
