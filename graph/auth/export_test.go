package auth

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
