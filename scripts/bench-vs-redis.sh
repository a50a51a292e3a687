#!/usr/bin/env bash
# Side-by-side throughput and memory: Shoal and Redis 7 on the same machine, in one run.
#
#   scripts/bench-vs-redis.sh            # full run: -n 1000000 per test, 1,000,000 keys for memory
#   N=200000 KEYS=200000 scripts/bench-vs-redis.sh   # quicker
#   SUITE=collections scripts/bench-vs-redis.sh      # list/set/hash/zset rows and memory
#   SUITE=programmable scripts/bench-vs-redis.sh     # PUBLISH to 1/10/100 subscribers, EVALSHA,
#                                                    # MULTI + 10 SETs + EXEC (no memory rows)
#   SUITE=aof scripts/bench-vs-redis.sh              # SET with appendonly yes, one table per
#                                                    # appendfsync policy (POLICIES, default
#                                                    # "everysec always"), each server on its own
#                                                    # fresh data dir (no memory rows)
#   SUITE=acl scripts/bench-vs-redis.sh              # SET/GET as the default user, then as an ACL
#                                                    # user with key patterns (set_acl, get_acl:
#                                                    # redis-benchmark --user u -a pass; no memory)
#   SUITE=evict scripts/bench-vs-redis.sh            # SET of 100-byte values under maxmemory
#                                                    # (MAXMEMORY, default 20mb), one table per
#                                                    # policy (POLICIES, default "allkeys-lru
#                                                    # allkeys-lfu allkeys-random"), each server
#                                                    # filled to its limit first, so every SET
#                                                    # evicts (no memory rows)
#   CARGO_TARGET_DIR=...                             # builds and runs the binaries there
#   SUITE=tls scripts/bench-vs-redis.sh              # SET/GET over TLS (rustls vs OpenSSL) and
#                                                    # over plain TCP for the TLS cost; certificates
#                                                    # made with openssl in a scratch dir
#
# Throughput: redis-benchmark -t <test> -c 50 -n N at -P 1 and -P 16, alternating Redis and Shoal
# REPEAT times (default 3) for each row, prints the median requests/s of each and the ratio
# Shoal/Redis. Alternating and taking medians keeps a noisy machine from favouring either side.
# Memory: loads KEYS small string keys into each (empty) server and prints bytes per key from
# the growth of the process's resident set size.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-1000000}
KEYS=${KEYS:-1000000}
SUITE=${SUITE:-strings}
TLS_TRANSPORTS=tcp
if [ "$SUITE" = tls ]; then
  TESTS=${TESTS:-set,get}
  SCENARIOS=${SCENARIOS:-}
  TLS_TRANSPORTS="tcp tls"
elif [ "$SUITE" = programmable ]; then
  TESTS=${TESTS:-publish_1,publish_10,publish_100,evalsha,multi_exec10}
  SCENARIOS=${SCENARIOS:-}
elif [ "$SUITE" = aof ]; then
  TESTS=${TESTS:-set}
  SCENARIOS=${SCENARIOS:-}
  POLICIES=${POLICIES:-everysec always}
elif [ "$SUITE" = evict ]; then
  TESTS=${TESTS:-set}
  SCENARIOS=${SCENARIOS:-}
  POLICIES=${POLICIES:-allkeys-lru allkeys-lfu allkeys-random}
  MAXMEMORY=${MAXMEMORY:-20mb}
elif [ "$SUITE" = acl ]; then
  TESTS=${TESTS:-set,get,set_acl,get_acl}
  SCENARIOS=${SCENARIOS:-}
elif [ "$SUITE" = collections ]; then
  TESTS=${TESTS:-lpush,lpop,rpush,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_600}
  SCENARIOS=${SCENARIOS:-hashes zset lists}
else
  TESTS=${TESTS:-set,get,incr,mset}
  SCENARIOS=${SCENARIOS:-strings}
fi
CLIENTS=${CLIENTS:-50}
REPEAT=${REPEAT:-3}
REDIS_PORT=${REDIS_PORT:-17379}
SHOAL_PORT=${SHOAL_PORT:-17380}
REDIS_TLS_PORT=${REDIS_TLS_PORT:-17389}
SHOAL_TLS_PORT=${SHOAL_TLS_PORT:-17390}

for tool in redis-server redis-benchmark redis-cli python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (run scripts/setup.sh)" >&2; exit 1; }
done

cargo build --release --quiet --bin shoal-server --bin txbench
SHOAL_BIN=${CARGO_TARGET_DIR:-target}/release/shoal-server
TXBENCH_BIN=${CARGO_TARGET_DIR:-target}/release/txbench

# TLS suite: a CA and a server certificate for 127.0.0.1, both servers on a TLS port as well.
if [ "$SUITE" = tls ]; then
  command -v openssl >/dev/null || { echo "missing openssl (for the test certificates)" >&2; exit 1; }
  redis-benchmark --help 2>&1 | grep -q -- --tls || { echo "redis-benchmark lacks --tls" >&2; exit 1; }
  TLS_DIR=$(mktemp -d)
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=bench-ca \
    -keyout "$TLS_DIR/ca.key" -out "$TLS_DIR/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj /CN=localhost \
    -keyout "$TLS_DIR/server.key" -out "$TLS_DIR/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$TLS_DIR/ext"
  openssl x509 -req -in "$TLS_DIR/server.csr" -CA "$TLS_DIR/ca.crt" -CAkey "$TLS_DIR/ca.key" \
    -CAcreateserial -days 2 -extfile "$TLS_DIR/ext" -out "$TLS_DIR/server.crt" 2>/dev/null
  TLS_FILES="--tls-cert-file $TLS_DIR/server.crt --tls-key-file $TLS_DIR/server.key"
  TLS_FILES="$TLS_FILES --tls-ca-cert-file $TLS_DIR/ca.crt --tls-auth-clients no"
  SHOAL_ARGS="${SHOAL_ARGS:-} --tls-port $SHOAL_TLS_PORT $TLS_FILES"
  # Redis answers "Failed to configure TLS" and exits if it was built without TLS.
  REDIS_ARGS="${REDIS_ARGS:-} --tls-port $REDIS_TLS_PORT $TLS_FILES"
fi

start_servers() {
  # shellcheck disable=SC2086
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
    ${REDIS_ARGS:-} >/tmp/bench-redis.log 2>&1 &
  REDIS_PID=$!
  # shellcheck disable=SC2086
  # (no save points: a dump.rdb left behind by one run would be loaded by the next run's Redis)
  RUST_LOG=warn "$SHOAL_BIN" --port "$SHOAL_PORT" --bind 127.0.0.1 --save "" ${SHOAL_ARGS:-} \
    >/tmp/bench-shoal.log 2>&1 &
  SHOAL_PID=$!
  wait_port "$REDIS_PORT"; wait_port "$SHOAL_PORT"
}
stop_servers() {
  kill "$REDIS_PID" "$SHOAL_PID" 2>/dev/null || true
  wait "$REDIS_PID" "$SHOAL_PID" 2>/dev/null || true
}
trap 'stop_servers; if [ -n "${TLS_DIR:-}" ]; then rm -rf "$TLS_DIR"; fi' EXIT

wait_port() {
  for _ in $(seq 1 200); do
    redis-cli -p "$1" ping >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "server on port $1 did not start" >&2; exit 1
}
# The ACL suite's user: every command, keys matching redis-benchmark's key:* names only, so
# each command's keys are checked against a pattern.
add_acl_user() {
  for port in "$REDIS_PORT" "$SHOAL_PORT"; do
    redis-cli -p "$port" ACL SETUSER u on '>pass' '~key:*' '~counter:*' '&*' '+@all' >/dev/null
  done
}
start_servers
if [ "$SUITE" = acl ]; then add_acl_user; fi

# A custom command's row: requests per second of `redis-benchmark ... <command>`.
custom_rps() { # port pipeline command...
  local port=$1 p=$2; shift 2
  redis-benchmark -p "$port" -c "$CLIENTS" -n "$N" -P "$p" -q --csv "$@" 2>/dev/null \
    | awk -F'","' 'NR>1 { gsub(/"/, "", $2); print $2; exit }'
}

# PUBLISH with K subscribers attached (redis-cli processes reading and discarding).
publish_rps() { # port pipeline subscribers
  local port=$1 p=$2 k=$3 pids=() out
  for _ in $(seq 1 "$k"); do
    redis-cli -p "$port" subscribe bench >/dev/null 2>&1 &
    pids+=($!)
  done
  for _ in $(seq 1 200); do
    [ "$(redis-cli -p "$port" pubsub numsub bench | tail -1)" = "$k" ] && break
    sleep 0.05
  done
  out=$(custom_rps "$port" "$p" PUBLISH bench hello)
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  echo "$out"
}

programmable_rps() { # port test pipeline
  local port=$1 t=$2 p=$3 sha
  case "$t" in
    publish_*) publish_rps "$port" "$p" "${t#publish_}" ;;
    evalsha)
      sha=$(redis-cli -p "$port" script load "return redis.call('SET', KEYS[1], ARGV[1])")
      custom_rps "$port" "$p" EVALSHA "$sha" 1 key:__rand_int__ xxx ;;
    multi_exec10) "$TXBENCH_BIN" "$port" "$CLIENTS" $((N / 10)) "$p" ;;
  esac
}

rps() { # port test pipeline -> requests per second of that test's own row
  if [ "$SUITE" = programmable ]; then programmable_rps "$@"; return; fi
  # (lrange_* first runs an "LPUSH (needed to benchmark LRANGE)" row: skip it)
  # (a test named <test>_acl runs <test> logged in as the ACL suite's user)
  local t=$2 auth=()
  if [[ "$t" == *_acl ]]; then t=${t%_acl}; auth=(--user u -a pass); fi
  # shellcheck disable=SC2086
  redis-benchmark -p "$1" ${auth[@]+"${auth[@]}"} -t "$t" -c "$CLIENTS" -n "$N" -P "$3" \
    -r 1000000 -q --csv ${BENCH_TLS:-} ${BENCH_ARGS:-} 2>/dev/null \
    | awk -F'","' -v t="$(echo "$t" | tr a-z A-Z)" \
        'NR>1 { name=$1; gsub(/"/, "", name); if (index(name, t) == 1 && name !~ /needed/) {
                 gsub(/"/, "", $2); print $2; exit } }'
}

echo "redis: $(redis-server --version | awk '{print $3}')   shoal: $("$SHOAL_BIN" --version)"
echo "cores: $(nproc)   clients: $CLIENTS   requests per run: $N   runs per row: $REPEAT (median)"

throughput_table() {
printf '\n%-8s %4s %14s %14s %8s\n' test P redis_rps shoal_rps ratio
for transport in $TLS_TRANSPORTS; do
  rport=$REDIS_PORT; sport=$SHOAL_PORT; BENCH_TLS=""; suffix=""
  if [ "$transport" = tls ]; then
    rport=$REDIS_TLS_PORT; sport=$SHOAL_TLS_PORT; suffix="/tls"
    BENCH_TLS="--tls --cacert $TLS_DIR/ca.crt"
  elif [ "$SUITE" = tls ]; then
    suffix="/tcp"
  fi
  for P in 1 16; do
    for t in ${TESTS//,/ }; do
      rs=(); ss=()
      for _ in $(seq 1 "$REPEAT"); do
        rs+=("$(rps "$rport" "$t" "$P")")
        ss+=("$(rps "$sport" "$t" "$P")")
      done
      r=$(printf '%s\n' "${rs[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
      s=$(printf '%s\n' "${ss[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
      ratio=$(python3 -c "print(f'{float(\"$s\")/float(\"$r\"):.2f}')" 2>/dev/null || echo "n/a")
      printf '%-8s %4s %14s %14s %8s\n' "$t$suffix" "$P" "$r" "$s" "$ratio"
    done
  done
done
}

if [ "$SUITE" = aof ]; then
  AOF_ROOT=$(mktemp -d /tmp/bench-aof.XXXXXX)
  for policy in $POLICIES; do
    stop_servers
    rm -rf "$AOF_ROOT/redis" "$AOF_ROOT/shoal"
    mkdir -p "$AOF_ROOT/redis" "$AOF_ROOT/shoal"
    REDIS_ARGS="--appendonly yes --appendfsync $policy --dir $AOF_ROOT/redis"
    SHOAL_ARGS="--appendonly yes --appendfsync $policy --dir $AOF_ROOT/shoal"
    start_servers
    echo
    echo "appendonly yes, appendfsync $policy"
    throughput_table
  done
  stop_servers
  rm -rf "$AOF_ROOT"
  exit 0
fi
if [ "$SUITE" = evict ]; then
  BENCH_ARGS="-d 100"
  for policy in $POLICIES; do
    stop_servers
    REDIS_ARGS="--maxmemory $MAXMEMORY --maxmemory-policy $policy"
    SHOAL_ARGS="$REDIS_ARGS"
    start_servers
    for port in "$REDIS_PORT" "$SHOAL_PORT"; do
      redis-benchmark -p "$port" -t set -c "$CLIENTS" -n 400000 -P 16 -d 100 -r 1000000 -q \
        >/dev/null 2>&1
    done
    echo
    echo "maxmemory $MAXMEMORY, maxmemory-policy $policy, filled to the limit first"
    throughput_table
  done
  stop_servers
  exit 0
fi
throughput_table

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# Writes the RESP commands of a memory scenario to stdout; prints nothing else.
# strings: KEYS keys "key:%012d" -> "xxx"; hashes: 1,000 hashes of 1,000 fields;
# zset: 1,000,000 members in one sorted set; lists: 100,000 lists of 5 small elements.
scenario() {
  python3 - "$1" "$KEYS" <<'PY'
import sys
name, keys = sys.argv[1], int(sys.argv[2])
out = sys.stdout.buffer
def cmd(*args):
    out.write(b"*%d\r\n" % len(args))
    for a in args:
        out.write(b"$%d\r\n%s\r\n" % (len(a), a))
if name == "strings":
    for i in range(keys):
        cmd(b"SET", b"key:%012d" % i, b"xxx")
elif name == "hashes":
    for h in range(1000):
        for f in range(0, 1000, 100):
            args = [b"HSET", b"hash:%d" % h]
            for j in range(f, f + 100):
                args += [b"field:%d" % j, b"value:%d" % j]
            cmd(*args)
elif name == "zset":
    for i in range(0, 1000000, 100):
        args = [b"ZADD", b"zset"]
        for j in range(i, i + 100):
            args += [b"%d" % j, b"member:%d" % j]
        cmd(*args)
elif name == "lists":
    for i in range(100000):
        cmd(b"RPUSH", b"list:%d" % i, b"a", b"b", b"c", b"d", b"e")
PY
}

elements() {
  case "$1" in
    strings) echo "$KEYS" ;; hashes) echo 1000000 ;; zset) echo 1000000 ;; lists) echo 500000 ;;
  esac
}

echo
printf '%-8s %-8s %12s %14s %14s\n' scenario server elements rss_growth bytes/element
for sc in $SCENARIOS; do
  # Fresh processes per scenario: earlier work leaves allocator caches behind.
  stop_servers
  start_servers
  for pair in "redis:$REDIS_PORT:$REDIS_PID" "shoal:$SHOAL_PORT:$SHOAL_PID"; do
    IFS=: read -r name port pid <<<"$pair"
    before=$(rss_kb "$pid")
    scenario "$sc" | redis-cli -p "$port" --pipe >/dev/null
    after=$(rss_kb "$pid")
    n=$(elements "$sc")
    growth=$(( (after - before) * 1024 ))
    printf '%-8s %-8s %12s %14s %14s\n' "$sc" "$name" "$n" "$growth" "$(( growth / n ))"
  done
done
