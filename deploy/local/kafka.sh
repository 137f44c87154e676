#!/usr/bin/env bash
# Tollgate local Kafka: a real single-node Apache Kafka (KRaft, broker+controller)
# run straight from Maven Central jars, no Docker, loopback only.
#
#   deploy/local/kafka.sh fetch    # download the pinned Kafka jars (idempotent)
#   deploy/local/kafka.sh start    # fetch, format storage once, start, wait until it answers
#   deploy/local/kafka.sh stop     # SIGTERM (controlled shutdown), SIGKILL after a timeout
#   deploy/local/kafka.sh status   # exit 0 iff running and answering a metadata request
#   deploy/local/kafka.sh logs     # path of the broker log
#
# Environment:
#   KAFKA_BROKERS                   use an external cluster: start/stop do nothing
#   TOLLGATE_KAFKA_PORT             broker port        (default 9092)
#   TOLLGATE_KAFKA_CONTROLLER_PORT  controller port    (default 9093)
#   TOLLGATE_KAFKA_DIR              config/data/log/pid dir (default <repo>/.local/kafka)
#   TOLLGATE_KAFKA_LIBS             jar dir (default <repo>/.local/kafka/<version>/libs)
#   TOLLGATE_KAFKA_HEAP             JVM heap flags     (default "-Xms256m -Xmx512m")
#   TOLLGATE_KAFKA_START_TIMEOUT    seconds to wait for readiness (default 90)
#   TOLLGATE_KAFKA_STOP_TIMEOUT     seconds before SIGKILL        (default 30)
set -euo pipefail

KAFKA_VERSION=4.4.0 # keep in sync with <kafka.version> in deploy/local/kafka/pom.xml

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
KAFKA_PORT="${TOLLGATE_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${TOLLGATE_KAFKA_CONTROLLER_PORT:-9093}"
KDIR="${TOLLGATE_KAFKA_DIR:-$REPO/.local/kafka}"
# Jars are shared by all state dirs (TOLLGATE_KAFKA_DIR only moves config/data/logs).
LIBS="${TOLLGATE_KAFKA_LIBS:-$REPO/.local/kafka/$KAFKA_VERSION/libs}"
LIBS_PARENT="$(dirname "$LIBS")"
FETCH_MARKER="$LIBS/.complete"
DATA_DIR="$KDIR/data"
CONF="$KDIR/server.properties"
LOG4J_CONF="$HERE/kafka/log4j2.properties"
PIDFILE="$KDIR/kafka.pid"
LOGFILE="$KDIR/kafka.log"
BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
PROBE="$HERE/kafka-ready.mjs"
HEAP="${TOLLGATE_KAFKA_HEAP:--Xms256m -Xmx512m}"
# Kafka refuses records stamped over an hour ahead of the broker's clock. A run whose Node clock is
# moved ahead (TOLLGATE_CLOCK_OFFSET_MS, set by bootstrap.mjs under faketime) widens that hour by it.
CLOCK_OFFSET_MS="${TOLLGATE_CLOCK_OFFSET_MS:-0}"
[[ "$CLOCK_OFFSET_MS" =~ ^-?[0-9]+$ ]] || CLOCK_OFFSET_MS=0
TIMESTAMP_AFTER_MAX_MS=$((3600000 + (CLOCK_OFFSET_MS > 0 ? CLOCK_OFFSET_MS : 0)))
START_TIMEOUT="${TOLLGATE_KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT="${TOLLGATE_KAFKA_STOP_TIMEOUT:-30}"

log() { echo "kafka.sh: $*" >&2; }
die() { echo "kafka.sh: error: $*" >&2; exit 1; }

need_java() {
  command -v java >/dev/null 2>&1 ||
    die "'java' not found on PATH. Install Java 17+ (Debian: apt-get install openjdk-17-jre-headless), or set KAFKA_BROKERS=host:port to use an existing Kafka cluster."
  local v
  v="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)"
  if [[ -n "$v" && "$v" -lt 17 ]]; then
    die "Java $v found; Kafka $KAFKA_VERSION needs Java 17+. Install it, or set KAFKA_BROKERS."
  fi
}
need_mvn() {
  command -v mvn >/dev/null 2>&1 ||
    die "'mvn' not found on PATH (needed once to download Kafka $KAFKA_VERSION from Maven Central). Install Maven 3.8+ (Debian: apt-get install maven), or set KAFKA_BROKERS=host:port to use an existing Kafka cluster."
}

# ---------------------------------------------------------------------------
cmd_fetch() {
  if [[ -f "$FETCH_MARKER" ]]; then
    return 0
  fi
  need_java
  need_mvn
  local t0=$SECONDS tmp
  mkdir -p "$LIBS_PARENT"
  tmp="$(mktemp -d "$LIBS_PARENT/libs.tmp.XXXXXX")"
  log "fetching Apache Kafka $KAFKA_VERSION jars from Maven Central (mvn) ..."
  if ! mvn -q -B -f "$HERE/kafka/pom.xml" \
      -Dkafka.version="$KAFKA_VERSION" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" \
      >"$LIBS_PARENT/fetch.log" 2>&1; then
    rm -rf "$tmp"
    tail -n 30 "$LIBS_PARENT/fetch.log" >&2 || true
    die "mvn failed to fetch Kafka $KAFKA_VERSION (full output: $LIBS_PARENT/fetch.log)"
  fi
  [[ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" && -f "$tmp/kafka-clients-$KAFKA_VERSION.jar" ]] ||
    { rm -rf "$tmp"; die "fetch incomplete: kafka_2.13-$KAFKA_VERSION.jar missing in $tmp"; }
  ls "$tmp" >"$tmp/.complete"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  log "fetched $(($(wc -l <"$FETCH_MARKER"))) jars into $LIBS in $((SECONDS - t0))s"
}

# ---------------------------------------------------------------------------
java_base() {
  # shellcheck disable=SC2206
  local heap=($HEAP)
  JAVA_CMD=(java "${heap[@]}"
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
    -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError
    -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$LOG4J_CONF"
    -Dkafka.logs.dir="$KDIR"
    -cp "$LIBS/*")
}

render_config() {
  mkdir -p "$KDIR"
  sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" \
      -e "s|@CONTROLLER_PORT@|$CONTROLLER_PORT|g" \
      -e "s|@DATA_DIR@|$DATA_DIR|g" \
      -e "s|@TIMESTAMP_AFTER_MAX_MS@|$TIMESTAMP_AFTER_MAX_MS|g" \
      "$HERE/kafka/server.properties" >"$CONF.tmp"
  mv "$CONF.tmp" "$CONF"
}

format_storage() {
  if [[ -f "$DATA_DIR/meta.properties" ]]; then
    return 0
  fi
  local cluster_id=""
  # 16 random bytes, URL-safe base64 without padding = a Kafka Uuid string. One in 64 starts with
  # '-', which the storage tool's argument parser takes for an option: draw again.
  while [[ -z "$cluster_id" || "$cluster_id" == -* ]]; do
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  done
  log "formatting KRaft storage in $DATA_DIR (cluster id $cluster_id)"
  java_base
  if ! "${JAVA_CMD[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$CONF" \
      >"$KDIR/format.log" 2>&1; then
    cat "$KDIR/format.log" >&2
    die "formatting storage failed (see $KDIR/format.log)"
  fi
}

pid_alive() {
  # Running only if the pid file names a live process that is *our* broker.
  [[ -f "$PIDFILE" ]] || return 1
  local pid
  pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # (no `| grep -q` here: with pipefail, grep exiting early SIGPIPEs tr -> false negative)
  local cmdline
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  # The state folder may be reached through a symlink (a git worktree sharing a broker): compare real paths too.
  [[ "$cmdline" == *"kafka.Kafka $CONF"* || "$cmdline" == *"kafka.Kafka $(realpath -m "$CONF")"* ]] || return 1
  echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# probe <brokers> <timeout-seconds>: real metadata round-trip through kafkajs when it
# is installed; otherwise (no node / no node_modules) only a TCP connect check.
probe() {
  local brokers="$1" timeout="$2" rc=0
  if command -v node >/dev/null 2>&1; then
    node "$PROBE" "$brokers" "$((timeout * 1000))" >/dev/null 2>"$KDIR/probe.err" || rc=$?
    if [[ $rc -ne 3 ]]; then
      return "$rc"
    fi
    log "warning: kafkajs not installed, falling back to a TCP port check"
  fi
  local end=$((SECONDS + timeout)) host port
  host="${brokers%%,*}"; port="${host##*:}"; host="${host%:*}"
  while ((SECONDS < end)); do
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && return 0
    sleep 0.25
  done
  return 1
}

external() {
  if [[ -n "${KAFKA_BROKERS:-}" ]]; then
    log "KAFKA_BROKERS=$KAFKA_BROKERS is set: using that external cluster, not starting/stopping a local broker"
    return 0
  fi
  return 1
}

# ---------------------------------------------------------------------------
# Serialize start/stop (two concurrent `start`s would race past the port check).
take_lock() {
  mkdir -p "$KDIR"
  exec 9>"$KDIR/.lock"
  command -v flock >/dev/null 2>&1 || return 0
  flock -w 180 9 || die "could not lock $KDIR/.lock (another kafka.sh start/stop hung?)"
}

cmd_start() {
  if external; then return 0; fi
  need_java
  take_lock
  local pid
  if pid="$(pid_alive)"; then
    if probe "$BOOTSTRAP" 10; then
      log "already running (pid $pid), bootstrap $BOOTSTRAP"
      echo "KAFKA_BROKERS=$BOOTSTRAP"
      return 0
    fi
    die "broker pid $pid is alive but not answering on $BOOTSTRAP; see $LOGFILE (or run: $0 stop)"
  fi
  rm -f "$PIDFILE"
  for p in "$KAFKA_PORT" "$CONTROLLER_PORT"; do
    if port_open "$p"; then die "port 127.0.0.1:$p is already in use by another process (set TOLLGATE_KAFKA_PORT / TOLLGATE_KAFKA_CONTROLLER_PORT, or KAFKA_BROKERS for an existing cluster)"; fi
  done

  cmd_fetch
  render_config
  format_storage

  local t0 t1
  t0="$(date +%s.%N)"
  if [[ -f "$LOGFILE" ]]; then mv -f "$LOGFILE" "$LOGFILE.prev"; fi
  java_base
  # setsid: own session, so the broker outlives the calling shell/CI step and is not
  # hit by its Ctrl-C; the bash wrapper records its pid, then execs java (same pid).
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PIDFILE" \
    "${JAVA_CMD[@]}" kafka.Kafka "$CONF" \
    >"$LOGFILE" 2>&1 </dev/null 9>&- &
  disown || true

  local end=$((SECONDS + START_TIMEOUT))
  # Wait for the pid file, then for the port, then for a real metadata round-trip.
  while [[ ! -s "$PIDFILE" ]] && ((SECONDS < end)); do sleep 0.05; done
  pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  while ! port_open "$KAFKA_PORT"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$LOGFILE" >&2 || true
      rm -f "$PIDFILE"
      die "broker exited during startup; see $LOGFILE"
    fi
    ((SECONDS < end)) || die "broker (pid $pid) did not open 127.0.0.1:$KAFKA_PORT within ${START_TIMEOUT}s; see $LOGFILE (stop it with: $0 stop)"
    sleep 0.2
  done
  local left=$((end - SECONDS))
  ((left > 0)) || left=1
  if ! probe "$BOOTSTRAP" "$left"; then
    cat "$KDIR/probe.err" >&2 2>/dev/null || true
    die "broker (pid $pid) opened the port but did not answer metadata requests within ${START_TIMEOUT}s; see $LOGFILE (stop it with: $0 stop)"
  fi
  kill -0 "$pid" 2>/dev/null || die "broker pid $pid died right after answering (another process on 127.0.0.1:$KAFKA_PORT?); see $LOGFILE"
  t1="$(date +%s.%N)"
  log "Kafka $KAFKA_VERSION started (pid $pid) in $(awk "BEGIN{printf \"%.1f\", $t1-$t0}")s; bootstrap $BOOTSTRAP; log $LOGFILE"
  echo "KAFKA_BROKERS=$BOOTSTRAP"
}

cmd_stop() {
  if external; then return 0; fi
  take_lock
  local pid
  if ! pid="$(pid_alive)"; then
    rm -f "$PIDFILE"
    log "not running"
    return 0
  fi
  log "stopping broker pid $pid (SIGTERM, controlled shutdown) ..."
  kill -TERM "$pid" 2>/dev/null || true
  local end=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < end)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    log "still alive after ${STOP_TIMEOUT}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$PIDFILE"
  log "stopped"
}

cmd_status() {
  if [[ -n "${KAFKA_BROKERS:-}" ]]; then
    mkdir -p "$KDIR"
    probe "$KAFKA_BROKERS" 5 && { log "external cluster $KAFKA_BROKERS is answering"; return 0; }
    log "external cluster $KAFKA_BROKERS is not answering"; return 1
  fi
  local pid
  if ! pid="$(pid_alive)"; then
    log "not running"; return 1
  fi
  if probe "$BOOTSTRAP" 5; then
    log "running (pid $pid), bootstrap $BOOTSTRAP"; return 0
  fi
  log "pid $pid alive but not answering on $BOOTSTRAP; see $LOGFILE"; return 1
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  restart) cmd_stop; exec "$0" start ;;
  logs) echo "$LOGFILE" ;;
  *) echo "usage: $0 {fetch|start|stop|status|restart|logs}" >&2; exit 2 ;;
esac
