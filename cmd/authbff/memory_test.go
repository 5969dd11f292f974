package main

import (
	"log/slog"
	"runtime/debug"
	"strings"
	"testing"

	"authbff/graph/auth"
)

func TestMemoryLimitConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		val  string
		want int64
	}{
		{"", 0}, {"auto", 0}, {"off", -1}, {"OFF", -1},
		{"256MiB", 256 << 20}, {"1GiB", 1 << 30}, {"65536 KiB", 64 << 20}, {"134217728", 128 << 20},
	} {
		c, err := loadConfig(fakeEnv("AUTH_MEMORY_LIMIT", tc.val))
		if err != nil {
			t.Errorf("AUTH_MEMORY_LIMIT=%q: %v", tc.val, err)
			continue
		}
		if c.MemoryLimit != tc.want {
			t.Errorf("AUTH_MEMORY_LIMIT=%q: %d, want %d", tc.val, c.MemoryLimit, tc.want)
		}
	}
	for _, bad := range []string{"lots", "-5MiB", "1MiB", "12TB", "0"} {
		_, err := loadConfig(fakeEnv("AUTH_MEMORY_LIMIT", bad))
		if err == nil || !strings.Contains(err.Error(), "AUTH_MEMORY_LIMIT") {
			t.Errorf("AUTH_MEMORY_LIMIT=%q: err %v, want one naming the variable", bad, err)
		}
	}
}

func TestDefaultMemoryLimit(t *testing.T) {
	t.Parallel()
	// 40 MiB + 2 x (hash slots x hash memory): 2 slots of 19 MiB -> 116 MiB.
	got := memoryLimit(auth.Config{HashConcurrency: 2, Hash: auth.HashParams{MemoryKiB: 19456, Time: 2, Threads: 1}})
	if want := int64(40<<20 + 2*2*19456<<10); got != want {
		t.Errorf("memoryLimit = %d, want %d", got, want)
	}
}

// TestMemorySettingsLeaveTheRuntimesOwn: serve sets the GC percent (and switches it while
// hashes run) and the memory limit only where GOGC and GOMEMLIMIT do not; it learns that
// from the configuration (loadConfig), never from the process environment. Not parallel:
// it changes the runtime's settings and puts them back.
func TestMemorySettingsLeaveTheRuntimesOwn(t *testing.T) {
	prevGC := debug.SetGCPercent(100)
	prevLimit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(prevGC); debug.SetMemoryLimit(prevLimit) })
	log := slog.New(slog.DiscardHandler)

	c, err := loadConfig(fakeEnv("GOGC", "150", "GOMEMLIMIT", "300MiB"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.GOGCSet || !c.GOMEMLIMITSet {
		t.Fatalf("GOGCSet, GOMEMLIMITSet = %v, %v, want both", c.GOGCSet, c.GOMEMLIMITSet)
	}
	debug.SetGCPercent(150)
	debug.SetMemoryLimit(300 << 20)
	applyMemorySettings(&c, log)
	if got := debug.SetGCPercent(150); got != 150 {
		t.Errorf("GC percent %d with GOGC set, want the runtime's 150", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 300<<20 {
		t.Errorf("memory limit %d with GOMEMLIMIT set, want the runtime's", got)
	}
	if c.Auth.HashActivity != nil {
		t.Error("HashActivity set although GOGC is the operator's")
	}

	c, err = loadConfig(fakeEnv())
	if err != nil {
		t.Fatal(err)
	}
	applyMemorySettings(&c, log)
	if got := debug.SetGCPercent(gcPercent); got != gcPercent {
		t.Errorf("GC percent %d, want %d", got, gcPercent)
	}
	if got, want := debug.SetMemoryLimit(-1), memoryLimit(c.Auth); got != want {
		t.Errorf("memory limit %d, want %d", got, want)
	}
	if c.Auth.HashActivity == nil {
		t.Fatal("HashActivity not set")
	}
	c.Auth.HashActivity(true)
	if got := debug.SetGCPercent(gcPercentHashing); got != gcPercentHashing {
		t.Errorf("GC percent while hashing %d, want %d", got, gcPercentHashing)
	}
	c.Auth.HashActivity(false)
	if got := debug.SetGCPercent(gcPercent); got != gcPercent {
		t.Errorf("GC percent after hashing %d, want %d", got, gcPercent)
	}
}
