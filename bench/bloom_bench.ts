/**
 * Classic (bloom1) against blocked (bloom2) table filters, probed the way a point get on a grown
 * store probes them: a random table's filter each time, for a key it does not hold. With the
 * default 20,000 tables of 4,000 keys the filters take 100 MB, far past the CPU caches, so each
 * lookup starts cold, as on a node whose other work evicted the filters between two gets
 * (`--tables 500` fits in the caches: a tight loop). Hashes are random 32-bit numbers (the
 * filters only see bloomHash values). Prints ns per lookup (the loop without lookups
 * subtracted; CPU time) and the false-positive rate.
 *
 *   deno run -A bench/bloom_bench.ts [--tables 20000] [--keys 4000] [--lookups 1000000]
 *     [--rounds 3]
 *   bun bench/bloom_bench.ts ...
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { bloomMayContain, buildBloom } from "../src/storage/sstable/bloom.ts";
import { blockedBloomMayContain, buildBlockedBloom } from "../src/storage/sstable/bloom_blocked.ts";

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  options: {
    tables: { type: "string", default: "20000" },
    keys: { type: "string", default: "4000" },
    lookups: { type: "string", default: "1000000" },
    rounds: { type: "string", default: "3" },
  },
});
const TABLES = Number(args.tables), KEYS = Number(args.keys), LOOKUPS = Number(args.lookups);
const randomHash = () => Math.floor(Math.random() * 0x1_0000_0000);

const classic: Uint8Array[] = [], blocked: Uint8Array[] = [];
for (let t = 0; t < TABLES; t++) {
  const hashes = Array.from({ length: KEYS }, randomHash);
  classic.push(buildBloom(hashes));
  blocked.push(buildBlockedBloom(hashes));
}
const tableOf = Uint32Array.from({ length: LOOKUPS }, () => Math.floor(Math.random() * TABLES));
const hashOf = Float64Array.from({ length: LOOKUPS }, randomHash);
const sink = { n: 0 };

/** CPU time of this process (user + system): steadier than wall time on a shared machine. */
function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

type Probe = (f: Uint8Array, h: number) => boolean;
function run(filters: Uint8Array[], may: Probe | undefined): { ns: number; fp: number } {
  let fp = 0;
  const t0 = cpuMicros();
  for (let i = 0; i < LOOKUPS; i++) {
    const f = filters[tableOf[i]];
    if (may === undefined) sink.n += f.length;
    else if (may(f, hashOf[i])) fp++;
  }
  return { ns: (cpuMicros() - t0) * 1000 / LOOKUPS, fp: fp / LOOKUPS };
}

const runtime = "Bun" in globalThis ? "bun" : "deno";
for (let r = 0; r < Number(args.rounds); r++) {
  const base = run(classic, undefined).ns;
  const c = run(classic, bloomMayContain);
  const b = run(blocked, blockedBloomMayContain);
  const load = (await import("node:os")).loadavg()[0].toFixed(1);
  console.log(
    `${runtime} round ${r + 1} load ${load}, ${TABLES} tables: classic ` +
      `${(c.ns - base).toFixed(0)} ns (fp ${(c.fp * 100).toFixed(2)} %), blocked ` +
      `${(b.ns - base).toFixed(0)} ns (fp ${(b.fp * 100).toFixed(2)} %) per absent-key lookup`,
  );
}
