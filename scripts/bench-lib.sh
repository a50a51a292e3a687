# Shared by the benchmark scripts, sourced from the repository root: the release server
# (SHOAL_BIN), a scratch directory removed on exit with every server started (PIDS), and
# helpers.

# require <tool>...: stops unless each tool is installed.
require() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "missing $tool (run scripts/setup.sh)" >&2; exit 1; }
  done
}

cargo build --release --quiet --bin shoal-server
SHOAL_BIN=${CARGO_TARGET_DIR:-target}/release/shoal-server
SCRATCH=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

# wait_up <port> [name]: until a server answers PING there.
wait_up() {
  for _ in $(seq 1 200); do
    redis-cli -p "$1" ping >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "${2:-server} did not start on $1" >&2
  exit 1
}
