//go:build !linux

package main

// keepCHeap is a no-op where the C library is not glibc's (malloc.go).
func keepCHeap() {}

// trimCHeap is a no-op where the C library is not glibc's (malloc.go).
func trimCHeap() {}
