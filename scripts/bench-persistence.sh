#!/usr/bin/env bash
# Snapshots side by side: Shoal and Redis 7 on the same machine, in one run.
#
#   scripts/bench-persistence.sh               # 1,000,000 keys
#   KEYS=200000 scripts/bench-persistence.sh   # quicker
#
# For each server, loaded with KEYS string keys named as redis-benchmark's -r picks them:
#   - BGSAVE: wall time from the command to `rdb_bgsave_in_progress:0`, and the file's size;
#   - load: the time the server's own log gives for loading that file at start-up;
#   - latency: redis-benchmark GET/SET over the same keys (-r KEYS), once quiet and once with
#     BGSAVE started again and again for the whole run; p50/p99/max latency and requests/s.
# Ratios are Redis/Shoal for times and sizes (above 1: Shoal is faster or smaller).
set -euo pipefail
cd "$(dirname "$0")/.."

KEYS=${KEYS:-1000000}
N=${N:-1000000}
CLIENTS=${CLIENTS:-50}
REDIS_PORT=${REDIS_PORT:-17579}
SHOAL_PORT=${SHOAL_PORT:-17580}
WORK=$(mktemp -d /tmp/shoal-bench-persist.XXXXXX)

for tool in redis-server redis-benchmark redis-cli python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (run scripts/setup.sh)" >&2; exit 1; }
done
cargo build --release --quiet --bin shoal-server
SHOAL_BIN=$PWD/target/release/shoal-server
mkdir -p "$WORK/redis" "$WORK/shoal"

PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

wait_port() {
  for _ in $(seq 1 600); do
    [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ] && return 0
    sleep 0.05
  done
  echo "server on port $1 did not start" >&2; exit 1
}

start() { # name
  if [ "$1" = redis ]; then
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
      --dir "$WORK/redis" --daemonize no >"$WORK/redis.log" 2>&1 &
    REDIS_PID=$!; PIDS+=("$REDIS_PID"); wait_port "$REDIS_PORT"
  else
    RUST_LOG=info "$SHOAL_BIN" --port "$SHOAL_PORT" --bind 127.0.0.1 --save "" \
      --dir "$WORK/shoal" >"$WORK/shoal.log" 2>&1 &
    SHOAL_PID=$!; PIDS+=("$SHOAL_PID"); wait_port "$SHOAL_PORT"
  fi
}
stop() { # name
  local port pid
  if [ "$1" = redis ]; then port=$REDIS_PORT; pid=$REDIS_PID; else port=$SHOAL_PORT; pid=$SHOAL_PID; fi
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  wait "$pid" 2>/dev/null || true
}

populate() { # port
  python3 - "$KEYS" <<'EOF' | redis-cli -p "$1" --pipe >/dev/null
import sys
n = int(sys.argv[1])
out = sys.stdout.buffer
val = b"x" * 16
for i in range(n):
    k = b"key:%012d" % i
    out.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(val), val))
EOF
}

# Whether a BGSAVE is running (grep -c reads all, so pipefail sees no SIGPIPE).
in_progress() { # port
  [ "$(redis-cli -p "$1" info persistence | grep -c 'rdb_bgsave_in_progress:1')" != 0 ]
}

bgsave_secs() { # port
  local t0 t1
  t0=$(date +%s%N)
  redis-cli -p "$1" bgsave >/dev/null
  while in_progress "$1"; do sleep 0.01; done
  t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }'
}

# Keeps a BGSAVE running until the file $WORK/stop-bgsave appears.
bgsave_loop() { # port
  while [ ! -e "$WORK/stop-bgsave" ]; do
    redis-cli -p "$1" bgsave >/dev/null 2>&1 || true
    sleep 0.05
  done
}

# "rps p50 p99 max" of one redis-benchmark test over the loaded keys.
latency_row() { # port test
  redis-benchmark -p "$1" -c "$CLIENTS" -n "$N" -r "$KEYS" -d 16 -t "$2" --csv 2>/dev/null \
    | awk -F'","' 'NR>1 { gsub(/"/, ""); split($0, f, ","); print f[2], f[5], f[7], f[8]; exit }'
}

declare -A R
for who in redis shoal; do
  start "$who"
  port=$([ "$who" = redis ] && echo "$REDIS_PORT" || echo "$SHOAL_PORT")
  populate "$port"
  R[$who.keys]=$(redis-cli -p "$port" dbsize)
  R[$who.bgsave]=$(bgsave_secs "$port")
  for t in get set; do
    R[$who.quiet.$t]=$(latency_row "$port" "$t")
    rm -f "$WORK/stop-bgsave"
    bgsave_loop "$port" & loop=$!
    R[$who.busy.$t]=$(latency_row "$port" "$t")
    touch "$WORK/stop-bgsave"; wait "$loop"
    while in_progress "$port"; do sleep 0.01; done
  done
  redis-cli -p "$port" save >/dev/null
  R[$who.size]=$(stat -c %s "$WORK/$who/dump.rdb")
  stop "$who"
  start "$who"
  if [ "$who" = redis ]; then
    R[$who.load]=$(grep -o 'DB loaded from disk: [0-9.]* seconds' "$WORK/redis.log" | awk '{print $5}')
  else
    for _ in $(seq 1 200); do
      grep -q 'DB loaded from disk' "$WORK/shoal.log" && break
      sleep 0.05
    done
    R[$who.load]=$(grep -o 'in [0-9.]* seconds' "$WORK/shoal.log" | tail -1 | awk '{print $2}')
  fi
  R[$who.loaded]=$(redis-cli -p "$port" dbsize)
  stop "$who"
done

ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.2f}' if b else '-')" "$1" "$2"; }
printf '%-28s %14s %14s %8s\n' "" Redis Shoal "R/S"
printf '%-28s %14s %14s\n' "keys loaded" "${R[redis.keys]}" "${R[shoal.keys]}"
printf '%-28s %14.3f %14.3f %8s\n' "BGSAVE seconds" "${R[redis.bgsave]}" "${R[shoal.bgsave]}" "$(ratio "${R[redis.bgsave]}" "${R[shoal.bgsave]}")"
printf '%-28s %14s %14s %8s\n' "file bytes" "${R[redis.size]}" "${R[shoal.size]}" "$(ratio "${R[redis.size]}" "${R[shoal.size]}")"
printf '%-28s %14s %14s %8s\n' "load seconds" "${R[redis.load]}" "${R[shoal.load]}" "$(ratio "${R[redis.load]}" "${R[shoal.load]}")"
printf '%-28s %14s %14s\n' "keys after restart" "${R[redis.loaded]}" "${R[shoal.loaded]}"
echo
echo "latency (ms) and throughput: quiet vs. BGSAVE running throughout"
printf '%-12s %-6s %32s %32s\n' "" "" "Redis: rps p50 p99 max" "Shoal: rps p50 p99 max"
for t in get set; do
  for mode in quiet busy; do
    printf '%-12s %-6s %32s %32s\n' "$t" "$mode" "${R[redis.$mode.$t]}" "${R[shoal.$mode.$t]}"
  done
done
