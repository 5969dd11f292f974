package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The crash tests run the real binary's code in a child process (this test binary,
// re-executed with AUTHBFF_CHILD=serve), so that it can be killed with SIGKILL or
// stopped with SIGTERM like a server in production.

func TestMain(m *testing.M) {
	if os.Getenv("AUTHBFF_CHILD") == "serve" {
		os.Exit(runMainForChild())
	}
	os.Exit(m.Run())
}

func runMainForChild() int {
	ctx, stop := signalContext()
	defer stop()
	return run(ctx, []string{"serve"}, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
}

// child is a running server process.
type child struct {
	cmd     *exec.Cmd
	url     string
	logs    *logBuffer
	addr    chan string
	exited  chan struct{}
	waitErr error
}

func startChild(t *testing.T, dbPath string) *child {
	t.Helper()
	c := spawnChild(t, "AUTH_DATABASE_URL=sqlite:"+dbPath)
	if err := c.waitListening(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	return c
}

// spawnChild starts `authbff serve` in a child process with env added to this process's
// environment, without waiting for it to listen.
func spawnChild(t *testing.T, env ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), "AUTHBFF_CHILD=serve", "AUTH_ADDR=127.0.0.1:0", "AUTH_SHUTDOWN_DELAY=0",
		"AUTH_HASH_MEMORY_KIB=64", "AUTH_HASH_TIME=1", "AUTH_RATE_LIMITS=off"), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, logs: &logBuffer{}, addr: make(chan string, 1), exited: make(chan struct{})}
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-c.exited })
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			c.logs.WriteString(line + "\n")
			if strings.Contains(line, "authbff listening") {
				for _, f := range strings.Fields(line) {
					if v, ok := strings.CutPrefix(f, "addr="); ok {
						c.addr <- v
					}
				}
			}
		}
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	return c
}

// waitListening waits until the child logs its address, or fails if it exits first.
func (c *child) waitListening(limit time.Duration) error {
	select {
	case a := <-c.addr:
		c.url = "http://" + a
		return nil
	case <-c.exited:
		return fmt.Errorf("server exited (%v) before listening:\n%s", c.waitErr, c.logs)
	case <-time.After(limit):
		return fmt.Errorf("server did not start within %v:\n%s", limit, c.logs)
	}
}

func post(t *testing.T, url string, body any) (int, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

// TestSIGKILLKeepsAcknowledgedWrites: every write answered 200 before a SIGKILL is there
// after a restart (registration, a refresh rotation, a password change).
func TestSIGKILLKeepsAcknowledgedWrites(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "auth.db")
	c := startChild(t, db)
	const pw, pw2 = "crash-test-Password-1", "crash-test-Password-2"
	var refresh string
	for i := range 5 {
		status, m := post(t, c.url+"/v1/auth/register", map[string]any{
			"email": fmt.Sprintf("u%d@example.com", i), "username": fmt.Sprintf("user%d", i), "password": pw})
		if status != 200 {
			t.Fatalf("register: %d %v", status, m)
		}
		refresh = m["refresh_token"].(string)
	}
	status, m := post(t, c.url+"/v1/auth/refresh", map[string]any{"refresh_token": refresh})
	if status != 200 {
		t.Fatalf("refresh: %d %v", status, m)
	}
	rotated := m["refresh_token"].(string)
	access := m["access_token"].(string)
	req, _ := http.NewRequest(http.MethodPut, c.url+"/v1/auth/me/password",
		strings.NewReader(`{"current_password":"`+pw+`","new_password":"`+pw2+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("change password: %v %v", err, resp)
	}
	resp.Body.Close()

	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-c.exited

	c2 := startChild(t, db)
	for i := range 4 {
		if status, m := post(t, c2.url+"/v1/auth/login", map[string]any{"username": fmt.Sprintf("user%d", i), "password": pw}); status != 200 {
			t.Fatalf("login user%d after SIGKILL: %d %v", i, status, m)
		}
	}
	if status, _ := post(t, c2.url+"/v1/auth/login", map[string]any{"username": "user4", "password": pw2}); status != 200 {
		t.Fatalf("the changed password was lost: %d", status)
	}
	if status, _ := post(t, c2.url+"/v1/auth/refresh", map[string]any{"refresh_token": rotated}); status != 200 {
		t.Fatalf("the rotated refresh token was lost: %d", status)
	}
}

// TestSIGTERMShutsDownCleanly: SIGTERM stops the server with exit status 0 well within 15 s.
func TestSIGTERMShutsDownCleanly(t *testing.T) {
	t.Parallel()
	c := startChild(t, filepath.Join(t.TempDir(), "auth.db"))
	if status, _ := post(t, c.url+"/v1/auth/login", map[string]any{"username": "nobody", "password": "x"}); status != 401 {
		t.Fatalf("login: %d", status)
	}
	start := time.Now()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.exited:
		if err := c.waitErr; err != nil {
			t.Fatalf("exit: %v\n%s", err, c.logs)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("still running 15 s after SIGTERM")
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("shutdown took %v", d)
	}
}
