#!/usr/bin/env bash
# Long fuzzing of the node's ports (docs/fuzzing.md): runs each port's fuzz test
# with many cases, one port after the other, under Deno (default) or Bun.
#
#   bash scripts/fuzz.sh [--bun] [--cases N] [--seed S] [proto|resp|http ...]
#   deno task fuzz --cases 100000 resp
#
# A failure prints its case seed and the command that replays it alone.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH" NO_COLOR=1
runtime=deno
cases=${TINYKV_FUZZ_CASES:-20000}
ports=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bun) runtime=bun ;;
    --cases) cases=$2; shift ;;
    --seed) export TINYKV_FUZZ_SEED=$2; shift ;;
    proto|resp|http) ports+=("$1") ;;
    *) echo "usage: scripts/fuzz.sh [--bun] [--cases N] [--seed S] [proto|resp|http ...]" >&2
       exit 2 ;;
  esac
  shift
done
[ ${#ports[@]} -eq 0 ] && ports=(proto resp http)
export TINYKV_FUZZ_CASES=$cases
failed=0
for port in "${ports[@]}"; do
  file="tests/fuzz/${port}_fuzz_test.ts"
  echo "== $port: $cases cases ($runtime)"
  if [ "$runtime" = bun ]; then
    bun test --timeout 86400000 "$file" || failed=$((failed + 1))
  else
    deno test -A "$file" || failed=$((failed + 1))
  fi
done
echo "== fuzz: ${#ports[@]} port(s), $failed failed"
[ "$failed" -eq 0 ]
