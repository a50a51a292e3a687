#!/usr/bin/env bash
# Replication side by side: Shoal and Redis 7 in the same roles on the same machine, in one run.
#
#   scripts/bench-replication.sh                  # N=1000000 SETs per row, KEYS=1000000 for the sync
#   N=200000 KEYS=200000 scripts/bench-replication.sh   # quicker
#
# 1. Primary write throughput: redis-benchmark -t set -c 50 -n N at -P 1 and -P 16 against a
#    primary with 0, 1 and 2 replicas attached (all on loopback), median of REPEAT runs, ratio
#    Shoal/Redis; and the CPU time the servers (primary and replicas together) spent per
#    request over those runs and until every replica has caught up, which a busy machine
#    disturbs far less than throughput, with its ratio Redis/Shoal (above 1: Shoal spends
#    less). With two cores the load generator and the primary keep both busy, so how much
#    CPU a replica gets while the load runs is the scheduler's choice.
# 2. Full sync: a primary holding KEYS keys, a fresh replica attached; seconds until the
#    replica reports its link up with every key.
# 3. Replication lag under load: while redis-benchmark sends SETs at -P 16 to a primary with one
#    replica, INFO is sampled every 50 ms over one connection to each; prints the median, 90th
#    percentile and largest lag in bytes (primary's master_repl_offset minus the replica's own
#    offset, read right after).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-1000000}
KEYS=${KEYS:-1000000}
REPEAT=${REPEAT:-3}
BASE=${BASE:-17600}

source scripts/bench-lib.sh
require redis-server redis-benchmark redis-cli python3

# start <impl> <port> [args...]: starts a server with its own directory, no save points.
start() {
  local impl=$1 port=$2
  shift 2
  local dir="$SCRATCH/$impl-$port"
  mkdir -p "$dir"
  if [ "$impl" = redis ]; then
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
      --repl-diskless-sync-delay 0 "$@" >"$dir/log" 2>&1 &
  else
    "$SHOAL_BIN" --port "$port" --bind 127.0.0.1 --save '' --dir "$dir" \
      --repl-diskless-sync-delay 0 "$@" >"$dir/log" 2>&1 &
  fi
  PIDS+=($!)
  wait_up "$port" "$impl"
}

stop_all() {
  for p in "${PIDS[@]:-}"; do kill -9 "$p" 2>/dev/null || true; done
  PIDS=()
  sleep 0.3
}

field() { redis-cli -p "$1" info replication | tr -d '\r' | sed -n "s/^$2://p"; }

# wait_synced <primary> <replica>: until the replica's link is up at the primary's offset.
wait_synced() {
  for _ in $(seq 1 6000); do
    if [ "$(field "$2" master_link_status)" = up ] &&
      [ "$(field "$2" slave_repl_offset)" = "$(field "$1" master_repl_offset)" ]; then
      return 0
    fi
    sleep 0.01
  done
  echo "replica on $2 did not catch up" >&2
  exit 1
}

rps() {
  redis-benchmark -p "$1" -t set -c 50 -n "$N" -P "$2" -r 100000 -q 2>/dev/null |
    tr '\r' '\n' | sed -n 's/.*: \([0-9.]*\) requests per second.*/\1/p' | tail -1
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# cpu_ticks: user + system clock ticks of every server started (PIDS) so far.
cpu_ticks() {
  local total=0 p
  for p in "${PIDS[@]:-}"; do
    [ -r "/proc/$p/stat" ] || continue
    # utime and stime: fields 14 and 15, the 12th and 13th after the command name.
    total=$((total + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
  done
  echo "$total"
}

# throughput <impl> <replicas> <pipeline>: prints "median-rps cpu-microseconds-per-request".
throughput() {
  local impl=$1 n=$2 pipe=$3 primary=$BASE
  start "$impl" "$primary"
  for i in $(seq 1 "$n"); do
    start "$impl" $((primary + i)) --replicaof 127.0.0.1 "$primary"
    wait_synced "$primary" $((primary + i))
  done
  local runs=() before after
  before=$(cpu_ticks)
  for _ in $(seq 1 "$REPEAT"); do runs+=("$(rps "$primary" "$pipe")"); done
  # A replica starved of CPU while the load ran applies the rest afterwards: count that too.
  for i in $(seq 1 "$n"); do wait_synced "$primary" $((primary + i)); done
  after=$(cpu_ticks)
  stop_all
  echo "$(printf '%s\n' "${runs[@]}" | median)" \
    "$(python3 -c "print(f'{($after - $before) * 1e6 / $(getconf CLK_TCK) / ($N * $REPEAT):.2f}')")"
}

echo "== primary SET throughput (requests/s), -c 50 -n $N, median of $REPEAT;"
echo "   server CPU per request (microseconds, primary and replicas together)"
printf '%-10s %-4s %14s %14s %8s %10s %10s %8s\n' replicas P redis shoal ratio redis_cpu shoal_cpu ratio
for n in 0 1 2; do
  for p in 1 16; do
    read -r r rc <<<"$(throughput redis "$n" "$p")"
    read -r s sc <<<"$(throughput shoal "$n" "$p")"
    printf '%-10s %-4s %14s %14s %8s %10s %10s %8s\n' "$n" "$p" "$r" "$s" \
      "$(python3 -c "print(f'{$s/$r:.2f}')")" "$rc" "$sc" "$(python3 -c "print(f'{$rc/$sc:.2f}')")"
  done
done

# Loads KEYS keys of 16-byte values with redis-cli --pipe.
load_keys() {
  python3 - "$KEYS" <<'PY' | redis-cli -p "$1" --pipe >/dev/null
import sys
n = int(sys.argv[1])
out = sys.stdout.buffer
for i in range(n):
    k = b"key:%d" % i
    v = b"value-%010d" % i
    out.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
PY
}

full_sync() {
  local impl=$1 primary=$BASE replica=$((BASE + 1))
  start "$impl" "$primary"
  load_keys "$primary"
  start "$impl" "$replica"
  local t0 t1
  t0=$(date +%s.%N)
  redis-cli -p "$replica" replicaof 127.0.0.1 "$primary" >/dev/null
  wait_synced "$primary" "$replica"
  t1=$(date +%s.%N)
  local keys
  keys=$(redis-cli -p "$replica" dbsize)
  stop_all
  [ "$keys" = "$KEYS" ] || { echo "$impl replica holds $keys keys, not $KEYS" >&2; exit 1; }
  python3 -c "print(f'{$t1-$t0:.2f}')"
}

echo
echo "== full sync of $KEYS keys to a fresh replica (seconds)"
r=$(full_sync redis)
s=$(full_sync shoal)
printf '%-10s %10s %10s %8s\n' "" redis shoal "redis/shoal"
printf '%-10s %10s %10s %8s\n' sync "$r" "$s" "$(python3 -c "print(f'{$r/$s:.2f}')")"

lag() {
  local impl=$1 primary=$BASE replica=$((BASE + 1))
  start "$impl" "$primary"
  start "$impl" "$replica" --replicaof 127.0.0.1 "$primary"
  wait_synced "$primary" "$replica"
  redis-benchmark -p "$primary" -t set -c 50 -n "$N" -P 16 -r 100000 -q >/dev/null 2>&1 &
  local bench=$!
  python3 - "$primary" "$replica" "$bench" <<'PY'
import socket, sys, time, os
# One connection to each server for the whole run: a connection opened per sample measures
# when the server gets round to accepting it (Redis accepts after draining its primary's
# stream, which reads as no lag at all) rather than how far the replica is behind.
def connect(port):
    return socket.create_connection(("127.0.0.1", port))
def info(s):
    s.sendall(b"INFO replication\r\n")
    data = b""
    while True:
        data += s.recv(65536)
        head, _, rest = data.partition(b"\r\n")
        if head.startswith(b"$") and len(rest) >= int(head[1:]):
            break
    return dict(l.split(":", 1) for l in rest.decode().split("\r\n") if ":" in l)
p, r, bench = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
sp, sr = connect(p), connect(r)
time.sleep(0.3)  # past the clients' connection burst
lags = []
while True:
    try:
        os.kill(bench, 0)
    except OSError:
        break
    a = int(info(sp)["master_repl_offset"])
    b = int(info(sr)["slave_repl_offset"])
    lags.append(max(a - b, 0))
    time.sleep(0.05)
lags = sorted(lags) or [0]
print(f"{lags[len(lags) // 2]} {lags[int(len(lags) * 0.9)]} {lags[-1]}")
PY
  wait "$bench" 2>/dev/null || true
  stop_all
}

echo
echo "== replication lag under redis-benchmark SET -P 16 (bytes: median p90 max)"
printf '%-10s %s\n' redis "$(lag redis)"
printf '%-10s %s\n' shoal "$(lag shoal)"
