#!/usr/bin/env bash
# Prints the `export` lines of the services scripts/infra/up.sh started: eval "$(scripts/infra/env.sh)"
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ -f "$BP_RUN_DIR/env" ] || bp_die "nothing is running: start it with scripts/infra/up.sh"
grep '^export ' "$BP_RUN_DIR/env"
