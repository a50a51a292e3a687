#!/usr/bin/env bash
# Hit ratio of eviction policies: Shoal (allkeys-lru, -lfu, -random, -adaptive) and Redis 7
# (allkeys-lru, -lfu) replay the same reproducible traces cache-aside (GET, SET on a miss)
# at cache sizes of 1%, 10% and 30% of the key population, and the table is printed.
#
#   scripts/cache-hit-bench.sh                      # ~7 minutes on 2 cores
#   KEYS=50000 REQUESTS=500000 scripts/cache-hit-bench.sh
#   TRACES=zipf-0.9,loop SIZES=10 scripts/cache-hit-bench.sh
#
# Traces (crates/shoal-tests/src/cachetrace.rs): zipf-0.7, zipf-0.9, zipf-1.1, zipf-scan
# (Zipf with one-time scans), shift (popularity reshuffled half-way), loop (all keys in
# order, larger than every cache size). Redis gets the maxmemory under which it holds the
# wanted number of keys, Shoal the one under which it holds as many keys as Redis ended its
# first replay with (both found by bisection; the table shows the keys each ended with).
# Without redis-server (scripts/setup.sh installs it) only Shoal's columns are printed.
set -euo pipefail
cd "$(dirname "$0")/.."

export KEYS=${KEYS:-20000}
export REQUESTS=${REQUESTS:-200000}
export VALUE=${VALUE:-4096}
export SIZES=${SIZES:-1,10,30}
REDIS_PORT=${REDIS_PORT:-17579}
SHOAL_PORT=${SHOAL_PORT:-17580}

cargo build --release --quiet --bin shoal-server --bin cachetrace
TARGET=${CARGO_TARGET_DIR:-target}
SHOAL_BIN=$TARGET/release/shoal-server
TRACE_BIN=$TARGET/release/cachetrace

PIDS=()
stop_servers() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap stop_servers EXIT

wait_port() {
  for _ in $(seq 1 200); do
    (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "server on port $1 did not start" >&2; exit 1
}

RUST_LOG=warn "$SHOAL_BIN" --port "$SHOAL_PORT" --bind 127.0.0.1 --save "" >/tmp/cache-bench-shoal.log 2>&1 &
PIDS+=($!)
wait_port "$SHOAL_PORT"
if command -v redis-server >/dev/null 2>&1; then
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
    >/tmp/cache-bench-redis.log 2>&1 &
  PIDS+=($!)
  wait_port "$REDIS_PORT"
  echo "redis: $(redis-server --version | awk '{print $3}')   shoal: $("$SHOAL_BIN" --version)"
  "$TRACE_BIN" table "$SHOAL_PORT" "$REDIS_PORT"
else
  echo "redis-server not found (scripts/setup.sh installs it): Shoal only" >&2
  "$TRACE_BIN" table "$SHOAL_PORT"
fi
