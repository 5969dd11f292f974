package main

import (
	"log/slog"
	"runtime"
	"runtime/debug"

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
//
// Measured and not done (issue 12, 07 Dec): a collection once hashing has stopped for
// 10 ms. A collection that runs during a hash counts its block as live, so the page
// views after a login allocate up to a goal of ~60 MiB through pages the heap does not
// have resident: one at a time, the 2,000 /me after a login took 2.3 page faults and
// ~270 us of CPU each, and 0.03-0.7 faults and ~205 us with the collection. But the
// collection lets the scavenger hand the hash's block back to the kernel, and the next
// hash faults it in again: logins 50 ms apart cost 38 -> 47 ms of CPU each, and a mix of
// logins every 100-200 ms with 500-1,000 /me a second (cmd/mixload) as much CPU or up
// to 18% more, with 5-50x the page faults (BENCHMARKS.md, § Load runs).
const gcPercentHashing = 90

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
		cfg.Auth.HashActivity = func(running bool) {
			if running {
				debug.SetGCPercent(gcPercentHashing)
			} else {
				debug.SetGCPercent(gcPercent)
			}
		}
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
