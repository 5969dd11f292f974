package auth

import (
	"context"
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
	token := in.RefreshToken
	if err := s.take(ctx, LimitRefreshIP, client(ctx)); err != nil {
		return nil, err
	}
	ctx = context.WithoutCancel(ctx)
	s.maybeReload(ctx, false) // sign with a key another replica may have rotated in
	child := s.childRefresh(token)
	j := &rotation{hash: hashToken(token), childHash: hashToken(child), now: s.now(), done: make(chan struct{})}
	switch {
	case s.sqlite:
		s.rotations.submit(j, s.commitRotations)
	case s.rotateOneTrip(ctx, j):
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
		return &Tokens{AccessToken: access, RefreshToken: child, TokenType: TokenType, ExpiresIn: s.ExpiresIn()}, nil
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
	hash, childHash []byte
	now             time.Time

	outcome   rotationOutcome
	userID    uuid.UUID
	sessionID uuid.UUID
	orgID     *uuid.UUID
	roles     []string
	err       error
	done      chan struct{}
}

// rotate runs one rotation inside tx. It only writes through tx and only sets j's
// results, so it may run again, and several may share a transaction: each sees what the
// ones before it wrote (two rotations of one token in one batch settle as in two
// transactions).
func (s *Service) rotate(ctx context.Context, tx *ent.Tx, j *rotation) error {
	j.outcome, j.orgID, j.roles = invalidToken, nil, nil
	var (
		id, sid, uid           uuid.UUID
		rotatedAt, revokedAt   sql.NullTime
		expiresAt, sessExpires time.Time
		org                    uuid.NullUUID
		active                 bool
		roles                  []byte
	)
	err := txQueryRow(ctx, tx, func(r rowScanner) error {
		return r.Scan(&id, &rotatedAt, &expiresAt, &sid, &revokedAt, &sessExpires, &org, &uid, &active, &roles)
	}, s.hot.refreshLookup, j.hash)
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
			childID := newTokenID()
			if _, err := tx.ExecContext(ctx, s.hot.refreshInsert, childID, sid, id, j.childHash, now, exp); err != nil {
				return err
			}
			// Keep the child, its parent (the grace) and the newest rotated ones (reuse
			// detection); older tokens of the session go.
			if _, err := tx.ExecContext(ctx, s.hot.refreshPrune, sid, id, childID, sid); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.hot.sessionTouch, now, sid); err != nil {
				return err
			}
			j.outcome = rotated
			return nil
		}
		// Another request rotated it between our read and our update: it is now a
		// rotated token, rotated just now, so the grace applies.
		rotatedAt = sql.NullTime{Time: now, Valid: true}
	}
	// A rotated token: inside the grace, answer the same child if it is still the
	// session's current token; otherwise this is reuse.
	if s.cfg.RefreshReuseGrace > 0 && now.Sub(rotatedAt.Time) <= s.cfg.RefreshReuseGrace {
		var one int
		err := txQueryRow(ctx, tx, func(r rowScanner) error { return r.Scan(&one) }, s.hot.refreshCurrent, j.childHash)
		if err == nil {
			j.outcome = graceChild
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, s.hot.sessionRevoke, now, "refresh_reuse", sid); err != nil {
		return err
	}
	j.outcome = reused
	return nil
}

// rotateOneTrip runs the common case of a rotation on PostgreSQL in one statement
// (hotsql.go pgRotate) and reports whether it did. It did not when the token is not a
// current one (nothing was written then), or when the statement failed: the
// transaction of rotate then runs, and answers or fails as before.
func (s *Service) rotateOneTrip(ctx context.Context, j *rotation) bool {
	var (
		org   uuid.NullUUID
		roles []byte
	)
	err := s.queryRowOnce(ctx, func(r rowScanner) error {
		return r.Scan(&j.sessionID, &org, &j.userID, &roles)
	}, s.hot.pgRotate, j.hash, j.now, newTokenID(), j.childHash, j.now.Add(s.cfg.RefreshTTL))
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
	j.outcome = rotated
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

// newTokenID is the row id of a new refresh token: a time-ordered UUID (version 7), so
// that each rotation inserts at the end of the primary-key and parent_id indexes instead
// of at a random place. With random ids every rotation dirtied a leaf page somewhere in
// indexes far larger than the page cache at 100,000 sessions, and refresh lost ~46% of
// its throughput between 1,000 and 1,000,000 accounts (BENCHMARKS.md § Scale run); the id
// is never shown to a client (the token is 256 random bits of its own).
func newTokenID() uuid.UUID { return uuid.Must(uuid.NewV7()) }
