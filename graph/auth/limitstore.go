package auth

import (
	"authbff/internal/deadline"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"time"

	"entgo.io/ent/dialect"
)

// SQLLimitStore keeps rate-limit buckets in the database, so that every replica on one
// PostgreSQL draws from the same buckets and a restart forgets nothing. Each attempt is
// one statement: an upsert doing the GCRA arithmetic in SQL, atomic under concurrency
// (the row lock of ON CONFLICT DO UPDATE serializes attempts on one key), returning the
// new theoretical arrival time and whether the attempt was allowed. Times come from the
// service clock (replicas' clocks are assumed in sync, as for token expiry).
type SQLLimitStore struct {
	db        *sql.DB
	deadlines *deadline.Queue // the store's AUTH_DB_TIMEOUT (Store.Deadlines)
	take      string
}

// NewSQLLimitStore returns a LimitStore on d's rate_limits table.
func NewSQLLimitStore(d *Store) *SQLLimitStore {
	s := &SQLLimitStore{db: d.DB, deadlines: d.Deadlines, take: pgTake}
	if d.limits != nil {
		s.db = d.limits
	}
	if d.Dialect == dialect.SQLite {
		s.take = sqliteTake
	}
	return s
}

// $1 key, $2 now, $3 increment (cost × emission interval), $4 window; Unix microseconds.
const pgTake = `INSERT INTO rate_limits AS r (id, tat, hit) VALUES ($1, $2::bigint + $3::bigint, $3::bigint <= $4::bigint)
ON CONFLICT (id) DO UPDATE SET
  tat = CASE WHEN GREATEST(r.tat, $2::bigint) + $3::bigint - $2::bigint <= $4::bigint THEN GREATEST(r.tat, $2::bigint) + $3::bigint ELSE r.tat END,
  hit = GREATEST(r.tat, $2::bigint) + $3::bigint - $2::bigint <= $4::bigint
RETURNING tat, hit`

const sqliteTake = `INSERT INTO rate_limits AS r (id, tat, hit) VALUES (?1, ?2 + ?3, ?3 <= ?4)
ON CONFLICT (id) DO UPDATE SET
  tat = CASE WHEN MAX(r.tat, ?2) + ?3 - ?2 <= ?4 THEN MAX(r.tat, ?2) + ?3 ELSE r.tat END,
  hit = MAX(r.tat, ?2) + ?3 - ?2 <= ?4
RETURNING tat, hit`

// limitKey hashes a bucket's key: a fixed length, and no address or typed identifier
// stored in clear.
func limitKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

// Take implements LimitStore.
func (s *SQLLimitStore) Take(ctx context.Context, key string, l Limit, cost int, now time.Time) (time.Duration, error) {
	dc := bounded(s.deadlines, ctx)
	defer dc.Stop()
	ctx = dc
	interval := l.Window / time.Duration(l.N)
	nowUS := now.UnixMicro()
	id := limitKey(key)
	if cost <= 0 {
		// A check: would one more event pass?
		var tat int64
		err := s.db.QueryRowContext(ctx, `SELECT tat FROM rate_limits WHERE id = $1`, id).Scan(&tat)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		over := time.Duration(max(tat, nowUS)-nowUS)*time.Microsecond + interval - l.Window
		return max(over, 0), nil
	}
	inc := (interval * time.Duration(cost)).Microseconds()
	var tat int64
	var hit bool
	if err := s.db.QueryRowContext(ctx, s.take, id, nowUS, inc, l.Window.Microseconds()).Scan(&tat, &hit); err != nil {
		return 0, err
	}
	if hit {
		return 0, nil
	}
	over := time.Duration(max(tat, nowUS)-nowUS+inc)*time.Microsecond - l.Window
	return max(over, time.Microsecond), nil
}

// Reset implements LimitStore.
func (s *SQLLimitStore) Reset(ctx context.Context, key string) error {
	dc := bounded(s.deadlines, ctx)
	defer dc.Stop()
	ctx = dc
	_, err := s.db.ExecContext(ctx, `DELETE FROM rate_limits WHERE id = $1`, limitKey(key))
	return err
}

// Sweep deletes the buckets that are back to full (the janitor calls it).
func (s *SQLLimitStore) Sweep(ctx context.Context, now time.Time) (int, error) {
	dc := bounded(s.deadlines, ctx)
	defer dc.Stop()
	ctx = dc
	res, err := s.db.ExecContext(ctx, `DELETE FROM rate_limits WHERE tat < $1`, now.UnixMicro())
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
