#!/usr/bin/env bash
# The official ClickHouse JDBC driver and a small program using it (JdbcChecks.java), for the
# analysts' endpoint tests. The jars come from Maven Central into a cache outside the repo.
#
#   jdbc.sh install          resolve the jars and compile the program (reused while pom and source match)
#   jdbc.sh run URL [USER PASSWORD]
#
# JDBC_CACHE_DIR overrides the cache (default ${XDG_CACHE_HOME:-$HOME/.cache}/dossier-pipeline/clickhouse-jdbc).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_DIR="${JDBC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dossier-pipeline/clickhouse-jdbc}"

die() {
  echo "jdbc.sh: $*" >&2
  exit 1
}

inputs_hash() { cat "$SCRIPT_DIR/pom.xml" "$SCRIPT_DIR/JdbcChecks.java" <(java -version 2>&1) | sha256sum | cut -d' ' -f1; }

# The cache directory only ever appears by rename of a complete build, so a half-finished one is never used.
install() {
  command -v java >/dev/null || die "Java 17+ is required"
  command -v javac >/dev/null || die "javac (a JDK, e.g. openjdk-17-jdk-headless) is required"
  local hash
  hash="$(inputs_hash)"
  [[ -f "$CACHE_DIR/inputs.sha256" && "$(cat "$CACHE_DIR/inputs.sha256")" == "$hash" ]] && return 0
  command -v mvn >/dev/null || die "Maven (mvn) is required to fetch the JDBC driver"
  local parent tmp
  parent="$(dirname "$CACHE_DIR")"
  mkdir -p "$parent"
  exec 9>"$CACHE_DIR.lock"
  flock 9
  [[ -f "$CACHE_DIR/inputs.sha256" && "$(cat "$CACHE_DIR/inputs.sha256")" == "$hash" ]] && return 0
  tmp="$(mktemp -d "$parent/.clickhouse-jdbc.XXXXXX")"
  echo "jdbc.sh: resolving the ClickHouse JDBC driver into $CACHE_DIR" >&2
  if ! mvn -q -B -Dstyle.color=never -f "$SCRIPT_DIR/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp/libs" >"$tmp/mvn.log" 2>&1; then
    cat "$tmp/mvn.log" >&2
    rm -rf "$tmp"
    die "Maven could not resolve the JDBC driver"
  fi
  javac -d "$tmp/classes" -cp "$tmp/libs/*" "$SCRIPT_DIR/JdbcChecks.java"
  echo "$hash" >"$tmp/inputs.sha256"
  rm -rf "$CACHE_DIR.old"
  [[ -e "$CACHE_DIR" ]] && mv "$CACHE_DIR" "$CACHE_DIR.old"
  mv "$tmp" "$CACHE_DIR"
  rm -rf "$CACHE_DIR.old"
  flock -u 9
}

case "${1:-}" in
install) install ;;
run)
  shift
  install
  exec java -XX:TieredStopAtLevel=1 -Xmx256m -cp "$CACHE_DIR/classes:$CACHE_DIR/libs/*" JdbcChecks "$@"
  ;;
*) die "usage: jdbc.sh install | run URL [USER PASSWORD]" ;;
esac
