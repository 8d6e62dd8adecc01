#!/usr/bin/env bash
# The RESP differential harness (docs/resp_compat.md): runs case files on a throwaway
# redis-server and on one TinyKV node from ./tinykv, and prints a table per case file:
# cases, passing cases, commands, matching and mismatching replies.
#
#   scripts/resp_diff.sh               cases/ (what `npm test` checks), mismatches listed
#   scripts/resp_diff.sh --pending     cases_pending/: commands TinyKV does not have yet
#   scripts/resp_diff.sh --verbose ... every mismatch, and which cases pass
#   scripts/resp_diff.sh FILE...       just those case files
#
# RESP_DIFF_BINARY=PATH compares another TinyKV build instead of ./tinykv.
# Exit code: 0 when every reply agreed, 1 when some differ, 2 when it cannot run.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH" NO_COLOR=1
if [[ -z "${RESP_DIFF_BINARY:-}" && ! -x ./tinykv ]]; then
  bash compile.sh || exit 2
fi
exec deno run -A tests/resp_diff/resp_diff_main.ts "$@"
