#!/usr/bin/env bash
# The one command that runs every check: pinned toolchain, frozen install,
# lint, type check, build, packaging checks, the API reports and reference, then every unit and integration test
# against real engines (embedded chDB and PGlite, the local PostgreSQL server,
# Kafka + Kafka Connect + Debezium and Keycloak started from Maven Central jars).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/toolchain.sh
phase() { printf '\n==> %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }
t0=$(date +%s)
phase "install"; pnpm install --frozen-lockfile
# The real stack (scripts/infra/up.sh: PostgreSQL for Debezium, Kafka, Connect + Debezium, Keycloak)
# starts in the background while lint/build/typecheck run, and is stopped when this script exits
# (BIONICPRO_KEEP_STACK=1 leaves it up). Tests reuse it through test/global-setup.ts.
phase "real stack: starting in the background (log: .infra/up.log)"
mkdir -p .infra; bash scripts/infra/up.sh all > .infra/up.log 2>&1 & stack_pid=$!
stop_stack() {
  kill "$stack_pid" 2>/dev/null || true
  [ "${BIONICPRO_KEEP_STACK:-}" = 1 ] || bash scripts/infra/down.sh all >/dev/null 2>&1 || true
}
trap stop_stack EXIT
phase "lint"; pnpm lint
phase "build"; pnpm build
phase "typecheck"; pnpm typecheck
phase "packaging (publint, attw, pack + import from ESM and CJS)"; pnpm check:packages
phase "API reports (packages/*/api/*.api.md match the build)"; pnpm api:check
phase "API reference (typedoc into docs/api; a broken {@link} fails)"; pnpm docs:api
phase "real stack: waiting for it"
if ! wait "$stack_pid"; then cat .infra/up.log; echo "test.sh: the real stack did not start" >&2; exit 1; fi
grep -E 'phase|ready|ERROR' .infra/up.log || true
phase "tests"; pnpm test "$@"
echo "test.sh: all phases passed in $(( $(date +%s) - t0 ))s"
