#!/usr/bin/env bash
# Redis for local runs, without Docker.
#
#   redis.sh ensure [--state-dir DIR]   print a Redis URL that answers PING: $REDIS_URL, else
#                                       127.0.0.1:6379, else a private redis-server on a free port
#   redis.sh stop   [--state-dir DIR]   stop the redis-server that `ensure` started, nothing else
#
# The state dir (default ./data/redis, or $REDIS_STATE_DIR) holds the pid file of a server this
# script started; a Redis it merely found is never stopped. BullMQ needs maxmemory-policy
# noeviction: a started server gets it, a found one with another policy gets a warning.
set -euo pipefail

STATE_DIR="${REDIS_STATE_DIR:-./data/redis}"
DEFAULT_URL="${REDIS_LOCAL_URL:-redis://127.0.0.1:6379}"

log() { echo "redis.sh: $*" >&2; }
die() {
  log "$*"
  exit 1
}

parse_options() {
  while (($#)); do
    case "$1" in
    --state-dir) STATE_DIR="$2" && shift 2 ;;
    *) die "unknown option: $1" ;;
    esac
  done
  [[ "$STATE_DIR" == /* ]] || STATE_DIR="$PWD/$STATE_DIR"
  PID_FILE="$STATE_DIR/redis.pid"
  URL_FILE="$STATE_DIR/redis.url"
}

ensure_cli() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return 0
  log "redis-server is missing; installing the Debian package"
  local sudo=()
  ((EUID == 0)) || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq redis-server >/dev/null
  # The package enables a system service on 6379; this script only uses what it starts itself.
}

answers() { [[ "$(timeout 2 redis-cli -u "$1" PING 2>/dev/null)" == "PONG" ]]; }

warn_on_eviction() {
  local policy
  policy="$(timeout 2 redis-cli -u "$1" CONFIG GET maxmemory-policy 2>/dev/null | sed -n 2p || true)"
  if [[ "$policy" != "noeviction" ]]; then
    log "warning: $1 has maxmemory-policy=${policy:-unknown}; BullMQ needs noeviction" \
      "(redis-cli -u $1 CONFIG SET maxmemory-policy noeviction)"
  fi
}

our_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  if [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q '^redis-server'; then
    echo "$pid"
    return 0
  fi
  rm -f "$PID_FILE" "$URL_FILE"
  return 1
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ensure() {
  parse_options "$@"
  if our_pid >/dev/null && answers "$(cat "$URL_FILE")"; then
    cat "$URL_FILE"
    return 0
  fi
  ensure_cli
  local url
  for url in ${REDIS_URL:-} "$DEFAULT_URL"; do
    if answers "$url"; then
      warn_on_eviction "$url"
      echo "$url"
      return 0
    fi
    [[ "$url" == "${REDIS_URL:-}" ]] && log "REDIS_URL=$url does not answer; looking further"
  done
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    port_free "$port" && break
  done
  mkdir -p "$STATE_DIR"
  redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --pidfile "$PID_FILE" \
    --logfile "$STATE_DIR/redis.log" --dir "$STATE_DIR" \
    --maxmemory-policy noeviction --save '' --appendonly no
  url="redis://127.0.0.1:$port"
  local deadline=$((SECONDS + 10))
  until answers "$url"; do
    ((SECONDS < deadline)) || die "redis-server did not answer on $url; see $STATE_DIR/redis.log"
    sleep 0.1
  done
  echo "$url" >"$URL_FILE"
  log "started redis-server pid $(cat "$PID_FILE") on $url"
  echo "$url"
}

stop() {
  parse_options "$@"
  local pid
  if ! pid="$(our_pid)"; then
    log "no redis-server started by this script ($STATE_DIR)"
    return 0
  fi
  kill -TERM "$pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  rm -f "$PID_FILE" "$URL_FILE"
  log "stopped redis-server pid $pid"
}

command="${1:-}"
shift || true
case "$command" in
ensure) ensure "$@" ;;
stop) stop "$@" ;;
*) die "usage: redis.sh ensure|stop [--state-dir DIR]" ;;
esac
