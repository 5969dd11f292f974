package auth

import (
	"authbff/internal/deadline"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/mattn/go-sqlite3"
)

// DBOptions bound what the service asks of its database (AUTH_DB_* variables).
type DBOptions struct {
	// Timeout bounds every database call (a statement, or a whole transaction from BEGIN
	// to COMMIT); PostgreSQL also gets it as statement_timeout and, rounded up to whole
	// seconds, as connect_timeout. Default 5s.
	Timeout time.Duration
	// MaxConns caps open connections per process (PostgreSQL default 25: three replicas
	// stay under PostgreSQL's default max_connections of 100, whatever the core count).
	MaxConns int
	// MaxIdleConns is how many idle connections are kept (default: MaxConns / 2 on
	// PostgreSQL, where an idle connection holds a server backend; all of them on SQLite,
	// where it holds a file handle, its page cache and its prepared statements: closing
	// the ones over half after every burst and opening them again on the next one made
	// each new connection read the schema and refill its caches, which cost refresh
	// under 64 clients up to half its throughput and 2.7x the floor's CPU per request,
	// varying from run to run with the churn; issue 12).
	MaxIdleConns int
	// ConnMaxLifetime recycles connections (default 30m: a failover or a DNS change is
	// picked up without a restart); ConnMaxIdleTime closes idle ones (default 5m).
	ConnMaxLifetime time.Duration
	ConnMaxIdleTime time.Duration
}

// DefaultDBTimeout is AUTH_DB_TIMEOUT's default.
const DefaultDBTimeout = 5 * time.Second

// DefaultPostgresMaxConns is AUTH_DB_MAX_CONNS's default on PostgreSQL.
const DefaultPostgresMaxConns = 25

func (o DBOptions) withDefaults(postgres bool, cpus int) DBOptions {
	if o.Timeout <= 0 {
		o.Timeout = DefaultDBTimeout
	}
	if o.MaxConns <= 0 {
		if postgres {
			o.MaxConns = DefaultPostgresMaxConns
		} else {
			o.MaxConns = 4 * cpus
		}
	}
	if o.MaxIdleConns <= 0 {
		o.MaxIdleConns = o.MaxConns
		if postgres {
			o.MaxIdleConns = max(o.MaxConns/2, 1)
		}
	}
	if o.ConnMaxLifetime <= 0 {
		o.ConnMaxLifetime = 30 * time.Minute
	}
	if o.ConnMaxIdleTime <= 0 {
		o.ConnMaxIdleTime = 5 * time.Minute
	}
	return o
}

// postgresDSN adds connect_timeout and statement_timeout to a postgres:// URL unless it
// sets them itself. pgx sends unknown parameters as run-time settings at connection.
func postgresDSN(raw string, timeout time.Duration) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw // pgx reports the malformed URL
	}
	q := u.Query()
	if q.Get("connect_timeout") == "" {
		q.Set("connect_timeout", strconv.Itoa(int((timeout+time.Second-1)/time.Second)))
	}
	if q.Get("statement_timeout") == "" {
		q.Set("statement_timeout", strconv.FormatInt(timeout.Milliseconds(), 10))
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// deadlineDriver runs every statement, and every transaction from BEGIN to COMMIT,
// under a deadline, so that a frozen database makes a request fail in bounded time
// instead of hanging. A read outside a transaction that meets a connection the server
// ended is run once more (database/sql then picks another connection).
//
// The deadline is AUTH_DB_TIMEOUT, kept by the store's deadline.Queue (Store.Deadlines):
// the same queue bounds the service's own fixed reads (hotsql.go queryRowOnce) and the
// rate-limit store, so the bound has one mechanism and one timer instead of a
// context.WithTimeout (a runtime timer set and stopped) per statement.
type deadlineDriver struct {
	dialect.Driver
	q *deadline.Queue
}

// bounded returns ctx bounded by q; its Stop must be called when the work ends, as the
// CancelFunc of context.WithTimeout.
func bounded(q *deadline.Queue, ctx context.Context) *deadline.Context {
	dc := &deadline.Context{}
	dc.Start(q, ctx, nil)
	return dc
}

func (d deadlineDriver) Exec(ctx context.Context, query string, args, v any) error {
	dc := bounded(d.q, ctx)
	defer dc.Stop()
	return d.Driver.Exec(dc, query, args, v)
}

func (d deadlineDriver) Query(ctx context.Context, query string, args, v any) error {
	err := queryWithDeadline(ctx, d.Driver, d.q, query, args, v)
	if isRead(query) && readAgain(ctx, err) {
		err = queryWithDeadline(ctx, d.Driver, d.q, query, args, v)
	}
	return err
}

// ExecContext serves ent's raw statements (Client.ExecContext: VACUUM, checkpoints),
// under the same deadline.
func (d deadlineDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ex, ok := d.Driver.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, fmt.Errorf("ExecContext: not supported by %T", d.Driver)
	}
	dc := bounded(d.q, ctx)
	defer dc.Stop()
	return ex.ExecContext(dc, query, args...)
}

// QueryContext serves the service's fixed reads (hotsql.go: Client.QueryContext). The
// rows are read after it returns, so the deadline cannot end here: the caller bounds
// the read with the same queue (Service.queryRowOnce).
func (d deadlineDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q, ok := d.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, fmt.Errorf("QueryContext: not supported by %T", d.Driver)
	}
	return q.QueryContext(ctx, query, args...)
}

func isRead(query string) bool {
	q := strings.TrimSpace(query)
	return len(q) >= 6 && strings.EqualFold(q[:6], "SELECT")
}

// queryWithDeadline keeps the deadline alive until the rows are closed: they are read
// after Query returns.
func queryWithDeadline(ctx context.Context, drv dialect.ExecQuerier, q *deadline.Queue, query string, args, v any) error {
	dc := bounded(q, ctx)
	if err := drv.Query(dc, query, args, v); err != nil {
		dc.Stop()
		return err
	}
	if rows, ok := v.(*entsql.Rows); ok && rows.ColumnScanner != nil {
		rows.ColumnScanner = stopOnClose{rows.ColumnScanner, dc}
	} else {
		dc.Stop()
	}
	return nil
}

type stopOnClose struct {
	entsql.ColumnScanner
	dc *deadline.Context
}

func (c stopOnClose) Close() error {
	err := c.ColumnScanner.Close()
	c.dc.Stop()
	return err
}

func (d deadlineDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	return d.BeginTx(ctx, nil)
}

// BeginTx starts a transaction whose whole life, COMMIT included, is bounded.
func (d deadlineDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	dc := bounded(d.q, ctx)
	var tx dialect.Tx
	var err error
	if b, ok := d.Driver.(interface {
		BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
	}); ok {
		tx, err = b.BeginTx(dc, opts)
	} else {
		tx, err = d.Driver.Tx(dc)
	}
	if err != nil {
		dc.Stop()
		return nil, err
	}
	return &deadlineTx{Tx: tx, dc: dc, q: d.q}, nil
}

type deadlineTx struct {
	dialect.Tx
	dc *deadline.Context // the whole transaction's
	q  *deadline.Queue
}

func (t *deadlineTx) Exec(ctx context.Context, query string, args, v any) error {
	dc := bounded(t.q, ctx)
	defer dc.Stop()
	return t.Tx.Exec(dc, query, args, v)
}

func (t *deadlineTx) Query(ctx context.Context, query string, args, v any) error {
	return queryWithDeadline(ctx, t.Tx, t.q, query, args, v)
}

// ExecContext and QueryContext serve the fixed statements of the hot paths inside a
// transaction (refresh.go); the transaction's own deadline (BeginTx) bounds them, and
// each statement gets the per-statement one too.
func (t *deadlineTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ex, ok := t.Tx.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, fmt.Errorf("ExecContext: not supported by %T", t.Tx)
	}
	dc := bounded(t.q, ctx)
	defer dc.Stop()
	return ex.ExecContext(dc, query, args...)
}

func (t *deadlineTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q, ok := t.Tx.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, fmt.Errorf("QueryContext: not supported by %T", t.Tx)
	}
	return q.QueryContext(ctx, query, args...)
}

func (t *deadlineTx) Commit() error {
	defer t.dc.Stop()
	return t.Tx.Commit()
}

func (t *deadlineTx) Rollback() error {
	defer t.dc.Stop()
	return t.Tx.Rollback()
}

// healingConnector opens go-sqlite3 connections that retire themselves after a storage
// failure (read-only, I/O error, disk full, cannot open). SQLite opens a database
// read-only, silently, when it cannot open it for writing, and such a connection would
// stay read-only after the cause is fixed. One failure retires every connection of the
// pool opened before it (a generation number): database/sql discards them when they are
// next returned or reused, and opens fresh ones, so the service heals by itself.
type healingConnector struct {
	dsn string
	d   *sqlite3.SQLiteDriver
	gen atomic.Int64
}

func newHealingConnector(dsn string) *healingConnector {
	return &healingConnector{dsn: dsn, d: &sqlite3.SQLiteDriver{}}
}

// Connect opens a connection. Opening runs the DSN's pragmas, and on a database file
// that is not yet in WAL mode (a new one) `journal_mode=WAL` must take the file's
// exclusive lock: when two connections open such a file at once (replicas or operator
// commands starting together, or a pool filling up), SQLite answers one of them
// SQLITE_BUSY at once, without its busy handler, since both hold a shared lock and
// waiting could deadlock. Connect then tries again, for as long as the busy timeout
// would have waited (openBusyWait), unless ctx ends first; the other connection has
// made the file WAL by then, and the next open finds nothing to change.
// (TestConcurrentOpenOfANewFile: 8 stores opening one new file at once failed ~3% of
// the time before.)
func (h *healingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	gen := h.gen.Load()
	c, err := h.d.Open(h.dsn)
	for wait, deadline := time.Millisecond, time.Now().Add(openBusyWait); err != nil; wait = min(2*wait, 100*time.Millisecond) {
		if code, ok := sqliteCode(err); !ok || (code != sqlite3.ErrBusy && code != sqlite3.ErrLocked) || time.Now().Add(wait).After(deadline) {
			return nil, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
		c, err = h.d.Open(h.dsn)
	}
	return &healingConn{SQLiteConn: c.(*sqlite3.SQLiteConn), pool: h, gen: gen}, nil
}

// openBusyWait bounds Connect's retries; the DSN's _busy_timeout (10 s) bounds every
// other wait for a lock.
const openBusyWait = 10 * time.Second

func (h *healingConnector) Driver() driver.Driver { return h.d }

type healingConn struct {
	*sqlite3.SQLiteConn
	pool *healingConnector
	gen  int64
	bad  atomic.Bool
}

// check retires the connection, and every older one, after a failure of the storage.
func (c *healingConn) check(err error) error {
	if code, ok := sqliteCode(err); ok {
		switch code {
		case sqlite3.ErrReadonly, sqlite3.ErrIoErr, sqlite3.ErrFull, sqlite3.ErrCantOpen, sqlite3.ErrCorrupt:
			if !c.bad.Swap(true) {
				c.pool.gen.Add(1)
			}
		}
	}
	return err
}

func (c *healingConn) valid() bool { return !c.bad.Load() && c.gen == c.pool.gen.Load() }

// IsValid implements driver.Validator: database/sql discards an invalid connection.
func (c *healingConn) IsValid() bool { return c.valid() }

// ResetSession implements driver.SessionResetter: an idle connection is checked before reuse.
func (c *healingConn) ResetSession(context.Context) error {
	if !c.valid() {
		return driver.ErrBadConn
	}
	return nil
}

func (c *healingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	r, err := c.SQLiteConn.ExecContext(ctx, query, args)
	return r, c.check(err)
}

func (c *healingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	r, err := c.SQLiteConn.QueryContext(ctx, query, args)
	return r, c.check(err)
}

func (c *healingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.SQLiteConn.BeginTx(ctx, opts)
	if err != nil {
		return nil, c.check(err)
	}
	return healingTx{tx, c}, nil
}

type healingTx struct {
	driver.Tx
	c *healingConn
}

func (t healingTx) Commit() error { return t.c.check(t.Tx.Commit()) }
