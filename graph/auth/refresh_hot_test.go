package auth_test

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"authbff/ent/refreshtoken"
	"authbff/graph/auth"
	"authbff/rest/apitest"
)

// Issue 12: refresh_tokens keeps a bounded number of rows per session, reuse of a kept
// token still revokes the session, concurrent rotations queued to the committer all
// land, and a client gone mid-refresh leaves a whole rotation and no error.

func tokensOfSession(t *testing.T, e *apitest.Env, access string) int {
	t.Helper()
	n, err := e.DB.RefreshToken.Query().Where(refreshtoken.SessionID(sessionID(t, access))).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRefreshTokensPruned(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("pruned")
	cur := pair{Access: a.Access, Refresh: a.Refresh}
	var history []pair
	for range 30 {
		history = append(history, cur)
		cur = mustRefresh(t, e, cur.Refresh)
		e.Clock.Advance(time.Second)
	}
	// The current token and the 9 rotated before it: not one row per rotation.
	if n := tokensOfSession(t, e, a.Access); n != 10 {
		t.Errorf("%d refresh tokens kept for a session rotated 30 times, want 10", n)
	}
	wantMe(t, e, cur.Access, true)
	// A token pruned long ago is unknown: 401, and it does not end the session.
	e.Clock.Advance(time.Minute)
	wantRefreshRefused(t, e, history[0].Refresh)
	wantMe(t, e, cur.Access, true)
	// A kept rotated token presented after the grace is reuse: the session ends.
	wantRefreshRefused(t, e, history[len(history)-5].Refresh)
	wantMe(t, e, cur.Access, false)
	wantRefreshRefused(t, e, cur.Refresh)
	assertRevoked(t, e, sessionID(t, a.Access))
}

func TestRefreshConcurrentSessions(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("many")
	const sessions, rounds = 24, 6
	tokens := make([]pair, sessions)
	for i := range tokens {
		access, refresh := e.Login(a.Username, a.Password)
		tokens[i] = pair{Access: access, Refresh: refresh}
	}
	var wg sync.WaitGroup
	for i := range tokens {
		wg.Go(func() {
			for range rounds {
				r := refresh(t, e, tokens[i].Refresh)
				if r.Status != http.StatusOK {
					t.Errorf("session %d: refresh %d %s", i, r.Status, r.Body)
					return
				}
				m := r.Object(t)
				tokens[i] = pair{Access: str(m["access_token"]), Refresh: str(m["refresh_token"])}
			}
		})
	}
	wg.Wait()
	for i, p := range tokens {
		wantMe(t, e, p.Access, true)
		if n := tokensOfSession(t, e, p.Access); n != rounds+1 {
			t.Errorf("session %d: %d refresh tokens, want %d", i, n, rounds+1)
		}
	}
	// Every final token still rotates once.
	for _, p := range tokens {
		mustRefresh(t, e, p.Refresh)
	}
}

// On a SQLite file, every batch of the refresh committer runs on one dedicated
// connection (Store.Writer), whose page cache survives its own commits. A TEMP trigger
// lives on the one connection that created it: created on the writer, it counts every
// child token inserted through that connection, and a connection opened later would
// not have its table.
func TestRefreshCommitsOnOneConnection(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.WithDatabase("sqlite:"+filepath.Join(t.TempDir(), "auth.db")), apitest.WithoutMailer())
	w := e.Database.Writer
	if w == nil {
		t.Fatal("no dedicated writer on a SQLite file database")
	}
	ctx := context.Background()
	for _, q := range []string{
		"CREATE TEMP TABLE rotations_here (n INTEGER)",
		"CREATE TEMP TRIGGER count_rotations AFTER INSERT ON main.refresh_tokens BEGIN INSERT INTO rotations_here VALUES (1); END",
	} {
		if _, err := w.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	a := e.Register("writer")
	const sessions, rounds = 16, 5
	tokens := make([]string, sessions)
	for i := range tokens {
		_, tokens[i] = e.Login(a.Username, a.Password) // on the pool: not counted
	}
	// Concurrent refreshes: several batches, while the pool's connections are busy with
	// the requests' reads.
	var wg sync.WaitGroup
	for i := range tokens {
		wg.Go(func() {
			for range rounds {
				r := refresh(t, e, tokens[i])
				if r.Status != http.StatusOK {
					t.Errorf("session %d: refresh %d %s", i, r.Status, r.Body)
					return
				}
				tokens[i] = str(r.Object(t)["refresh_token"])
			}
		})
	}
	wg.Wait()
	rows, err := w.QueryContext(ctx, "SELECT count(*) FROM temp.rotations_here")
	if err != nil {
		t.Fatalf("the writer's temp table is gone (another connection?): %v", err)
	}
	var n int
	for rows.Next() {
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	rows.Close()
	if n != sessions*rounds {
		t.Errorf("%d of %d rotations inserted their child on the writer's connection", n, sessions*rounds)
	}
	// The table is the writer connection's own: the pool does not see it.
	if _, err := e.DB.ExecContext(ctx, "DELETE FROM temp.rotations_here"); err == nil {
		t.Errorf("the pool sees the writer's temp table: the test proves nothing")
	}
}

func TestRefreshClientGoneMidway(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("gone")
	// The request's context ends while the refresh runs (the client hung up): the
	// rotation still commits whole, and nothing is logged as an error.
	ctx, cancel := context.WithCancel(auth.WithClient(context.Background(), auth.Client{IP: "192.0.2.7"}))
	cancel()
	got, err := e.Svc.Refresh(ctx, auth.RefreshInput{RefreshToken: a.Refresh})
	if err != nil {
		t.Fatalf("refresh with the client gone: %v", err)
	}
	rows, err := e.DB.RefreshToken.Query().Where(refreshtoken.SessionID(sessionID(t, a.Access))).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var current, rotated int
	for _, r := range rows {
		if r.RotatedAt == nil {
			current++
		} else {
			rotated++
		}
	}
	if current != 1 || rotated != 1 {
		t.Errorf("after the rotation: %d current and %d rotated tokens, want 1 and 1", current, rotated)
	}
	// The client that missed the answer presents its token again within the grace and
	// gets the child it missed; the child works.
	again := mustRefresh(t, e, a.Refresh)
	if again.Refresh != got.RefreshToken {
		t.Errorf("the retry inside the grace answered another child")
	}
	mustRefresh(t, e, got.RefreshToken)
	for _, r := range e.Logs.Records() {
		if r.Level >= slog.LevelError {
			t.Errorf("logged %s", r)
		}
	}
}

// On PostgreSQL the common rotation is one statement; what follows it (the child
// rotates, the parent inside the grace answers the same child) is as in the
// transaction path.
func TestRefreshOneTripOnPostgres(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.WithDatabase(apitest.Postgres(t)))
	a := e.Register("onetrip")
	if !auth.RotateInOneTrip(e.Svc, a.Refresh) {
		t.Fatal("a current token was not rotated by the one-statement rotation")
	}
	if auth.RotateInOneTrip(e.Svc, a.Refresh) {
		t.Fatal("a rotated token was rotated again by the one-statement rotation")
	}
	if n := tokensOfSession(t, e, a.Access); n != 2 {
		t.Errorf("%d refresh tokens after one rotation, want 2", n)
	}
	// The parent inside the grace answers the child the one-trip rotation stored.
	child := mustRefresh(t, e, a.Refresh)
	next := mustRefresh(t, e, child.Refresh)
	wantMe(t, e, next.Access, true)
	for range 12 {
		next = mustRefresh(t, e, next.Refresh)
	}
	if n := tokensOfSession(t, e, a.Access); n != 10 {
		t.Errorf("%d refresh tokens after 15 rotations, want 10", n)
	}
}

// The verified-token cache holds signatures, never liveness: a session ended by another
// replica (here: straight in the shared database) stops its cached token at once.
func TestVerifiedTokenCacheNeverKeepsASessionAlive(t *testing.T) {
	t.Parallel()
	e := apitest.New(t)
	a := e.Register("cached")
	for range 3 {
		wantMe(t, e, a.Access, true) // verified once, then served from the cache
	}
	now := e.Clock.Now()
	if err := e.DB.Session.UpdateOneID(sessionID(t, a.Access)).SetRevokedAt(now).SetRevokeReason("logout").Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantMe(t, e, a.Access, false)
	// And a deactivated account: its cached token stops too.
	b := e.Register("cached2")
	wantMe(t, e, b.Access, true)
	if err := e.DB.User.UpdateOneID(uuid.MustParse(b.UserID)).SetIsActive(false).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantMe(t, e, b.Access, false)
}
