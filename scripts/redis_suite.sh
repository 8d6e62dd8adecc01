#!/usr/bin/env bash
# Runs units of Redis's own Tcl test suite (redis/redis, tests/) against an external server: a
# TinyKV node from ./tinykv and, as the sanity reference, a throwaway redis-server. Prints per
# unit how many tests passed, failed, were skipped by tag, and whether the unit aborted (an error
# outside a test, e.g. a setup command the server lacks). docs/resp_compat.md records results.
#
# The suite is never copied into this repository: it is taken from a redis checkout or a git
# directory holding redis/redis, extracted into a temporary directory and removed afterwards.
#
#   scripts/redis_suite.sh --git GIT_DIR [--ref 7.0.15]   extract runtest + tests/ at REF
#   scripts/redis_suite.sh --suite REDIS_CHECKOUT          a checkout (copied to a temp dir)
#   options: --target tinykv|redis|both (default both)   --units "unit/expire unit/multi ..."
#            --strict-setup   keep the suite's per-server `FUNCTION FLUSH` fatal (see below)
#            --flushall-fallback  where FLUSHALL is an error, empty the keyspace with SCAN + DEL
#            --logs DIR       keep each unit's output there (default: a temp dir, printed)
#   env: REDIS_SUITE_GIT, REDIS_SUITE_REF stand for --git, --ref; RESP_DIFF_BINARY=PATH runs
#        another TinyKV build instead of ./tinykv.
#
# Flags given to runtest: --host/--port (external server: tests tagged external:skip do not
# run), --singledb (TinyKV serves database 0 only; tests tagged singledb:skip do not run),
# --durable (a failing test does not end its unit), and --tags -T for each feature TinyKV
# will not have (DEBUG, replication, maxmemory, CONFIG RESETSTAT, RESET, SAVE, PFDEBUG).
# Before each unit the suite's external mode sends FLUSHALL and FUNCTION FLUSH; TinyKV has no
# Lua functions (not in issue 12), so unless --strict-setup the extracted copy's FUNCTION FLUSH
# is wrapped in `catch` for both targets. FLUSHALL stays as the suite has it unless
# --flushall-fallback: then a server that refuses FLUSHALL (TinyKV before it has it) is emptied
# with SCAN + DEL instead, so the units' other commands can be measured meanwhile.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH" NO_COLOR=1
git_dir="${REDIS_SUITE_GIT:-}"
ref="${REDIS_SUITE_REF:-7.0.15}"
suite=""
target=both
strict=0
fallback=0
logs=""
units=(unit/type/string unit/type/incr unit/expire unit/keyspace unit/type/hash unit/type/set
  unit/multi unit/pubsub unit/scan unit/info-command unit/protocol unit/quit)
deny=(needs:debug needs:repl needs:config-maxmemory needs:config-resetstat needs:reset
  needs:save needs:pfdebug)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --git) git_dir=$2; shift 2 ;;
    --ref) ref=$2; shift 2 ;;
    --suite) suite=$2; shift 2 ;;
    --target) target=$2; shift 2 ;;
    --units) read -r -a units <<<"$2"; shift 2 ;;
    --strict-setup) strict=1; shift ;;
    --flushall-fallback) fallback=1; shift ;;
    --logs) logs=$2; shift 2 ;;
    *) echo "redis_suite: unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
case "$target" in tinykv) targets=(tinykv) ;; redis) targets=(redis) ;;
  both) targets=(redis tinykv) ;; *) echo "redis_suite: --target tinykv|redis|both" >&2; exit 2 ;;
esac
command -v tclsh8.6 >/dev/null 2>&1 || command -v tclsh8.5 >/dev/null 2>&1 ||
  { echo "redis_suite: needs tclsh 8.5+ (Debian package tcl)" >&2; exit 2; }
[[ -n "${RESP_DIFF_BINARY:-}" || -x ./tinykv ]] || bash compile.sh || exit 2

work=$(mktemp -d /tmp/tinykv-redis-suite.XXXXXX)
serve_pid=""
cleanup() {
  [[ -n "$serve_pid" ]] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
if [[ -n "$suite" ]]; then
  if [[ ! -f "$suite/runtest" || ! -d "$suite/tests" ]]; then
    echo "redis_suite: $suite is no redis checkout" >&2
    exit 2
  fi
  cp -r "$suite/runtest" "$suite/tests" "$work/"
  commit=$(git -C "$suite" rev-parse HEAD 2>/dev/null || echo unknown)
elif [[ -n "$git_dir" ]]; then
  git --git-dir="$git_dir" archive "$ref" runtest tests | tar -x -C "$work" || exit 2
  commit="$ref ($(git --git-dir="$git_dir" rev-parse "$ref^{commit}"))"
else
  echo "redis_suite: give --git GIT_DIR (redis/redis) or --suite CHECKOUT" >&2
  exit 2
fi
if [[ $strict -eq 0 ]]; then
  sed -i 's/^\(\s*\)r function flush$/\1catch {r function flush}/' "$work/tests/support/server.tcl"
fi
if [[ $fallback -eq 1 ]]; then
  sed -i 's/^\(\s*\)r flushall$/\1if {[catch {r flushall}]} {suite_flush_by_scan}/' \
    "$work/tests/support/server.tcl"
  cat >>"$work/tests/support/server.tcl" <<'TCL'
proc suite_flush_by_scan {} {
    set cursor 0
    for {set i 0} {$i < 100000} {incr i} {
        set reply [r scan $cursor count 1000]
        set cursor [lindex $reply 0]
        set keys [lindex $reply 1]
        if {[llength $keys] > 0} {r del {*}$keys}
        if {$cursor eq 0} break
    }
}
TCL
fi
logs=${logs:-$(mktemp -d /tmp/tinykv-redis-suite-logs.XXXXXX)}
mkdir -p "$logs"
tag_args=()
for t in "${deny[@]}"; do tag_args+=(--tags "-$t"); done

# Starts a fresh server (tests/resp_diff/serve_main.ts) and sets serve_pid and port.
start_server() { # redis|tinykv
  local out="$work/serve.out"
  # A fresh file: the previous server's `port` line must not be read for this one.
  rm -f "$out"
  deno run -A tests/resp_diff/serve_main.ts "$1" >"$out" 2>&1 &
  serve_pid=$!
  port=""
  for _ in $(seq 1 600); do
    port=$(awk '/^port /{print $2}' "$out" 2>/dev/null)
    [[ -n "$port" ]] && return 0
    kill -0 "$serve_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "redis_suite: $1 did not start: $(tail -5 "$out")" >&2
  return 1
}

stop_server() {
  kill "$serve_pid" 2>/dev/null
  wait "$serve_pid" 2>/dev/null
  serve_pid=""
}

# Failed tests of the given logs by cause: the command each first found missing
# ("unknown command 'x'", "unknown subcommand 'y'. Try X HELP"), else "other" (an assertion).
CAUSES_AWK=$(
  cat <<'AWK'
function flush() { if (inerr) print cause; inerr = 0 }
/^\[(ok|err|ignore|skip|exception|ready)\]:|^\[[0-9]+\/[0-9]+ done\]|^Testing / { flush() }
/^\[err\]:/ { inerr = 1; cause = "other"; found = 0; next }
inerr && !found && /TinyKV keys do not expire/ {
  cause = "SET EX/PX refused (no expiry yet)"; found = 1
}
inerr && !found && match($0, /unknown command '[^']*'/) {
  cause = "missing " tolower(substr($0, RSTART + 17, RLENGTH - 18)); found = 1
}
inerr && !found && match($0, /unknown subcommand '[^']*'\. Try [A-Z]+/) {
  s = substr($0, RSTART, RLENGTH); n = split(s, w, " ")
  cause = "missing " tolower(w[n]) " " tolower(substr(w[3], 2, length(w[3]) - 3)); found = 1
}
END { flush() }
AWK
)
causes() {
  awk "$CAUSES_AWK" "$@" | sort | uniq -c | sort -rn |
    awk '{ n = $1; $1 = ""; printf "%s%d%s", sep, n, $0; sep = ", " }'
}

count() { grep -c "^\[$1\]:" "$2"; }

printf '%-8s %-20s %6s %6s %8s  %s\n' target unit passed failed skipped "aborted by"
totals=""
for tgt in "${targets[@]}"; do
  sum_ok=0 sum_err=0 unit_logs=()
  for unit in "${units[@]}"; do
    start_server "$tgt" || exit 1
    log="$logs/$tgt-${unit//\//_}.log"
    unit_logs+=("$log")
    (cd "$work" && timeout 900 ./runtest --host 127.0.0.1 --port "$port" --singledb --durable \
      --timeout 300 --baseport $((21111 + RANDOM % 8000)) --single "$unit" "${tag_args[@]}") \
      2>&1 | sed 's/\x1b\[[0-9;]*m//g' >"$log"
    stop_server
    ok=$(count ok "$log") skipped=$(count ignore "$log")
    # A test's [err] names it "NAME in tests/...": any other [err] (--durable) or an
    # [exception] is an error outside a test, which ends the unit.
    err=$(grep -c '^\[err\]: .* in tests/' "$log")
    why=$(grep -m1 -A1 '^\[exception\]:' "$log" | tail -n +2)
    [[ -z "$why" ]] &&
      why=$(awk 'hit { print; exit } /^\[err\]:/ && !/ in tests\// { hit = 1 }' "$log")
    why=${why:0:70}
    printf '%-8s %-20s %6s %6s %8s  %s\n' "$tgt" "$unit" "$ok" "$err" "$skipped" "$why"
    sum_ok=$((sum_ok + ok)) sum_err=$((sum_err + err))
  done
  totals+="$tgt: $sum_ok passed, $sum_err failed; "
  echo "$tgt failures by cause: $(causes "${unit_logs[@]}")"
done
setup="FUNCTION FLUSH $([[ $strict -eq 1 ]] && echo strict || echo caught)"
[[ $fallback -eq 1 ]] && setup+=", FLUSHALL falls back to SCAN+DEL"
echo "suite: redis/redis tests at $commit ($setup); ${totals% }"
echo "logs: $logs"
