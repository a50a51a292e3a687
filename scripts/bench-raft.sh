#!/usr/bin/env bash
# A three-member Raft group on loopback against a single non-replicated Shoal, in one run.
#
#   scripts/bench-raft.sh              # N=20000 requests per row
#   N=5000 scripts/bench-raft.sh       # quicker
#
# Writes: redis-benchmark SET at 1, 10 and 50 concurrent clients (no pipelining) against the
# leader and against a lone server; requests per second, p50 and p99 latency, and the ratio;
# SET sent to a follower, which forwards it to the leader.
# Reads: GET against the leader in each raft-read-mode, against a follower in local mode, and
# against a follower that forwards them to the leader (linearizable).
# Leadership transfer: how long RAFT TRANSFER-LEADER takes, idle and under a SET load, and
# the slowest SET of that load (writes wait while the leadership moves).
# Every member keeps its log in its own raft-dir and syncs it before acknowledging.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-20000}
BASE=${BASE:-17700}
source scripts/bench-lib.sh
require redis-cli redis-benchmark
BIN=$SHOAL_BIN

PEERS=""
for i in 1 2 3; do PEERS="$PEERS $i@127.0.0.1:$((BASE + 10 + i)),127.0.0.1:$((BASE + i))"; done
for i in 1 2 3; do
  mkdir -p "$SCRATCH/m$i"
  "$BIN" --port $((BASE + i)) --bind 127.0.0.1 --save '' --dir "$SCRATCH/m$i" \
    --raft-node-id "$i" --raft-peers "$PEERS" --raft-dir "$SCRATCH/m$i/raft" \
    >"$SCRATCH/m$i/log" 2>&1 &
  PIDS+=($!)
done
"$BIN" --port "$BASE" --bind 127.0.0.1 --save '' --dir "$SCRATCH" >"$SCRATCH/lone.log" 2>&1 &
PIDS+=($!)
for p in "$BASE" $((BASE + 1)) $((BASE + 2)) $((BASE + 3)); do wait_up "$p"; done

LEADER=""
for _ in $(seq 1 300); do
  for i in 1 2 3; do
    # Followers forward writes: the leader is the member whose ROLE says master.
    if [ "$(redis-cli -p $((BASE + i)) role 2>/dev/null | head -1)" = master ] &&
      [ "$(redis-cli -p $((BASE + i)) set probe 1 2>/dev/null)" = OK ]; then LEADER=$((BASE + i)); fi
  done
  [ -n "$LEADER" ] && break
  sleep 0.1
done
[ -n "$LEADER" ] || { echo "no leader elected" >&2; exit 1; }
FOLLOWER=$((BASE + 1))
[ "$FOLLOWER" = "$LEADER" ] && FOLLOWER=$((BASE + 2))

# bench <port> <test> <clients>: prints "rps p50 p99".
bench() {
  redis-benchmark -p "$1" -t "$2" -c "$3" -n "$N" -r 100000 --csv 2>/dev/null |
    tail -1 | tr -d '"' | awk -F, '{printf "%.0f %s %s", $2, $5, $7}'
}

echo "== writes (SET), requests/s and latency in ms"
printf "%-8s %12s %8s %8s %12s %8s %8s %8s\n" clients group p50 p99 lone p50 p99 ratio
for c in 1 10 50; do
  read -r g gp50 gp99 <<<"$(bench "$LEADER" set "$c")"
  read -r l lp50 lp99 <<<"$(bench "$BASE" set "$c")"
  ratio=$(awk -v a="$g" -v b="$l" 'BEGIN { printf "%.2f", a / b }')
  printf "%-8s %12s %8s %8s %12s %8s %8s %8s\n" "$c" "$g" "$gp50" "$gp99" "$l" "$lp50" "$lp99" "$ratio"
done

echo "== writes (SET) sent to a follower, which forwards them to the leader"
printf "%-8s %12s %8s %8s\n" clients follower p50 p99
for c in 1 50; do
  read -r f fp50 fp99 <<<"$(bench "$FOLLOWER" set "$c")"
  printf "%-8s %12s %8s %8s\n" "$c" "$f" "$fp50" "$fp99"
done

echo "== reads (GET, 50 clients), requests/s"
for mode in linearizable lease local; do
  for i in 1 2 3; do redis-cli -p $((BASE + i)) config set raft-read-mode "$mode" >/dev/null; done
  read -r r _ _ <<<"$(bench "$LEADER" get 50)"
  printf "%-22s %12s\n" "leader, $mode" "$r"
done
read -r r _ _ <<<"$(bench "$FOLLOWER" get 50)"
printf "%-22s %12s\n" "follower, local" "$r"
for i in 1 2 3; do redis-cli -p $((BASE + i)) config set raft-read-mode linearizable >/dev/null; done
read -r r _ _ <<<"$(bench "$FOLLOWER" get 50)"
printf "%-22s %12s\n" "follower, forwarded" "$r"
read -r r _ _ <<<"$(bench "$BASE" get 50)"
printf "%-22s %12s\n" "lone server" "$r"

echo "== leadership transfer (RAFT TRANSFER-LEADER to the next member), ms"
# A leader hands over at once only after it has led longer than its lease (twice the
# election timeout, 3 s by default): each round first waits that long.
transfer_once() { # <load: yes|no>: prints "ms slowest-SET-ms"
  local leader="" id target other t0 t1 load_pid
  for i in 1 2 3; do
    [ "$(redis-cli -p $((BASE + i)) role 2>/dev/null | head -1)" = master ] && leader=$i
  done
  id=$leader
  target=$((id % 3 + 1))
  other=$((target % 3 + 1))
  sleep 3.5
  if [ "$1" = yes ]; then
    # SETs through the third member (forwarded to whichever member leads) meanwhile.
    redis-benchmark -p $((BASE + other)) -t set -c 10 -n $((N * 2)) -r 100000 --csv \
      >"$SCRATCH/load.csv" 2>/dev/null &
    load_pid=$!
    sleep 0.5
  fi
  t0=$(date +%s%N)
  redis-cli -p $((BASE + id)) raft transfer-leader "$target" >/dev/null
  t1=$(date +%s%N)
  local slowest=-
  if [ "$1" = yes ]; then
    wait "$load_pid" || true
    slowest=$(tail -1 "$SCRATCH/load.csv" | tr -d '"' | awk -F, '{print $8}')
  fi
  echo "$(((t1 - t0) / 1000000)) $slowest"
}
printf "%-22s %10s %16s\n" "" "transfer" "slowest SET"
for load in no yes; do
  for round in 1 2; do
    read -r ms slowest <<<"$(transfer_once "$load")"
    printf "%-22s %10s %16s\n" "load: $load ($round)" "$ms" "$slowest"
  done
done
