#!/usr/bin/env bash
# A local tansu Kafka broker on loopback, for tests and the README walkthrough.
#
#   scripts/tansu.sh install            build and install tansu if it is not installed yet
#   scripts/tansu.sh start [PORT]       start a broker on 127.0.0.1:PORT (default 9092), memory storage
#   scripts/tansu.sh stop [PORT]        stop the broker started on PORT
#   scripts/tansu.sh topic NAME PARTITIONS [PORT]   create a topic
#
# The binary is looked up as $TANSU_BIN, then on PATH, then in ~/.cargo/bin. Installing builds
# it from crates.io (about 10 minutes on 2 cores) with the memory and sqlite storage engines.
set -euo pipefail

TANSU_VERSION=0.6.0
state_dir="${TMPDIR:-/tmp}/slipstream-tansu"

tansu_bin() {
  if [ -n "${TANSU_BIN:-}" ] && [ -x "$TANSU_BIN" ]; then echo "$TANSU_BIN"; return; fi
  if command -v tansu >/dev/null 2>&1; then command -v tansu; return; fi
  if [ -x "$HOME/.cargo/bin/tansu" ]; then echo "$HOME/.cargo/bin/tansu"; return; fi
  return 1
}

install() {
  if bin=$(tansu_bin); then
    echo "tansu: using $bin"
    return
  fi
  echo "tansu: not installed; building tansu $TANSU_VERSION from crates.io (takes a while)"
  cargo install tansu --version "$TANSU_VERSION" --locked --features dynostore,libsql
  tansu_bin >/dev/null
}

wait_port() {
  local port=$1
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "tansu: nothing listens on 127.0.0.1:$port after 10 s" >&2
  return 1
}

start() {
  local port=${1:-9092}
  local bin
  bin=$(tansu_bin) || { echo "tansu: not installed; run scripts/tansu.sh install" >&2; exit 1; }
  mkdir -p "$state_dir"
  if [ -f "$state_dir/$port.pid" ] && kill -0 "$(cat "$state_dir/$port.pid")" 2>/dev/null; then
    echo "tansu: already running on 127.0.0.1:$port"
    return
  fi
  "$bin" broker \
    --listener-url "tcp://127.0.0.1:$port" \
    --advertised-listener-url "tcp://127.0.0.1:$port" \
    --storage-engine memory://tansu/ >"$state_dir/$port.log" 2>&1 &
  echo $! >"$state_dir/$port.pid"
  wait_port "$port"
  echo "tansu: broker on 127.0.0.1:$port (log: $state_dir/$port.log)"
}

stop() {
  local port=${1:-9092}
  if [ -f "$state_dir/$port.pid" ]; then
    kill "$(cat "$state_dir/$port.pid")" 2>/dev/null || true
    rm -f "$state_dir/$port.pid"
    echo "tansu: stopped 127.0.0.1:$port"
  fi
}

topic() {
  local name=$1 partitions=$2 port=${3:-9092}
  local bin
  bin=$(tansu_bin) || { echo "tansu: not installed" >&2; exit 1; }
  "$bin" topic create "$name" --partitions "$partitions" --broker "tcp://127.0.0.1:$port"
}

case "${1:-}" in
  install) install ;;
  start) start "${2:-}" ;;
  stop) stop "${2:-}" ;;
  topic) topic "${2:?topic name}" "${3:?partitions}" "${4:-}" ;;
  *) echo "usage: $0 install | start [PORT] | stop [PORT] | topic NAME PARTITIONS [PORT]" >&2; exit 64 ;;
esac
