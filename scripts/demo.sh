#!/usr/bin/env bash
# The README's main command: the whole BionicPRO pipeline on embedded engines
# (PGlite for crm_db and telemetry_db, chDB for ClickHouse), no Docker, Kafka
# or Keycloak needed. Pinned toolchain, frozen install, build, then the demo
# (generate a dataset, run the ETL for each month, replay recorded Debezium
# envelopes through the CDC sink, start the reports service and print a URL,
# a token and a curl line per endpoint). Arguments go to the demo:
#   bash scripts/demo.sh --users 50 --months 6 --port 8080
#   bash scripts/demo.sh --exit     # stop after printing (a smoke run)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/toolchain.sh
t0=$(date +%s)
pnpm install --frozen-lockfile
pnpm build
echo "demo.sh: install and build took $(( $(date +%s) - t0 ))s; starting the demo" >&2
exec pnpm --silent --filter @bionicpro/example-reports-service demo "$@"
