package auth

import "context"

// SecretsForTest returns the secrets the service holds in memory (every signing key's
// secret or seed, the refresh HMAC key), so that tests can look for them in the raw
// database files.
func (s *Service) SecretsForTest() [][]byte {
	out := [][]byte{s.refreshKey}
	s.ring.mu.RLock()
	defer s.ring.mu.RUnlock()
	for _, k := range s.ring.keys {
		if k.alg == AlgEdDSA {
			out = append(out, k.private.Seed())
		} else {
			out = append(out, k.secret)
		}
	}
	return out
}

// RotateInOneTrip runs the one-statement rotation of PostgreSQL (refresh.go) on token
// and reports whether it rotated it.
func RotateInOneTrip(s *Service, token string) bool {
	j := &rotation{hash: hashToken(token), childHash: hashToken(s.childRefresh(token)), now: s.now()}
	return !s.sqlite && s.rotateOneTrip(context.Background(), j)
}
