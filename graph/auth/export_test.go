package auth

import (
	"context"

	"authbff/ent"
)

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

// UserConflictForTest is userConflict, for the tests that pin its typed signals.
func UserConflictForTest(ctx context.Context, tx *ent.Tx, err error, usernameKey string) error {
	return userConflict(ctx, tx, err, usernameKey)
}

// PGUsernameIndex is the index name userConflict reads in a PostgreSQL error.
const PGUsernameIndex = pgUsernameIndex

// RotateInOneTrip runs the one-statement rotation of PostgreSQL (refresh.go) on token
// and reports whether it rotated it.
func RotateInOneTrip(s *Service, token string) bool {
	j, ok := s.newRotation(token)
	return ok && !s.sqlite && s.rotateOneTrip(context.Background(), j)
}
