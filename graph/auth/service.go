// Package auth is the domain of authbff: registration, login, sessions and tokens,
// passwords, e-mail flows and organizations. Both HTTP transports reach it through the
// same GraphQL resolvers (REST runs persisted GraphQL operations; its adapter also calls
// Validate to merge field errors with its own); the operator commands of cmd/authbff
// (users, keys, migrate, and serve's mailer and janitor) call it directly. It imports
// neither net/http nor gqlgen. Every exported method returns *Error values with the
// contract's codes (its doc comment names them), or an internal error that the
// transports render as INTERNAL_SERVER_ERROR.
package auth

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/google/uuid"

	"authbff/ent"
	"authbff/internal/deadline"
)

// Service is the auth domain service. It is safe for concurrent use.
type Service struct {
	db         *ent.Client
	cfg        Config
	hash       *hasher
	ring       keyRing
	refreshKey []byte // HMAC key deriving rotated refresh tokens
	mailWake   chan struct{}
	mailPassed passSignal // the end of each outbox pass (MailerPassed)
	templates  map[string]mailTemplates
	limits     limiter
	seal       *sealer // secrets at rest (AUTH_SECRET_KEY)
	sqlite     bool
	hot        hotSQL        // the hot paths' fixed statements (hotsql.go)
	upsert     upsertSQL     // the settings' upserts (upsert.go)
	rotations  groupCommit   // SQLite: refresh rotations queued to one committer (refresh.go)
	writer     *ent.Client   // the committer's client: Store.Writer on SQLite, else db
	verified   verifiedCache // access tokens already verified (verified.go)
	// sqliteDB is the store's SQLite pool (the hot reads' driver path, hotsql.go);
	// dbDeadlines is the store's AUTH_DB_TIMEOUT queue (Store.Deadlines), which bounds
	// those reads as it bounds the client's statements.
	sqliteDB    *sql.DB
	dbDeadlines *deadline.Queue
	// unmarked are accepted mails whose "sent" mark failed (retried by the mailer).
	unmarkedMu sync.Mutex
	unmarked   map[uuid.UUID]sentMark
	outage     burstLog
}

// Settings keys.
const (
	settingRefreshKey = "refresh_key"
)

// New builds the service over a migrated ent client. Secrets that are not configured
// are generated once and stored, so that every replica and every restart agree.
func New(ctx context.Context, db *ent.Client, cfg Config) (*Service, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	h, err := newHasher(cfg.Hash, cfg.HashConcurrency, cfg.HashWait, cfg.Rand)
	if err != nil {
		return nil, err
	}
	h.activity = cfg.HashActivity
	tmpl, err := parseTemplates(cfg.MailTemplates)
	if err != nil {
		return nil, err
	}
	s := &Service{db: db, cfg: cfg, hash: h, mailWake: make(chan struct{}, 1), templates: tmpl,
		unmarked: map[uuid.UUID]sentMark{},
		limits:   limiter{limits: cfg.RateLimits, store: cfg.LimitStore}}
	if s.limits.store == nil {
		s.limits.store = NewMemoryStore(0)
	}
	if s.seal, err = newSealer(cfg.SecretKey, cfg.SecretKeysOld, cfg.Rand); err != nil {
		return nil, err
	}
	s.sqlite = isSQLite(ctx, db)
	s.writer = db
	s.hot = newHotSQL(!s.sqlite)
	s.upsert = newUpsertSQL(!s.sqlite)
	if st := cfg.Store; st != nil {
		if s.sqlite && st.Writer != nil {
			s.writer = st.Writer
		}
		if s.sqlite {
			s.sqliteDB = st.SQLiteDB()
		}
		s.dbDeadlines = st.Deadlines
	}
	if s.dbDeadlines == nil {
		s.dbDeadlines = deadline.New(DefaultDBTimeout)
	}
	s.hash.m = cfg.Metrics
	if cfg.Operator {
		// An operator command creates no key and no secret and re-encrypts nothing, but
		// refuses a wrong or missing AUTH_SECRET_KEY as serve does.
		return s, s.checkSecrets(ctx)
	}
	if n, err := s.migrateSecrets(ctx); err != nil {
		return nil, err
	} else if n > 0 {
		cfg.Log.Info("secrets at rest re-encrypted under AUTH_SECRET_KEY", "values", n)
	}
	if err := s.initKeys(ctx); err != nil {
		return nil, err
	}
	if s.refreshKey, err = s.loadSecret(ctx, settingRefreshKey); err != nil {
		return nil, err
	}
	return s, nil
}

// loadSecret returns the named secret from the settings table, creating it first if no
// replica has yet. The insert ignores a conflict, so concurrent starts agree on one value.
func (s *Service) loadSecret(ctx context.Context, name string) ([]byte, error) {
	var b [32]byte
	if _, err := io.ReadFull(s.cfg.Rand, b[:]); err != nil {
		return nil, err
	}
	val, err := s.seal.seal(hex.EncodeToString(b[:]), settingAD(name))
	if err != nil {
		return nil, err
	}
	// What counts is that the row can be read afterwards: another replica's insert may
	// have won.
	ierr := s.addSetting(ctx, name, val)
	row, err := s.db.Setting.Get(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w (insert: %v)", name, err, ierr)
	}
	plain, _, err := s.seal.open(row.Value, settingAD(name))
	if err != nil {
		return nil, err
	}
	v, err := hex.DecodeString(plain)
	if err != nil || len(v) < MinSecretLen {
		return nil, fmt.Errorf("setting %s is corrupt", name)
	}
	return v, nil
}

// now returns the service clock, truncated to microseconds so that every database
// stores and returns the same instant.
func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// inTx runs fn in a transaction and commits it, or rolls back on error or panic. A
// transaction that fails before COMMIT with a transient error (a serialization failure,
// a deadlock, a connection the server ended) is run once more: nothing of it was kept,
// and fn only touches the transaction and its own results. A failure at COMMIT is not
// retried (the commit may have happened), except on SQLite, where a failed COMMIT
// certainly did not commit. Storage failures become SERVICE_UNAVAILABLE.
func (s *Service) inTx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	return inTxOn(ctx, s.db, fn)
}

// inTxOn is inTx on the given client (the refresh committer's: Store.Writer).
func inTxOn(ctx context.Context, db *ent.Client, fn func(tx *ent.Tx) error) error {
	err, committing := tryTx(ctx, db, fn)
	if err != nil && (!committing || uncommitted(err)) && isTransient(err) && ctx.Err() == nil {
		err, _ = tryTx(ctx, db, fn)
	}
	return Internal(err)
}

func tryTx(ctx context.Context, db *ent.Client, fn func(tx *ent.Tx) error) (err error, committing bool) {
	tx, err := db.Tx(ctx)
	if err != nil {
		return err, false
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err, false
	}
	return tx.Commit(), true
}

// PublicConfig is what GET /v1/auth/config answers.
type PublicConfig struct{ AllowRegistration bool }

// PublicConfig returns the settings a sign-up page needs. It never fails.
func (s *Service) PublicConfig() PublicConfig {
	return PublicConfig{AllowRegistration: s.cfg.AllowRegistration}
}

// ExpiresIn is the access token lifetime in seconds.
func (s *Service) ExpiresIn() int { return int(s.cfg.AccessTTL / time.Second) }
