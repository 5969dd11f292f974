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

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "github.com/mattn/go-sqlite3"    // SQLite driver "sqlite3"

	"authbff/ent"
)

// OpenDB opens the database named by an AUTH_DATABASE_URL value and migrates its schema:
// "sqlite:PATH" (the directory is created), "sqlite::memory:", or "postgres://…".
// SQLite runs with foreign keys on, WAL, a busy timeout, immediate write transactions
// (no lock-upgrade deadlocks), synchronous=FULL, so a 200 survives a crash, and
// secure_delete, so that deleted rows (spent links, dropped mail bodies) are zeroed.
var migrateMu sync.Mutex

func OpenDB(ctx context.Context, url string) (*ent.Client, error) {
	var drv *entsql.Driver
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(url, "sqlite:")
		opts := "_fk=1&_journal_mode=WAL&_busy_timeout=10000&_txlock=immediate&_synchronous=FULL&_secure_delete=on"
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
		db, err := sql.Open("sqlite3", dsn)
		if err != nil {
			return nil, err
		}
		if memory {
			db.SetMaxOpenConns(1) // one shared in-memory database
		} else {
			db.SetMaxOpenConns(4 * runtime.NumCPU())
			db.SetMaxIdleConns(4 * runtime.NumCPU())
		}
		drv = entsql.OpenDB(dialect.SQLite, db)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		db, err := sql.Open("pgx", url)
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(8 * runtime.NumCPU())
		db.SetMaxIdleConns(8 * runtime.NumCPU())
		drv = entsql.OpenDB(dialect.Postgres, db)
	default:
		return nil, fmt.Errorf("AUTH_DATABASE_URL must start with sqlite: or postgres://")
	}
	client := ent.NewClient(ent.Driver(drv))
	if err := drv.DB().PingContext(ctx); err != nil {
		client.Close()
		return nil, fmt.Errorf("connecting to the database: %w", err)
	}
	migrateMu.Lock() // ent's migration mutates package-level table definitions
	err := client.Schema.Create(ctx)
	migrateMu.Unlock()
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("migrating the database: %w", err)
	}
	return client, nil
}
