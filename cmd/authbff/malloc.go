//go:build linux

package main

/*
#include <malloc.h>

// glibc has M_TRIM_THRESHOLD; a C library without it (musl) keeps its own policy.
static void keep_c_heap(int bytes) {
#ifdef M_TRIM_THRESHOLD
	mallopt(M_TRIM_THRESHOLD, bytes);
#else
	(void)bytes;
#endif
}

// One C heap (cMallocArenas in malloc.go). glibc fixes its limit on heaps the first time
// a thread other than the main one allocates, which the Go runtime's threads do before
// main.main runs: so it is set here, when the binary is loaded, before any thread starts.
#ifdef M_ARENA_MAX
__attribute__((constructor)) static void one_c_heap(void) {
	mallopt(M_ARENA_MAX, 1);
}
#endif

// glibc's malloc_trim hands free pages of every arena back to the kernel; other C
// libraries have their own policy.
static void trim_c_heap(void) {
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}
*/
import "C"

// cMallocTrimThreshold is how much free memory at the top of a C heap (glibc's
// M_TRIM_THRESHOLD) stays mapped instead of being handed back to the kernel.
//
// SQLite (cgo) takes its page cache from malloc a page at a time, and a connection drops
// its whole cache whenever another connection has written to the database since its
// last read (WAL). glibc then trims the per-thread heap with madvise(MADV_DONTNEED) (a
// TLB shootdown on every CPU) and the next read faults the same pages back in: under 64
// refreshing clients that churn was ~20% of the service's CPU (9% madvise, 12% page
// faults in pcache1FetchStage2; issue 12, perf). The default threshold is 128 KiB; with
// 32 MiB the freed pages are reused. It bounds what is kept free, not what is used: RSS
// stays at the C heap's high-water mark (a few MiB of page caches) instead of falling
// back between bursts.
const cMallocTrimThreshold = 32 << 20

// The C allocator keeps one heap (glibc's M_ARENA_MAX, set by one_c_heap above when the
// binary loads). glibc gives each thread that calls malloc a heap of its own, up to eight
// per CPU, and each keeps its own free pages; Go runs cgo calls on whichever thread it
// likes, so SQLite's page caches were spread over three heaps right after start (0.5 MiB
// of the idle RSS, issue 12) and over more under load. One heap costs no concurrency:
// SQLite takes its own global memory mutex around every allocation (go-sqlite3 builds it
// with SQLITE_DEFAULT_MEMSTATUS on), so its mallocs are serialised already.

// keepCHeap sets cMallocTrimThreshold (once, at start, before the database opens).
func keepCHeap() { C.keep_c_heap(C.int(cMallocTrimThreshold)) }

// trimCHeap hands the C heap's free pages back to the kernel once, after start: what
// the start-up's SQLite connections (migrations, the checks before serving) freed stays
// mapped under cMallocTrimThreshold otherwise, and an idle process would keep it.
func trimCHeap() { C.trim_c_heap() }
