#!/usr/bin/env bash
# The long chaos run of cluster mode (tests/it/chaos.rs, `chaos_long`): three members over a
# 12-partition topic on a real tansu broker, under steady load, for CHAOS_SECS seconds
# (default 600): a member SIGKILLed and restarted every 20-40 s, one paused with SIGSTOP past
# the member timeout and resumed as a zombie, the cluster scaled 3 -> 2 -> 4, the broker
# paused with SIGSTOP for 30 s. Before the first fault, after each fault and at the end, the
# producer holds still and every member's windows must equal the truth of what was produced
# so far; it prints the time from each fault to whole answers again. `scripts/test.sh` runs
# the short form (`chaos_short`, about two minutes).
#
#   scripts/chaos.sh              # 10 minutes
#   CHAOS_SECS=1800 scripts/chaos.sh
#   TEST_LOG_DIR=/tmp/chaos scripts/chaos.sh   # each member's log in /tmp/chaos/<port>.log
#   CHAOS_STORAGE=memory scripts/chaos.sh      # tansu's memory storage instead of sqlite: its
#                                              # fetches slow down as the partitions grow
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/tansu.sh install
export CHAOS_SECS="${CHAOS_SECS:-600}"
if command -v cargo-nextest >/dev/null; then
  cargo nextest run --locked --release --test it chaos::chaos_long --run-ignored all --no-capture
else
  cargo test --locked --release --test it chaos::chaos_long -- --ignored --nocapture
fi
