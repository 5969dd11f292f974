package auth

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
)

// The one mapping of storage failures. A failure of the database rather than of the
// request (unreachable, restarting, out of connections, read-only, full, too slow) is
// SERVICE_UNAVAILABLE with Retry-After, never INTERNAL_SERVER_ERROR; it is decided from
// typed signals (SQLSTATE, SQLite result codes, context and network errors), never from
// message text.

// unavailableRetryAfter is the Retry-After, in seconds, of a database failure.
const unavailableRetryAfter = 2

// isUnavailable reports whether err means the database cannot serve right now.
func isUnavailable(err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, pgconn.ErrConnClosed):
		return true
	}
	if code := pgCode(err); code != "" {
		switch {
		case strings.HasPrefix(code, "08"), // connection exception
			strings.HasPrefix(code, "53"),    // insufficient resources: 53300 too many connections, 53100 disk full
			strings.HasPrefix(code, "57P"),   // 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now
			code == "57014",                  // query_canceled: statement_timeout
			code == "40001", code == "40P01", // serialization failure, deadlock (after the retry)
			code == "25006", // read-only transaction (a standby after failover)
			code == "55P03": // lock not available
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || pgconn.Timeout(err) {
		return true
	}
	if c, ok := sqliteCode(err); ok {
		switch c {
		case sqlite3.ErrBusy, sqlite3.ErrLocked, sqlite3.ErrReadonly, sqlite3.ErrFull, sqlite3.ErrIoErr,
			sqlite3.ErrCantOpen, sqlite3.ErrNomem, sqlite3.ErrProtocol:
			return true
		}
		return false
	}
	var op *net.OpError
	return errors.As(err, &op)
}

// readAgain reports whether a read that failed with err is run once more, on another
// connection: the failure is transient (isTransient), it is not "no row", and the
// caller is still waiting. The one rule of ent's reads (deadlineDriver.Query) and the
// service's fixed reads (Service.queryRow).
func readAgain(ctx context.Context, err error) bool {
	return err != nil && !errors.Is(err, sql.ErrNoRows) && isTransient(err) && ctx.Err() == nil
}

// isTransient reports whether an operation that failed with err before it committed may
// be run again at once with a fair chance of success: a serialization failure, a
// deadlock, or a connection the server ended (restart, failover, pg_terminate_backend).
//
// pgconn.ErrConnClosed: pgx found its connection closed (the server ended it) before it
// sent anything, e.g. when it first drops statements its cache invalidated ("failed to
// deallocate cached statement(s): conn closed"); database/sql reports that race as such
// rather than as driver.ErrBadConn (seen once in a few dozen runs of
// TestFaultBackendsTerminatedUnderLoad, as a 500).
func isTransient(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, pgconn.ErrConnClosed) {
		return true
	}
	switch code := pgCode(err); {
	case code == "40001", code == "40P01", code == "57P01", code == "57P02", strings.HasPrefix(code, "08"):
		return true
	}
	if c, ok := sqliteCode(err); ok {
		// A connection that met a storage failure retired itself and every older one
		// (db.go): the next, freshly opened connection may well succeed (one opened while
		// the files were read-only stays read-only, or fails with an I/O error, after the
		// cause is fixed).
		switch c {
		case sqlite3.ErrBusy, sqlite3.ErrLocked, sqlite3.ErrReadonly, sqlite3.ErrIoErr, sqlite3.ErrCantOpen:
			return true
		}
	}
	return false
}

// uncommitted reports whether a COMMIT that failed with err certainly did not commit:
// SQLite runs in-process, so its COMMIT either commits or returns an error (go-sqlite3
// then rolls back); no acknowledgement can be lost on the way, as with a server.
func uncommitted(err error) bool {
	_, ok := sqliteCode(err)
	return ok
}

// pgCode is the SQLSTATE of a PostgreSQL error, "" for any other error.
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// sqliteCode is the primary result code of a SQLite error.
func sqliteCode(err error) (sqlite3.ErrNo, bool) {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.Code, true
	}
	var sp *sqlite3.Error
	if errors.As(err, &sp) && sp != nil {
		return sp.Code, true
	}
	return 0, false
}

// IsUnavailable reports whether err is SERVICE_UNAVAILABLE or a storage failure that
// maps to it (for readiness checks and logging outside the service).
func IsUnavailable(err error) bool {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Code == CodeServiceUnavailable
	}
	return isUnavailable(err)
}

// outageLogEvery is how often, at most, a database outage is logged: one ERROR line per
// burst, then one line per interval with how many failures it stood for.
const outageLogEvery = 10 * time.Second

// burstLog bounds the lines an outage writes.
type burstLog struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func (b *burstLog) allow(now time.Time) (bool, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() && now.Sub(b.last) < outageLogEvery {
		b.suppressed++
		return false, 0
	}
	n := b.suppressed
	b.last, b.suppressed = now, 0
	return true, n
}

// ReportFailure logs the cause of a request that failed with INTERNAL_SERVER_ERROR or
// SERVICE_UNAVAILABLE, tied to its request id. An internal error is logged every time;
// an unavailable database at most once per outageLogEvery (with the count of requests
// it stood for), so that an outage does not write one ERROR per request.
func (s *Service) ReportFailure(ctx context.Context, err error) {
	var ae *Error
	if !errors.As(err, &ae) {
		ae, _ = Internal(err).(*Error)
	}
	cause := error(ae)
	if ae.Cause() != nil {
		cause = ae.Cause()
	}
	id := ClientFrom(ctx).RequestID
	if ae.Code != CodeServiceUnavailable {
		s.cfg.Log.Error("request failed", "request_id", id, "err", cause.Error())
		return
	}
	if ae.Cause() == nil {
		return // an overload answer (hash queue), already counted
	}
	s.cfg.Metrics.DBUnavailable()
	if ok, n := s.outage.allow(time.Now()); ok {
		s.cfg.Log.Error("database unavailable: answering 503", "request_id", id, "err", cause.Error(),
			"similar_since_last_line", n)
	}
}
