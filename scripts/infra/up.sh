#!/usr/bin/env bash
# Starts the real services the integration and end-to-end tests talk to, without Docker:
#   postgres  the machine's PostgreSQL, configured for Debezium (wal_level=logical), with crm_db + telemetry_db
#   kafka     a single-node KRaft broker (Apache Kafka from Maven Central jars)
#   connect   a Kafka Connect distributed worker with the Debezium PostgreSQL connector plugin (implies kafka)
#   keycloak  Keycloak (keycloak-quarkus-dist) in dev mode with the realm in scripts/infra/realm/
#   redis     the machine's Redis (Debian package redis-server; installed with apt-get when missing)
#   prometheus  Prometheus (Debian package, installed when missing and running as root), scraping
#             the targets tests write into .infra/run/prometheus/targets/ every second
#   all       every one of the above (default)
# Usage: scripts/infra/up.sh [postgres|kafka|connect|keycloak|redis|prometheus|all]...
# Idempotent: a service already running is left alone, so a second run returns in about a second.
# Everything listens on 127.0.0.1 only. Stop with scripts/infra/down.sh. Service URLs are written to
# .infra/run/env (shell `export` lines; `source` it or run scripts/infra/env.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# A service already answering on its port as that service (started by another checkout, or by hand) is
# reused rather than reported as a port conflict; a port held by something else still fails clearly.
BP_FOREIGN_NOTE=" (not started by this checkout: reused as it is; down.sh leaves it alone)"

# ---------------------------------------------------------------- PostgreSQL
pg_ready() { bp_psql -d postgres -Atc 'select 1' >/dev/null 2>&1; }

pg_restart() {
  command -v pg_ctlcluster >/dev/null || bp_die "PostgreSQL at $BP_PG_HOST:$BP_PG_PORT needs a restart and pg_ctlcluster is not here; restart it yourself"
  local ver; ver="$(ls /etc/postgresql | sort -V | tail -n 1)"
  bp_log "restarting PostgreSQL $ver/main so wal_level=logical takes effect"
  pg_ctlcluster --skip-systemctl-redirect "$ver" main restart
  bp_wait_until "PostgreSQL" 60 /dev/null pg_ready
}

up_postgres() {
  if ! pg_ready; then
    if command -v pg_ctlcluster >/dev/null; then
      bp_log "PostgreSQL is not answering; starting it"
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start || true
      bp_wait_until "PostgreSQL" 60 /dev/null pg_ready || bp_die "PostgreSQL at $BP_PG_HOST:$BP_PG_PORT did not start"
    else
      bp_die "PostgreSQL at $BP_PG_HOST:$BP_PG_PORT is not answering"
    fi
  fi
  local wal slots senders
  wal="$(bp_psql -d postgres -Atc 'show wal_level')"
  slots="$(bp_psql -d postgres -Atc 'show max_replication_slots')"
  senders="$(bp_psql -d postgres -Atc 'show max_wal_senders')"
  if [ "$wal" != "logical" ] || [ "$slots" -lt 20 ] || [ "$senders" -lt 20 ]; then
    bp_psql -d postgres -c "alter system set wal_level = 'logical'" \
      -c "alter system set max_replication_slots = 20" -c "alter system set max_wal_senders = 20"
    pg_restart
  fi
  for db in crm_db telemetry_db; do
    if [ "$(bp_psql -d postgres -Atc "select count(*) from pg_database where datname = '$db'")" = "0" ]; then
      bp_psql -d postgres -c "create database $db"
      bp_log "created database $db"
    fi
  done
  # A slot left by a killed test run holds WAL forever: drop inactive slots of this project's tests.
  bp_psql -d postgres -Atc "select pg_drop_replication_slot(slot_name) from pg_replication_slots where not active and slot_name like 'bp\_%'" >/dev/null
  bp_log "PostgreSQL ready at $BP_PG_HOST:$BP_PG_PORT (wal_level=logical; databases crm_db, telemetry_db)"
}

# ---------------------------------------------------------------- Redis
redis_ready() { redis-cli -h 127.0.0.1 -p "$BP_REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

up_redis() {
  if redis_ready; then
    bp_pid_of redis >/dev/null || REDIS_FOREIGN=1
    bp_log "Redis already running at 127.0.0.1:$BP_REDIS_PORT${REDIS_FOREIGN:+$BP_FOREIGN_NOTE}"
    return 0
  fi
  if ! command -v redis-server >/dev/null; then
    command -v apt-get >/dev/null || bp_die "no redis-server on PATH and no apt-get to install it (Debian package redis-server)"
    bp_log "installing the Debian package redis-server"
    local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get install -y -q redis-server >/dev/null || bp_die "apt-get install redis-server failed"
  fi
  bp_port_open "$BP_REDIS_PORT" && bp_die "port $BP_REDIS_PORT is taken by another process (set BIONICPRO_REDIS_PORT)"
  mkdir -p "$BP_RUN_DIR/redis-data"
  # No persistence: a test stack starts empty; the tests use a unique key prefix per run anyway.
  bp_spawn redis "$BP_RUN_DIR/redis.log" redis-server --bind 127.0.0.1 --port "$BP_REDIS_PORT" \
    --save "" --appendonly no --dir "$BP_RUN_DIR/redis-data" --maxmemory 256mb --maxmemory-policy allkeys-lru
  BP_WAIT_PID=redis bp_wait_until "Redis" 30 "$BP_RUN_DIR/redis.log" redis_ready || { bp_stop redis; exit 1; }
  bp_log "Redis ready at 127.0.0.1:$BP_REDIS_PORT"
}

# ---------------------------------------------------------------- Kafka broker
render() { # render <template> <output>: substitutes @VARS@
  sed -e "s#@KAFKA_PORT@#$BP_KAFKA_PORT#g" -e "s#@CONTROLLER_PORT@#$BP_KAFKA_CONTROLLER_PORT#g" \
      -e "s#@CONNECT_PORT@#$BP_CONNECT_PORT#g" -e "s#@DATA_DIR@#$BP_RUN_DIR/kafka-data#g" \
      -e "s#@PLUGIN_PATH@#$BP_CONNECT_PLUGINS#g" "$1" > "$2"
}

kafka_java() { # kafka_java <heap> <main-class> <args...>: the java command line, one word a line
  local heap="$1"; shift
  local opts="$BP_JVM_FAST_START"
  [ "$1" = org.apache.kafka.connect.cli.ConnectDistributed ] && opts="$BP_CONNECT_JVM_OPTS"
  # shellcheck disable=SC2086
  printf '%s\n' "$BP_JAVA" $heap $opts "-Dlog4j2.configurationFile=$BP_INFRA_SCRIPTS/config/log4j2.properties" \
    "-Dkafka.logs.dir=$BP_RUN_DIR" -cp "$BP_KAFKA_LIBS/*" "$@"
}

# A KRaft cluster id is 16 random bytes in URL-safe base64 without padding (22 characters).
kafka_cluster_id() { head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }

# A broker answers an ApiVersions v0 request (api key 18, correlation id 1) with its correlation id.
kafka_answers() {
  timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$BP_KAFKA_PORT && printf '\\x00\\x00\\x00\\x0c\\x00\\x12\\x00\\x00\\x00\\x00\\x00\\x01\\x00\\x02bp' >&3 && head -c 8 <&3" 2>/dev/null \
    | od -An -tx1 | tr -d ' \n' | grep -q '^.\{8\}00000001$'
}

kafka_started() { grep -q 'Kafka Server started' "$BP_RUN_DIR/kafka.log" && bp_port_open "$BP_KAFKA_PORT"; }

start_kafka() {
  if bp_pid_of kafka >/dev/null && bp_port_open "$BP_KAFKA_PORT"; then KAFKA_WAS_RUNNING=1; return 0; fi
  KAFKA_WAS_RUNNING=0
  bp_stop kafka
  if kafka_answers; then KAFKA_WAS_RUNNING=1; KAFKA_FOREIGN=1; return 0; fi
  bp_port_open "$BP_KAFKA_PORT" && bp_die "port $BP_KAFKA_PORT is taken by another process (set BIONICPRO_KAFKA_PORT)"
  "$BP_INFRA_SCRIPTS/fetch.sh" kafka
  mkdir -p "$BP_RUN_DIR"
  # A fresh broker each start: no topic, offset or connector survives from an earlier run.
  rm -rf "$BP_RUN_DIR/kafka-data"
  render "$BP_INFRA_SCRIPTS/config/server.properties.tmpl" "$BP_RUN_DIR/server.properties"
  local t0; t0=$(bp_now_ms)
  local -a cmd
  mapfile -t cmd < <(kafka_java "-Xmx256m" kafka.tools.StorageTool format --ignore-formatted \
    -t "$(kafka_cluster_id)" -c "$BP_RUN_DIR/server.properties")
  "${cmd[@]}" > "$BP_RUN_DIR/kafka-format.log" 2>&1 \
    || { cat "$BP_RUN_DIR/kafka-format.log" >&2; bp_die "kafka storage format failed"; }
  bp_log "phase kafka-format: $(( $(bp_now_ms) - t0 )) ms"
  KAFKA_T0=$(bp_now_ms)
  mapfile -t cmd < <(kafka_java "$BP_KAFKA_HEAP" kafka.Kafka "$BP_RUN_DIR/server.properties")
  bp_spawn kafka "$BP_RUN_DIR/kafka.log" "${cmd[@]}"
}

wait_kafka() {
  [ "${KAFKA_WAS_RUNNING:-0}" = 1 ] && { bp_log "Kafka already running at 127.0.0.1:$BP_KAFKA_PORT${KAFKA_FOREIGN:+$BP_FOREIGN_NOTE}"; return 0; }
  BP_WAIT_PID=kafka bp_wait_until "Kafka broker" 120 "$BP_RUN_DIR/kafka.log" kafka_started || { bp_stop kafka; exit 1; }
  bp_log "phase kafka-start: $(( $(bp_now_ms) - KAFKA_T0 )) ms — Kafka $BP_KAFKA_VERSION ready at 127.0.0.1:$BP_KAFKA_PORT"
}

# ---------------------------------------------------------------- Kafka Connect + Debezium
connect_ready() {
  curl -fsS "http://127.0.0.1:$BP_CONNECT_PORT/connector-plugins" 2>/dev/null | grep -q 'io.debezium.connector.postgresql.PostgresConnector'
}

start_connect() {
  if bp_pid_of connect >/dev/null && connect_ready; then CONNECT_WAS_RUNNING=1; return 0; fi
  CONNECT_WAS_RUNNING=0
  bp_stop connect
  if connect_ready; then CONNECT_WAS_RUNNING=1; CONNECT_FOREIGN=1; return 0; fi
  bp_port_open "$BP_CONNECT_PORT" && bp_die "port $BP_CONNECT_PORT is taken by another process (set BIONICPRO_CONNECT_PORT)"
  render "$BP_INFRA_SCRIPTS/config/worker.properties.tmpl" "$BP_RUN_DIR/worker.properties"
  CONNECT_T0=$(bp_now_ms)
  local -a cmd
  mapfile -t cmd < <(kafka_java "$BP_CONNECT_HEAP" org.apache.kafka.connect.cli.ConnectDistributed "$BP_RUN_DIR/worker.properties")
  bp_spawn connect "$BP_RUN_DIR/connect.log" "${cmd[@]}"
}

wait_connect() {
  [ "${CONNECT_WAS_RUNNING:-0}" = 1 ] && { bp_log "Kafka Connect already running at http://127.0.0.1:$BP_CONNECT_PORT${CONNECT_FOREIGN:+$BP_FOREIGN_NOTE}"; return 0; }
  BP_WAIT_PID=connect bp_wait_until "Kafka Connect" 180 "$BP_RUN_DIR/connect.log" connect_ready || { bp_stop connect; exit 1; }
  bp_log "phase connect-start: $(( $(bp_now_ms) - CONNECT_T0 )) ms — Kafka Connect + Debezium $BP_DEBEZIUM_VERSION ready at http://127.0.0.1:$BP_CONNECT_PORT"
}

# ---------------------------------------------------------------- Keycloak
keycloak_ready() { curl -fsS "http://127.0.0.1:$BP_KEYCLOAK_PORT/realms/bionicpro/.well-known/openid-configuration" 2>/dev/null | grep -q issuer; }

start_keycloak() {
  if bp_pid_of keycloak >/dev/null && keycloak_ready; then KEYCLOAK_WAS_RUNNING=1; return 0; fi
  KEYCLOAK_WAS_RUNNING=0
  bp_stop keycloak
  if keycloak_ready; then KEYCLOAK_WAS_RUNNING=1; KEYCLOAK_FOREIGN=1; return 0; fi
  bp_port_open "$BP_KEYCLOAK_PORT" && bp_die "port $BP_KEYCLOAK_PORT is taken by another process (set BIONICPRO_KEYCLOAK_PORT)"
  "$BP_INFRA_SCRIPTS/fetch.sh" keycloak
  # Dev mode keeps an H2 database in data/. It is kept between starts (creating it and importing
  # the realm take ~20 s) and wiped when the realm file changed, since --import-realm (which reads
  # data/import) skips a realm that already exists.
  local realm="$BP_INFRA_SCRIPTS/realm/bionicpro-realm.json" sum
  sum="$(sha256sum "$realm" | cut -c1-64)"
  if [ "$(cat "$BP_KEYCLOAK_HOME/data/realm.sha256" 2>/dev/null)" != "$sum" ]; then
    rm -rf "$BP_KEYCLOAK_HOME/data"
    mkdir -p "$BP_KEYCLOAK_HOME/data/import"
    cp "$realm" "$BP_KEYCLOAK_HOME/data/import/"
    echo "$sum" > "$BP_KEYCLOAK_HOME/data/realm.sha256"
  fi
  mkdir -p "$BP_RUN_DIR"
  KEYCLOAK_T0=$(bp_now_ms)
  # kc.sh adds -XX:+UseG1GC unless JAVA_OPTS is set, so set all of it here.
  bp_spawn keycloak "$BP_RUN_DIR/keycloak.log" env \
    JAVA_OPTS="$BP_KEYCLOAK_HEAP $BP_JVM_FAST_START -XX:MetaspaceSize=96M -XX:MaxMetaspaceSize=256m -Dfile.encoding=UTF-8 -Djava.security.egd=file:/dev/urandom" \
    KC_BOOTSTRAP_ADMIN_USERNAME=admin KC_BOOTSTRAP_ADMIN_PASSWORD=admin \
    "$BP_KEYCLOAK_HOME/bin/kc.sh" start-dev \
      --http-host=127.0.0.1 --http-port="$BP_KEYCLOAK_PORT" --http-management-port="$BP_KEYCLOAK_MGMT_PORT" \
      --hostname-strict=false --health-enabled=true --import-realm
}

wait_keycloak() {
  [ "${KEYCLOAK_WAS_RUNNING:-0}" = 1 ] && { bp_log "Keycloak already running at http://127.0.0.1:$BP_KEYCLOAK_PORT${KEYCLOAK_FOREIGN:+$BP_FOREIGN_NOTE}"; return 0; }
  BP_WAIT_PID=keycloak bp_wait_until "Keycloak" 240 "$BP_RUN_DIR/keycloak.log" keycloak_ready || { bp_stop keycloak; exit 1; }
  bp_log "phase keycloak-start: $(( $(bp_now_ms) - KEYCLOAK_T0 )) ms — Keycloak $BP_KEYCLOAK_VERSION ready at http://127.0.0.1:$BP_KEYCLOAK_PORT (realm bionicpro)"
}

# ---------------------------------------------------------------- Prometheus
BP_PROMETHEUS_DIR="$BP_RUN_DIR/prometheus"
prometheus_ready() { curl -fsS "http://127.0.0.1:$BP_PROMETHEUS_PORT/-/ready" >/dev/null 2>&1; }

install_prometheus() {
  [ -x "$BP_PROMETHEUS_BIN" ] && return 0
  [ "$(id -u)" = 0 ] || bp_die "$BP_PROMETHEUS_BIN is missing: install the Debian package (apt-get install -y prometheus) or set BIONICPRO_PROMETHEUS_BIN"
  bp_log "installing the Debian package prometheus"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus >"$BP_RUN_DIR/prometheus-apt.log" 2>&1 \
    || { tail -n 20 "$BP_RUN_DIR/prometheus-apt.log" >&2; bp_die "apt-get install prometheus failed"; }
}

start_prometheus() {
  if bp_pid_of prometheus >/dev/null && prometheus_ready; then PROMETHEUS_WAS_RUNNING=1; return 0; fi
  PROMETHEUS_WAS_RUNNING=0
  bp_stop prometheus
  bp_port_open "$BP_PROMETHEUS_PORT" && bp_die "port $BP_PROMETHEUS_PORT is taken by another process (set BIONICPRO_PROMETHEUS_PORT)"
  mkdir -p "$BP_RUN_DIR"
  install_prometheus
  # A fresh TSDB each start; the targets directory is where tests register what to scrape.
  rm -rf "$BP_PROMETHEUS_DIR/data"
  mkdir -p "$BP_PROMETHEUS_DIR/data" "$BP_PROMETHEUS_DIR/targets"
  sed -e "s#@TARGETS_DIR@#$BP_PROMETHEUS_DIR/targets#g" -e "s#@RULES@#$BP_ROOT/examples/monitoring/alerts.yml#g" \
    "$BP_INFRA_SCRIPTS/config/prometheus.yml.tmpl" > "$BP_PROMETHEUS_DIR/prometheus.yml"
  PROMETHEUS_T0=$(bp_now_ms)
  bp_spawn prometheus "$BP_RUN_DIR/prometheus.log" "$BP_PROMETHEUS_BIN" \
    --config.file="$BP_PROMETHEUS_DIR/prometheus.yml" --storage.tsdb.path="$BP_PROMETHEUS_DIR/data" \
    --storage.tsdb.retention.time=1d --web.listen-address="127.0.0.1:$BP_PROMETHEUS_PORT" \
    --web.enable-lifecycle
}

wait_prometheus() {
  [ "${PROMETHEUS_WAS_RUNNING:-0}" = 1 ] && { bp_log "Prometheus already running at http://127.0.0.1:$BP_PROMETHEUS_PORT"; return 0; }
  BP_WAIT_PID=prometheus bp_wait_until "Prometheus" 60 "$BP_RUN_DIR/prometheus.log" prometheus_ready || { bp_stop prometheus; exit 1; }
  bp_log "phase prometheus-start: $(( $(bp_now_ms) - PROMETHEUS_T0 )) ms — Prometheus $("$BP_PROMETHEUS_BIN" --version 2>&1 | sed -n '1s/^prometheus, version \([^ ]*\).*/\1/p') ready at http://127.0.0.1:$BP_PROMETHEUS_PORT (targets: $BP_PROMETHEUS_DIR/targets)"
}

write_env() {
  mkdir -p "$BP_RUN_DIR"
  {
    echo "# Written by scripts/infra/up.sh: the services it started. source this file to reuse them."
    echo "export BIONICPRO_PG_URL=postgres://$BP_PG_USER@$BP_PG_HOST:$BP_PG_PORT/postgres"
    if [ -n "${KAFKA_FOREIGN:-}" ] || bp_pid_of kafka >/dev/null; then echo "export KAFKA_BROKERS=127.0.0.1:$BP_KAFKA_PORT"; fi
    if [ -n "${CONNECT_FOREIGN:-}" ] || bp_pid_of connect >/dev/null; then echo "export KAFKA_CONNECT_URL=http://127.0.0.1:$BP_CONNECT_PORT"; fi
    if [ -n "${KEYCLOAK_FOREIGN:-}" ] || bp_pid_of keycloak >/dev/null; then echo "export KEYCLOAK_URL=http://127.0.0.1:$BP_KEYCLOAK_PORT"; echo "export KEYCLOAK_REALM=bionicpro"; fi
    if [ -n "${REDIS_FOREIGN:-}" ] || bp_pid_of redis >/dev/null; then echo "export REDIS_URL=redis://127.0.0.1:$BP_REDIS_PORT"; fi
    if bp_pid_of prometheus >/dev/null; then echo "export PROMETHEUS_URL=http://127.0.0.1:$BP_PROMETHEUS_PORT"; echo "export PROMETHEUS_TARGETS_DIR=$BP_PROMETHEUS_DIR/targets"; fi
  } > "$BP_RUN_DIR/env"
}

# ---------------------------------------------------------------- main
want_pg=0 want_kafka=0 want_connect=0 want_keycloak=0 want_redis=0 want_prometheus=0
[ $# -eq 0 ] && set -- all
for arg in "$@"; do
  case "$arg" in
    postgres) want_pg=1 ;;
    kafka) want_kafka=1 ;;
    connect) want_kafka=1; want_connect=1 ;;
    keycloak) want_keycloak=1 ;;
    redis) want_redis=1 ;;
    prometheus) want_prometheus=1 ;;
    all) want_pg=1; want_kafka=1; want_connect=1; want_keycloak=1; want_redis=1; want_prometheus=1 ;;
    *) bp_die "up.sh: unknown service '$arg' (postgres|kafka|connect|keycloak|redis|prometheus|all)" ;;
  esac
done

T_ALL=$(bp_now_ms)
[ $want_pg = 1 ] && bp_timed postgres up_postgres
[ $want_redis = 1 ] && bp_timed redis up_redis
# The JVMs start in parallel where they can: Keycloak beside the broker, Connect once the broker answers.
[ $want_keycloak = 1 ] && start_keycloak
[ $want_prometheus = 1 ] && start_prometheus
[ $want_kafka = 1 ] && { start_kafka; wait_kafka; }
[ $want_connect = 1 ] && { start_connect; wait_connect; }
[ $want_keycloak = 1 ] && wait_keycloak
[ $want_prometheus = 1 ] && wait_prometheus
write_env
bp_log "phase up-total: $(( $(bp_now_ms) - T_ALL )) ms"
