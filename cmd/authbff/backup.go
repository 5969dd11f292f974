package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"authbff/migrations"
)

const backupUsage = `Usage: authbff backup FILE

Writes an online, consistent copy of the SQLite database (AUTH_DATABASE_URL) to FILE
with VACUUM INTO, while servers keep serving; FILE must not exist. Restore: stop the
servers, replace the database file with the copy (and remove its -wal and -shm files),
start them. For PostgreSQL use pg_dump (see README.md).
`

// backup copies a SQLite database with VACUUM INTO: one read transaction, so the copy is
// a consistent snapshot even while servers write, and it is compacted.
func backup(ctx context.Context, args []string, getenv func(string) string, std stdio) error {
	if len(args) != 1 {
		return usageError("authbff backup FILE")
	}
	_, st, err := openFromEnv(ctx, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	if st.Dialect != migrations.SQLite || st.Name == "sqlite::memory:" {
		return fmt.Errorf("backup copies a SQLite file; for PostgreSQL (%s) use pg_dump --format=custom (README.md, Backup and restore)", st.Name)
	}
	dst, err := filepath.Abs(args[0])
	if err != nil {
		return err
	}
	// An empty file made first, owner-only: the copy holds password hashes and keys, and
	// VACUUM INTO accepts an empty file. O_EXCL: never overwrite.
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists: backup never overwrites a file", dst)
	}
	if err != nil {
		return err
	}
	f.Close()
	if _, err := st.DB.ExecContext(ctx, "VACUUM INTO ?", dst); err != nil {
		os.Remove(dst)
		return fmt.Errorf("backing up %s: %w", st.Name, err)
	}
	fmt.Fprintf(std.out, "backed up %s to %s\n", st.Name, dst)
	return nil
}
