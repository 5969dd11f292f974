#!/bin/sh
# Idle memory as the load harness reads it (BENCHMARKS.md § Memory): start `authbff serve`
# on a fresh SQLite file with the harness's environment, and print VmRSS, RssAnon and
# RssFile (MiB) when GET /v1/auth/config first answers. Build the binary right before, as
# the harness does: how much of it is resident depends on how it got into the page cache.
#
#   go build -o /tmp/authbff ./cmd/authbff && scripts/idle-rss.sh /tmp/authbff 3
set -eu
bin=${1:?usage: idle-rss.sh BINARY [STARTS]}
n=${2:-3}
port=${PORT:-18095}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for i in $(seq "$n"); do
	rm -f "$dir"/auth.db*
	env -i PATH="$PATH" HOME="$HOME" AUTH_ADDR=127.0.0.1:$port AUTH_DATABASE_URL=sqlite:$dir/auth.db \
		AUTH_RATE_LIMITS=off "$bin" serve >"$dir/log" 2>&1 &
	pid=$!
	up=
	for _ in $(seq 200); do
		if curl -sf "http://127.0.0.1:$port/v1/auth/config" >/dev/null 2>&1; then up=1; break; fi
		sleep 0.05
	done
	if [ -z "$up" ]; then
		echo "authbff did not answer on port $port:" >&2
		tail -5 "$dir/log" >&2
		kill "$pid" 2>/dev/null || true
		exit 1
	fi
	awk '/^(VmRSS|RssAnon|RssFile):/ {printf "%s %.1f MiB  ", $1, $2/1024} END {print ""}' "/proc/$pid/status"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
done
