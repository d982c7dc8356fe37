#!/usr/bin/env bash
# Shared settings and helpers of scripts/infra/*.sh. Sourced, never run.
# Every port, path and heap size can be overridden by the environment variable named beside it.

BP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BP_INFRA_SCRIPTS="$BP_ROOT/scripts/infra"
BP_INFRA_DIR="${BIONICPRO_INFRA_DIR:-$BP_ROOT/.infra}"   # git-ignored cache + runtime state
BP_RUN_DIR="$BP_INFRA_DIR/run"

BP_PG_HOST="${BIONICPRO_PG_HOST:-127.0.0.1}"
BP_PG_PORT="${BIONICPRO_PG_PORT:-5432}"
BP_PG_USER="${BIONICPRO_PG_USER:-postgres}"

# Non-default ports, so a developer's own Kafka or Keycloak on the standard ports is left alone.
BP_KAFKA_PORT="${BIONICPRO_KAFKA_PORT:-19092}"
BP_KAFKA_CONTROLLER_PORT="${BIONICPRO_KAFKA_CONTROLLER_PORT:-19093}"
BP_CONNECT_PORT="${BIONICPRO_CONNECT_PORT:-18083}"
BP_KEYCLOAK_PORT="${BIONICPRO_KEYCLOAK_PORT:-18080}"
BP_KEYCLOAK_MGMT_PORT="${BIONICPRO_KEYCLOAK_MGMT_PORT:-19000}"
# Redis on its standard port: a machine's own redis-server (Debian package) is reused as it is.
BP_REDIS_PORT="${BIONICPRO_REDIS_PORT:-6379}"
BP_PROMETHEUS_PORT="${BIONICPRO_PROMETHEUS_PORT:-19090}"
# Prometheus is the Debian package's binary (apt-get install prometheus), not a jar.
BP_PROMETHEUS_BIN="${BIONICPRO_PROMETHEUS_BIN:-/usr/bin/prometheus}"

# Heaps sized for a 2-core, 24 GiB machine that also runs the tests, chDB and PostgreSQL.
# SerialGC and C1-only compilation start noticeably faster on 2 cores.
BP_JVM_FAST_START="${BIONICPRO_JVM_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true}"
# Connect runs Debezium and the JSON converter, the stack's throughput bottleneck: it keeps the full
# JIT (C2). Measured with test/e2e/bench-e2e.ts: C1-only Connect moved about half the rows/s.
BP_CONNECT_JVM_OPTS="${BIONICPRO_CONNECT_JVM_OPTS:--XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true}"
BP_KAFKA_HEAP="${BIONICPRO_KAFKA_HEAP:--Xms256m -Xmx512m}"
BP_CONNECT_HEAP="${BIONICPRO_CONNECT_HEAP:--Xms256m -Xmx768m}"
BP_KEYCLOAK_HEAP="${BIONICPRO_KEYCLOAK_HEAP:--Xms128m -Xmx512m}"

BP_KAFKA_VERSION="4.1.1"
BP_DEBEZIUM_VERSION="3.4.3.Final"
BP_KEYCLOAK_VERSION="$(sed -n 's:.*<keycloak.version>\(.*\)</keycloak.version>.*:\1:p' "$BP_INFRA_SCRIPTS/pom.xml")"

BP_KAFKA_LIBS="$BP_INFRA_DIR/kafka/libs"
BP_CONNECT_PLUGINS="$BP_INFRA_DIR/connect-plugins"
BP_KEYCLOAK_HOME="$BP_INFRA_DIR/keycloak/keycloak-$BP_KEYCLOAK_VERSION"

BP_JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

bp_log() { printf '[infra %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
bp_die() { bp_log "ERROR: $*"; exit 1; }

# Milliseconds since the epoch, for the per-phase timings the scripts print.
bp_now_ms() { date +%s%3N; }
bp_timed() { # bp_timed <label> <command...>: runs the command and prints its wall time
  local label="$1"; shift
  local t0; t0=$(bp_now_ms)
  "$@"
  local rc=$?
  bp_log "phase $label: $(( $(bp_now_ms) - t0 )) ms"
  return $rc
}

bp_psql() { psql -X -q -v ON_ERROR_STOP=1 -h "$BP_PG_HOST" -p "$BP_PG_PORT" -U "$BP_PG_USER" "$@"; }

# The pid in <name>.pid if that process is alive, else nothing.
bp_pid_of() {
  local f="$BP_RUN_DIR/$1.pid"
  [ -f "$f" ] || return 1
  local pid; pid="$(cat "$f")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && { echo "$pid"; return 0; }
  return 1
}

bp_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# bp_wait_until <what> <timeout-s> <log-file> <command...>: polls the command every 250 ms.
# With BP_WAIT_PID=<name> set, gives up at once when that recorded process has exited.
bp_wait_until() {
  local what="$1" timeout="$2" logf="$3"; shift 3
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    if [ -n "${BP_WAIT_PID:-}" ] && ! bp_pid_of "$BP_WAIT_PID" >/dev/null; then
      bp_log "$what exited before it was ready; last lines of $logf:"
      tail -n 40 "$logf" >&2 || true
      return 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      bp_log "$what not ready after ${timeout}s; last lines of $logf:"
      tail -n 40 "$logf" >&2 || true
      return 1
    fi
    sleep 0.25
  done
}

# bp_spawn <name> <log-file> <command...>: starts a detached process group, records its pid.
bp_spawn() {
  local name="$1" logf="$2"; shift 2
  mkdir -p "$BP_RUN_DIR"
  setsid nohup "$@" >"$logf" 2>&1 < /dev/null &
  echo $! > "$BP_RUN_DIR/$name.pid"
}

# bp_stop <name>: stops the recorded process (TERM, then KILL after 20 s) and removes its pid file.
bp_stop() {
  local name="$1" pid
  if pid="$(bp_pid_of "$name")"; then
    kill -TERM "$pid" 2>/dev/null || true
    local i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 80 ]; do sleep 0.25; i=$((i + 1)); done
    if kill -0 "$pid" 2>/dev/null; then bp_log "$name did not stop in 20 s; killing $pid"; kill -KILL "$pid" 2>/dev/null || true; fi
    bp_log "stopped $name (pid $pid)"
  fi
  rm -f "$BP_RUN_DIR/$name.pid"
}
