package auth

import (
	"context"
	cryptorand "crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"

	"golang.org/x/text/unicode/norm"

	"authbff/metrics"
)

// HashParams are argon2id's cost parameters. The defaults are OWASP's minimum
// recommendation (m=19 MiB, t=2, p=1); tests pass cheaper ones through Config.
type HashParams struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultHashParams is OWASP's argon2id recommendation.
var DefaultHashParams = HashParams{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// hasher runs argon2id behind a bounded queue: at most cap(slots) hashes run at once and
// a caller that cannot start within wait gets SERVICE_UNAVAILABLE, so a login flood costs
// bounded memory (slots × MemoryKiB) instead of exhausting it.
type hasher struct {
	params HashParams
	slots  chan struct{}
	wait   time.Duration
	rand   io.Reader
	m      *metrics.Set
	// dummy is a hash of a random password, verified when the user does not exist so
	// that an unknown user costs as much time as a wrong password.
	dummy string
	// activity (Config.HashActivity) hears when hashing starts and stops; mu orders the
	// calls with the count of running hashes.
	activity func(running bool)
	mu       sync.Mutex
	running  int
}

func newHasher(params HashParams, concurrency int, wait time.Duration, rand io.Reader) (*hasher, error) {
	if concurrency < 1 {
		concurrency = 1
	}
	h := &hasher{params: params, slots: make(chan struct{}, concurrency), wait: wait, rand: rand}
	var pw [24]byte
	if _, err := io.ReadFull(rand, pw[:]); err != nil {
		return nil, err
	}
	d, err := h.encode(base64.RawStdEncoding.EncodeToString(pw[:]))
	if err != nil {
		return nil, err
	}
	h.dummy = d
	return h, nil
}

func (h *hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		h.m.HashWaited(0, false)
		h.started()
		return nil
	default:
	}
	start := time.Now()
	h.m.HashQueued(1)
	defer h.m.HashQueued(-1)
	t := time.NewTimer(h.wait)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
		h.m.HashWaited(time.Since(start), false)
		h.started()
		return nil
	case <-t.C:
	case <-ctx.Done():
	}
	h.m.HashWaited(time.Since(start), true)
	return errOverloaded()
}

func (h *hasher) release() {
	<-h.slots
	if h.activity != nil {
		h.mu.Lock()
		if h.running--; h.running == 0 {
			h.activity(false)
		}
		h.mu.Unlock()
	}
}

func (h *hasher) started() {
	if h.activity != nil {
		h.mu.Lock()
		if h.running++; h.running == 1 {
			h.activity(true)
		}
		h.mu.Unlock()
	}
}

// Hash returns the PHC string of password under the configured parameters.
func (h *hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return h.encode(password)
}

func (h *hasher) encode(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := io.ReadFull(h.rand, salt); err != nil {
		return "", err
	}
	p := h.params
	key := argon2.IDKey([]byte(norm.NFC.String(password)), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// Verify reports whether password matches the PHC string encoded, and whether the
// hash should be recomputed because the configured parameters changed. An empty
// encoded (no password, or no such user) is checked against the dummy hash and fails.
func (h *hasher) Verify(ctx context.Context, encoded, password string) (ok, rehash bool, err error) {
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	target := encoded
	if target == "" {
		target = h.dummy
	}
	p, salt, key, perr := decodePHC(target)
	if perr != nil {
		// An unreadable stored hash never matches; spend the same time anyway.
		p, salt, key, _ = decodePHC(h.dummy)
		encoded = ""
	}
	got := argon2.IDKey([]byte(norm.NFC.String(password)), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(key)))
	match := subtle.ConstantTimeCompare(got, key) == 1 && encoded != ""
	return match, match && p != h.params, nil
}

var errPHC = errors.New("auth: malformed argon2id hash")

func decodePHC(s string) (HashParams, []byte, []byte, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return HashParams{}, nil, nil, errPHC
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return HashParams{}, nil, nil, errPHC
	}
	var p HashParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil ||
		p.MemoryKiB == 0 || p.Time == 0 || p.Threads == 0 {
		return HashParams{}, nil, nil, errPHC
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return HashParams{}, nil, nil, errPHC
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < 16 {
		return HashParams{}, nil, nil, errPHC
	}
	return p, salt, key, nil
}

// HashPassword returns the PHC string of password under p, outside any service (the
// seeding tool of the scale run, cmd/seed).
func HashPassword(password string, p HashParams) (string, error) {
	return (&hasher{params: p, rand: cryptorand.Reader}).encode(password)
}
