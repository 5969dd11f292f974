#!/bin/sh
# The scale run's stand-in for the authbff binary (BENCHMARKS.md): give it to the load
# harness as -bin. On `serve` it copies a database seeded by cmd/seed (SEED_DB) to where
# AUTH_DATABASE_URL points, then runs the real binary (AUTHBFF_BIN) in its place (exec:
# same pid, so the harness measures the server's CPU and RSS).
#
#   go build -o /tmp/authbff ./cmd/authbff
#   go run ./cmd/seed -db /tmp/scale-1m.db -users 1000000 -sessions 100000
#   SEED_DB=/tmp/scale-1m.db AUTHBFF_BIN=/tmp/authbff ../shared/bench/run.sh -bin "$PWD/scripts/seeded-authbff.sh" .
set -eu
if [ "${1:-}" = serve ] && [ -n "${SEED_DB:-}" ]; then
	db="${AUTH_DATABASE_URL#sqlite:}"
	cp "$SEED_DB" "$db"
	rm -f "$db-wal" "$db-shm"
	# Write the copy out before the server starts: otherwise the kernel writes back the
	# 1.1 GB copy of the large seed during the measured runs, and the service's fsyncs
	# (synchronous=FULL) queue behind it (the floor, at NORMAL, does not fsync per commit).
	sync "$db"
fi
exec "${AUTHBFF_BIN:?AUTHBFF_BIN: the authbff binary to run}" "$@"
