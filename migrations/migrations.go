// Package migrations holds the versioned schema migrations, one directory per dialect
// (sqlite/, postgres/), planned from the ent schema by `go run ./migrations/gen NAME` and
// committed, and the applier that runs them.
//
// History: the table authbff_schema_migrations records one row per applied file
// (version, description, SHA-256 of the file, applied_at). A database is "behind" when a
// file of the binary is not recorded, "ahead" when a recorded version is unknown to the
// binary (it was migrated by a newer release), and "current" otherwise.
//
// Locking: Up takes pg_advisory_lock on PostgreSQL (held on one connection for the whole
// run) and an exclusive transaction on SQLite, then reads the history again, so replicas
// starting together apply each file once and the others wait and find nothing to do.
// Status runs only SELECTs: a start on a current database runs no DDL.
package migrations

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	atlas "ariga.io/atlas/sql/migrate"
)

//go:embed sqlite/*.sql sqlite/atlas.sum postgres/*.sql postgres/atlas.sum
var files embed.FS

// Table is the history table.
const Table = "authbff_schema_migrations"

// lockKey is the pg_advisory_lock key of migration runs ("authbff" in ASCII).
const lockKey int64 = 0x61757468626666

// Dialects as ent names them.
const (
	SQLite   = "sqlite3"
	Postgres = "postgres"
)

// Migration is one committed file.
type Migration struct {
	Version     string // the timestamp prefix of the file name
	Description string
	Checksum    string // hex SHA-256 of the file
	Stmts       []string
}

// Revision is one row of the history table.
type Revision struct {
	Version, Description, Checksum string
	AppliedAt                      time.Time
}

// Status compares a database with the binary's migrations.
type Status struct {
	Applied []Revision  // recorded in the history, oldest first
	Pending []Migration // in the binary, not recorded, in order
	Unknown []Revision  // recorded but unknown to this binary: the database is ahead
	Altered []Revision  // recorded with a checksum that differs from the binary's file
	// Legacy: the tables exist but there is no history (a database created by the
	// auto-migration of releases before versioned migrations). Up records the first
	// migration, which creates exactly that schema, without running it.
	Legacy bool
}

// Current reports whether the database is exactly at the binary's newest version.
func (s Status) Current() bool {
	return len(s.Pending) == 0 && len(s.Unknown) == 0 && len(s.Altered) == 0 && !s.Legacy
}

// Latest is the newest version the binary knows ("" if none).
func Latest(dialect string) string {
	ms, err := Load(dialect)
	if err != nil || len(ms) == 0 {
		return ""
	}
	return ms[len(ms)-1].Version
}

// Load returns the binary's migrations of a dialect, in order.
func Load(dialect string) ([]Migration, error) {
	dir, err := dirOf(dialect)
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(files, dir)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		b, err := fs.ReadFile(files, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		f := atlas.NewLocalFile(e.Name(), b)
		stmts, err := f.Stmts()
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(b)
		out = append(out, Migration{Version: f.Version(), Description: f.Desc(), Checksum: hex.EncodeToString(sum[:]), Stmts: stmts})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Dir returns the committed directory of a dialect (for atlas tooling and tests).
func Dir(dialect string) (fs.FS, error) {
	dir, err := dirOf(dialect)
	if err != nil {
		return nil, err
	}
	return fs.Sub(files, dir)
}

func dirOf(dialect string) (string, error) {
	switch dialect {
	case SQLite:
		return "sqlite", nil
	case Postgres:
		return "postgres", nil
	}
	return "", fmt.Errorf("migrations: unknown dialect %q", dialect)
}

// querier is what both *sql.DB and *sql.Conn offer.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ReadStatus compares db with the binary's migrations, with SELECTs only.
func ReadStatus(ctx context.Context, db *sql.DB, dialect string) (Status, error) {
	return readStatus(ctx, db, dialect)
}

func readStatus(ctx context.Context, q querier, dialect string) (Status, error) {
	var st Status
	ms, err := Load(dialect)
	if err != nil {
		return st, err
	}
	hasHistory, err := tableExists(ctx, q, dialect, Table)
	if err != nil {
		return st, err
	}
	known := map[string]Migration{}
	for _, m := range ms {
		known[m.Version] = m
	}
	applied := map[string]bool{}
	if hasHistory {
		rows, err := q.QueryContext(ctx, "SELECT version, description, checksum, applied_at FROM "+Table+" ORDER BY version")
		if err != nil {
			return st, fmt.Errorf("reading the migration history: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var r Revision
			var at string
			if err := rows.Scan(&r.Version, &r.Description, &r.Checksum, &at); err != nil {
				return st, err
			}
			r.AppliedAt, _ = time.Parse(time.RFC3339Nano, at)
			st.Applied = append(st.Applied, r)
			applied[r.Version] = true
			m, ok := known[r.Version]
			switch {
			case !ok:
				st.Unknown = append(st.Unknown, r)
			case m.Checksum != r.Checksum:
				st.Altered = append(st.Altered, r)
			}
		}
		if err := rows.Err(); err != nil {
			return st, err
		}
	} else {
		legacy, err := tableExists(ctx, q, dialect, "users")
		if err != nil {
			return st, err
		}
		st.Legacy = legacy
	}
	for _, m := range ms {
		if !applied[m.Version] {
			st.Pending = append(st.Pending, m)
		}
	}
	return st, nil
}

func tableExists(ctx context.Context, q querier, dialect, name string) (bool, error) {
	var n int
	var err error
	if dialect == Postgres {
		err = q.QueryRowContext(ctx, "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = $1", name).Scan(&n)
	} else {
		err = q.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", name).Scan(&n)
	}
	if err != nil {
		return false, fmt.Errorf("reading the database catalog: %w", err)
	}
	return n > 0, nil
}

// ErrAhead means the database was migrated by a newer release than this binary.
var ErrAhead = errors.New("the database schema is newer than this binary")

// Check returns nil when st is current, or an error that says what to do.
func (st Status) Check(database string) error {
	switch {
	case len(st.Unknown) > 0:
		return fmt.Errorf("%w: database %s is at migration %s, which this binary (newest %s) does not know; run the release that migrated it, or restore the backup taken before that upgrade",
			ErrAhead, database, st.Unknown[len(st.Unknown)-1].Version, newestOf(st))
	case len(st.Altered) > 0:
		return fmt.Errorf("database %s: migration %s was applied from a file that differs from this binary's (checksum mismatch); the migration history cannot be trusted", database, st.Altered[0].Version)
	case st.Legacy:
		return fmt.Errorf("database %s was created before versioned migrations and has no migration history: run `authbff migrate up` (it records the schema as version %s)", database, st.Pending[0].Version)
	case len(st.Applied) == 0 && len(st.Pending) > 0:
		return fmt.Errorf("database %s is not migrated (no authbff schema): run `authbff migrate up`", database)
	case len(st.Pending) > 0:
		return fmt.Errorf("database %s is behind this binary by %d migration(s) (newest %s): run `authbff migrate up`", database, len(st.Pending), st.Pending[len(st.Pending)-1].Version)
	}
	return nil
}

func newestOf(st Status) string {
	v := "none"
	for _, r := range st.Applied {
		if !contains(st.Unknown, r.Version) {
			v = r.Version
		}
	}
	if len(st.Pending) > 0 {
		v = st.Pending[len(st.Pending)-1].Version
	}
	return v
}

func contains(rs []Revision, v string) bool {
	for _, r := range rs {
		if r.Version == v {
			return true
		}
	}
	return false
}

// Up applies the pending migrations under the lock and returns those it applied (a
// legacy database's baseline is returned too, with no statements run). It refuses a
// database that is ahead or whose history disagrees with the binary.
func Up(ctx context.Context, db *sql.DB, dialect, database string) ([]Migration, error) {
	return UpTo(ctx, db, dialect, database, "")
}

// UpTo is Up that stops after the migration of version target ("" for all): for tests
// that put data in an older schema and upgrade it.
func UpTo(ctx context.Context, db *sql.DB, dialect, database, target string) ([]Migration, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if dialect == Postgres {
		return upPostgres(ctx, conn, database, target)
	}
	return upSQLite(ctx, conn, database, target)
}

// upToTarget drops from st.Pending what comes after target.
func upToTarget(st *Status, target string) {
	if target == "" {
		return
	}
	var keep []Migration
	for _, m := range st.Pending {
		if m.Version <= target {
			keep = append(keep, m)
		}
	}
	st.Pending = keep
}

func upPostgres(ctx context.Context, conn *sql.Conn, database, target string) ([]Migration, error) {
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		return nil, fmt.Errorf("taking the migration lock: %w", err)
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockKey)
	}()
	st, err := readStatus(ctx, conn, Postgres)
	if err != nil {
		return nil, err
	}
	upToTarget(&st, target)
	if err := refuse(st, database); err != nil || len(st.Pending) == 0 {
		return nil, err
	}
	var done []Migration
	for i, m := range st.Pending {
		baseline := st.Legacy && i == 0
		err := inTx(ctx, conn, "BEGIN", func() error {
			if i == 0 {
				if err := createHistory(ctx, conn, Postgres); err != nil {
					return err
				}
			}
			return apply(ctx, conn, Postgres, m, baseline)
		})
		if err != nil {
			return done, err
		}
		done = append(done, m)
	}
	return done, nil
}

// upSQLite runs every pending migration in one exclusive transaction with foreign keys
// off (SQLite's procedure for table rebuilds: PRAGMA foreign_keys is a no-op inside a
// transaction, and a rebuild drops and recreates tables), and checks them before commit.
func upSQLite(ctx context.Context, conn *sql.Conn, database, target string) ([]Migration, error) {
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		return nil, err
	}
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = ON") }()
	var done []Migration
	err := inTx(ctx, conn, "BEGIN EXCLUSIVE", func() error {
		st, err := readStatus(ctx, conn, SQLite)
		if err != nil {
			return err
		}
		upToTarget(&st, target)
		if err := refuse(st, database); err != nil || len(st.Pending) == 0 {
			return err
		}
		if err := createHistory(ctx, conn, SQLite); err != nil {
			return err
		}
		for i, m := range st.Pending {
			if err := apply(ctx, conn, SQLite, m, st.Legacy && i == 0); err != nil {
				return err
			}
			done = append(done, m)
		}
		rows, err := conn.QueryContext(ctx, "PRAGMA foreign_key_check")
		if err != nil {
			return err
		}
		bad := rows.Next()
		rows.Close()
		if bad {
			return errors.New("the migrations left rows whose foreign keys point nowhere; nothing was applied")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return done, nil
}

// refuse stops Up on a database that is ahead or whose history was altered.
func refuse(st Status, database string) error {
	if len(st.Unknown) > 0 || len(st.Altered) > 0 {
		return st.Check(database)
	}
	return nil
}

func inTx(ctx context.Context, conn *sql.Conn, begin string, fn func() error) error {
	if _, err := conn.ExecContext(ctx, begin); err != nil {
		return err
	}
	if err := fn(); err != nil {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return err
	}
	_, err := conn.ExecContext(ctx, "COMMIT")
	return err
}

func createHistory(ctx context.Context, conn *sql.Conn, dialect string) error {
	_, err := conn.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+Table+
		" (version VARCHAR(64) NOT NULL PRIMARY KEY, description TEXT NOT NULL, checksum VARCHAR(64) NOT NULL, applied_at VARCHAR(40) NOT NULL)")
	return err
}

func apply(ctx context.Context, conn *sql.Conn, dialect string, m Migration, baseline bool) error {
	if !baseline {
		for _, s := range m.Stmts {
			if _, err := conn.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("migration %s_%s: %w\n  in: %s", m.Version, m.Description, err, s)
			}
		}
	}
	q := "INSERT INTO " + Table + " (version, description, checksum, applied_at) VALUES (?, ?, ?, ?)"
	if dialect == Postgres {
		q = "INSERT INTO " + Table + " (version, description, checksum, applied_at) VALUES ($1, $2, $3, $4)"
	}
	_, err := conn.ExecContext(ctx, q, m.Version, m.Description, m.Checksum, time.Now().UTC().Format(time.RFC3339Nano))
	return err
}
