#!/usr/bin/env bash
# Stops what scripts/infra/up.sh started (only those processes, by their recorded pids).
# Usage: scripts/infra/down.sh [kafka|connect|keycloak|redis|prometheus|all]...   (PostgreSQL, the machine's own, stays up)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ $# -eq 0 ] && set -- all
t0=$(bp_now_ms)
for arg in "$@"; do
  case "$arg" in
    connect) bp_stop connect ;;
    kafka) bp_stop connect; bp_stop kafka ;;
    keycloak) bp_stop keycloak ;;
    redis) bp_stop redis ;;
    prometheus) bp_stop prometheus ;;
    postgres) ;;
    all) bp_stop connect; bp_stop keycloak; bp_stop kafka; bp_stop redis; bp_stop prometheus ;;
    *) bp_die "down.sh: unknown service '$arg' (kafka|connect|keycloak|redis|prometheus|all)" ;;
  esac
done
rm -f "$BP_RUN_DIR/env"
bp_log "phase down: $(( $(bp_now_ms) - t0 )) ms"
