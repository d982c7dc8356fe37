#!/usr/bin/env bash
# Fetches the stack's jars from Maven Central into .infra/ (git-ignored), once.
# Usage: scripts/infra/fetch.sh [kafka|keycloak|all]
# Idempotent: a stamp per part records the versions it was fetched for; a second run is a no-op.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

what="${1:-all}"
# -q still leaves colour resets behind on Maven 3.8; strip escape sequences from what it prints.
mvn_q() {
  mvn -B -q -Dstyle.color=never -f "$BP_INFRA_SCRIPTS/pom.xml" -Dinfra.dir="$BP_INFRA_DIR" "$@" 2>&1 \
    | sed -e 's/\x1b\[[0-9;]*m//g' -e '/^$/d' >&2
}

fetch_kafka() {
  local stamp="$BP_INFRA_DIR/kafka.stamp" want="kafka=$BP_KAFKA_VERSION debezium=$BP_DEBEZIUM_VERSION"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  command -v mvn >/dev/null || bp_die "mvn is needed to fetch Kafka and Debezium from Maven Central"
  bp_log "fetching Kafka $BP_KAFKA_VERSION + Connect + Debezium $BP_DEBEZIUM_VERSION from Maven Central"
  rm -rf "$BP_KAFKA_LIBS" "$BP_CONNECT_PLUGINS"
  mvn_q dependency:copy-dependencies@kafka-libs
  mvn_q dependency:unpack@debezium-plugin
  [ -f "$BP_CONNECT_PLUGINS/debezium-connector-postgres/debezium-connector-postgres-$BP_DEBEZIUM_VERSION.jar" ] \
    || bp_die "Debezium plugin did not unpack into $BP_CONNECT_PLUGINS/debezium-connector-postgres"
  echo "$want" > "$stamp"
}

fetch_keycloak() {
  local stamp="$BP_INFRA_DIR/keycloak.stamp" want="keycloak=$BP_KEYCLOAK_VERSION"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$BP_KEYCLOAK_HOME/bin/kc.sh" ]; then return 0; fi
  command -v mvn >/dev/null || bp_die "mvn is needed to fetch Keycloak from Maven Central"
  bp_log "fetching Keycloak $BP_KEYCLOAK_VERSION (keycloak-quarkus-dist) from Maven Central"
  rm -rf "$BP_INFRA_DIR/keycloak"
  mvn_q dependency:unpack@keycloak-dist
  [ -x "$BP_KEYCLOAK_HOME/bin/kc.sh" ] || bp_die "Keycloak did not unpack into $BP_KEYCLOAK_HOME"
  echo "$want" > "$stamp"
}

mkdir -p "$BP_INFRA_DIR"
case "$what" in
  kafka|connect) bp_timed fetch-kafka fetch_kafka ;;
  keycloak) bp_timed fetch-keycloak fetch_keycloak ;;
  all) bp_timed fetch-kafka fetch_kafka; bp_timed fetch-keycloak fetch_keycloak ;;
  *) bp_die "fetch.sh: unknown part '$what' (kafka|keycloak|all)" ;;
esac
