// Command mixload drives a running authbff with the mix the GC settings are weighed
// against (BENCHMARKS.md, § Load runs; cmd/authbff/memory.go): one client logging in
// every -gap, one after the other, while another reads /v1/auth/me -rate times a
// second on one connection, for -for. It prints what was answered and what the server
// spent: CPU and page faults from /proc/PID/stat (Linux), over the measured time only.
//
//	go run ./cmd/mixload -base http://127.0.0.1:8081 -pid $(pgrep -n authbff) \
//	    -user benchuser -password bench-password-123 -gap 100ms -rate 1000 -for 10s
//
// It logs in with -user and -password (the account must exist); /v1/auth/me presents
// the newest login's access token (a login past AUTH_MAX_SESSIONS evicts the oldest
// sessions). Any answer other than 200 stops it with an error.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	base := flag.String("base", "http://127.0.0.1:8080", "the server's base URL")
	pid := flag.Int("pid", 0, "the server's process id (for its CPU and page faults)")
	user := flag.String("user", "", "username to log in as")
	password := flag.String("password", "", "its password")
	gap := flag.Duration("gap", 100*time.Millisecond, "pause between one login's answer and the next login")
	rate := flag.Int("rate", 1000, "GET /v1/auth/me per second")
	length := flag.Duration("for", 10*time.Second, "how long to measure")
	flag.Parse()
	if *pid <= 0 || *user == "" || *rate <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	r, err := run(*base, *pid, *user, *password, *gap, *rate, *length)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mixload:", err)
		os.Exit(1)
	}
	fmt.Printf("logins %d, /me %d in %s: server CPU %s (%.1f%% of a core), page faults %d\n",
		r.Logins, r.Mes, *length, r.CPU, 100*r.CPU.Seconds()/length.Seconds(), r.Faults)
}

// result is what a run answered and what the server spent meanwhile.
type result struct {
	Logins, Mes int64
	CPU         time.Duration
	Faults      int64
}

func run(base string, pid int, user, password string, gap time.Duration, rate int, length time.Duration) (result, error) {
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	login := func(c *http.Client) (string, error) {
		r, err := c.Post(base+"/v1/auth/login", "application/json", bytes.NewReader(body))
		if err != nil {
			return "", err
		}
		defer r.Body.Close()
		var a struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.NewDecoder(r.Body).Decode(&a); err != nil || r.StatusCode != http.StatusOK {
			return "", fmt.Errorf("login answered %d (%v)", r.StatusCode, err)
		}
		return a.AccessToken, nil
	}
	first, err := login(&http.Client{})
	if err != nil {
		return result{}, err
	}
	var token atomic.Pointer[string]
	token.Store(&first)
	before, err := readStat(pid)
	if err != nil {
		return result{}, err
	}
	end := time.Now().Add(length)
	var logins, mes atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Go(func() {
		c := &http.Client{}
		for time.Now().Before(end) {
			t, err := login(c)
			if err != nil {
				errs <- err
				return
			}
			token.Store(&t)
			logins.Add(1)
			time.Sleep(gap)
		}
	})
	wg.Go(func() {
		c := &http.Client{}
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		for time.Now().Before(end) {
			<-tick.C
			req, _ := http.NewRequest(http.MethodGet, base+"/v1/auth/me", nil)
			req.Header.Set("Authorization", "Bearer "+*token.Load())
			r, err := c.Do(req)
			if err != nil {
				errs <- err
				return
			}
			_, _ = io.Copy(io.Discard, r.Body)
			r.Body.Close()
			if r.StatusCode != http.StatusOK {
				errs <- fmt.Errorf("/v1/auth/me answered %d", r.StatusCode)
				return
			}
			mes.Add(1)
		}
	})
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return result{}, err
	}
	after, err := readStat(pid)
	if err != nil {
		return result{}, err
	}
	return result{Logins: logins.Load(), Mes: mes.Load(), CPU: after.cpu - before.cpu, Faults: after.faults - before.faults}, nil
}

type procStat struct {
	cpu    time.Duration
	faults int64
}

// readStat reads a process's CPU time (user + system) and minor page faults from
// /proc/PID/stat.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, errors.New("unreadable /proc stat")
	}
	f := strings.Fields(s[i+1:]) // state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
	if len(f) < 13 {
		return procStat{}, errors.New("short /proc stat")
	}
	minflt, _ := strconv.ParseInt(f[7], 10, 64)
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	return procStat{cpu: time.Duration(utime+stime) * tick, faults: minflt}, nil
}
