#!/usr/bin/env bash
# Local stripe-mock (https://github.com/stripe/stripe-mock) for Tollgate tests.
#
# Usage: deploy/local/stripe-mock.sh {install|start|stop|restart|status|url}
#
#   install  go install the pinned stripe-mock into <repo>/.local/bin (skipped if present)
#   start    install if needed, start on 127.0.0.1:${TOLLGATE_STRIPE_MOCK_PORT:-12111} in the
#            background (pid + log in <repo>/.local/stripe-mock/), wait until it answers.
#            No-op when already running.
#   stop     stop it (idempotent)
#   status   print running/stopped; exit 0 when running, 3 when stopped
#   url      print the HTTP base URL
#
# Environment:
#   TOLLGATE_STRIPE_MOCK_PORT        HTTP port (default 12111); HTTPS goes to an ephemeral loopback port
#   TOLLGATE_STRIPE_MOCK_START_TIMEOUT  seconds to wait for readiness (default 30)
set -euo pipefail

STRIPE_MOCK_MODULE="github.com/stripe/stripe-mock"
STRIPE_MOCK_VERSION="v0.203.0"   # newest served by the Go module proxy; builds with go1.22+ (tested on go1.26)

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
LOCAL_DIR="$REPO_ROOT/.local"
BIN_DIR="$LOCAL_DIR/bin"
BIN="$BIN_DIR/stripe-mock"
VERSION_FILE="$BIN_DIR/stripe-mock.version"
STATE_DIR="$LOCAL_DIR/stripe-mock"
PID_FILE="$STATE_DIR/stripe-mock.pid"
LOG_FILE="$STATE_DIR/stripe-mock.log"

PORT="${TOLLGATE_STRIPE_MOCK_PORT:-12111}"
HOST="127.0.0.1"
URL="http://$HOST:$PORT"
START_TIMEOUT="${TOLLGATE_STRIPE_MOCK_START_TIMEOUT:-30}"

log() { printf 'stripe-mock: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

require_go() {
  command -v go >/dev/null 2>&1 ||
    die "'go' not found on PATH. Install Go 1.22+ (https://go.dev/dl/) to build stripe-mock $STRIPE_MOCK_VERSION."
}

installed_version() {
  if [[ -x "$BIN" && -f "$VERSION_FILE" ]]; then
    cat "$VERSION_FILE"
  fi
}

cmd_install() {
  if [[ "$(installed_version)" == "$STRIPE_MOCK_VERSION" ]]; then
    log "$STRIPE_MOCK_VERSION already installed at $BIN"
    return 0
  fi
  require_go
  mkdir -p "$BIN_DIR"
  log "installing $STRIPE_MOCK_MODULE@$STRIPE_MOCK_VERSION into $BIN_DIR ..."
  rm -f "$VERSION_FILE"
  GOBIN="$BIN_DIR" go install "$STRIPE_MOCK_MODULE@$STRIPE_MOCK_VERSION"
  [[ -x "$BIN" ]] || die "go install finished but $BIN is missing"
  printf '%s\n' "$STRIPE_MOCK_VERSION" >"$VERSION_FILE"
  log "installed $STRIPE_MOCK_VERSION"
}

running_pid() {
  # Prints the pid and returns 0 when the pid file points at a live stripe-mock.
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # Guard against pid reuse: the process must be our binary.
  if [[ -r "/proc/$pid/exe" || -e "/proc/$pid" ]]; then
    local exe
    exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
    local real
    real="$(realpath -m "$BIN")"
    [[ -z "$exe" || "$exe" == "$BIN" || "$exe" == "$BIN (deleted)" || "$exe" == "$real" || "$exe" == "$real (deleted)" ]] || return 1
  fi
  printf '%s\n' "$pid"
}

answers() {
  # stripe-mock needs an Authorization header; any sk_test_ key works.
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -o /dev/null --max-time 2 -H 'Authorization: Bearer sk_test_123' "$URL/v1/customers" 2>/dev/null
  else
    (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null
  fi
}

lock() {
  # Serialise concurrent start/stop (e.g. parallel test workers); flock is optional.
  mkdir -p "$STATE_DIR"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$STATE_DIR/.lock"
    flock -w 300 9 || die "timed out waiting for $STATE_DIR/.lock"
  fi
}

cmd_start() {
  lock
  local pid
  if pid="$(running_pid)"; then
    log "already running (pid $pid) at $URL"
    echo "$URL"
    return 0
  fi
  cmd_install
  mkdir -p "$STATE_DIR"
  if answers; then
    die "port $PORT is already in use by another process (set TOLLGATE_STRIPE_MOCK_PORT)"
  fi
  log "starting on $URL (log: $LOG_FILE)"
  # stripe-mock quirk: -http-addr does not suppress its default HTTPS listener
  # ([::]:12112, all interfaces), and -http cannot be combined with -http-addr.
  # So pin HTTPS to an OS-chosen loopback port; nothing uses it.
  nohup "$BIN" -http-addr "$HOST:$PORT" -https-addr "$HOST:0" >"$LOG_FILE" 2>&1 </dev/null 9>&- &
  pid=$!
  printf '%s\n' "$pid" >"$PID_FILE"
  local deadline=$((SECONDS + START_TIMEOUT))
  until answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      tail -n 20 "$LOG_FILE" >&2 || true
      die "stripe-mock exited during startup (see $LOG_FILE)"
    fi
    if ((SECONDS >= deadline)); then
      kill "$pid" 2>/dev/null || true
      rm -f "$PID_FILE"
      tail -n 20 "$LOG_FILE" >&2 || true
      die "stripe-mock did not answer on $URL within ${START_TIMEOUT}s"
    fi
    sleep 0.1
  done
  log "ready (pid $pid)"
  echo "$URL"
}

cmd_stop() {
  lock
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    log "not running"
    return 0
  fi
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid did not exit after SIGTERM; sending SIGKILL"
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
  log "stopped (pid $pid)"
}

cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    echo "running pid=$pid url=$URL version=$(installed_version)"
    return 0
  fi
  echo "stopped (installed: $(installed_version || true))"
  return 3
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart) cmd_stop; cmd_start ;;
  status) cmd_status ;;
  url) echo "$URL" ;;
  *)
    echo "usage: $0 {install|start|stop|restart|status|url}" >&2
    exit 2
    ;;
esac
