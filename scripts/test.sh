#!/usr/bin/env bash
# The one command that runs every check: pinned toolchain, frozen install,
# lint, type check, build, packaging checks, then every unit and integration test
# against real engines (embedded chDB and PGlite, the local PostgreSQL server,
# Kafka + Kafka Connect + Debezium and Keycloak started from Maven Central jars).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/toolchain.sh
phase() { printf '\n==> %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }
t0=$(date +%s)
phase "install"; pnpm install --frozen-lockfile
phase "lint"; pnpm lint
phase "build"; pnpm build
phase "typecheck"; pnpm typecheck
phase "packaging (publint, attw, pack + import from ESM and CJS)"; pnpm check:packages
phase "tests"; pnpm test "$@"
echo "test.sh: all phases passed in $(( $(date +%s) - t0 ))s"
