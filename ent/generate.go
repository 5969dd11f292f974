// Package ent holds the code entc generates from ./schema. Never edit it by hand:
// run `go generate ./...` (or `make generate`).
package ent

//go:generate go run -mod=mod entc.go
