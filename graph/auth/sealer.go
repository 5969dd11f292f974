package auth

import (
	"context"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"

	"authbff/ent"
	"authbff/ent/mail"
	"authbff/ent/setting"
)

// Secrets at rest (AUTH_SECRET_KEY). With a key kept outside the database, nothing in
// the database files lets anyone sign a token, derive a refresh token, or use a link
// waiting in the outbox: the settings table (signing keys, the refresh HMAC key) and
// the bodies of unsent mail are sealed with XChaCha20-Poly1305 (golang.org/x/crypto),
// each bound to its row by the associated data, so a sealed value cannot be moved to
// another row. A sealed value reads
//
//	enc:v1:<key id>:<base64url(nonce ‖ ciphertext)>
//
// where the key id is the first 4 bytes of SHA-256("authbff-secret-key:" ‖ key) in
// hex: it names the key without revealing it, so a wrong key is told apart from a
// corrupt value at start.
//
// Without a key values are stored as before (in clear; cmd/authbff warns at start).
// When a key is first set, or a new one replaces the old (AUTH_SECRET_KEY_OLD holds the
// previous keys, for reading only), New re-seals every value under the current key and
// scrubs SQLite's free pages and WAL (VACUUM, then a TRUNCATE checkpoint), so that no
// clear or old-key copy survives in the files.

// SecretKeyLen is the length of AUTH_SECRET_KEY in bytes (64 hex characters).
const SecretKeyLen = 32

const sealPrefix = "enc:v1:"

type sealKey struct {
	id   string
	aead cipher.AEAD
}

func newSealKey(key []byte) (*sealKey, error) {
	if len(key) != SecretKeyLen {
		return nil, fmt.Errorf("AUTH_SECRET_KEY must be %d bytes (%d hex characters)", SecretKeyLen, 2*SecretKeyLen)
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(append([]byte("authbff-secret-key:"), key...))
	return &sealKey{id: hex.EncodeToString(sum[:4]), aead: aead}, nil
}

// sealer seals with the current key and opens with it or any previous one.
type sealer struct {
	current *sealKey // nil: no key, values stay in clear
	old     []*sealKey
	rand    io.Reader
}

func newSealer(current []byte, old [][]byte, r io.Reader) (*sealer, error) {
	z := &sealer{rand: r}
	if len(current) > 0 {
		k, err := newSealKey(current)
		if err != nil {
			return nil, err
		}
		z.current = k
	} else if len(old) > 0 {
		return nil, errors.New("AUTH_SECRET_KEY_OLD is set without AUTH_SECRET_KEY")
	}
	for i, o := range old {
		k, err := newSealKey(o)
		if err != nil {
			return nil, fmt.Errorf("AUTH_SECRET_KEY_OLD key %d: %w", i+1, err)
		}
		z.old = append(z.old, k)
	}
	return z, nil
}

// sealed reports whether v is a sealed value.
func sealed(v string) bool { return strings.HasPrefix(v, sealPrefix) }

// seal encrypts plain for the row named by ad, or returns it as is without a key.
func (z *sealer) seal(plain, ad string) (string, error) {
	if z.current == nil {
		return plain, nil
	}
	k := z.current
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plain)+k.aead.Overhead())
	if _, err := io.ReadFull(z.rand, nonce); err != nil {
		return "", err
	}
	out := k.aead.Seal(nonce, nonce, []byte(plain), []byte(ad))
	return sealPrefix + k.id + ":" + base64.RawURLEncoding.EncodeToString(out), nil
}

// errSealedNoKey and errWrongKey stop the server at start with a message that says
// what to do.
var (
	errSealedNoKey = errors.New("the database's secrets are encrypted: set AUTH_SECRET_KEY to the key they were encrypted with")
	errWrongKey    = errors.New("AUTH_SECRET_KEY does not decrypt the database's secrets: set the key they were encrypted with " +
		"(after a rotation, give the previous key in AUTH_SECRET_KEY_OLD)")
)

// open decrypts v (a clear v is returned as is) and reports whether it should be
// rewritten: clear while a key is set, or sealed under a previous key.
func (z *sealer) open(v, ad string) (plain string, reseal bool, err error) {
	if !sealed(v) {
		return v, z.current != nil, nil
	}
	id, body, ok := strings.Cut(strings.TrimPrefix(v, sealPrefix), ":")
	if !ok {
		return "", false, fmt.Errorf("a sealed value is malformed (%s)", ad)
	}
	if z.current == nil {
		return "", false, errSealedNoKey
	}
	var k *sealKey
	for _, c := range append([]*sealKey{z.current}, z.old...) {
		if c.id == id {
			k = c
			break
		}
	}
	if k == nil {
		return "", false, fmt.Errorf("%w (%s is sealed under key id %s, AUTH_SECRET_KEY is %s)", errWrongKey, ad, id, z.current.id)
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(raw) < k.aead.NonceSize() {
		return "", false, fmt.Errorf("a sealed value is malformed (%s)", ad)
	}
	out, err := k.aead.Open(nil, raw[:k.aead.NonceSize()], raw[k.aead.NonceSize():], []byte(ad))
	if err != nil {
		return "", false, fmt.Errorf("%w (%s does not decrypt)", errWrongKey, ad)
	}
	return string(out), k != z.current, nil
}

// Associated data: a sealed value belongs to one row and one column.
func settingAD(name string) string              { return "setting:" + name }
func mailAD(id fmt.Stringer, col string) string { return "mail:" + id.String() + ":" + col }

// Encrypted reports whether secrets at rest are sealed (AUTH_SECRET_KEY is set).
func (s *Service) Encrypted() bool { return s.seal.current != nil }

// migrateSecrets runs at start, before anything reads a secret: it opens every setting
// and every unsent mail body (so a wrong or missing key stops the start with a clear
// message), re-seals under the current key what is clear or sealed under an old key,
// and, when it rewrote anything on SQLite, scrubs the free pages and the WAL that held
// the previous copies. It returns how many values it rewrote.
func (s *Service) migrateSecrets(ctx context.Context) (int, error) {
	n := 0
	rows, err := s.db.Setting.Query().All(ctx)
	if err != nil {
		return 0, err
	}
	for _, r := range rows {
		plain, reseal, err := s.seal.open(r.Value, settingAD(r.ID))
		if err != nil {
			return 0, err
		}
		if !reseal {
			continue
		}
		v, err := s.seal.seal(plain, settingAD(r.ID))
		if err != nil {
			return 0, err
		}
		// Conditional on the value read: a replica that re-sealed it first wins.
		if _, err := s.db.Setting.Update().Where(setting.ID(r.ID), setting.Value(r.Value)).SetValue(v).Save(ctx); err != nil {
			return 0, err
		}
		n++
	}
	mails, err := s.db.Mail.Query().Where(mail.StatusIn(mail.StatusPending, mail.StatusSending)).All(ctx)
	if err != nil {
		return 0, err
	}
	for _, m := range mails {
		text, r1, err := s.seal.open(m.TextBody, mailAD(m.ID, "text"))
		if err != nil {
			return 0, err
		}
		html, r2, err := s.seal.open(m.HTMLBody, mailAD(m.ID, "html"))
		if err != nil {
			return 0, err
		}
		if !r1 && !r2 {
			continue
		}
		if text, err = s.seal.seal(text, mailAD(m.ID, "text")); err != nil {
			return 0, err
		}
		if html, err = s.seal.seal(html, mailAD(m.ID, "html")); err != nil {
			return 0, err
		}
		if err := s.db.Mail.UpdateOneID(m.ID).SetTextBody(text).SetHTMLBody(html).Exec(ctx); err != nil && !ent.IsNotFound(err) {
			return 0, err
		}
		n++
	}
	if n > 0 {
		if err := s.scrub(ctx, true); err != nil {
			return n, fmt.Errorf("scrubbing the database after re-encrypting its secrets: %w", err)
		}
	}
	return n, nil
}

// checkSecrets opens every stored secret without writing anything: a wrong or missing
// AUTH_SECRET_KEY fails here as it would at a serve start.
func (s *Service) checkSecrets(ctx context.Context) error {
	rows, err := s.db.Setting.Query().All(ctx)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if _, _, err := s.seal.open(r.Value, settingAD(r.ID)); err != nil {
			return err
		}
	}
	return nil
}

// scrub makes SQLite forget what it freed: VACUUM (when full) rewrites the file without
// free pages, and a TRUNCATE checkpoint empties the WAL, whose old frames would
// otherwise keep earlier copies of rewritten pages. A no-op on PostgreSQL.
func (s *Service) scrub(ctx context.Context, full bool) error {
	if !s.sqlite {
		return nil
	}
	if full {
		if _, err := s.db.ExecContext(ctx, "VACUUM"); err != nil {
			return err
		}
	}
	_, err := s.db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	return err
}

// isSQLite probes the database: PostgreSQL answers version(), SQLite has no such
// function (and, unlike a server, logs nothing for the failed probe).
func isSQLite(ctx context.Context, db *ent.Client) bool {
	_, err := db.ExecContext(ctx, "SELECT version()")
	return err != nil
}
