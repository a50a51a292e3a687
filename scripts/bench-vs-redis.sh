#!/usr/bin/env bash
# Side-by-side throughput and memory: Shoal and Redis 7 on the same machine, in one run.
#
#   scripts/bench-vs-redis.sh            # full run: -n 1000000 per test, 1,000,000 keys for memory
#   N=200000 KEYS=200000 scripts/bench-vs-redis.sh   # quicker
#
# Throughput: redis-benchmark -t <test> -c 50 -n N at -P 1 and -P 16, alternating Redis and Shoal
# for each row, prints requests/s for each and the ratio Shoal/Redis.
# Memory: loads KEYS small string keys into each (empty) server and prints bytes per key from
# the growth of the process's resident set size.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-1000000}
KEYS=${KEYS:-1000000}
TESTS=${TESTS:-set,get,incr,mset}
CLIENTS=${CLIENTS:-50}
REDIS_PORT=${REDIS_PORT:-17379}
SHOAL_PORT=${SHOAL_PORT:-17380}

for tool in redis-server redis-benchmark redis-cli python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (run scripts/setup.sh)" >&2; exit 1; }
done

cargo build --release --quiet --bin shoal-server
SHOAL_BIN=target/release/shoal-server

start_servers() {
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
    >/tmp/bench-redis.log 2>&1 &
  REDIS_PID=$!
  RUST_LOG=warn "$SHOAL_BIN" --port "$SHOAL_PORT" --bind 127.0.0.1 >/tmp/bench-shoal.log 2>&1 &
  SHOAL_PID=$!
  wait_port "$REDIS_PORT"; wait_port "$SHOAL_PORT"
}
stop_servers() {
  kill "$REDIS_PID" "$SHOAL_PID" 2>/dev/null || true
  wait "$REDIS_PID" "$SHOAL_PID" 2>/dev/null || true
}
trap stop_servers EXIT

wait_port() {
  for _ in $(seq 1 200); do
    redis-cli -p "$1" ping >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "server on port $1 did not start" >&2; exit 1
}
start_servers

rps() { # port test pipeline -> requests per second
  redis-benchmark -p "$1" -t "$2" -c "$CLIENTS" -n "$N" -P "$3" -r 1000000 -q --csv 2>/dev/null \
    | awk -F'","' 'NR>1 { gsub(/"/, "", $2); print $2; exit }'
}

echo "redis: $(redis-server --version | awk '{print $3}')   shoal: $("$SHOAL_BIN" --version)"
echo "cores: $(nproc)   clients: $CLIENTS   requests per row: $N"
printf '\n%-8s %4s %14s %14s %8s\n' test P redis_rps shoal_rps ratio
for P in 1 16; do
  for t in ${TESTS//,/ }; do
    r=$(rps "$REDIS_PORT" "$t" "$P")
    s=$(rps "$SHOAL_PORT" "$t" "$P")
    ratio=$(python3 -c "print(f'{float(\"$s\")/float(\"$r\"):.2f}')" 2>/dev/null || echo "n/a")
    printf '%-8s %4s %14s %14s %8s\n' "$t" "$P" "$r" "$s" "$ratio"
  done
done

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
load_keys() { # port
  python3 - "$KEYS" <<'PY' | redis-cli -p "$1" --pipe >/dev/null
import sys
n = int(sys.argv[1])
out = sys.stdout.buffer
for i in range(n):
    k = b"key:%012d" % i
    out.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$3\r\nxxx\r\n" % (len(k), k))
PY
}
# Memory on fresh processes: earlier rows leave allocator caches behind that would hide growth.
stop_servers
start_servers
echo
printf '%-8s %12s %12s %12s\n' server keys rss_growth bytes/key
for pair in "redis:$REDIS_PORT:$REDIS_PID" "shoal:$SHOAL_PORT:$SHOAL_PID"; do
  IFS=: read -r name port pid <<<"$pair"
  before=$(rss_kb "$pid")
  load_keys "$port"
  after=$(rss_kb "$pid")
  count=$(redis-cli -p "$port" dbsize)
  growth=$(( (after - before) * 1024 ))
  printf '%-8s %12s %12s %12s\n' "$name" "$count" "$growth" "$(( growth / (count > 0 ? count : 1) ))"
done
