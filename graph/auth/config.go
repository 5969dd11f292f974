package auth

import (
	"crypto/rand"
	"io"
	"io/fs"
	"log/slog"
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

	// DBTimeout bounds the service's own fixed statements (hotsql.go) as AUTH_DB_TIMEOUT
	// bounds every statement of the ent client (0: DefaultDBTimeout).
	DBTimeout time.Duration

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

func (c Config) withDefaults() Config {
	if c.AccessTTL <= 0 {
		c.AccessTTL = 15 * time.Minute
	}
	if c.RefreshTTL <= 0 {
		c.RefreshTTL = 168 * time.Hour
	}
	if c.SessionMaxAge <= 0 {
		c.SessionMaxAge = 720 * time.Hour
	}
	if c.RefreshReuseGrace < 0 {
		c.RefreshReuseGrace = 0
	}
	if c.JWTAlg == "" {
		c.JWTAlg = AlgHS256
	}
	if c.Issuer == "" {
		c.Issuer = "authbff"
	}
	if c.FrontendURL == "" {
		c.FrontendURL = "http://localhost:3000"
	}
	if c.Hash == (HashParams{}) {
		c.Hash = DefaultHashParams
	}
	if c.HashConcurrency <= 0 {
		c.HashConcurrency = runtime.NumCPU()
	}
	if c.HashWait <= 0 {
		c.HashWait = 2 * time.Second
	}
	if c.DBTimeout <= 0 {
		c.DBTimeout = DefaultDBTimeout
	}
	if c.MaxSessions <= 0 {
		c.MaxSessions = 50
	}
	if c.MailFrom == "" {
		c.MailFrom = "no-reply@localhost"
	}
	if c.MailRetries <= 0 {
		c.MailRetries = 20
	}
	if c.MailMaxAge <= 0 {
		c.MailMaxAge = 24 * time.Hour
	}
	if c.LockoutThreshold <= 0 {
		c.LockoutThreshold = 100
	}
	if c.AuditRetention <= 0 {
		c.AuditRetention = DefaultAuditRetention
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
