#!/usr/bin/env bash
# Builds the standalone ./tinykv executable from src/main.ts.
#
# docs/design.md §3: `deno compile` where its runtime can be obtained, else
# `bun build --compile`. deno compile needs Deno's `denort` base binary, which
# it downloads from Deno's release server (not npm); where that is unreachable
# (this project's network) the script falls back to Bun. Set DENORT_BIN to a
# denort matching node_modules/.bin/deno to build with Deno offline.
#
#   TINYKV_COMPILER=auto|deno|bun   (default auto)
#   OUT=path                        (default ./tinykv)
set -uo pipefail
cd "$(dirname "$0")"
export PATH="$PWD/node_modules/.bin:$PATH"
OUT="${OUT:-$PWD/tinykv}"
ENTRY=src/main.ts
WORKER_ENTRY=src/storage_worker.ts
COMPILER="${TINYKV_COMPILER:-auto}"

# A wrong base binary yields an executable that is not TinyKV; never ship that.
is_tinykv() {
  [[ "$("$OUT" --version 2>/dev/null)" == "tinykv "* ]]
}

build_deno() {
  local work rc
  work=$(mktemp -d)
  # Compile a bundle from a folder without package.json: compiling in place
  # would embed node_modules (the deno, bun and buf binaries, ~300 MB).
  # The storage worker is bundled beside the binary's bundle and embedded with --include
  # (src/platform/web_worker.ts looks for storage_worker.js next to the bundle).
  deno bundle --quiet --platform deno -o "$work/tinykv.js" "$ENTRY" &&
    deno bundle --quiet --platform deno -o "$work/storage_worker.js" "$WORKER_ENTRY" &&
    (cd "$work" && timeout "${DENO_COMPILE_TIMEOUT:-120}" \
      deno compile --quiet -A --no-check --include storage_worker.js -o "$OUT" tinykv.js)
  rc=$?
  rm -rf "$work"
  [[ $rc -eq 0 ]] && is_tinykv
}

build_bun() {
  # --bytecode (needs --format=esm) roughly halves startup time.
  # The storage worker is a second entry point: embedded as /$bunfs/root/storage_worker.js,
  # started as "./storage_worker.ts" (src/platform/web_worker.ts).
  bun build --compile --minify --bytecode --format=esm "$ENTRY" "$WORKER_ENTRY" \
    --outfile "$OUT" >/dev/null &&
    is_tinykv
}

rm -f "$OUT"
case "$COMPILER" in
  deno) build_deno || { echo "compile.sh: deno compile failed" >&2; exit 1; } ;;
  bun) build_bun || { echo "compile.sh: bun build --compile failed" >&2; exit 1; } ;;
  auto)
    log=$(mktemp)
    if build_deno 2>"$log"; then
      echo "compile.sh: built with deno compile"
    else
      url=$(grep -aoE 'https://[^ )]*denort[^ )]*' "$log" | head -1)
      if [[ -n "$url" ]]; then why="cannot download $url"; else why="see its error above"; cat "$log" >&2; fi
      echo "compile.sh: deno compile unavailable ($why); using bun build --compile" >&2
      rm -f "$OUT"
      build_bun || { rm -f "$log"; echo "compile.sh: bun build --compile failed" >&2; exit 1; }
      echo "compile.sh: built with bun build --compile"
    fi
    rm -f "$log"
    ;;
  *) echo "compile.sh: TINYKV_COMPILER must be auto, deno or bun" >&2; exit 2 ;;
esac
echo "compile.sh: $OUT ($(( $(stat -c %s "$OUT") / 1048576 )) MiB)"
