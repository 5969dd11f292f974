package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"authbff/rest/apitest"
)

// TestMixloadAgainstARealServer: the in-process server (real HTTP, a SQLite file)
// answers both clients, and the figures are the process's own (the server runs in it).
func TestMixloadAgainstARealServer(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	a := env.Register("mixer")
	r, err := run(env.URL, os.Getpid(), a.Username, a.Password, 5*time.Millisecond, 200, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if r.Logins < 1 || r.Mes < 10 {
		t.Errorf("%d logins and %d /me in 300 ms, want at least 1 and 10", r.Logins, r.Mes)
	}
	if r.CPU <= 0 || r.Faults < 0 {
		t.Errorf("server CPU %s, page faults %d: want CPU spent and a count", r.CPU, r.Faults)
	}

	if _, err := run(env.URL, os.Getpid(), a.Username, "wrong", time.Millisecond, 10, 50*time.Millisecond); err == nil || !strings.Contains(err.Error(), "login answered 401") {
		t.Errorf("a wrong password: %v, want the 401 named", err)
	}
	if _, err := run(env.URL, 1<<30, a.Username, a.Password, time.Millisecond, 10, 50*time.Millisecond); err == nil {
		t.Error("a process that does not exist: no error")
	}
}
