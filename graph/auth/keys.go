package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"authbff/ent"
)

// Signing algorithms (AUTH_JWT_ALG). Tokens are verified with the configured one only.
const (
	AlgHS256 = "HS256"
	AlgEdDSA = "EdDSA"
)

// settingKeyRing holds the signing keys as JSON, shared by every replica.
const settingKeyRing = "jwt_keys"

// signingKey is one key of the ring. The newest signs; the others verify the tokens
// they signed until those expire, then they are dropped at the next rotation.
type signingKey struct {
	kid     string
	alg     string
	secret  []byte             // HS256
	private ed25519.PrivateKey // EdDSA
	public  ed25519.PublicKey  // EdDSA
	created time.Time
	retired *time.Time
}

// storedKey is a key as kept in the settings table.
type storedKey struct {
	KID     string     `json:"kid"`
	Alg     string     `json:"alg"`
	Secret  string     `json:"secret"` // hex: the HS256 secret or the Ed25519 seed
	Created time.Time  `json:"created"`
	Retired *time.Time `json:"retired,omitempty"`
}

func (k storedKey) load() (signingKey, error) {
	raw, err := hex.DecodeString(k.Secret)
	if err != nil {
		return signingKey{}, err
	}
	sk := signingKey{kid: k.KID, alg: k.Alg, created: k.Created, retired: k.Retired}
	switch k.Alg {
	case AlgHS256:
		if len(raw) < MinSecretLen {
			return signingKey{}, errors.New("short secret")
		}
		sk.secret = raw
	case AlgEdDSA:
		if len(raw) != ed25519.SeedSize {
			return signingKey{}, errors.New("bad Ed25519 seed")
		}
		sk.private = ed25519.NewKeyFromSeed(raw)
		sk.public = sk.private.Public().(ed25519.PublicKey)
	default:
		return signingKey{}, fmt.Errorf("unknown algorithm %q", k.Alg)
	}
	return sk, nil
}

func newStoredKey(alg string, r io.Reader, now time.Time) (storedKey, error) {
	raw := make([]byte, 32) // HS256 secret or Ed25519 seed: both 32 bytes
	if _, err := io.ReadFull(r, raw); err != nil {
		return storedKey{}, err
	}
	sum := sha256.Sum256(append([]byte(alg+":"), raw...))
	return storedKey{KID: hex.EncodeToString(sum[:8]), Alg: alg, Secret: hex.EncodeToString(raw), Created: now}, nil
}

// envKey is the HS256 key of AUTH_JWT_SECRET (its kid is derived from it, so every
// replica agrees).
func envKey(secret []byte) signingKey {
	sum := sha256.Sum256(append([]byte("authbff-kid:"), secret...))
	return signingKey{kid: hex.EncodeToString(sum[:8]), alg: AlgHS256, secret: secret}
}

// keyRing caches the ring; it reloads it every keyReload, and at most every
// keyMissReload when a token names a kid it does not know (another replica rotated).
type keyRing struct {
	mu       sync.RWMutex
	keys     []signingKey // newest first
	loadedAt time.Time
	missAt   time.Time
	fixed    bool // AUTH_JWT_SECRET: one key, never reloaded
}

const (
	keyReload     = time.Minute
	keyMissReload = 5 * time.Second
)

func (r *keyRing) signer() signingKey {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.keys[0]
}

func (r *keyRing) find(kid string) (signingKey, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, k := range r.keys {
		if k.kid == kid {
			return k, true
		}
	}
	return signingKey{}, false
}

// initKeys sets up the ring: AUTH_JWT_SECRET when set, else the stored ring, created on
// first start with one key of the configured algorithm.
func (s *Service) initKeys(ctx context.Context) error {
	if len(s.cfg.JWTSecret) > 0 {
		if s.cfg.JWTAlg != AlgHS256 {
			return errors.New("AUTH_JWT_SECRET is an HS256 secret: it cannot be used with AUTH_JWT_ALG=" + s.cfg.JWTAlg)
		}
		s.ring.keys, s.ring.fixed = []signingKey{envKey(s.cfg.JWTSecret)}, true
		return nil
	}
	stored, err := s.readRing(ctx, s.db)
	if err != nil {
		return err
	}
	if len(stored) == 0 || stored[0].Alg != s.cfg.JWTAlg {
		// First start, or the algorithm changed: a new key of the configured algorithm
		// signs from now on (tokens of the other algorithm are refused from now on).
		if _, err := s.RotateKeys(ctx); err != nil {
			return err
		}
	}
	return s.reloadKeys(ctx)
}

func (s *Service) readRing(ctx context.Context, db *ent.Client) ([]storedKey, error) {
	row, err := db.Setting.Get(ctx, settingKeyRing)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	plain, _, err := s.seal.open(row.Value, settingAD(settingKeyRing))
	if err != nil {
		return nil, err
	}
	var keys []storedKey
	if err := json.Unmarshal([]byte(plain), &keys); err != nil {
		return nil, fmt.Errorf("setting %s is corrupt: %w", settingKeyRing, err)
	}
	return keys, nil
}

// reloadKeys reads the ring from the database into the cache.
func (s *Service) reloadKeys(ctx context.Context) error {
	stored, err := s.readRing(ctx, s.db)
	if err != nil {
		return err
	}
	var keys []signingKey
	for _, k := range stored {
		if k.Alg != s.cfg.JWTAlg {
			continue
		}
		sk, err := k.load()
		if err != nil {
			return fmt.Errorf("signing key %s: %w", k.KID, err)
		}
		keys = append(keys, sk)
	}
	if len(keys) == 0 {
		return errors.New("no signing key of algorithm " + s.cfg.JWTAlg + ": run `authbff keys rotate`")
	}
	s.ring.mu.Lock()
	s.ring.keys, s.ring.loadedAt = keys, s.cfg.Now()
	s.ring.mu.Unlock()
	return nil
}

// maybeReload refreshes the cached ring when it is stale, or when a token names an
// unknown kid (rate-limited, so forged kids cannot hammer the database).
func (s *Service) maybeReload(ctx context.Context, miss bool) {
	if s.ring.fixed {
		return
	}
	now := s.cfg.Now()
	s.ring.mu.Lock()
	due := now.Sub(s.ring.loadedAt) > keyReload
	if miss && now.Sub(s.ring.missAt) > keyMissReload {
		s.ring.missAt, due = now, true
	}
	s.ring.mu.Unlock()
	if due {
		if err := s.reloadKeys(ctx); err != nil {
			s.cfg.Log.Error("reloading signing keys", "err", err)
		}
	}
}

// KeyInfo describes a signing key, never its secret.
type KeyInfo struct {
	KID     string
	Alg     string
	Created time.Time
	Retired *time.Time
}

// RotateKeys makes a new key of the configured algorithm the signing key. The previous
// keys keep verifying until the tokens they signed expire (AccessTTL after they were
// retired); older ones are dropped. Replicas pick the new key up within a minute, or at
// once when they meet a token it signed. It returns the new key.
func (s *Service) RotateKeys(ctx context.Context) (*KeyInfo, error) {
	if len(s.cfg.JWTSecret) > 0 {
		return nil, errors.New("AUTH_JWT_SECRET is set: rotate by changing it (keys in the database are not used)")
	}
	now := s.now()
	fresh, err := newStoredKey(s.cfg.JWTAlg, s.cfg.Rand, now)
	if err != nil {
		return nil, err
	}
	err = s.inTx(ctx, func(tx *ent.Tx) error {
		old, err := s.readRing(ctx, tx.Client())
		if err != nil {
			return err
		}
		keys := []storedKey{fresh}
		for _, k := range old {
			if k.Retired == nil {
				k.Retired = &now
			}
			if now.Sub(*k.Retired) <= s.cfg.AccessTTL+time.Minute {
				keys = append(keys, k)
			}
		}
		b, err := json.Marshal(keys)
		if err != nil {
			return err
		}
		val, err := s.seal.seal(string(b), settingAD(settingKeyRing))
		if err != nil {
			return err
		}
		return s.putSetting(ctx, tx, settingKeyRing, val)
	})
	if err != nil {
		return nil, err
	}
	if err := s.reloadKeys(ctx); err != nil {
		return nil, err
	}
	return &KeyInfo{KID: fresh.KID, Alg: fresh.Alg, Created: fresh.Created}, nil
}

// StoredKeys lists the keys kept in the database, newest (the signer) first, without
// creating, rotating or loading any: what `authbff keys list` shows.
func (s *Service) StoredKeys(ctx context.Context) ([]KeyInfo, error) {
	stored, err := s.readRing(ctx, s.db)
	if err != nil {
		return nil, err
	}
	out := make([]KeyInfo, len(stored))
	for i, k := range stored {
		out[i] = KeyInfo{KID: k.KID, Alg: k.Alg, Created: k.Created, Retired: k.Retired}
	}
	return out, nil
}

// Keys lists the signing keys, newest (the signer) first.
func (s *Service) Keys() []KeyInfo {
	s.ring.mu.RLock()
	defer s.ring.mu.RUnlock()
	out := make([]KeyInfo, len(s.ring.keys))
	for i, k := range s.ring.keys {
		out[i] = KeyInfo{KID: k.kid, Alg: k.alg, Created: k.created, Retired: k.retired}
	}
	return out
}

// JWKS returns the JSON Web Key Set of the public keys (RFC 7517), so that other services
// can verify access tokens offline. With HS256 the set is empty: secrets are never published.
// A stale ring is reloaded first, so that a replica that only serves this document still
// publishes a key another replica rotated in.
func (s *Service) JWKS() []byte {
	s.maybeReload(context.Background(), false)
	type jwk struct {
		Kty string `json:"kty"`
		Crv string `json:"crv"`
		X   string `json:"x"`
		Kid string `json:"kid"`
		Alg string `json:"alg"`
		Use string `json:"use"`
	}
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: []jwk{}}
	s.ring.mu.RLock()
	for _, k := range s.ring.keys {
		if k.alg == AlgEdDSA {
			set.Keys = append(set.Keys, jwk{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(k.public),
				Kid: k.kid, Alg: AlgEdDSA, Use: "sig"})
		}
	}
	s.ring.mu.RUnlock()
	b, _ := json.Marshal(set)
	return b
}

func (k signingKey) method() jwt.SigningMethod {
	if k.alg == AlgEdDSA {
		return jwt.SigningMethodEdDSA
	}
	return jwt.SigningMethodHS256
}

func (k signingKey) signKey() any {
	if k.alg == AlgEdDSA {
		return k.private
	}
	return k.secret
}

func (k signingKey) verifyKey() any {
	if k.alg == AlgEdDSA {
		return k.public
	}
	return k.secret
}
