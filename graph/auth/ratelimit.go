package auth

import (
	"container/list"
	"context"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rate limits count attempts, not HTTP requests: they are enforced here, on the path both
// transports share, so every aliased GraphQL field is one attempt and REST and GraphQL
// draw from the same buckets.

// Limit is N events per Window.
type Limit struct {
	N      int
	Window time.Duration
}

func (l Limit) String() string { return strconv.Itoa(l.N) + "/" + l.Window.String() }

// Limit names; AUTH_RATE_LIMITS overrides them by name (name=N/duration).
//
// Limits keyed by an account or an address are keyed per client too (the "_total"
// ceilings aside), so that a stranger's attempts spend the stranger's bucket, not the
// owner's: ten wrong passwords from one client do not refuse the owner's correct
// password from another, and a stranger's forgot-password requests do not stop the
// owner's. The "_total" ceilings, much higher, still cap guessing spread over many
// clients. Per-address limits of forgot-password and resend-verification never refuse:
// over them the request answers as usual and sends nothing, so they neither tell
// whether an address exists nor let a stranger make the owner's request fail.
const (
	LimitLoginIP            = "login_ip"             // login attempts per client
	LimitLoginAccount       = "login_account"        // failed logins (and wrong current passwords) per account and client
	LimitLoginAccountTotal  = "login_account_total"  // failed logins per account, from every client
	LimitRegisterIP         = "register_ip"          // registrations per client
	LimitForgotIP           = "forgot_ip"            // forgot-password requests per client
	LimitForgotAddress      = "forgot_address"       // reset mails per address and client, existing or not (silent)
	LimitForgotAddressTotal = "forgot_address_total" // reset mails per address, from every client (silent)
	LimitResendIP           = "resend_ip"            // resend-verification requests per client
	LimitResendAddress      = "resend_address"       // verification mails per address and client (silent)
	LimitResendAddressTotal = "resend_address_total" // verification mails per address, from every client (silent)
	LimitResetIP            = "reset_ip"             // reset-password attempts per client
	LimitVerifyIP           = "verify_ip"            // verify-email attempts per client
	LimitRefreshIP          = "refresh_ip"           // refreshes per client
	LimitChangePasswordIP   = "change_password_ip"   // change-password attempts per client
	LimitInviteIP           = "invite_ip"            // invitations sent per client
	LimitInviteAddress      = "invite_address"       // invitations sent to one address, from every organization
)

// DefaultLimits are the documented defaults (README).
var DefaultLimits = map[string]Limit{
	LimitLoginIP:            {30, time.Minute},
	LimitLoginAccount:       {10, 15 * time.Minute},
	LimitLoginAccountTotal:  {50, 15 * time.Minute},
	LimitRegisterIP:         {20, time.Hour},
	LimitForgotIP:           {20, time.Hour},
	LimitForgotAddress:      {5, time.Hour},
	LimitForgotAddressTotal: {20, time.Hour},
	LimitResendIP:           {20, time.Hour},
	LimitResendAddress:      {5, time.Hour},
	LimitResendAddressTotal: {20, time.Hour},
	LimitResetIP:            {30, time.Hour},
	LimitVerifyIP:           {60, time.Hour},
	LimitRefreshIP:          {300, time.Minute},
	LimitChangePasswordIP:   {30, time.Minute},
	LimitInviteIP:           {100, time.Hour},
	LimitInviteAddress:      {10, 24 * time.Hour},
}

// ParseLimits reads an AUTH_RATE_LIMITS value: "on" (the defaults), "off" (nil: no
// limits), or comma-separated overrides such as "login_ip=60/1m,register_ip=5/1h" on top
// of the defaults.
func ParseLimits(s string) (map[string]Limit, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	out := make(map[string]Limit, len(DefaultLimits))
	for k, v := range DefaultLimits {
		out[k] = v
	}
	switch s {
	case "", "on", "true", "1":
		return out, nil
	case "off", "false", "0":
		return nil, nil
	}
	for _, part := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if _, known := DefaultLimits[name]; !ok || !known {
			return nil, fmt.Errorf("AUTH_RATE_LIMITS: %q: want on, off, or name=N/duration with a name among %s",
				part, strings.Join(limitNames(), ", "))
		}
		n, d, ok := strings.Cut(val, "/")
		count, err1 := strconv.Atoi(n)
		window, err2 := time.ParseDuration(d)
		if !ok || err1 != nil || err2 != nil || count < 1 || window <= 0 {
			return nil, fmt.Errorf("AUTH_RATE_LIMITS: %q: want N/duration such as 30/1m", part)
		}
		out[name] = Limit{count, window}
	}
	return out, nil
}

func limitNames() []string {
	names := make([]string, 0, len(DefaultLimits))
	for k := range DefaultLimits {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// LimitStore keeps rate-limit state. MemoryStore serves one process; replicas would
// share a store implementing this interface (for example on Redis or PostgreSQL).
type LimitStore interface {
	// Take spends cost events (0 only checks) of key under l at now. It returns 0 when
	// allowed, else how long until the events would be.
	Take(ctx context.Context, key string, l Limit, cost int, now time.Time) (retryAfter time.Duration, err error)
	// Reset forgets key.
	Reset(ctx context.Context, key string) error
}

// MemoryStore is an in-process LimitStore using GCRA (one timestamp per key). It holds
// at most maxKeys keys: when full it drops the expired ones and, failing that, the least
// recently used, so a flood of new keys never refuses anyone (the keys it forgets are
// the ones idle longest, whose counts matter least).
type MemoryStore struct {
	mu        sync.Mutex
	keys      map[string]*list.Element // of *memEntry; the list runs from least to most recently used
	lru       *list.List
	lastSweep time.Time
	maxKeys   int
}

type memEntry struct {
	key string
	tat time.Time // theoretical arrival time
}

// NewMemoryStore returns an empty store holding at most maxKeys keys (0: 1,000,000).
func NewMemoryStore(maxKeys int) *MemoryStore {
	if maxKeys <= 0 {
		maxKeys = 1_000_000
	}
	return &MemoryStore{keys: map[string]*list.Element{}, lru: list.New(), maxKeys: maxKeys}
}

// Take implements LimitStore.
func (m *MemoryStore) Take(_ context.Context, key string, l Limit, cost int, now time.Time) (time.Duration, error) {
	interval := l.Window / time.Duration(l.N)
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.Sub(m.lastSweep) > time.Minute {
		m.sweep(now)
	}
	var tat time.Time
	el, ok := m.keys[key]
	if ok {
		tat = el.Value.(*memEntry).tat
		m.lru.MoveToBack(el)
	}
	if tat.Before(now) {
		tat = now
	}
	// GCRA: N events at once, then one per Window/N. A check (cost 0) asks whether one
	// more event would pass, without spending it.
	next := tat.Add(interval * time.Duration(max(cost, 1)))
	if over := next.Sub(now) - l.Window; over > 0 {
		return over, nil
	}
	if cost > 0 {
		if ok {
			el.Value.(*memEntry).tat = next
		} else {
			if len(m.keys) >= m.maxKeys {
				m.sweep(now)
			}
			for len(m.keys) >= m.maxKeys {
				oldest := m.lru.Front()
				m.lru.Remove(oldest)
				delete(m.keys, oldest.Value.(*memEntry).key)
			}
			m.keys[key] = m.lru.PushBack(&memEntry{key: key, tat: next})
		}
	}
	return 0, nil
}

// Len is the number of keys held.
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.keys)
}

// Reset implements LimitStore.
func (m *MemoryStore) Reset(_ context.Context, key string) error {
	m.mu.Lock()
	if el, ok := m.keys[key]; ok {
		m.lru.Remove(el)
		delete(m.keys, key)
	}
	m.mu.Unlock()
	return nil
}

// sweep drops the keys whose bucket is full again (nothing to remember).
func (m *MemoryStore) sweep(now time.Time) {
	for el := m.lru.Front(); el != nil; {
		next := el.Next()
		if e := el.Value.(*memEntry); !e.tat.After(now) {
			m.lru.Remove(el)
			delete(m.keys, e.key)
		}
		el = next
	}
	m.lastSweep = now
}

// limiter applies the configured limits.
type limiter struct {
	limits map[string]Limit // nil: limits off
	store  LimitStore
}

// clientSubject is the rate-limit subject of a client address: an IPv4 address as is, an
// IPv6 address by its /64 (one subscriber usually holds a whole /64, so per-address
// limits would be no limit), zone ids stripped, IPv4-mapped IPv6 as IPv4. Anything that
// is not an address (a test's or a proxy's odd value) is used as is.
func clientSubject(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.WithZone("").Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// client is the rate-limit subject of the caller's client.
func client(ctx context.Context) string { return clientSubject(ClientFrom(ctx).IP) }

// perClient keys subject (an account or address) per client as well.
func perClient(ctx context.Context, subject string) string {
	return subject + "\x00" + client(ctx)
}

// take spends one attempt of name for subject (a client key or a normalized
// identifier). Errors: RATE_LIMIT_EXCEEDED.
func (s *Service) take(ctx context.Context, name, subject string) error {
	return s.spend(ctx, name, subject, 1)
}

// over checks, without spending, whether subject is already over name's limit.
func (s *Service) over(ctx context.Context, name, subject string) error {
	return s.spend(ctx, name, subject, 0)
}

// quietly spends one event of each (name, subject) pair in order, stopping at the first
// that is over its limit, and reports whether all passed. It never refuses the request
// (the caller skips its work instead). Stopping early matters: a client over its own
// bucket must not go on draining the shared total, or one stranger could still block
// the owner.
func (s *Service) quietly(ctx context.Context, pairs ...[2]string) bool {
	for _, p := range pairs {
		if err := s.spend(ctx, p[0], p[1], 1); err != nil {
			return false
		}
	}
	return true
}

func (s *Service) spend(ctx context.Context, name, subject string, cost int) error {
	l, ok := s.limits.limits[name]
	if !ok || subject == "" {
		return nil
	}
	now := s.cfg.Now()
	key := name + "\x00" + subject
	wait, err := s.limits.store.Take(ctx, key, l, cost, now)
	if err != nil {
		// A store that fails must not lock everyone out, nor let floods through silently:
		// the attempt passes, and the failure is logged (once per burst when the database
		// is down).
		if !isUnavailable(err) {
			s.cfg.Log.Error("rate limit store failed", "limit", name, "err", err)
		} else if ok, n := s.outage.allow(time.Now()); ok {
			s.cfg.Log.Error("rate limit store unavailable", "limit", name, "err", err, "similar_since_last_line", n)
		}
		return nil
	}
	if wait <= 0 {
		return nil
	}
	s.cfg.Metrics.RateLimited(name)
	// One audit event (and one log line) per limit key and window, however many
	// attempts are refused: a flood of refused requests must not become a flood of
	// writes. The store itself remembers, so replicas sharing it agree.
	if first, err := s.limits.store.Take(ctx, "audit\x00"+key, Limit{N: 1, Window: l.Window}, 1, now); err == nil && first <= 0 {
		s.cfg.Log.Warn("rate limited", "limit", name, "request_id", ClientFrom(ctx).RequestID)
		s.audit(ctx, EventRateLimited, nil, map[string]any{"limit": name})
	}
	return &Error{Code: CodeRateLimited, Message: MsgRateLimited, RetryAfter: int(math.Ceil(wait.Seconds()))}
}

// resetLimit forgets subject's count of name (after a successful login).
func (s *Service) resetLimit(ctx context.Context, name, subject string) {
	if _, ok := s.limits.limits[name]; ok && subject != "" {
		_ = s.limits.store.Reset(ctx, name+"\x00"+subject)
	}
}
