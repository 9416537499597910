#!/usr/bin/env bash
# A single-node Apache Kafka (KRaft, broker+controller) without Docker: the broker jars come from
# Maven Central into a cache outside the repo, the process runs from that classpath.
#
#   kafka.sh install                      resolve the jars into the cache (reused when present)
#   kafka.sh start  [options]             format storage if needed, start, wait for the port
#   kafka.sh stop   [--data-dir DIR]      SIGTERM, SIGKILL after a deadline
#   kafka.sh status [--data-dir DIR]      exit 0 when running, 3 when not
#
# Options (each also an environment variable):
#   --port N             KAFKA_PORT             client port, default 9092
#   --controller-port N  KAFKA_CONTROLLER_PORT  default port+1, or a free port when that is taken
#   --host H             KAFKA_HOST             listen/advertised host, default 127.0.0.1
#   --data-dir DIR       KAFKA_DATA_DIR         default ./data/kafka (pid file, config, partitions)
#   --log-dir DIR        KAFKA_LOG_DIR          broker's own log, default <data-dir>/logs
#   --heap SIZE          KAFKA_HEAP             -Xmx, default 512m
#   --owner-pid PID      KAFKA_OWNER_PID        stop the broker when that process exits (SIGTERM, then
#                                               SIGKILL after KAFKA_STOP_TIMEOUT); a later start on the
#                                               same data dir replaces a broker whose owner has exited
#   --timeout SECONDS    KAFKA_START_TIMEOUT    wait for the port, default 60
# Also: KAFKA_JAVA_OPTS extra JVM options (the tests pass -XX:TieredStopAtLevel=1), KAFKA_CDS=0 to
# skip the class-data-sharing archive, KAFKA_STOP_TIMEOUT (default 20 s before SIGKILL), and
# KAFKA_CACHE_DIR for the jar cache (default ${XDG_CACHE_HOME:-$HOME/.cache}/dossier-pipeline/kafka-<version>).
set -euo pipefail

KAFKA_VERSION=4.1.1
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_DIR="${KAFKA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dossier-pipeline/kafka-${KAFKA_VERSION}}"

PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-}"
HOST="${KAFKA_HOST:-127.0.0.1}"
DATA_DIR="${KAFKA_DATA_DIR:-./data/kafka}"
LOG_DIR="${KAFKA_LOG_DIR:-}"
HEAP="${KAFKA_HEAP:-512m}"
OWNER_PID="${KAFKA_OWNER_PID:-}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-20}"

log() { echo "kafka.sh: $*" >&2; }
die() {
  log "$*"
  exit 1
}

parse_options() {
  while (($#)); do
    case "$1" in
    --port) PORT="$2" && shift 2 ;;
    --controller-port) CONTROLLER_PORT="$2" && shift 2 ;;
    --host) HOST="$2" && shift 2 ;;
    --data-dir) DATA_DIR="$2" && shift 2 ;;
    --log-dir) LOG_DIR="$2" && shift 2 ;;
    --heap) HEAP="$2" && shift 2 ;;
    --owner-pid) OWNER_PID="$2" && shift 2 ;;
    --timeout) START_TIMEOUT="$2" && shift 2 ;;
    *) die "unknown option: $1" ;;
    esac
  done
  [[ "$DATA_DIR" == /* ]] || DATA_DIR="$PWD/$DATA_DIR"
  DATA_DIR="$(realpath -m "$DATA_DIR")"
  LOG_DIR="${LOG_DIR:-$DATA_DIR/logs}"
  PID_FILE="$DATA_DIR/kafka.pid"
  WATCH_PID_FILE="$DATA_DIR/owner-watch.pid"
  OWNER_FILE="$DATA_DIR/owner.pid"
}

pom_hash() { sha256sum "$SCRIPT_DIR/pom.xml" | cut -d' ' -f1; }

# The cache directory only ever appears by rename of a complete download, so a half-finished
# resolution is never reused; a changed pom.xml triggers a fresh one.
install() {
  install_jars
  install_cds
}

install_jars() {
  local hash
  hash="$(pom_hash)"
  if [[ -f "$CACHE_DIR/pom.sha256" && "$(cat "$CACHE_DIR/pom.sha256")" == "$hash" ]]; then
    return 0
  fi
  command -v mvn >/dev/null || die "Maven (mvn) is required to fetch the Kafka jars"
  local parent
  parent="$(dirname "$CACHE_DIR")"
  mkdir -p "$parent"
  # Concurrent installs (two test runs) wait for each other instead of racing.
  exec 9>"$CACHE_DIR.lock"
  flock 9
  if [[ -f "$CACHE_DIR/pom.sha256" && "$(cat "$CACHE_DIR/pom.sha256")" == "$hash" ]]; then
    return 0
  fi
  local tmp
  tmp="$(mktemp -d "$parent/.kafka-${KAFKA_VERSION}.XXXXXX")"
  log "resolving Kafka ${KAFKA_VERSION} jars into $CACHE_DIR"
  if ! mvn -q -B -Dstyle.color=never -f "$SCRIPT_DIR/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp/libs" >"$tmp/mvn.log" 2>&1; then
    cat "$tmp/mvn.log" >&2
    rm -rf "$tmp"
    die "Maven could not resolve the Kafka jars"
  fi
  echo "$hash" >"$tmp/pom.sha256"
  rm -rf "$CACHE_DIR.old"
  [[ -e "$CACHE_DIR" ]] && mv "$CACHE_DIR" "$CACHE_DIR.old"
  mv "$tmp" "$CACHE_DIR"
  rm -rf "$CACHE_DIR.old"
  flock -u 9
}

cds_archive() {
  if [[ -z "${CDS_ARCHIVE:-}" ]]; then
    local key
    key="$( (java -version 2>&1 && pom_hash) | sha256sum | cut -c1-12)"
    CDS_ARCHIVE="$CACHE_DIR/kafka-$key.jsa"
  fi
  echo "$CDS_ARCHIVE"
}

# A class-data-sharing archive of the classes a broker loads halves the CPU a start costs (about
# 5.5 s to 3 s of CPU here; 1.7 s with the tests' C1-only JIT). The JVM writes it when a trial
# broker exits; it is keyed on the java build and the jar set, and optional: without it, or when
# the JVM rejects it, the broker just starts slower.
install_cds() {
  [[ -n "${KAFKA_CDS_DUMP:-}" || "${KAFKA_CDS:-1}" == 0 ]] && return 0
  command -v java >/dev/null || return 0
  local archive tmp
  archive="$(cds_archive)"
  [[ -f "$archive" ]] && return 0
  exec 8>"$CACHE_DIR.cds.lock"
  flock 8
  [[ -f "$archive" ]] && return 0
  tmp="$(mktemp -d)"
  log "recording a class-data-sharing archive for faster starts (once)"
  if KAFKA_CDS_DUMP="$archive.tmp.$$" KAFKA_OWNER_PID="" "$SCRIPT_DIR/kafka.sh" start --port "$(free_port)" \
    --data-dir "$tmp" >/dev/null 2>&1; then
    "$SCRIPT_DIR/kafka.sh" stop --data-dir "$tmp" >/dev/null 2>&1 || true
    [[ -s "$archive.tmp.$$" ]] && mv "$archive.tmp.$$" "$archive"
  else
    log "could not record the archive; starting without it"
  fi
  rm -rf "$tmp" "$archive.tmp.$$"
  flock -u 8
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

is_our_kafka() {
  local pid="$1"
  [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "kafka.Kafka $DATA_DIR/server.properties"
}

running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && is_our_kafka "$pid"; then
    echo "$pid"
    return 0
  fi
  rm -f "$PID_FILE"
  return 1
}

free_port() {
  local candidate
  for _ in $(seq 1 50); do
    candidate=$((20000 + RANDOM % 40000))
    port_open 127.0.0.1 "$candidate" || {
      echo "$candidate"
      return 0
    }
  done
  die "no free port found"
}

write_config() {
  cat >"$DATA_DIR/server.properties" <<EOF
# Generated by kafka.sh start; edits are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${HOST}:${CONTROLLER_PORT}
listeners=PLAINTEXT://${HOST}:${PORT},CONTROLLER://${HOST}:${CONTROLLER_PORT}
advertised.listeners=PLAINTEXT://${HOST}:${PORT}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=${DATA_DIR}/kraft-logs
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
}

# Same shape as `StorageTool random-uuid` (16 random bytes, base64url, no padding) without paying
# for a JVM start; Kafka rejects ids that start with '-'.
cluster_id() {
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
    [[ "$id" != -* ]] && echo "$id" && return 0
  done
}

java_cmd() {
  JAVA=(java "-Xmx${HEAP}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    "-Dlog4j2.configurationFile=$SCRIPT_DIR/log4j2.properties" "-Dkafka.logs.dir=$LOG_DIR" \
    -cp "$CACHE_DIR/libs/*")
  if [[ -n "${KAFKA_CDS_DUMP:-}" ]]; then
    JAVA+=("-XX:ArchiveClassesAtExit=$KAFKA_CDS_DUMP")
  elif [[ "${KAFKA_CDS:-1}" != 0 ]]; then
    cds_archive >/dev/null
    [[ -f "$CDS_ARCHIVE" ]] && JAVA+=("-XX:SharedArchiveFile=$CDS_ARCHIVE")
  fi
  # Extra JVM options, split on spaces (e.g. KAFKA_JAVA_OPTS="-XX:ActiveProcessorCount=1").
  if [[ -n "${KAFKA_JAVA_OPTS:-}" ]]; then
    local extra
    read -r -a extra <<<"$KAFKA_JAVA_OPTS"
    JAVA=("${JAVA[0]}" "${extra[@]}" "${JAVA[@]:1}")
  fi
}

start() {
  parse_options "$@"
  local pid
  if pid="$(running_pid)"; then
    # A broker whose owner died (a SIGKILLed `npm start`) is shutting down or about to: its watcher
    # sends SIGTERM within a second. A caller restarted at once must not take it for a live broker,
    # or it finds no broker a few seconds later and never starts one. Replace it.
    if [[ -f "$OWNER_FILE" ]] && ! kill -0 "$(cat "$OWNER_FILE")" 2>/dev/null; then
      log "pid $pid belonged to a process that has exited ($(cat "$OWNER_FILE")); replacing it"
      stop_broker "$pid"
    else
      log "already running (pid $pid, $DATA_DIR)"
      return 0
    fi
  fi
  install
  command -v java >/dev/null || die "Java 17+ is required"
  if [[ -z "$CONTROLLER_PORT" ]]; then
    CONTROLLER_PORT=$((PORT + 1))
    port_open 127.0.0.1 "$CONTROLLER_PORT" && CONTROLLER_PORT="$(free_port)"
  fi
  port_open "$HOST" "$PORT" && die "port $PORT is already in use"
  mkdir -p "$DATA_DIR" "$LOG_DIR"
  java_cmd
  write_config
  if [[ ! -f "$DATA_DIR/kraft-logs/meta.properties" ]]; then
    local cluster_id
    cluster_id="$(cluster_id)"
    "${JAVA[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$DATA_DIR/server.properties" \
      >"$LOG_DIR/format.log" 2>&1 || {
      cat "$LOG_DIR/format.log" >&2
      die "formatting KRaft storage failed"
    }
  fi
  # setsid: Ctrl-C in the calling terminal must not kill the broker behind the caller's back;
  # callers stop it explicitly (and --owner-pid covers callers that die).
  setsid "${JAVA[@]}" kafka.Kafka "$DATA_DIR/server.properties" >"$LOG_DIR/kafka.out" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$PID_FILE"
  rm -f "$OWNER_FILE"
  if [[ -n "$OWNER_PID" ]]; then
    echo "$OWNER_PID" >"$OWNER_FILE"
    # SIGTERM when the owner is gone, SIGKILL when the broker is still there STOP_TIMEOUT seconds later
    # (a broker hung in its shutdown must not outlive its owner and hold the port and the data dir).
    setsid bash -c 'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done
      kill -TERM "$2" 2>/dev/null || exit 0
      for ((i = 0; i < $3 * 10; i++)); do kill -0 "$2" 2>/dev/null || exit 0; sleep 0.1; done
      kill -KILL "$2" 2>/dev/null || true' kafka-owner-watch "$OWNER_PID" "$pid" "$STOP_TIMEOUT" \
      >/dev/null 2>&1 </dev/null &
    echo $! >"$WATCH_PID_FILE"
  fi
  local deadline=$((SECONDS + START_TIMEOUT))
  until port_open "$HOST" "$PORT"; do
    if ! kill -0 "$pid" 2>/dev/null || ((SECONDS >= deadline)); then
      log "broker did not accept connections on $HOST:$PORT within ${START_TIMEOUT}s; log tail:"
      tail -n 40 "$LOG_DIR/server.log" "$LOG_DIR/kafka.out" >&2 2>/dev/null || true
      stop_broker "$pid"
      exit 1
    fi
    sleep 0.1
  done
  log "started pid $pid on $HOST:$PORT (controller $CONTROLLER_PORT, data $DATA_DIR)"
}

stop_pid() {
  local pid="$1" deadline=$((SECONDS + STOP_TIMEOUT))
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "pid $pid still running after ${STOP_TIMEOUT}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
  done
}

# The broker of this data dir and its owner's watcher, and the files that name them.
stop_broker() {
  stop_watch
  stop_pid "$1"
  rm -f "$PID_FILE" "$OWNER_FILE"
}

stop_watch() {
  [[ -f "$WATCH_PID_FILE" ]] || return 0
  local pid
  pid="$(cat "$WATCH_PID_FILE")"
  if [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q kafka-owner-watch; then
    kill -TERM "$pid" 2>/dev/null || true
  fi
  rm -f "$WATCH_PID_FILE"
}

stop() {
  parse_options "$@"
  stop_watch
  local pid
  if pid="$(running_pid)"; then
    stop_pid "$pid"
    log "stopped pid $pid"
  else
    log "not running ($DATA_DIR)"
  fi
  rm -f "$PID_FILE" "$OWNER_FILE"
}

status() {
  parse_options "$@"
  local pid
  if pid="$(running_pid)"; then
    echo "running pid $pid ($DATA_DIR)"
  else
    echo "stopped ($DATA_DIR)"
    exit 3
  fi
}

command="${1:-}"
shift || true
case "$command" in
install) install ;;
start) start "$@" ;;
stop) stop "$@" ;;
status) status "$@" ;;
*) die "usage: kafka.sh install|start|stop|status [options]" ;;
esac
