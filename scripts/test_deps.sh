#!/usr/bin/env bash
# System tools some tests drive besides Node and npm: redis-cli (the RESP
# port seen by a real Redis client) and chromium (the dashboard in a real
# browser). Installs them from Debian's packages when they are missing and we
# are root with apt-get; otherwise says which tests will skip and why. Never
# fails the run: the tests that need a tool skip, naming it, without it.
set -u
missing=()
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing ${missing[*]} (apt-get) for the RESP and dashboard tests"
  if apt-get update -qq >/dev/null 2>&1 &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
    exit 0
  fi
fi
echo "== not installed: ${missing[*]}; the tests that need them skip, saying so"
