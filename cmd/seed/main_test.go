package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"authbff/graph/auth"
)

// A fresh seed has the shape of a database in steady use (issue 12): time-ordered
// session ids, and refresh tokens that name their row (secret_hash, token_hash NULL).
func TestSeedWritesTheCurrentFormat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "seed.db")
	st, err := auth.Open(ctx, "sqlite:"+path, auth.OpenOrCreate)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite3", "file:"+path+"?_fk=1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := seed(ctx, db, 30, 12, "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaA"); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, "SELECT t.id, s.id, length(t.secret_hash), t.token_hash IS NULL FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var tid, sid uuid.UUID
		var secretLen int
		var legacyNull bool
		if err := rows.Scan(&tid, &sid, &secretLen, &legacyNull); err != nil {
			t.Fatal(err)
		}
		if tid.Version() != 7 || sid.Version() != 7 {
			t.Errorf("token id %s, session id %s: want version 7", tid, sid)
		}
		if secretLen != 32 || !legacyNull {
			t.Errorf("token row with a %d-byte secret_hash, token_hash NULL %v: want 32 and true", secretLen, legacyNull)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 12 {
		t.Errorf("%d sessions with a refresh token, want 12", n)
	}
}
