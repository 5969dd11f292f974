package rest_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"authbff/graph/auth"
	"authbff/rest/apitest"
)

// Database faults against real PostgreSQL servers of their own (apitest.StartPostgres):
// every one answers 503 SERVICE_UNAVAILABLE with Retry-After, never a 500 or a 401, and
// the service recovers by itself when the cause goes away.

// pgEnv starts a throwaway PostgreSQL and a service on a fresh database of it.
func pgEnv(t *testing.T, settings []string, opts ...apitest.Option) (*apitest.PGServer, *apitest.Env, string) {
	t.Helper()
	pg := apitest.StartPostgres(t, settings...)
	dbURL := pg.CreateDatabase()
	opts = append([]apitest.Option{apitest.WithDatabase(dbURL), apitest.WithoutMailer(),
		apitest.WithDBOptions(auth.DBOptions{Timeout: 2 * time.Second})}, opts...)
	e := apitest.New(t, opts...)
	u, _ := url.Parse(dbURL)
	return pg, e, strings.TrimPrefix(u.Path, "/")
}

// recovered sends GET /v1/auth/me until it answers 200; every answer before must be a
// 503 (connections the outage broke are found and dropped one request at a time).
func recovered(t *testing.T, e *apitest.Env, access string) {
	t.Helper()
	for i := range 10 {
		r := e.Do(http.MethodGet, "/v1/auth/me", nil, access)
		if r.Status == 200 {
			return
		}
		if r.Status != 503 {
			t.Fatalf("during recovery (try %d): %d %s", i, r.Status, r.Body)
		}
	}
	t.Fatalf("no recovery after 10 requests")
}

func TestFaultPostgresStoppedAndStarted(t *testing.T) {
	t.Parallel()
	pg, e, _ := pgEnv(t, nil)
	a := e.Register("stopped")
	if r := e.Do(http.MethodGet, "/readyz", nil, ""); r.Status != 200 {
		t.Fatalf("readyz: %d %s", r.Status, r.Body)
	}
	pg.Stop()
	r := e.Do(http.MethodGet, "/readyz", nil, "")
	if r.Status != 503 || string(r.Body) != `{"status":"unavailable","checks":{"database":"fail"}}` {
		t.Fatalf("readyz with the database stopped: %d %s", r.Status, r.Body)
	}
	// A valid token during an outage is a 503, not a 401 (an SPA drops its tokens on 401).
	for range 20 {
		assertUnavailable(t, e.Do(http.MethodGet, "/v1/auth/me", nil, a.Access))
	}
	assertUnavailable(t, e.Do(http.MethodPost, "/v1/auth/login", map[string]any{"username": "stopped", "password": a.Password}, ""))
	assertUnavailable(t, e.Do(http.MethodPost, "/v1/auth/refresh", map[string]any{"refresh_token": a.Refresh}, ""))
	g := e.Do(http.MethodPost, "/graphql", map[string]any{"query": `{ me { id } }`}, a.Access)
	if g.Header.Get("Retry-After") == "" || !strings.Contains(string(g.Body), `"code":"SERVICE_UNAVAILABLE"`) {
		t.Fatalf("GraphQL me: %d %v %s", g.Status, g.Header, g.Body)
	}
	// The outage is logged once per burst, not once per request.
	lines := 0
	for _, rec := range e.Logs.Records() {
		if rec.Level >= 8 { // ERROR
			lines++
		}
	}
	if lines > 3 {
		t.Fatalf("%d ERROR lines for one outage of 24 requests", lines)
	}
	pg.Start()
	r = e.Do(http.MethodGet, "/readyz", nil, "")
	if r.Status != 200 {
		// The pool's first ping may meet a connection the restart broke.
		if r = e.Do(http.MethodGet, "/readyz", nil, ""); r.Status != 200 {
			t.Fatalf("readyz after restart: %d %s", r.Status, r.Body)
		}
	}
	recovered(t, e, a.Access)
}

func TestFaultBackendsTerminatedUnderLoad(t *testing.T) {
	t.Parallel()
	pg, e, dbName := pgEnv(t, nil)
	a := e.Register("terminated")
	ctx, cancel := context.WithCancel(t.Context())
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				var r *apitest.Response
				switch w % 2 {
				case 0:
					r = e.Do(http.MethodGet, "/v1/auth/me", nil, a.Access)
				default:
					r = e.Do(http.MethodPost, "/v1/auth/login", map[string]any{"username": "terminated", "password": "wrong-password"}, "")
					if r.Status == 401 {
						r.Status = 200 // the expected answer to a wrong password
					}
				}
				mu.Lock()
				statuses[r.Status]++
				mu.Unlock()
				if r.Status != 200 && r.Status != 503 {
					t.Errorf("under pg_terminate_backend: %d %s", r.Status, r.Body)
				}
			}
		})
	}
	killed := 0
	for range 10 {
		killed += pg.TerminateBackends(dbName)
		e.Do(http.MethodGet, "/v1/auth/me", nil, a.Access) // let the load reconnect
	}
	cancel()
	wg.Wait()
	t.Logf("terminated %d backends; answers %v", killed, statuses)
	if killed == 0 {
		t.Fatal("no backend was terminated")
	}
	recovered(t, e, a.Access)
}

func TestFaultConnectionLimitReached(t *testing.T) {
	t.Parallel()
	pg, e, dbName := pgEnv(t, []string{"max_connections=6", "superuser_reserved_connections=0"})
	a := e.Register("crowded")
	pg.TerminateBackends(dbName) // the service's pool must open new connections
	hog, err := sql.Open("pgx", pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer hog.Close()
	var held []*sql.Conn
	for len(held) < 20 {
		c, err := hog.Conn(t.Context())
		if err != nil {
			break
		}
		if err := c.PingContext(t.Context()); err != nil {
			c.Close()
			break
		}
		held = append(held, c)
	}
	if len(held) == 0 || len(held) >= 20 {
		t.Fatalf("held %d connections", len(held))
	}
	assertUnavailable(t, e.Do(http.MethodGet, "/v1/auth/me", nil, a.Access))
	assertUnavailable(t, e.Do(http.MethodPost, "/v1/auth/login", map[string]any{"username": "crowded", "password": a.Password}, ""))
	if r := e.Do(http.MethodGet, "/readyz", nil, ""); r.Status != 503 {
		t.Fatalf("readyz with no connection left: %d", r.Status)
	}
	for _, c := range held {
		c.Close()
	}
	hog.Close()
	recovered(t, e, a.Access)
}

func TestFaultPostgresFrozen(t *testing.T) {
	t.Parallel()
	pg, e, _ := pgEnv(t, nil, apitest.WithDBOptions(auth.DBOptions{Timeout: 500 * time.Millisecond}))
	a := e.Register("frozen")
	pg.Freeze()
	assertUnavailable(t, e.Do(http.MethodGet, "/v1/auth/me", nil, a.Access))
	assertUnavailable(t, e.Do(http.MethodPost, "/v1/auth/login", map[string]any{"username": "frozen", "password": a.Password}, ""))
	if r := e.Do(http.MethodGet, "/readyz", nil, ""); r.Status != 503 {
		t.Fatalf("readyz with the database frozen: %d", r.Status)
	}
	pg.Thaw()
	recovered(t, e, a.Access)
}

// TestFaultSQLiteReadOnlyAndBack: the database files made read-only (chattr +i, which
// binds root too, unlike chmod) answer writes with 503, and once writable again the
// service heals without a restart: connections SQLite opened read-only meanwhile are
// retired, not reused.
func TestFaultSQLiteReadOnlyAndBack(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("skipped: needs root to make files read-only with chattr +i; run the tests as root (CI does)")
	}
	chattr, err := exec.LookPath("chattr")
	if err != nil {
		if os.Getenv(apitest.PostgresEnv) != "" { // CI
			t.Fatal("chattr not found: .ci/run installs e2fsprogs")
		}
		t.Skip("skipped: needs chattr (e2fsprogs)")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.db")
	e := apitest.New(t, apitest.WithDatabase("sqlite:"+path), apitest.WithoutMailer())
	a := e.Register("readonly")
	// A refresh opens the committer's dedicated connection (Store.Writer) before the
	// fault: it must heal too.
	refreshed := mustRefreshREST(t, e, a.Refresh)
	immutable := func(on bool) {
		flag := "-i"
		if on {
			flag = "+i"
		}
		for _, f := range []string{path, path + "-wal", dir} {
			if _, err := os.Stat(f); err != nil {
				continue
			}
			if out, err := exec.Command(chattr, flag, f).CombinedOutput(); err != nil {
				t.Skipf("skipped: chattr %s does not work on this file system: %v %s", flag, err, out)
			}
		}
	}
	immutable(true)
	t.Cleanup(func() { immutable(false) })
	// Concurrent requests make the pool open connections while the files are read-only.
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			r := e.Do(http.MethodPost, "/v1/auth/register",
				map[string]any{"email": fmt.Sprintf("ro%d@example.com", i), "username": fmt.Sprintf("ro%d", i), "password": "readonly-Password-1"}, "")
			if r.Status != 503 || r.Header.Get("Retry-After") == "" {
				t.Errorf("register on a read-only database: %d %s", r.Status, r.Body)
			}
		})
	}
	wg.Wait()
	assertUnavailable(t, e.Do(http.MethodPost, "/v1/auth/login", map[string]any{"username": "readonly", "password": a.Password}, ""))
	assertUnavailable(t, e.Do(http.MethodPost, "/v1/auth/refresh", map[string]any{"refresh_token": refreshed}, ""))
	immutable(false)
	// The service heals by itself: a connection SQLite opened read-only during the fault
	// may fail once more (503, nothing written) before it retires itself, so a client that
	// tries again (at once, here) succeeds, and every write goes through.
	var again atomic.Int32
	for i := range 12 {
		wg.Go(func() {
			body := map[string]any{"email": fmt.Sprintf("back%d@example.com", i), "username": fmt.Sprintf("back%d", i), "password": "readonly-Password-1"}
			r := e.Do(http.MethodPost, "/v1/auth/register", body, "")
			for try := 0; try < 2 && r.Status == 503; try++ {
				again.Add(1)
				r = e.Do(http.MethodPost, "/v1/auth/register", body, "")
			}
			if r.Status != 200 {
				t.Errorf("register after the files are writable again: %d %s", r.Status, r.Body)
			}
		})
	}
	wg.Wait()
	if n := again.Load(); n > 4 {
		t.Errorf("%d of 12 writes after recovery met a stale connection, want at most a few", n)
	}
	if r := e.Do(http.MethodPost, "/v1/auth/login", map[string]any{"username": "readonly", "password": a.Password}, ""); r.Status != 200 {
		t.Fatalf("login after recovery: %d %s", r.Status, r.Body)
	}
	// The refresh refused during the fault wrote nothing: the same token rotates now
	// (the committer's connection, opened read-only or failed during the fault, may
	// answer 503 once more before it is replaced), and its child rotates after it.
	r := e.Do(http.MethodPost, "/v1/auth/refresh", map[string]any{"refresh_token": refreshed}, "")
	for try := 0; try < 2 && r.Status == 503; try++ {
		r = e.Do(http.MethodPost, "/v1/auth/refresh", map[string]any{"refresh_token": refreshed}, "")
	}
	if r.Status != 200 {
		t.Fatalf("refresh after recovery: %d %s", r.Status, r.Body)
	}
	child, _ := r.Object(t)["refresh_token"].(string)
	mustRefreshREST(t, e, child)
}

func mustRefreshREST(t *testing.T, e *apitest.Env, token string) string {
	t.Helper()
	r := e.Do(http.MethodPost, "/v1/auth/refresh", map[string]any{"refresh_token": token}, "")
	if r.Status != 200 {
		t.Fatalf("refresh: %d %s", r.Status, r.Body)
	}
	child, _ := r.Object(t)["refresh_token"].(string)
	if child == "" {
		t.Fatalf("refresh: no refresh_token in %s", r.Body)
	}
	return child
}
