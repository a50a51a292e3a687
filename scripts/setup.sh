#!/usr/bin/env bash
# Installs what the test suites and benchmarks use beyond the Rust toolchain: a reference
# Redis 7 (redis-server, redis-cli, redis-benchmark) for differential tests and side-by-side
# benchmarks. Tests that need it skip cleanly when it is absent, so a failure here is not fatal.
set -u
if command -v redis-server >/dev/null 2>&1 && command -v redis-benchmark >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
if command -v apt-get >/dev/null 2>&1; then
  $SUDO apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server redis-tools >/dev/null 2>&1 \
    || echo "setup: could not install redis-server; differential tests will be skipped" >&2
else
  echo "setup: no apt-get; install Redis 7 by hand for differential tests and benchmarks" >&2
fi
# The packaged service may start a Redis on 6379; the suites start their own on free ports.
if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl stop redis-server >/dev/null 2>&1 || true; fi
exit 0
