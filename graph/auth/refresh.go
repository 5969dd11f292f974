package auth

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"sync"
	"time"

	"github.com/google/uuid"

	"authbff/ent"
)

// RefreshInput is the refresh form.
type RefreshInput struct {
	RefreshToken string
}

// RefreshForm declares RefreshInput's field.
var RefreshForm = newForm(
	text(FieldRefreshToken, nil, func(in *RefreshInput) *string { return &in.RefreshToken }),
)

// Refresh exchanges a refresh token for a new pair. Each token rotates once; presenting
// a rotated token again within RefreshReuseGrace of its rotation answers the same child
// (two tabs refreshing at once), after it revokes the whole session. A dead session is
// never revived. Concurrent refreshes of one token are settled by a conditional update
// inside one transaction.
//
// How it is written (issue 12):
//   - a refresh token names its row: it is the row's id and a 256-bit secret, and the
//     row is found by primary key and verified by the SHA-256 of the token (tokens.go),
//     never through an index keyed by a random hash, so a rotation touches the end of the
//     primary key and pages already in the cache; a token of neither shape is refused
//     before any query, and an id with a wrong secret is unknown (401, nothing revoked);
//   - fixed SQL (hotsql.go), every statement prepared once per connection;
//   - a session keeps only its current token and the last rotated ones (refreshKeep in
//     all, hotsql.go): each rotation deletes older ones, so refresh_tokens does not grow
//     with the life of a session. Reuse of any kept token revokes the session; a token
//     older than that is unknown (401) and no longer revokes it;
//   - on SQLite, rotations are queued to one committer that runs a batch of them in one
//     write transaction, so concurrent refreshes share one fsync (synchronous=FULL is
//     kept: a 200 survives power loss) and no request sleeps in SQLite's busy handler
//     waiting for another refresh; on a file database the committer writes on one
//     dedicated connection that keeps its page cache between batches (Store.Writer); on PostgreSQL the common case is one statement (one
//     round trip), the rest (grace, reuse) one transaction;
//   - the rotation runs detached from the request: a client that disconnects mid-refresh
//     leaves it committed or not, never half, and no error is logged for it (within the
//     grace, presenting the same token again answers the child it missed).
//
// Errors: VALIDATION_ERROR, RATE_LIMIT_EXCEEDED, AUTHENTICATION_FAILED,
// SERVICE_UNAVAILABLE.
func (s *Service) Refresh(ctx context.Context, in RefreshInput) (*Tokens, error) {
	if err := RefreshForm.Validate(&in); err != nil {
		return nil, err
	}
	if err := s.take(ctx, LimitRefreshIP, client(ctx)); err != nil {
		return nil, err
	}
	// The limit counts malformed tokens too (a client probing with garbage is limited
	// like one probing with well-formed tokens); they cost no query of refresh_tokens.
	j, ok := s.newRotation(in.RefreshToken)
	if !ok {
		return nil, newError(CodeAuthFailed, MsgInvalidRefresh)
	}
	ctx = context.WithoutCancel(ctx)
	s.maybeReload(ctx, false) // sign with a key another replica may have rotated in
	switch {
	case s.sqlite:
		s.rotations.submit(j, s.commitRotations)
	case !j.ref.legacy && s.rotateOneTrip(ctx, j):
	default:
		j.err = s.inTx(ctx, func(tx *ent.Tx) error { return s.rotate(ctx, tx, j) })
	}
	if j.err != nil {
		return nil, Internal(j.err)
	}
	switch j.outcome {
	case rotated, graceChild:
		access, err := s.issueAccess(j.userID, j.sessionID, j.orgID, j.roles, j.now)
		if err != nil {
			return nil, Internal(err)
		}
		return &Tokens{AccessToken: access, RefreshToken: j.child, TokenType: TokenType, ExpiresIn: s.ExpiresIn()}, nil
	case reused:
		s.cfg.Log.Warn("refresh token reuse detected; session revoked", "session_id", j.sessionID)
		s.auditSession(ctx, EventRefreshReuse, &j.userID, &j.sessionID, nil)
	}
	return nil, newError(CodeAuthFailed, MsgInvalidRefresh)
}

type rotationOutcome int

const (
	invalidToken rotationOutcome = iota // unknown, expired, or its session is dead
	rotated                             // rotated now: the child is stored
	graceChild                          // rotated within the grace: the same child again
	reused                              // rotated before: the session is revoked
)

// rotation is one refresh: its input, and what the transaction found and did.
type rotation struct {
	ref refreshRef // the presented token
	now time.Time
	// secret is the child's secret, derived from the presented token (childRefresh);
	// newChild the child token a rotation stores now, under row id newChildID, with
	// newChildHash. All are computed before the rotation is queued, so that the
	// committer only runs statements.
	secret       []byte
	newChildID   uuid.UUID
	newChild     string
	newChildHash []byte

	outcome   rotationOutcome
	child     string // the child answered: newChild, or within the grace the stored one
	userID    uuid.UUID
	sessionID uuid.UUID
	orgID     *uuid.UUID
	roles     []string
	err       error
	done      chan struct{}
}

// newRotation prepares the rotation of a presented token, or reports a token of neither
// shape (tokens.go).
func (s *Service) newRotation(token string) (*rotation, bool) {
	ref, ok := parseRefresh(token)
	if !ok {
		return nil, false
	}
	j := &rotation{ref: ref, now: s.now(), secret: s.childRefresh(token), newChildID: newOrderedID(), done: make(chan struct{})}
	j.newChild = encodeRefresh(j.newChildID, j.secret)
	j.newChildHash = hashToken(j.newChild)
	return j, true
}

// rotate runs one rotation inside tx. It only writes through tx and only sets j's
// results, so it may run again, and several may share a transaction: each sees what the
// ones before it wrote (two rotations of one token in one batch settle as in two
// transactions).
func (s *Service) rotate(ctx context.Context, tx *ent.Tx, j *rotation) error {
	j.outcome, j.orgID, j.roles, j.child = invalidToken, nil, nil, ""
	var (
		id, sid, uid           uuid.UUID
		rotatedAt, revokedAt   sql.NullTime
		expiresAt, sessExpires time.Time
		org                    uuid.NullUUID
		active                 bool
		roles                  []byte
	)
	scan := func(r rowScanner) error {
		return r.Scan(&id, &rotatedAt, &expiresAt, &sid, &revokedAt, &sessExpires, &org, &uid, &active, &roles)
	}
	var err error
	if j.ref.legacy {
		err = txQueryRow(ctx, tx, scan, s.hot.refreshLookupLegacy, j.ref.hash)
	} else {
		err = txQueryRow(ctx, tx, scan, s.hot.refreshLookup, j.ref.id, j.ref.hash)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	now := j.now
	if revokedAt.Valid || !now.Before(sessExpires) || !active {
		return nil
	}
	j.userID, j.sessionID = uid, sid
	if org.Valid {
		o := org.UUID
		j.orgID = &o
	}
	if len(roles) > 0 {
		if err := jsonUnmarshal(roles, &j.roles); err != nil {
			return err
		}
	}
	if !rotatedAt.Valid {
		if !now.Before(expiresAt) {
			return nil
		}
		res, err := tx.ExecContext(ctx, s.hot.refreshMark, now, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			exp := now.Add(s.cfg.RefreshTTL)
			if exp.After(sessExpires) {
				exp = sessExpires
			}
			if _, err := tx.ExecContext(ctx, s.hot.refreshInsert, j.newChildID, sid, id, j.newChildHash, now, exp); err != nil {
				return err
			}
			// Keep the child, its parent (the grace) and the newest rotated ones (reuse
			// detection); older tokens of the session go.
			if _, err := tx.ExecContext(ctx, s.hot.refreshPrune, sid, id, j.newChildID, sid); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.hot.sessionTouch, now, sid); err != nil {
				return err
			}
			j.outcome, j.child = rotated, j.newChild
			return nil
		}
		// Another request rotated it between our read and our update: it is now a
		// rotated token, rotated just now, so the grace applies.
		rotatedAt = sql.NullTime{Time: now, Valid: true}
	}
	// A rotated token: inside the grace, answer the same child if it is still the
	// session's current token (the unrotated row whose parent is this one); otherwise
	// this is reuse. The child token is rebuilt from its row's id and the secret derived
	// from this token, and checked against the row's hash: a legacy child (rotated by a
	// release before the token format changed) is answered in its own, legacy, encoding.
	if s.cfg.RefreshReuseGrace > 0 && now.Sub(rotatedAt.Time) <= s.cfg.RefreshReuseGrace {
		var (
			childID                uuid.UUID
			secretHash, legacyHash []byte
		)
		err := txQueryRow(ctx, tx, func(r rowScanner) error { return r.Scan(&childID, &secretHash, &legacyHash) },
			s.hot.refreshCurrent, id)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err == nil {
			if c, ok := storedChild(childID, secretHash, legacyHash, j.secret); ok {
				j.outcome, j.child = graceChild, c
				return nil
			}
		}
	}
	if _, err := tx.ExecContext(ctx, s.hot.sessionRevoke, now, "refresh_reuse", sid); err != nil {
		return err
	}
	j.outcome = reused
	return nil
}

// storedChild rebuilds the child token stored in row childID from the secret derived
// from its parent, and reports whether it is the one the row holds.
func storedChild(childID uuid.UUID, secretHash, legacyHash, secret []byte) (string, bool) {
	switch {
	case secretHash != nil:
		c := encodeRefresh(childID, secret)
		return c, subtle.ConstantTimeCompare(hashToken(c), secretHash) == 1
	case legacyHash != nil:
		c := legacyChild(secret)
		return c, subtle.ConstantTimeCompare(hashToken(c), legacyHash) == 1
	}
	return "", false
}

// rotateOneTrip runs the common case of a rotation on PostgreSQL in one statement
// (hotsql.go pgRotate) and reports whether it did. It did not when the token is not a
// current one (nothing was written then), or when the statement failed: the
// transaction of rotate then runs, and answers or fails as before. Legacy tokens
// (tokens.go) always take the transaction.
func (s *Service) rotateOneTrip(ctx context.Context, j *rotation) bool {
	var (
		org   uuid.NullUUID
		roles []byte
	)
	err := s.queryRowOnce(ctx, func(r rowScanner) error {
		return r.Scan(&j.sessionID, &org, &j.userID, &roles)
	}, s.hot.pgRotate, j.ref.id, j.ref.hash, j.now, j.newChildID, j.newChildHash, j.now.Add(s.cfg.RefreshTTL))
	if err != nil {
		return false
	}
	if org.Valid {
		o := org.UUID
		j.orgID = &o
	}
	if len(roles) > 0 && jsonUnmarshal(roles, &j.roles) != nil {
		return false
	}
	j.outcome, j.child = rotated, j.newChild
	return true
}

// txQueryRow is queryRow inside a transaction.
func txQueryRow(ctx context.Context, tx *ent.Tx, scan func(rowScanner) error, query string, args ...any) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	return scanOne(rows, err, scan)
}

// groupCommit queues rotations for one committer goroutine, which runs while there is
// work and exits when the queue is empty (nothing to stop at shutdown).
type groupCommit struct {
	mu      sync.Mutex
	pending []*rotation
	running bool
}

// maxRotationBatch bounds one transaction: a batch holds SQLite's write lock for its
// statements (a few µs each) and one fsync.
const maxRotationBatch = 256

// submit queues j and waits until its batch is done (committed, or failed with j.err).
func (g *groupCommit) submit(j *rotation, run func([]*rotation)) {
	g.mu.Lock()
	g.pending = append(g.pending, j)
	if !g.running {
		g.running = true
		go g.loop(run)
	}
	g.mu.Unlock()
	<-j.done
}

func (g *groupCommit) loop(run func([]*rotation)) {
	for {
		g.mu.Lock()
		batch := g.pending
		if len(batch) == 0 {
			g.running = false
			g.mu.Unlock()
			return
		}
		if len(batch) > maxRotationBatch {
			batch = batch[:maxRotationBatch:maxRotationBatch]
			g.pending = append([]*rotation(nil), g.pending[maxRotationBatch:]...)
		} else {
			g.pending = nil
		}
		g.mu.Unlock()
		run(batch)
		for _, j := range batch {
			close(j.done)
		}
	}
}

// commitRotations runs a batch in one write transaction: one BEGIN IMMEDIATE, one
// COMMIT, one fsync for all of them. If a statement fails, the batch is rolled back and
// each rotation runs again in a transaction of its own, so that one failure answers one
// request. Its transactions run on s.writer: on a SQLite file, one dedicated connection
// (Store.Writer), whose page cache survives its own commits, where a pooled connection
// would drop it whenever another connection wrote since its last transaction (WAL) and
// re-read the index pages every batch touches (see Store.Writer).
func (s *Service) commitRotations(batch []*rotation) {
	ctx := context.Background()
	err := inTxOn(ctx, s.writer, func(tx *ent.Tx) error {
		for _, j := range batch {
			if err := s.rotate(ctx, tx, j); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || len(batch) == 1 {
		for _, j := range batch {
			j.err = err
		}
		return
	}
	for _, j := range batch {
		j.err = inTxOn(ctx, s.writer, func(tx *ent.Tx) error { return s.rotate(ctx, tx, j) })
	}
}
