#!/usr/bin/env bash
# Kamailio (deploy/kamailio.cfg) in front of N `ivr serve` workers, all on loopback.
#
#   scripts/cluster.sh start [N] [-- ivr serve options]   N workers (default: one per core), then Kamailio
#   scripts/cluster.sh stop                                stop them all (workers drain: calls in progress end)
#
# Environment: IVR_CLUSTER_DIR (default /tmp/ivr-cluster: config, logs, pid files), IVR_CLUSTER_SIP (Kamailio's
# address, default 127.0.0.1:5060), IVR_CLUSTER_FIRST_PORT (the first worker's SIP port, default 5081),
# IVR_RECORDS (where every worker writes records: postgresql://... for a real deployment).
set -euo pipefail
cd "$(dirname "$0")/.."

DIR="${IVR_CLUSTER_DIR:-/tmp/ivr-cluster}"
SIP="${IVR_CLUSTER_SIP:-127.0.0.1:5060}"
FIRST="${IVR_CLUSTER_FIRST_PORT:-5081}"
HOST="${SIP%:*}"

start() {
  local n="${1:-$(nproc)}"
  shift || true
  [ "${1:-}" = "--" ] && shift
  mkdir -p "$DIR"
  : > "$DIR/dispatcher.list"
  for i in $(seq "$n"); do
    local port=$((FIRST + i - 1)) rtp=$((22000 + 1000 * i))
    echo "1 sip:$HOST:$port" >> "$DIR/dispatcher.list"
    nohup .venv/bin/ivr serve --sip "$HOST:$port" --rtp-ports "$rtp-$((rtp + 999))" --json "$@" \
      > "$DIR/worker$i.log" 2> "$DIR/worker$i.err" &
    echo $! > "$DIR/worker$i.pid"
  done
  # the workers first: Kamailio's first OPTIONS probe must find them answering
  for _ in $(seq 300); do
    [ "$(grep -l "serving SIP" "$DIR"/worker*.err 2>/dev/null | wc -l)" -eq "$n" ] && break
    sleep 0.1
  done
  [ "$(grep -l "serving SIP" "$DIR"/worker*.err 2>/dev/null | wc -l)" -eq "$n" ] ||
    { echo "cluster: a worker did not start (see $DIR/worker*.err)" >&2; stop; exit 1; }
  sed -e "s!udp:127.0.0.1:5060!udp:$SIP!" -e "s!/tmp/ivr-cluster/dispatcher.list!$DIR/dispatcher.list!" \
    deploy/kamailio.cfg > "$DIR/kamailio.cfg"
  kamailio -f "$DIR/kamailio.cfg" -P "$DIR/kamailio.pid" -Y "$DIR" -w "$DIR" -E -DD > "$DIR/kamailio.log" 2>&1 &
  echo $! > "$DIR/kamailio.pid.shell"
  echo "cluster: Kamailio on udp:$SIP, $n worker(s) from port $FIRST; logs in $DIR"
}

stop() {
  for pidfile in "$DIR"/worker*.pid; do
    [ -f "$pidfile" ] || continue
    kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
    kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  done
  [ -f "$DIR/kamailio.pid.shell" ] && kill "$(cat "$DIR/kamailio.pid.shell")" 2>/dev/null || true
  rm -f "$DIR/kamailio.pid.shell"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop ;;
  *) echo "usage: $0 start [N] [-- ivr serve options] | stop" >&2; exit 2 ;;
esac
