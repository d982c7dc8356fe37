#!/usr/bin/env bash
# Captures real Debezium envelopes into packages/cdc/test/fixtures/debezium/ (see its README.md).
# Brings PostgreSQL, Kafka and Kafka Connect up (scripts/infra/up.sh) unless KAFKA_CONNECT_URL,
# KAFKA_BROKERS and BIONICPRO_PG_URL name running ones. Leaves the services running.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/toolchain.sh
if [ -z "${KAFKA_CONNECT_URL:-}" ]; then
  scripts/infra/up.sh postgres connect
  # shellcheck disable=SC1091
  source .infra/run/env
fi
cd test && exec node --import tsx stack/capture-debezium-fixtures.ts
