package apitest

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// PGServer is a throwaway PostgreSQL server of one test: initdb into a temporary
// directory, its own port, run as the postgres OS user when the test runs as root
// (PostgreSQL refuses root). Tests that stop, restart, exhaust or terminate PostgreSQL
// use one of these, never a shared server. The binaries come from
// /usr/lib/postgresql/<version>/bin (the Debian postgresql package, which .ci/run
// installs); without them the test is skipped outside CI and fails in CI.
type PGServer struct {
	t        testing.TB
	bin      string
	dir      string
	port     int
	settings []string
	cred     *syscall.Credential

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// StartPostgres initializes and starts a server; settings are extra "name=value"
// server settings (e.g. "max_connections=10"). It stops and removes it at cleanup.
func StartPostgres(t testing.TB, settings ...string) *PGServer {
	t.Helper()
	bin := postgresBin()
	if bin == "" {
		if os.Getenv(PostgresEnv) != "" || os.Getenv("CI") != "" {
			t.Fatal("PostgreSQL binaries not found under /usr/lib/postgresql/*/bin (CI must install the postgresql package)")
		}
		t.Skip("skipped: needs the PostgreSQL server binaries (apt-get install postgresql) to start a throwaway server")
	}
	dir, err := os.MkdirTemp("", "authbff-pg-")
	if err != nil {
		t.Fatal(err)
	}
	p := &PGServer{t: t, bin: bin, dir: dir, settings: settings}
	t.Cleanup(func() {
		p.Stop()
		_ = os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs the postgres OS user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	initdb := p.command(filepath.Join(bin, "initdb"), "-D", p.data(), "-U", "authbff", "--auth=trust", "-E", "UTF8", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	p.Start()
	return p
}

func postgresBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d
		}
	}
	return ""
}

func (p *PGServer) data() string { return filepath.Join(p.dir, "data") }

func (p *PGServer) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = p.dir
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	return cmd
}

// Start starts the server (again) and returns once it accepts connections.
func (p *PGServer) Start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return
	}
	args := []string{"-D", p.data(), "-p", strconv.Itoa(p.port), "-k", p.dir, "-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off"}
	for _, s := range p.settings {
		args = append(args, "-c", s)
	}
	cmd := p.command(filepath.Join(p.bin, "postgres"), args...)
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true // not in the test's process group (no terminal signals)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		p.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("starting postgres: %v", err)
	}
	ready := make(chan struct{})
	var log strings.Builder
	var logMu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			logMu.Lock()
			log.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			if strings.Contains(sc.Text(), "ready to accept connections") {
				once.Do(func() { close(ready) })
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-ready:
	case <-done:
		logMu.Lock()
		defer logMu.Unlock()
		p.t.Fatalf("postgres exited at start:\n%s", log.String())
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		p.t.Fatalf("postgres did not start within 60 s")
	}
	p.cmd, p.done = cmd, done
}

// Stop shuts the server down (fast shutdown: sessions are ended) and waits for it.
func (p *PGServer) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	p.mu.Unlock()
	p.Thaw()
	p.mu.Lock()
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	p.cmd = nil
}

// Port is the server's TCP port on 127.0.0.1, for URLs of other roles than the
// superuser (authbff, trust authentication: any password is accepted).
func (p *PGServer) Port() int { return p.port }

// URL is the superuser's address of database name.
func (p *PGServer) URL(name string) string {
	return fmt.Sprintf("postgres://authbff@127.0.0.1:%d/%s?sslmode=disable", p.port, name)
}

// CreateDatabase creates a fresh database and returns its URL.
func (p *PGServer) CreateDatabase() string {
	p.t.Helper()
	name := "authbff_" + strings.ToLower(rand.Text()[:10])
	p.Exec("CREATE DATABASE " + name)
	return p.URL(name)
}

// Exec runs statements on the postgres database as the superuser.
func (p *PGServer) Exec(query string, args ...any) {
	p.t.Helper()
	db, err := sql.Open("pgx", p.URL("postgres"))
	if err != nil {
		p.t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, query, args...); err != nil {
		p.t.Fatalf("%s: %v", query, err)
	}
}

// TerminateBackends ends every session on database name but the caller's
// (pg_terminate_backend), as a failover or an operator would, and returns how many.
func (p *PGServer) TerminateBackends(name string) int {
	p.t.Helper()
	db, err := sql.Open("pgx", p.URL("postgres"))
	if err != nil {
		p.t.Fatal(err)
	}
	defer db.Close()
	var n int
	err = db.QueryRowContext(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = $1 AND pid <> pg_backend_pid()`, name).Scan(&n)
	if err != nil {
		p.t.Fatalf("terminating backends: %v", err)
	}
	return n
}

// Freeze stops every process of the server (SIGSTOP): connections stay open and nothing
// answers, as with a hung host or a network partition. Thaw resumes it.
func (p *PGServer) Freeze() { p.signalGroup(syscall.SIGSTOP) }

// Thaw resumes a frozen server.
func (p *PGServer) Thaw() { p.signalGroup(syscall.SIGCONT) }

func (p *PGServer) signalGroup(sig syscall.Signal) {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		p.t.Fatal("postgres is not running")
	}
	// Backends call setsid(): signal the postmaster and each of its children.
	pids := []int{p.cmd.Process.Pid}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces; read after the last ')'.
		fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(p.cmd.Process.Pid) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(f)))
			pids = append(pids, pid)
		}
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, sig); err != nil && pid == p.cmd.Process.Pid {
			p.t.Fatalf("signal %v: %v", sig, err)
		}
	}
}
