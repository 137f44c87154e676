#!/usr/bin/env bash
# Tollgate local Kafka: a real Apache Kafka (KRaft) run straight from Maven Central jars, no
# Docker, loopback only. One node by default; KAFKA_LOCAL_BROKERS=3 runs a three-node cluster.
#
#   deploy/local/kafka.sh fetch         # download the pinned Kafka jars (idempotent)
#   deploy/local/kafka.sh start         # fetch, format storage once, start every node, wait until it answers
#   deploy/local/kafka.sh stop          # SIGTERM (controlled shutdown), SIGKILL after a timeout
#   deploy/local/kafka.sh status        # exit 0 iff every node runs and the cluster answers a metadata request
#   deploy/local/kafka.sh logs          # path of the broker log(s)
#   deploy/local/kafka.sh start-node N  # (re)start node N only, without waiting: for fault tests that
#                                       # SIGKILL one broker of the cluster and bring it back
#   deploy/local/kafka.sh pid N         # pid of node N (exit 1 when it is not running)
#
# The cluster (KAFKA_LOCAL_BROKERS=3) is three combined broker+controller processes forming a
# 3-voter KRaft quorum (static voters): one JVM per node keeps it at three processes on a small
# machine, and any one of them can be killed (quorum 2 of 3 stays, and so does min.insync.replicas=2).
# Node n listens on TOLLGATE_KAFKA_PORT+n-1 (broker) and TOLLGATE_KAFKA_CONTROLLER_PORT+n-1
# (controller), keeps its config/data/log/pid in <dir>/broker-n, and topics default to replication
# factor 3 with min.insync.replicas=2 (internal topics too). A single node keeps RF 1 / min ISR 1.
#
# Environment:
#   KAFKA_BROKERS                   use an external cluster: start/stop do nothing
#   KAFKA_LOCAL_BROKERS             1 (default) or 3: nodes of the local cluster
#   TOLLGATE_KAFKA_PORT             (first) broker port       (default 9092)
#   TOLLGATE_KAFKA_CONTROLLER_PORT  (first) controller port   (default 9093; 9192 for 3 nodes)
#   TOLLGATE_KAFKA_DIR              config/data/log/pid dir   (default <repo>/.local/kafka; .local/kafka-cluster for 3 nodes)
#   TOLLGATE_KAFKA_LIBS             jar dir (default <repo>/.local/kafka/<version>/libs)
#   TOLLGATE_KAFKA_HEAP             JVM heap flags per node   (default "-Xms256m -Xmx512m")
#   TOLLGATE_KAFKA_START_TIMEOUT    seconds to wait for readiness (default 90)
#   TOLLGATE_KAFKA_STOP_TIMEOUT     seconds before SIGKILL        (default 30)
set -euo pipefail

KAFKA_VERSION=4.4.0 # keep in sync with <kafka.version> in deploy/local/kafka/pom.xml

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
NODES="${KAFKA_LOCAL_BROKERS:-1}"
case "$NODES" in 1 | 3) ;; *) echo "kafka.sh: error: KAFKA_LOCAL_BROKERS=$NODES must be 1 or 3" >&2; exit 2 ;; esac
KAFKA_PORT="${TOLLGATE_KAFKA_PORT:-9092}"
if ((NODES == 1)); then
  CONTROLLER_PORT="${TOLLGATE_KAFKA_CONTROLLER_PORT:-9093}"
  KDIR="${TOLLGATE_KAFKA_DIR:-$REPO/.local/kafka}"
  REPLICATION=1 MIN_ISR=1
else
  # The broker ports of three nodes run into the single node's controller port 9093: move them apart.
  CONTROLLER_PORT="${TOLLGATE_KAFKA_CONTROLLER_PORT:-9192}"
  KDIR="${TOLLGATE_KAFKA_DIR:-$REPO/.local/kafka-cluster}"
  REPLICATION=3 MIN_ISR=2
fi
# Jars are shared by all state dirs (TOLLGATE_KAFKA_DIR only moves config/data/logs).
LIBS="${TOLLGATE_KAFKA_LIBS:-$REPO/.local/kafka/$KAFKA_VERSION/libs}"
LIBS_PARENT="$(dirname "$LIBS")"
FETCH_MARKER="$LIBS/.complete"
LOG4J_CONF="$HERE/kafka/log4j2.properties"
PROBE="$HERE/kafka-ready.mjs"
HEAP="${TOLLGATE_KAFKA_HEAP:--Xms256m -Xmx512m}"
# Kafka refuses records stamped over an hour ahead of the broker's clock. A run whose Node clock is
# moved ahead (TOLLGATE_CLOCK_OFFSET_MS, set by bootstrap.mjs under faketime) widens that hour by it.
CLOCK_OFFSET_MS="${TOLLGATE_CLOCK_OFFSET_MS:-0}"
[[ "$CLOCK_OFFSET_MS" =~ ^-?[0-9]+$ ]] || CLOCK_OFFSET_MS=0
TIMESTAMP_AFTER_MAX_MS=$((3600000 + (CLOCK_OFFSET_MS > 0 ? CLOCK_OFFSET_MS : 0)))

# Node n's folder and ports. The single node keeps its files directly in $KDIR (as always).
node_dir() { if ((NODES == 1)); then echo "$KDIR"; else echo "$KDIR/broker-$1"; fi; }
node_port() { echo $((KAFKA_PORT + $1 - 1)); }
node_controller_port() { echo $((CONTROLLER_PORT + $1 - 1)); }
# Sets NDIR DATA_DIR CONF PIDFILE LOGFILE PORT CPORT for node n.
select_node() {
  NDIR="$(node_dir "$1")"
  DATA_DIR="$NDIR/data"
  CONF="$NDIR/server.properties"
  PIDFILE="$NDIR/kafka.pid"
  LOGFILE="$NDIR/kafka.log"
  PORT="$(node_port "$1")"
  CPORT="$(node_controller_port "$1")"
}
BOOTSTRAP=""
VOTERS=""
for ((n = 1; n <= NODES; n++)); do
  BOOTSTRAP+="${BOOTSTRAP:+,}127.0.0.1:$(node_port "$n")"
  VOTERS+="${VOTERS:+,}$n@127.0.0.1:$(node_controller_port "$n")"
done
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
    -Dkafka.logs.dir="$NDIR"
    -cp "$LIBS/*")
}

render_config() { # <node>
  mkdir -p "$NDIR"
  sed -e "s|@NODE_ID@|$1|g" \
      -e "s|@VOTERS@|$VOTERS|g" \
      -e "s|@KAFKA_PORT@|$PORT|g" \
      -e "s|@CONTROLLER_PORT@|$CPORT|g" \
      -e "s|@DATA_DIR@|$DATA_DIR|g" \
      -e "s|@TIMESTAMP_AFTER_MAX_MS@|$TIMESTAMP_AFTER_MAX_MS|g" \
      -e "s|@REPLICATION@|$REPLICATION|g" \
      -e "s|@MIN_ISR@|$MIN_ISR|g" \
      "$HERE/kafka/server.properties" >"$CONF.tmp"
  mv "$CONF.tmp" "$CONF"
}

format_storage() {
  if [[ -f "$DATA_DIR/meta.properties" ]]; then
    return 0
  fi
  # Every node of a cluster is formatted with the same cluster id, kept beside them.
  local cluster_id="" id_file="$KDIR/cluster.id"
  if ((NODES > 1)) && [[ -s "$id_file" ]]; then cluster_id="$(cat "$id_file")"; fi
  # 16 random bytes, URL-safe base64 without padding = a Kafka Uuid string. One in 64 starts with
  # '-', which the storage tool's argument parser takes for an option: draw again.
  while [[ -z "$cluster_id" || "$cluster_id" == -* ]]; do
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  done
  if ((NODES > 1)); then echo "$cluster_id" >"$id_file"; fi
  log "formatting KRaft storage in $DATA_DIR (cluster id $cluster_id)"
  java_base
  if ! "${JAVA_CMD[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$CONF" \
      >"$NDIR/format.log" 2>&1; then
    cat "$NDIR/format.log" >&2
    die "formatting storage failed (see $NDIR/format.log)"
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

# probe <brokers> <timeout-seconds> [brokers-expected]: real metadata round-trip through kafkajs
# (seeing that many brokers) when it is installed; otherwise (no node / no node_modules) only a
# TCP connect check.
probe() {
  local brokers="$1" timeout="$2" expected="${3:-1}" rc=0
  if command -v node >/dev/null 2>&1; then
    node "$PROBE" "$brokers" "$((timeout * 1000))" "$expected" >/dev/null 2>"$KDIR/probe.err" || rc=$?
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

# Launches node n (selected with select_node) in the background; sets STARTED_PID.
launch_node() { # <node>
  local pid
  for p in "$PORT" "$CPORT"; do
    if port_open "$p"; then die "port 127.0.0.1:$p is already in use by another process (set TOLLGATE_KAFKA_PORT / TOLLGATE_KAFKA_CONTROLLER_PORT, or KAFKA_BROKERS for an existing cluster)"; fi
  done
  render_config "$1"
  format_storage
  if [[ -f "$LOGFILE" ]]; then mv -f "$LOGFILE" "$LOGFILE.prev"; fi
  rm -f "$PIDFILE"
  java_base
  # setsid: own session, so the broker outlives the calling shell/CI step and is not
  # hit by its Ctrl-C; the bash wrapper records its pid, then execs java (same pid).
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PIDFILE" \
    "${JAVA_CMD[@]}" kafka.Kafka "$CONF" \
    >"$LOGFILE" 2>&1 </dev/null 9>&- &
  disown || true
  local end=$((SECONDS + 10))
  while [[ ! -s "$PIDFILE" ]] && ((SECONDS < end)); do sleep 0.05; done
  STARTED_PID="$(cat "$PIDFILE" 2>/dev/null || true)"
}

cmd_start() {
  if external; then return 0; fi
  need_java
  take_lock
  local n pid running=0 pids=()
  for ((n = 1; n <= NODES; n++)); do
    select_node "$n"
    if pid_alive >/dev/null; then running=$((running + 1)); fi
  done
  if ((running == NODES)); then
    if probe "$BOOTSTRAP" 10 "$NODES"; then
      log "already running ($NODES node(s)), bootstrap $BOOTSTRAP"
      echo "KAFKA_BROKERS=$BOOTSTRAP"
      return 0
    fi
    die "the broker(s) are alive but not answering on $BOOTSTRAP; see $(cmd_logs | tr '\n' ' ')(or run: $0 stop)"
  fi

  cmd_fetch
  local t0 t1
  t0="$(date +%s.%N)"
  # A cluster node that is still up is left alone; the missing ones are started.
  for ((n = 1; n <= NODES; n++)); do
    select_node "$n"
    if pid="$(pid_alive)"; then pids+=("$pid"); continue; fi
    launch_node "$n"
    pids+=("$STARTED_PID")
  done

  local end=$((SECONDS + START_TIMEOUT))
  # Wait for every port, then for a real metadata round-trip that sees every broker.
  for ((n = 1; n <= NODES; n++)); do
    select_node "$n"
    pid="${pids[$((n - 1))]}"
    while ! port_open "$PORT"; do
      if ! kill -0 "$pid" 2>/dev/null; then
        tail -n 40 "$LOGFILE" >&2 || true
        rm -f "$PIDFILE"
        die "broker $n exited during startup; see $LOGFILE"
      fi
      ((SECONDS < end)) || die "broker $n (pid $pid) did not open 127.0.0.1:$PORT within ${START_TIMEOUT}s; see $LOGFILE (stop it with: $0 stop)"
      sleep 0.2
    done
  done
  local left=$((end - SECONDS))
  ((left > 0)) || left=1
  if ! probe "$BOOTSTRAP" "$left" "$NODES"; then
    cat "$KDIR/probe.err" >&2 2>/dev/null || true
    die "the broker(s) opened their ports but did not answer metadata requests with $NODES broker(s) within ${START_TIMEOUT}s; see $(cmd_logs | tr '\n' ' ')(stop with: $0 stop)"
  fi
  for ((n = 1; n <= NODES; n++)); do
    select_node "$n"
    kill -0 "${pids[$((n - 1))]}" 2>/dev/null || die "broker $n died right after answering (another process on 127.0.0.1:$PORT?); see $LOGFILE"
  done
  t1="$(date +%s.%N)"
  log "Kafka $KAFKA_VERSION started ($NODES node(s), pid(s) ${pids[*]}) in $(awk "BEGIN{printf \"%.1f\", $t1-$t0}")s; bootstrap $BOOTSTRAP; log(s) $(cmd_logs | tr '\n' ' ')"
  echo "KAFKA_BROKERS=$BOOTSTRAP"
}

# Starts one node of the local cluster and returns once its process runs (fault tests restart a killed broker).
cmd_start_node() { # <node>
  if external; then return 0; fi
  local n="${1:-}"
  [[ "$n" =~ ^[0-9]+$ ]] && ((n >= 1 && n <= NODES)) || die "start-node needs a node number from 1 to $NODES"
  need_java
  take_lock
  select_node "$n"
  local pid
  if pid="$(pid_alive)"; then log "node $n already running (pid $pid)"; echo "$pid"; return 0; fi
  launch_node "$n"
  kill -0 "$STARTED_PID" 2>/dev/null || die "node $n did not start; see $LOGFILE"
  log "node $n started (pid $STARTED_PID) on 127.0.0.1:$PORT"
  echo "$STARTED_PID"
}

cmd_pid() { # <node>
  select_node "${1:-1}"
  pid_alive
}

# SIGTERM (controlled shutdown) to every node at once, SIGKILL to any still alive after the timeout.
# At once: stopped one by one, the last node of a cluster waits in vain for a quorum that has left.
cmd_stop() {
  if external; then return 0; fi
  take_lock
  local n pid pids=() nodes=()
  for ((n = 1; n <= NODES; n++)); do
    select_node "$n"
    if pid="$(pid_alive)"; then pids+=("$pid"); nodes+=("$n"); else rm -f "$PIDFILE"; fi
  done
  if ((${#pids[@]} == 0)); then
    log "not running"
    return 0
  fi
  log "stopping broker(s) ${nodes[*]}, pid(s) ${pids[*]} (SIGTERM, controlled shutdown) ..."
  kill -TERM "${pids[@]}" 2>/dev/null || true
  local end=$((SECONDS + STOP_TIMEOUT))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < end)); do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      log "pid $pid still alive after ${STOP_TIMEOUT}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
  done
  for n in "${nodes[@]}"; do select_node "$n"; rm -f "$PIDFILE"; done
  log "stopped"
}

cmd_status() {
  if [[ -n "${KAFKA_BROKERS:-}" ]]; then
    mkdir -p "$KDIR"
    probe "$KAFKA_BROKERS" 5 && { log "external cluster $KAFKA_BROKERS is answering"; return 0; }
    log "external cluster $KAFKA_BROKERS is not answering"; return 1
  fi
  local n pid pids=()
  for ((n = 1; n <= NODES; n++)); do
    select_node "$n"
    if ! pid="$(pid_alive)"; then
      if ((NODES == 1)); then log "not running"; else log "broker $n not running"; fi
      return 1
    fi
    pids+=("$pid")
  done
  if probe "$BOOTSTRAP" 5 "$NODES"; then
    log "running ($NODES node(s), pid(s) ${pids[*]}), bootstrap $BOOTSTRAP"; return 0
  fi
  log "pid(s) ${pids[*]} alive but not answering on $BOOTSTRAP; see $(cmd_logs | tr '\n' ' ')"; return 1
}

cmd_logs() {
  local n
  for ((n = 1; n <= NODES; n++)); do select_node "$n"; echo "$LOGFILE"; done
}

# The single node's files are where they always were, for the functions that use them directly.
select_node 1

case "${1:-}" in
  fetch) cmd_fetch ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  restart) cmd_stop; exec "$0" start ;;
  logs) cmd_logs ;;
  start-node) cmd_start_node "${2:-}" ;;
  pid) cmd_pid "${2:-}" ;;
  *) echo "usage: $0 {fetch|start|stop|status|restart|logs|start-node N|pid N}" >&2; exit 2 ;;
esac
