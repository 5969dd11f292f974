package main

import (
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
	// 64 MiB + 2 x (hash slots x hash memory): 2 slots of 19 MiB -> 140 MiB.
	got := memoryLimit(auth.Config{HashConcurrency: 2, Hash: auth.HashParams{MemoryKiB: 19456, Time: 2, Threads: 1}})
	if want := int64(64<<20 + 2*2*19456<<10); got != want {
		t.Errorf("memoryLimit = %d, want %d", got, want)
	}
}
