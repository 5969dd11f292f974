package main

import (
	"os"
	"strings"
	"syscall"
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
	if r.CPU <= 0 {
		t.Errorf("server CPU %s: want CPU spent", r.CPU)
	}

	if _, err := run(env.URL, os.Getpid(), a.Username, "wrong", time.Millisecond, 10, 50*time.Millisecond); err == nil || !strings.Contains(err.Error(), "login answered 401") {
		t.Errorf("a wrong password: %v, want the 401 named", err)
	}
	if _, err := run(env.URL, 1<<30, a.Username, a.Password, time.Millisecond, 10, 50*time.Millisecond); err == nil {
		t.Error("a process that does not exist: no error")
	}
}

// TestReadStatAgreesWithGetrusage: readStat reads the fields it names. Its CPU time lies
// between two getrusage(2) readings of the same process (less up to two clock ticks:
// /proc rounds user and system time down to ticks), its page faults between the two
// readings' minor faults, and touching 256 fresh pages adds at least 256 faults.
func TestReadStatAgreesWithGetrusage(t *testing.T) {
	usage := func() (time.Duration, int64) {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			t.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), ru.Minflt
	}
	cpu0, flt0 := usage()
	st, err := readStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	cpu1, flt1 := usage()
	if st.cpu > cpu1 || st.cpu < cpu0-20*time.Millisecond {
		t.Errorf("CPU %s from /proc, getrusage %s .. %s", st.cpu, cpu0, cpu1)
	}
	if st.faults < flt0 || st.faults > flt1 {
		t.Errorf("page faults %d from /proc, getrusage %d .. %d", st.faults, flt0, flt1)
	}

	pageSize := os.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 256*pageSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(mem)
	for i := 0; i < len(mem); i += pageSize {
		mem[i] = 1
	}
	after, err := readStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if got := after.faults - st.faults; got < 256 {
		t.Errorf("touching 256 fresh pages: %d page faults counted, want at least 256", got)
	}
}
