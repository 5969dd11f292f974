#!/usr/bin/env bash
# Printed by `make test` at the end: which tests were skipped on this machine for lack
# of a service or a tool, and how to run them. (CI runs them all: .ci/run installs and
# starts what they need, and with CI=true they fail instead of skipping.)
cd "$(dirname "$0")/.."
notes=()
if [ -z "${AUTH_TEST_POSTGRES_URL:-}" ]; then
  notes+=("PostgreSQL tests were SKIPPED (AUTH_TEST_POSTGRES_URL is unset). To run them, point it at a server whose user may create databases:
    AUTH_TEST_POSTGRES_URL=postgres://authbff:authbff@127.0.0.1:5432/authbff make test")
fi
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 && ! command -v google-chrome >/dev/null 2>&1; then
  notes+=("Browser tests (web/) were SKIPPED: no chromium. Install it (apt-get install -y chromium) and run make test again.")
fi
if ! command -v node >/dev/null 2>&1 || [ ! -e web/_npm/node_modules/.bin/graphql-schema-linter ]; then
  notes+=("The schema lint and generated-client tests (web/) were SKIPPED: they need node and npm ci --prefix web/_npm (make tools).")
fi
if [ ${#notes[@]} -gt 0 ]; then
  printf '\n'
  for n in "${notes[@]}"; do printf 'NOTE: %s\n' "$n"; done
fi
