#!/usr/bin/env bash
# The project's test command (README: `npm install && npm test`).
# Runs the static checks (type-check, lint, format), then every test under
# tests/ with `deno test` and again with `bun test` (the binary runs on Bun).
# Ends with one line `N passed, N failed`: the sum over both runners, where a
# failed static check counts as one failed test. Exit code 0 only if all pass.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH" NO_COLOR=1
log_dir=$(mktemp -d)
trap 'rm -rf "$log_dir"' EXIT
failed_checks=0

step() { # name, command...
  local name=$1
  shift
  echo "== $name"
  if ! "$@"; then
    echo "== $name FAILED"
    failed_checks=$((failed_checks + 1))
  fi
}

step "compile ./tinykv (the e2e tests run it)" bash compile.sh
step "type-check" deno check --quiet mod.ts src/ tests/ bench/ examples/
step "lint" deno lint --quiet
step "format" deno fmt --check --quiet

# The two runners run side by side: each keeps about one of the two cores busy (deno's run
# used 0.87 of a core on average, most tests waiting on timers and sockets), so together they
# take about as long as the slower one instead of the sum (README, "Quick start").
# Each writes its own log; both are printed whole once both are done.
echo "== deno test and bun test, side by side"
started=$SECONDS
deno test -A --quiet tests/ >"$log_dir/deno.log" 2>&1 &
deno_pid=$!
bun test --timeout 120000 tests/ >"$log_dir/bun.log" 2>&1 &
bun_pid=$!
wait "$deno_pid"
deno_rc=$?
wait "$bun_pid"
bun_rc=$?
echo "== deno test"
cat "$log_dir/deno.log"
echo "== bun test"
cat "$log_dir/bun.log"
echo "== both runners took $((SECONDS - started)) s"

# CI keeps only the tail of this output: repeat, bounded, what the failing
# tests printed (deno's ERRORS section and what bun printed inline before
# each "(fail)"), so the reason for a failure is in that tail.
if grep -q "^ ERRORS $" "$log_dir/deno.log"; then
  echo "== deno failures, repeated"
  sed -n '/^ ERRORS $/,/^ FAILURES $/p' "$log_dir/deno.log" | head -80
fi
if grep -q "^(fail) " "$log_dir/bun.log"; then
  echo "== bun failures, repeated"
  awk '/^[0-9]+ tests? failed:$/ { exit }
       /^\(pass\) |^\(skip\) |^tests\/.*:$/ { n = 0; next }
       { buf[n++] = $0 }
       /^\(fail\) / {
         if (shown++ < 2) {
           for (i = 0; i < n; i++) {
             if (i < 50 || i >= n - 30) print buf[i]
             else if (i == 50) print "  ... (" n - 80 " lines left out) ..."
           }
         }
         n = 0
       }' \
    "$log_dir/bun.log"
fi

deno_counts=$(sed -nE 's/^(ok|FAILED) \| ([0-9]+) passed.* \| ([0-9]+) failed.*/\2 \3/p' "$log_dir/deno.log" | tail -1)
bun_pass=$(sed -nE 's/^ *([0-9]+) pass$/\1/p' "$log_dir/bun.log" | tail -1)
bun_fail=$(sed -nE 's/^ *([0-9]+) fail$/\1/p' "$log_dir/bun.log" | tail -1)
read -r deno_pass deno_fail <<<"${deno_counts:-0 0}"
# A runner that crashed before its summary counts as one failure.
[[ -z "$deno_counts" && $deno_rc -ne 0 ]] && deno_fail=1
[[ -z "$bun_pass$bun_fail" && $bun_rc -ne 0 ]] && bun_fail=1
echo "deno: ${deno_pass} passed, ${deno_fail} failed; bun: ${bun_pass:-0} passed, ${bun_fail:-0} failed; static checks failed: $failed_checks"
passed=$((deno_pass + ${bun_pass:-0}))
failed=$((deno_fail + ${bun_fail:-0} + failed_checks))
echo "$passed passed, $failed failed"
[[ $deno_rc -eq 0 && $bun_rc -eq 0 && $failed -eq 0 ]]
