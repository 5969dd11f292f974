package auth

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "github.com/mattn/go-sqlite3"    // SQLite driver "sqlite3"

	"authbff/ent"
	"authbff/internal/deadline"
	"authbff/migrations"
)

// Store is an open database: the ent client, the handle under it, and how messages name it.
type Store struct {
	Client  *ent.Client
	DB      *sql.DB
	Dialect string // migrations.SQLite or migrations.Postgres
	// Name is the database as messages name it: the absolute SQLite path, or the
	// PostgreSQL URL with its password hidden.
	Name string
	// Timeout is AUTH_DB_TIMEOUT, and Deadlines the queue that keeps it: every call of
	// Client and Writer, the service's fixed statements (Config.Store) and the rate-limit
	// store run under it (internal/deadline: one timer for all of them).
	Timeout   time.Duration
	Deadlines *deadline.Queue
	// Writer is an ent client over one dedicated connection of a SQLite file database
	// (nil on PostgreSQL and on :memory:), under the same deadlines as Client: the
	// refresh committer writes on it (the service takes it from Config.Store).
	//
	// Why one connection: in WAL mode, a connection that begins a transaction after
	// another connection wrote finds the WAL index changed and drops its whole page
	// cache. The committer's batches, run on whichever pooled connection database/sql
	// hands out, thus re-read with pread the index pages of refresh_tokens and sessions
	// that each rotation touches (random keys, spread over the whole index;
	// BENCHMARKS.md § Scale run). A connection that is the only writer of those rows
	// keeps its cache across its own commits: measured, 10–25% less CPU per refresh at
	// every size (the drop at 100,000 sessions is mostly the pages written, which this
	// does not change). It is not recycled (no lifetime, no idle limit); it is replaced
	// only when it fails (healingConnector: it shares the pool's connector, so a storage
	// failure retires it with the others).
	Writer *ent.Client
	// limits is the pool of the rate-limit store on PostgreSQL: its connections commit
	// with synchronous_commit=off (a counter need not wait for a WAL flush; a server
	// crash may forget its last fraction of a second, nothing else).
	limits *sql.DB
}

// sqliteStmtCache is how many prepared statements each SQLite connection keeps: the hot
// paths' fixed statements and ent's most frequent queries fit.
const sqliteStmtCache = 64

// OpenMode says whether Open may create a SQLite database file.
type OpenMode int

const (
	// OpenExisting refuses a SQLite file that does not exist (operator commands never
	// create a database as a side effect).
	OpenExisting OpenMode = iota
	// OpenOrCreate creates the SQLite file and its directory (serve, migrate up).
	OpenOrCreate
)

// Open opens the database named by an AUTH_DATABASE_URL value without touching its
// schema: "sqlite:PATH", "sqlite::memory:", or "postgres://…". SQLite runs with foreign
// keys on, WAL, a busy timeout, immediate write transactions (no lock-upgrade
// deadlocks), synchronous=FULL, so a 200 survives a crash, and secure_delete, so that
// deleted rows (spent links, dropped mail bodies) are zeroed.
func Open(ctx context.Context, url string, mode OpenMode) (*Store, error) {
	return OpenWith(ctx, url, mode, DBOptions{})
}

// OpenWith is Open with pool and deadline options (AUTH_DB_*): every call of the ent
// client runs under o.Timeout.
func OpenWith(ctx context.Context, url string, mode OpenMode, o DBOptions) (*Store, error) {
	st := &Store{}
	var drv *entsql.Driver
	var limits *sql.DB
	o = o.withDefaults(strings.HasPrefix(url, "postgres"), runtime.NumCPU())
	st.Timeout, st.Deadlines = o.Timeout, deadline.New(o.Timeout)
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(url, "sqlite:")
		// _stmt_cache_size: each connection keeps its last prepared statements and reuses
		// them for the same SQL text (hot paths: hotsql.go), instead of preparing every call.
		opts := "_fk=1&_journal_mode=WAL&_busy_timeout=10000&_txlock=immediate&_synchronous=FULL&_secure_delete=on&_stmt_cache_size=" + strconv.Itoa(sqliteStmtCache)
		var dsn string
		memory := path == ":memory:"
		if memory {
			st.Name = "sqlite::memory:"
			dsn = "file:authbff-" + rand.Text() + "?mode=memory&cache=shared&" + opts
		} else {
			if path == "" {
				return nil, fmt.Errorf("AUTH_DATABASE_URL %q: no path after sqlite", url)
			}
			abs, err := filepath.Abs(path)
			if err != nil {
				return nil, err
			}
			st.Name = abs
			if mode == OpenExisting {
				if _, err := os.Stat(abs); errors.Is(err, fs.ErrNotExist) {
					return nil, fmt.Errorf("database %s does not exist (AUTH_DATABASE_URL=%s): point AUTH_DATABASE_URL at the right file, or create it with `authbff migrate up`", abs, url)
				}
				opts += "&mode=rw"
			} else if dir := filepath.Dir(path); dir != "." {
				if err := os.MkdirAll(dir, 0o700); err != nil {
					return nil, fmt.Errorf("creating %s: %w", dir, err)
				}
			}
			dsn = "file:" + path + "?" + opts
		}
		conn := newHealingConnector(dsn)
		db := sql.OpenDB(conn)
		if memory {
			db.SetMaxOpenConns(1) // one shared in-memory database
		} else {
			db.SetMaxOpenConns(o.MaxConns)
			db.SetMaxIdleConns(o.MaxIdleConns)
			db.SetConnMaxLifetime(o.ConnMaxLifetime)
			db.SetConnMaxIdleTime(o.ConnMaxIdleTime)
		}
		st.DB, st.Dialect = db, migrations.SQLite
		drv = entsql.OpenDB(dialect.SQLite, db)
		if !memory {
			wdb := sql.OpenDB(conn) // the same connector: one storage failure retires both
			wdb.SetMaxOpenConns(1)
			wdb.SetMaxIdleConns(1)
			wdb.SetConnMaxLifetime(0)
			wdb.SetConnMaxIdleTime(0)
			st.Writer = ent.NewClient(ent.Driver(deadlineDriver{Driver: entsql.OpenDB(dialect.SQLite, wdb), q: st.Deadlines}))
		}
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		db, err := sql.Open("pgx", postgresDSN(url, o.Timeout))
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(o.MaxConns)
		db.SetMaxIdleConns(o.MaxIdleConns)
		db.SetConnMaxLifetime(o.ConnMaxLifetime)
		db.SetConnMaxIdleTime(o.ConnMaxIdleTime)
		st.DB, st.Dialect, st.Name = db, migrations.Postgres, RedactURL(url)
		drv = entsql.OpenDB(dialect.Postgres, db)
		limits, err = sql.Open("pgx", postgresDSN(url, o.Timeout)+"&synchronous_commit=off")
		if err != nil {
			return nil, err
		}
		limits.SetMaxOpenConns(limitPoolSize)
		limits.SetMaxIdleConns(limitPoolSize)
		limits.SetConnMaxLifetime(o.ConnMaxLifetime)
		limits.SetConnMaxIdleTime(o.ConnMaxIdleTime)
	default:
		return nil, fmt.Errorf("AUTH_DATABASE_URL must start with sqlite: or postgres://")
	}
	st.Client = ent.NewClient(ent.Driver(deadlineDriver{Driver: drv, q: st.Deadlines}))
	st.limits = limits
	pctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if err := st.DB.PingContext(pctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("connecting to database %s: %w", st.Name, err)
	}
	return st, nil
}

// SQLiteDB is DB on SQLite, nil on PostgreSQL; the service takes it through
// Config.Store (the session check reads through its driver connections).
func (s *Store) SQLiteDB() *sql.DB {
	if s.Dialect != migrations.SQLite {
		return nil
	}
	return s.DB
}

// Ping checks that the database answers within timeout (readiness).
func (s *Store) Ping(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return s.DB.PingContext(ctx)
}

// Close closes the database.
func (s *Store) Close() error {
	if s.limits != nil {
		s.limits.Close()
	}
	if s.Writer != nil {
		s.Writer.Close()
	}
	return s.Client.Close()
}

// limitPoolSize is the rate-limit store's own pool on PostgreSQL (counted in the
// per-replica budget: AUTH_DB_MAX_CONNS + 4).
const limitPoolSize = 4

// Status compares the database with the binary's migrations (SELECTs only).
func (s *Store) Status(ctx context.Context) (migrations.Status, error) {
	st, err := migrations.ReadStatus(ctx, s.DB, s.Dialect)
	if err != nil {
		return st, fmt.Errorf("database %s: %w", s.Name, err)
	}
	return st, nil
}

// Migrate applies the pending migrations under the migration lock.
func (s *Store) Migrate(ctx context.Context) ([]migrations.Migration, error) {
	done, err := migrations.Up(ctx, s.DB, s.Dialect, s.Name)
	if err != nil && !errors.Is(err, migrations.ErrAhead) {
		return done, fmt.Errorf("migrating database %s: %w", s.Name, err)
	}
	return done, err
}

// RequireCurrent returns an error naming the database unless its schema is exactly the
// binary's: what every operator command checks before it reads or writes.
func (s *Store) RequireCurrent(ctx context.Context) error {
	st, err := s.Status(ctx)
	if err != nil {
		return err
	}
	return st.Check(s.Name)
}

// OpenDB opens the database (creating a SQLite file) and applies pending migrations:
// what tests and embedded uses want.
func OpenDB(ctx context.Context, url string) (*ent.Client, error) {
	st, err := Open(ctx, url, OpenOrCreate)
	if err != nil {
		return nil, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st.Client, nil
}

// RedactURL hides a password in a database URL before it is shown or logged.
func RedactURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		cred := rest[:at]
		if user, _, ok := strings.Cut(cred, ":"); ok {
			return scheme + "://" + user + ":***@" + rest[at+1:]
		}
	}
	return u
}
