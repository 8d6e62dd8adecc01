#!/usr/bin/env bash
# System tools some tests drive besides Node and npm: redis-cli (the RESP
# port seen by a real Redis client), redis-server (the reference the RESP
# differential tests compare TinyKV with, tests/resp_diff/), chromium (the
# dashboard in a real browser) and openssl (throwaway certificates for the TLS
# tests). Installs them from Debian's packages when they are missing and we
# are root with apt-get; otherwise says which tests will
# skip and why. Never fails the run: the tests that need a tool skip, naming
# it, without it.
set -u
missing=()
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ ${#missing[@]} -eq 0 ] && exit 0

# Debian's redis-server package starts a system Redis on port 6379 where its
# init policy allows; the tests start their own on spare ports, so stop that
# one (the service, else the pid in the package's pidfile) and keep it off.
stop_packaged_redis() {
  service redis-server stop >/dev/null 2>&1
  local pidfile=/run/redis/redis-server.pid
  if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill "$(cat "$pidfile")" 2>/dev/null
  fi
  update-rc.d redis-server disable >/dev/null 2>&1
  systemctl disable redis-server >/dev/null 2>&1
  return 0
}

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing ${missing[*]} (apt-get) for the RESP and dashboard tests"
  if apt-get update -qq >/dev/null 2>&1 &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
    [[ " ${missing[*]} " == *" redis-server "* ]] && stop_packaged_redis
    exit 0
  fi
fi
echo "== not installed: ${missing[*]}; the tests that need them skip, saying so"
