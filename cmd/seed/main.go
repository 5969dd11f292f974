// Command seed fills a SQLite database with many accounts, organizations, memberships
// and live sessions, for the scale run of BENCHMARKS.md (issue 12): it creates the
// schema with the binary's migrations, then inserts rows with prepared statements in
// large transactions (synchronous=OFF while it runs: it is a fixture, not a service).
//
//	go run ./cmd/seed -db /tmp/scale.db -users 1000000 -sessions 100000
//
// Every account gets a personal organization and its owner membership, as registration
// does; usernames are seedNNNNNNN, e-mails seedNNNNNNN@example.com, all with one
// password hash (of "seed-password-123" at the production argon2id parameters), so that
// logging in as any of them costs what a real login costs. Sessions go to the first
// -sessions accounts, one each, with one current refresh token, both as login writes
// them: a time-ordered session id, and a token that names its row (its secret_hash set,
// token_hash NULL; graph/auth/tokens.go), so that a fresh seed has the shape of a
// database in steady use. The tokens themselves are not kept (log in to get one).
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/google/uuid"

	"authbff/graph/auth"
)

func main() {
	path := flag.String("db", "", "SQLite database file to create or fill")
	users := flag.Int("users", 1000, "accounts to insert")
	sessions := flag.Int("sessions", 0, "live sessions to insert (one per account, at most -users)")
	flag.Parse()
	if *path == "" || *sessions > *users {
		flag.Usage()
		os.Exit(2)
	}
	ctx := context.Background()
	start := time.Now()
	st, err := auth.Open(ctx, "sqlite:"+*path, auth.OpenOrCreate)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite3", "file:"+*path+"?_fk=0&_journal_mode=WAL&_synchronous=OFF")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	hash, err := auth.HashPassword("seed-password-123", auth.DefaultHashParams)
	if err != nil {
		log.Fatal(err)
	}
	if err := seed(ctx, db, *users, *sessions, hash); err != nil {
		log.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		log.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "ANALYZE"); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("seeded %d accounts and %d sessions into %s in %s\n", *users, *sessions, *path, time.Since(start).Round(time.Millisecond))
}

const batch = 20000

func seed(ctx context.Context, db *sql.DB, users, sessions int, hash string) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	for lo := 0; lo < users; lo += batch {
		hi := min(lo+batch, users)
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		insUser, err := tx.PrepareContext(ctx, "INSERT INTO users (id, email, email_key, username, username_key, password_hash,"+
			" auth_provider, preferences, settings, roles, is_active, is_verified, default_workspace_id, failed_logins, created_at, updated_at)"+
			" VALUES (?, ?, ?, ?, ?, ?, 'local', '{}', '{}', '[\"user\"]', 1, 1, ?, 0, ?, ?)")
		if err != nil {
			return err
		}
		insOrg, err := tx.PrepareContext(ctx, "INSERT INTO organizations (id, name, personal, created_at) VALUES (?, ?, 1, ?)")
		if err != nil {
			return err
		}
		insMember, err := tx.PrepareContext(ctx, "INSERT INTO memberships (id, role, created_at, org_id, user_id) VALUES (?, 'owner', ?, ?, ?)")
		if err != nil {
			return err
		}
		insSession, err := tx.PrepareContext(ctx, "INSERT INTO sessions (id, org_id, created_at, last_used_at, expires_at, ip, user_agent, user_id)"+
			" VALUES (?, ?, ?, ?, ?, '192.0.2.1', 'seed', ?)")
		if err != nil {
			return err
		}
		insToken, err := tx.PrepareContext(ctx, "INSERT INTO refresh_tokens (id, secret_hash, created_at, expires_at, session_id) VALUES (?, ?, ?, ?, ?)")
		if err != nil {
			return err
		}
		for i := lo; i < hi; i++ {
			uid, oid := uuid.New(), uuid.New()
			name := fmt.Sprintf("seed%07d", i)
			if _, err := insUser.ExecContext(ctx, uid, name+"@example.com", name+"@example.com", name, name, hash, oid, now, now); err != nil {
				return err
			}
			if _, err := insOrg.ExecContext(ctx, oid, name+"'s workspace", now); err != nil {
				return err
			}
			if _, err := insMember.ExecContext(ctx, uuid.New(), now, oid, uid); err != nil {
				return err
			}
			if i < sessions {
				sid := auth.NewSessionID()
				if _, err := insSession.ExecContext(ctx, sid, oid, now, now, now.Add(30*24*time.Hour), uid); err != nil {
					return err
				}
				tid, _, secretHash, err := auth.NewRefreshRow(rand.Reader)
				if err != nil {
					return err
				}
				if _, err := insToken.ExecContext(ctx, tid, secretHash, now, now.Add(7*24*time.Hour), sid); err != nil {
					return err
				}
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}
