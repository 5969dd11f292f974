package auth

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "github.com/mattn/go-sqlite3"    // SQLite driver "sqlite3"

	"authbff/ent"
)

// OpenDB opens the database named by an AUTH_DATABASE_URL value and migrates its schema:
// "sqlite:PATH" (the directory is created), "sqlite::memory:", or "postgres://…".
// SQLite runs with foreign keys on, WAL, a busy timeout, immediate write transactions
// (no lock-upgrade deadlocks) and synchronous=FULL, so a 200 survives a crash.
var migrateMu sync.Mutex

func OpenDB(ctx context.Context, url string) (*ent.Client, error) {
	d, err := Open(ctx, url, DBOptions{})
	if err != nil {
		return nil, err
	}
	return d.Client, nil
}

// Database is an open, migrated database: the ent client every query goes through
// (each call under DBOptions.Timeout) and the pool under it (readiness, pool metrics).
type Database struct {
	Client  *ent.Client
	SQL     *sql.DB
	Dialect string
	Timeout time.Duration
	// limits is the pool of the rate-limit store on PostgreSQL: its connections commit
	// with synchronous_commit=off (a counter need not wait for a WAL flush; a server
	// crash may forget its last fraction of a second, nothing else).
	limits *sql.DB
}

// Ping checks that the database answers within timeout.
func (d *Database) Ping(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return d.SQL.PingContext(ctx)
}

// Close closes the client and its pool.
func (d *Database) Close() error {
	if d.limits != nil {
		d.limits.Close()
	}
	return d.Client.Close()
}

// limitPoolSize is the rate-limit store's own pool on PostgreSQL (counted in the
// per-replica budget: AUTH_DB_MAX_CONNS + 4).
const limitPoolSize = 4

// Open is OpenDB with pool and deadline options.
func Open(ctx context.Context, url string, o DBOptions) (*Database, error) {
	var drv *entsql.Driver
	var limits *sql.DB
	o = o.withDefaults(strings.HasPrefix(url, "postgres"), runtime.NumCPU())
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(url, "sqlite:")
		opts := "_fk=1&_journal_mode=WAL&_busy_timeout=10000&_txlock=immediate&_synchronous=FULL"
		var dsn string
		memory := path == ":memory:"
		if memory {
			dsn = "file:authbff-" + rand.Text() + "?mode=memory&cache=shared&" + opts
		} else {
			if path == "" {
				return nil, fmt.Errorf("AUTH_DATABASE_URL %q: no path after sqlite", url)
			}
			if dir := filepath.Dir(path); dir != "." {
				if err := os.MkdirAll(dir, 0o700); err != nil {
					return nil, fmt.Errorf("creating %s: %w", dir, err)
				}
			}
			dsn = "file:" + path + "?" + opts
		}
		db := sql.OpenDB(newHealingConnector(dsn))
		if memory {
			db.SetMaxOpenConns(1) // one shared in-memory database
		} else {
			db.SetMaxOpenConns(o.MaxConns)
			db.SetMaxIdleConns(o.MaxIdleConns)
			db.SetConnMaxLifetime(o.ConnMaxLifetime)
			db.SetConnMaxIdleTime(o.ConnMaxIdleTime)
		}
		drv = entsql.OpenDB(dialect.SQLite, db)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		db, err := sql.Open("pgx", postgresDSN(url, o.Timeout))
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(o.MaxConns)
		db.SetMaxIdleConns(o.MaxIdleConns)
		db.SetConnMaxLifetime(o.ConnMaxLifetime)
		db.SetConnMaxIdleTime(o.ConnMaxIdleTime)
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
	client := ent.NewClient(ent.Driver(deadlineDriver{Driver: drv, timeout: o.Timeout}))
	pctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if err := drv.DB().PingContext(pctx); err != nil {
		client.Close()
		if limits != nil {
			limits.Close()
		}
		return nil, fmt.Errorf("connecting to the database: %w", err)
	}
	migrateMu.Lock() // ent's migration mutates package-level table definitions
	// The migrator reads *sql.Rows itself: it runs on the plain driver (its own
	// statements are few and bounded by ctx).
	err := ent.NewClient(ent.Driver(drv)).Schema.Create(ctx)
	migrateMu.Unlock()
	if err != nil {
		client.Close()
		if limits != nil {
			limits.Close()
		}
		return nil, fmt.Errorf("migrating the database: %w", err)
	}
	return &Database{Client: client, SQL: drv.DB(), Dialect: drv.Dialect(), Timeout: o.Timeout, limits: limits}, nil
}
