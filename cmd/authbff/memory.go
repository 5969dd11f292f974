package main

import (
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"authbff/graph/auth"
)

// gcPercent is the GOGC serve runs with unless the GOGC variable sets one: the live heap
// of the service is small (a few MiB), so collecting at 3x it instead of 2x halves the
// collector's CPU on the hot paths (issue 12 measured it at ~10% of a /me; GOGC=100
// cost /me ~25% more CPU in the load harness) while the memory limit below still bounds
// the total.
const gcPercent = 200

// gcPercentHashing is the GOGC while password hashes run (auth.Config.HashActivity).
// Each argon2id hash allocates its whole block (19 MiB at the defaults) and drops it:
// at 3x the live heap, a burst of logins piles up several dead blocks, the heap's goal
// meets the memory limit, and the runtime hands the freed blocks back to the kernel
// only for the next hash to fault them in again (issue 12: ~400 page faults and ~9 ms
// of CPU more per login than the floor, whose GOGC is 100). At 2x the dead blocks are
// reused while still resident: in the load harness login went from 0.71 to 0.92 of the
// floor and its peak RSS from 188 to 160 MiB. Not 100 but 90: at 2x, the running hash's
// block plus the service's own ~2 MiB put the pacer's goal just above two blocks, so a
// third was allocated before each collection (gctrace: 59 MB heaps where the floor,
// with a smaller heap, collects at 38); at 1.9x the goal lands below (login 0.82-0.84
// -> 0.89 of the floor, CPU per login 1.14-1.18x -> 1.09-1.10x, peak after the login
// case 152-154 -> 133-135 MiB, two same-moment pairs of harness runs). Set back when the
// last hash ends, so page views between logins keep gcPercent.
const gcPercentHashing = 90

// hashQuiet is how long no password hash may have run before serve collects (hashGC).
// Longer than the gap between back-to-back logins of one client or a burst (a round
// trip, well under a millisecond here), so a burst collects once, at its end, and short
// enough that the page views after a login run on the small heap.
const hashQuiet = 10 * time.Millisecond

// hashGC is serve's auth.Config.HashActivity: it switches the GC percent while password
// hashes run (gcPercentHashing) and collects once when hashing has stopped for
// hashQuiet.
//
// Why collect: a collection that runs while a hash runs (most do: the hash is what
// allocates) counts the hash's block (19 MiB at the defaults) as live, so the next
// goal is ~3x that, ~60 MiB, for a service whose live heap is ~2 MiB. After the hash
// the page views allocate their way up to that goal through memory no collection
// reuses: first touches, page faults and cold caches. Measured (07 Dec, issue 12): the
// 2,000 `/me` that follow a login, one at a time, took 2.3 page faults and ~290 us of
// server CPU each (4,864 faults: 19 MiB of pages), and 0.03-0.7 faults and ~200 us with this
// collection (the floor: ~220 us); unloaded `/me` latency 290-300 -> 210-240 us.
// Not at the end of every hash: collecting after each of a client's back-to-back logins
// made each ~2 ms slower and spent 2-10 ms more CPU (the collection, then the next hash
// faulting in the block the scavenger had handed back).
type hashGC struct {
	afterFunc func(time.Duration, func()) *time.Timer // time.AfterFunc; tests replace it
	collect   func()                                  // runtime.GC

	mu      sync.Mutex
	running bool
	timer   *time.Timer
}

// activity is called with true when the first hash starts and false when the last
// one ends (auth's hasher serialises the calls).
func (g *hashGC) activity(running bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.running = running
	if running {
		debug.SetGCPercent(gcPercentHashing)
		if g.timer != nil {
			g.timer.Stop()
		}
		return
	}
	debug.SetGCPercent(gcPercent)
	if g.timer == nil {
		g.timer = g.afterFunc(hashQuiet, g.quiet)
	} else {
		g.timer.Reset(hashQuiet)
	}
}

// quiet runs hashQuiet after the last hash ended: it collects unless a hash has
// started since (a hash that starts during the collection only shares it).
func (g *hashGC) quiet() {
	g.mu.Lock()
	running := g.running
	g.mu.Unlock()
	if !running {
		g.collect()
	}
}

// memoryLimit is the soft memory limit serve sets (debug.SetMemoryLimit) when neither
// AUTH_MEMORY_LIMIT nor GOMEMLIMIT gives one: 40 MiB for the service itself (its live
// heap is a few MiB) plus twice the memory of the password hashes that may run at once
// (AUTH_HASH_MEMORY_KIB x one hash slot per CPU): the running blocks and as many dead
// ones. With the defaults on 2 CPUs that is 116 MiB (it was 64 MiB + the same, 140 MiB,
// which let the peak RSS of a login burst reach 150-180 MiB; issue 12).
// The collector works harder as the heap nears it, so bursts of logins (each waiting
// for one of the hash slots) stay bounded instead of growing the heap to 2x its peak.
func memoryLimit(cfg auth.Config) int64 {
	conc, kib := cfg.HashConcurrency, cfg.Hash.MemoryKiB
	if conc <= 0 {
		conc = runtime.NumCPU() // auth.Config's default
	}
	if kib == 0 {
		kib = auth.DefaultHashParams.MemoryKiB
	}
	return 40<<20 + 2*int64(conc)*int64(kib)<<10
}

// applyMemorySettings sets the runtime's GC percent and memory limit from the
// configuration, leaving what GOGC and GOMEMLIMIT set alone.
func applyMemorySettings(cfg *config, log *slog.Logger) {
	if !cfg.GOGCSet {
		debug.SetGCPercent(gcPercent)
		cfg.Auth.HashActivity = (&hashGC{afterFunc: time.AfterFunc, collect: runtime.GC}).activity
	}
	limit := cfg.MemoryLimit
	switch {
	case limit < 0:
		log.Info("memory limit off (AUTH_MEMORY_LIMIT=off)")
		return
	case limit == 0 && cfg.GOMEMLIMITSet:
		return // the runtime read it
	case limit == 0:
		limit = memoryLimit(cfg.Auth)
	}
	debug.SetMemoryLimit(limit)
	log.Debug("memory limit", "bytes", limit)
}

// releaseStartupMemory returns to the operating system what starting took and serving
// does not keep: the dummy password hash the service computes at start (one argon2id
// block, 19 MiB at the default parameters), migrations and the schema being built (the
// OpenAPI document waits for its first request). Without it the idle process kept it
// all (RSS ~80 MiB after start, issue 12), since an idle heap never reaches its next
// collection. Once, before the listener opens: a forced collection of a small heap (a
// few ms).
func releaseStartupMemory() {
	debug.FreeOSMemory()
	trimCHeap()
}
