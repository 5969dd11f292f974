package auth

import (
	"crypto/rand"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"runtime"
	"time"

	"authbff/metrics"
)

// Config holds everything the service needs from outside. cmd/authbff fills it from the
// AUTH_* environment variables; tests fill it directly (cheap hash parameters, a clock).
type Config struct {
	AllowRegistration bool
	AccessTTL         time.Duration // access token lifetime (expires_in)
	RefreshTTL        time.Duration // refresh token idle lifetime
	SessionMaxAge     time.Duration // absolute session lifetime from login
	RefreshReuseGrace time.Duration // how long a rotated refresh token may be presented again
	Issuer            string
	Audience          string // written and required when set
	// JWTSecret signs access tokens (HS256). Empty: a secret is generated once and kept
	// in the settings table, shared by every replica.
	JWTSecret []byte
	// JWTAlg is HS256 (default) or EdDSA (keys generated and stored; public keys served
	// as a JWKS so other services can verify access tokens offline).
	JWTAlg string
	// SecretKey (AUTH_SECRET_KEY, 32 bytes) seals the secrets the database holds: the
	// settings (signing keys, refresh HMAC key) and unsent mail bodies. Nil: they are
	// stored in clear. SecretKeysOld (AUTH_SECRET_KEY_OLD) are previous keys, used only
	// to read values not yet re-sealed under SecretKey (see sealer.go).
	SecretKey     []byte
	SecretKeysOld [][]byte

	FrontendURL string // base of e-mail links

	Hash            HashParams
	HashConcurrency int           // argon2 computations at once (default: CPUs)
	HashWait        time.Duration // how long a request may wait for a hashing slot
	MaxSessions     int           // live sessions per user; the next login ends the oldest
	// HashActivity, if set, is called with true when a password hash starts while none
	// runs, and with false when the last running one ends (serve collects garbage more
	// often while argon2 runs: cmd/authbff/memory.go).
	HashActivity func(running bool)

	// MailSender delivers outbox messages. Nil: messages are written to the log.
	MailSender Sender
	MailFrom   string
	// MailTemplates overrides embedded templates file by file (AUTH_MAIL_TEMPLATES_DIR):
	// <kind>.subject.txt, <kind>.txt and <kind>.html for verify_email, reset_password,
	// invite, password_changed and account_locked.
	MailTemplates fs.FS
	// A message is marked failed only after MailRetries attempts AND MailMaxAge since it
	// was queued (defaults 20 and 24 h: an outage of hours delays mail, never loses it).
	MailRetries int
	MailMaxAge  time.Duration

	// RateLimits are the limits by name (ParseLimits reads AUTH_RATE_LIMITS); nil turns
	// every limit off. LimitStore keeps their state (nil: in memory, one process).
	RateLimits map[string]Limit
	LimitStore LimitStore
	// LockoutThreshold is how many consecutive failed logins disable an account's password
	// login until a password reset (0: 100, NIST SP 800-63B-4 §3.2.2).
	LockoutThreshold int

	// Store is the store the service's client comes from (Open), when there is one. The
	// service takes three things from it: the dedicated SQLite write connection the
	// refresh committer commits on (Store.Writer), the SQLite pool whose driver
	// connections the session check reads through (Store.SQLiteDB, hotsql.go
	// queryRowDriver), and the deadline queue of AUTH_DB_TIMEOUT (Store.Deadlines), which
	// bounds the service's own fixed statements as it bounds every statement of the
	// client: one bound, one mechanism. nil (a client made without a Store): the client's
	// pool for all of it, and reads bounded by DefaultDBTimeout.
	Store *Store

	// Metrics counts logins, rate-limit refusals, the hash queue and the outbox (nil: none).
	Metrics *metrics.Set

	// AuditRetention is how long audit events are kept; the janitor deletes older ones
	// (AUTH_AUDIT_RETENTION, default 365 days).
	AuditRetention time.Duration

	// Operator marks a service built for an operator command (`authbff users …`): New
	// neither creates nor rotates signing keys and secrets, so a command changes only
	// what it says it changes. Such a service cannot issue tokens.
	Operator bool

	Now  func() time.Time
	Rand io.Reader
	Log  *slog.Logger
}

// DefaultAuditRetention is how long audit events are kept by default.
const DefaultAuditRetention = 365 * 24 * time.Hour

// MinSecretLen is the shortest accepted AUTH_JWT_SECRET, in bytes (HS256 wants ≥ 256 bits).
const MinSecretLen = 32

// DefaultConfig is the one place of the service's defaults: cmd/authbff starts from it
// and overrides what the AUTH_* variables set, and New fills a zero field of a Config
// from it. Two fields are not filled, because their zero is a setting of its own:
// RefreshReuseGrace (0: any reuse revokes) and RateLimits (nil: no limits); they take
// their defaults only through DefaultConfig. README's configuration table states the
// same values (a test in cmd/authbff compares them).
func DefaultConfig() Config {
	return Config{
		AllowRegistration: true,
		AccessTTL:         15 * time.Minute,
		RefreshTTL:        168 * time.Hour,
		SessionMaxAge:     720 * time.Hour,
		RefreshReuseGrace: 10 * time.Second,
		Issuer:            "authbff",
		JWTAlg:            AlgHS256,
		FrontendURL:       "http://localhost:3000", // cmd always sets it: the front end, or the built-in pages
		Hash:              DefaultHashParams,
		HashWait:          2 * time.Second,
		MaxSessions:       50,
		MailFrom:          "no-reply@localhost",
		MailRetries:       20,
		MailMaxAge:        24 * time.Hour,
		RateLimits:        maps.Clone(DefaultLimits),
		LockoutThreshold:  100,
		AuditRetention:    DefaultAuditRetention,
	}
}

// Check reports a configuration the service refuses (the one statement of each rule:
// cmd/authbff reports it at start with the variable's name, New refuses it).
func (c Config) Check() error {
	if s := c.JWTSecret; len(s) > 0 && len(s) < MinSecretLen {
		return fmt.Errorf("AUTH_JWT_SECRET must be at least %d bytes (it is %d); generate one with `openssl rand -hex 32`", MinSecretLen, len(s))
	}
	return nil
}

// withDefaults fills the zero fields from DefaultConfig (see there for the two that
// are not), and the process's defaults: CPUs, clock, randomness, a discarding log.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	fill := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	fill(&c.AccessTTL, d.AccessTTL)
	fill(&c.RefreshTTL, d.RefreshTTL)
	fill(&c.SessionMaxAge, d.SessionMaxAge)
	fill(&c.HashWait, d.HashWait)
	fill(&c.MailMaxAge, d.MailMaxAge)
	fill(&c.AuditRetention, d.AuditRetention)
	if c.RefreshReuseGrace < 0 {
		c.RefreshReuseGrace = 0
	}
	if c.JWTAlg == "" {
		c.JWTAlg = d.JWTAlg
	}
	if c.Issuer == "" {
		c.Issuer = d.Issuer
	}
	if c.FrontendURL == "" {
		c.FrontendURL = d.FrontendURL
	}
	if c.Hash == (HashParams{}) {
		c.Hash = d.Hash
	}
	if c.HashConcurrency <= 0 {
		c.HashConcurrency = runtime.NumCPU()
	}
	if c.MaxSessions <= 0 {
		c.MaxSessions = d.MaxSessions
	}
	if c.MailFrom == "" {
		c.MailFrom = d.MailFrom
	}
	if c.MailRetries <= 0 {
		c.MailRetries = d.MailRetries
	}
	if c.LockoutThreshold <= 0 {
		c.LockoutThreshold = d.LockoutThreshold
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}
