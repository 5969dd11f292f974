package auth_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"authbff/graph/auth"
	"authbff/rest/apitest"
)

// holdAll takes n connections of db at once and gives them back, then reports how many
// stayed open (idle) and how many the pool closed for being over its idle limit.
func holdAll(t *testing.T, db *sql.DB, n int) (idle int, closed int64) {
	t.Helper()
	ctx := context.Background()
	var conns []*sql.Conn
	for range n {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.PingContext(ctx); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
	st := db.Stats()
	return st.Idle, st.MaxIdleClosed
}

// On SQLite the pool keeps every connection it opened after a burst (a new connection
// reads the schema and starts with cold caches); on PostgreSQL half of them (an idle
// connection holds a server backend).
func TestPoolKeepsIdleConnectionsOnSQLite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := auth.OpenWith(ctx, "sqlite:"+filepath.Join(t.TempDir(), "pool.db"), auth.OpenOrCreate, auth.DBOptions{MaxConns: 6})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if idle, closed := holdAll(t, st.DB, 6); idle != 6 || closed != 0 {
		t.Errorf("SQLite after a burst of 6: %d idle, %d closed; want all 6 kept", idle, closed)
	}
}

func TestPoolKeepsHalfOnPostgres(t *testing.T) {
	t.Parallel()
	pg, err := auth.OpenWith(context.Background(), apitest.Postgres(t), auth.OpenExisting, auth.DBOptions{MaxConns: 6})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if idle, closed := holdAll(t, pg.DB, 6); idle != 3 || closed != 3 {
		t.Errorf("PostgreSQL after a burst of 6: %d idle, %d closed; want 3 and 3", idle, closed)
	}
}

// TestConcurrentOpenOfANewFile: stores opening one new SQLite file at once (replicas on
// one machine starting together, or `migrate up` beside `serve`) all open it. The first
// connections race to switch the new file to WAL, and SQLite answers the loser BUSY
// without waiting; the connector waits and opens again (~3% of rounds failed before).
func TestConcurrentOpenOfANewFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for round := range 40 {
		url := "sqlite:" + filepath.Join(t.TempDir(), "new.db")
		var wg sync.WaitGroup
		errs := make([]error, 8)
		start := make(chan struct{})
		for i := range errs {
			wg.Go(func() {
				<-start
				st, err := auth.Open(ctx, url, auth.OpenOrCreate)
				if err == nil {
					var mode string
					err = st.DB.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode)
					if err == nil && mode != "wal" {
						err = fmt.Errorf("journal_mode %q, want wal", mode)
					}
					st.Close()
				}
				errs[i] = err
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, store %d: %v", round, i, err)
			}
		}
	}
}
