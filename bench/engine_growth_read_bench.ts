/**
 * Point reads on a grown engine against a small one, in process (no server):
 *
 *   deno run -A bench/engine_growth_read_bench.ts [--keys 2000000] [--small 50000]
 *     [--gets 200000] [--touch 0] [--dir /tmp/tinykv-growth-read] [--rounds 3] [--absent 0]
 *   bun bench/engine_growth_read_bench.ts ...
 *
 * Builds two stores once with default options (16-byte keys in random order, random values of
 * 100–1,000 bytes by default; compaction runs in the background worker and the build waits until
 * no level needs more) under `--dir` and reuses them on later runs (a `built` marker file says
 * the fill finished). Then, per round, reopens each store and times random gets of present
 * keys: CPU µs per get (process.cpuUsage, user + system), with `--touch` MiB of unrelated memory
 * written between gets (a server's memtable, sockets and log evict the caches between two reads;
 * 0 = a tight loop, the default; with 16 the touching dominates and the subtraction is noise on
 * a shared machine). The engine's block-cache hit rate is printed with each row.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { type Db, openDb, type WriteOp } from "../mod.ts";
import { createPrng } from "../src/util/prng.ts";

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  options: {
    keys: { type: "string", default: "2000000" },
    small: { type: "string", default: "50000" },
    gets: { type: "string", default: "200000" },
    touch: { type: "string", default: "0" },
    dir: { type: "string", default: "/tmp/tinykv-growth-read" },
    rounds: { type: "string", default: "3" },
    "value-min": { type: "string", default: "100" },
    "value-max": { type: "string", default: "1000" },
    // Share of gets for keys that are not stored (between two stored keys: the bloom path).
    absent: { type: "string", default: "0" },
  },
});
const VMIN = Number(args["value-min"]);
const VMAX = Number(args["value-max"]);
const ABSENT = Number(args.absent);
const enc = new TextEncoder();
const keyOf = (i: number) => enc.encode(String(i).padStart(16, "0"));

/** Fills `dir` with keys 0..n-1 in a shuffled order, 1,000 per batch; skipped when built. */
async function build(dir: string, n: number): Promise<void> {
  if (existsSync(join(dir, "built"))) return;
  mkdirSync(dir, { recursive: true });
  const prng = createPrng(77);
  const random = prng.fill(new Uint8Array(1 << 20));
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = prng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const t0 = performance.now();
  const db = await openDb(dir, { sync: "none", backgroundWorker: true });
  for (let i = 0; i < n; i += 1000) {
    const ops: WriteOp[] = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) {
      const len = VMIN + prng.int(VMAX - VMIN + 1);
      const at = prng.int(random.length - len);
      ops.push({ type: "put", key: keyOf(order[j]), value: random.subarray(at, at + len) });
    }
    await db.write(ops);
  }
  await settle(db);
  await db.close();
  writeFileSync(join(dir, "built"), `${n}\n`);
  console.log(`built ${n} keys in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** Waits (at most 5 minutes) until no level needs compaction: the shape a grown node settles in. */
async function settle(db: Db): Promise<void> {
  await db.flush();
  for (let i = 0; i < 1500 && db.stats().levels.some((l) => l.score >= 1); i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  console.log(`levels: ${db.stats().levels.map((l) => l.files).join(" ")} tables`);
}

const sink = { n: 0 };
/** Writes `bytes` of a big buffer, one byte per 64-byte line, to evict the CPU caches. */
function touch(buf: Uint8Array | undefined, step: number): void {
  if (buf === undefined) return;
  for (let i = 0; i < buf.length; i += 64) buf[i] = step;
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** CPU µs per get of `gets` random present keys (the touching measured apart and subtracted). */
function measure(
  db: Db,
  n: number,
  gets: number,
  junk: Uint8Array | undefined,
  seed: number,
): number {
  const prng = createPrng(seed);
  const keys = Array.from({ length: gets }, () => {
    const k = keyOf(prng.int(n));
    return prng.int(1000) < ABSENT * 1000 ? Uint8Array.of(...k, 0x78) : k;
  });
  let found = 0;
  const t0 = cpuMicros();
  for (let i = 0; i < gets; i++) {
    touch(junk, i);
    if (db.get(keys[i]) !== undefined) found++;
  }
  const t1 = cpuMicros();
  for (let i = 0; i < gets; i++) {
    touch(junk, i);
    sink.n += keys[i].length;
  }
  const t2 = cpuMicros();
  if (ABSENT === 0 && found !== gets) throw new Error(`${gets - found} keys missing`);
  return ((t1 - t0) - (t2 - t1)) / gets;
}

async function row(dir: string, n: number, gets: number, junk: Uint8Array | undefined) {
  const db = await openDb(dir, {});
  // Warms the table cache and the JIT on other keys: the same keys would make the measured
  // gets hit the blocks the warm-up cached.
  measure(db, n, Math.min(gets, 20_000), junk, 6);
  const before = db.stats().blockCache;
  const us = measure(db, n, gets, junk, 5);
  const after = db.stats().blockCache;
  const hits = after.hits - before.hits;
  const hitRate = hits / Math.max(1, hits + after.misses - before.misses);
  await db.close();
  return { us, hitRate };
}

const KEYS = Number(args.keys);
const SMALL = Number(args.small);
const GETS = Number(args.gets);
const touchMiB = Number(args.touch);
const big = join(args.dir, `settled_keys${KEYS}_v${VMIN}-${VMAX}`);
const small = join(args.dir, `settled_keys${SMALL}_v${VMIN}-${VMAX}`);
await build(small, SMALL);
await build(big, KEYS);
const junk = touchMiB > 0 ? new Uint8Array(touchMiB << 20) : undefined;
const runtime = "Bun" in globalThis ? "bun" : "deno";
for (let r = 0; r < Number(args.rounds); r++) {
  const s = await row(small, SMALL, GETS, junk);
  const b = await row(big, KEYS, GETS, junk);
  const load = (await import("node:os")).loadavg()[0].toFixed(1);
  console.log(
    `${runtime} round ${r + 1} load ${load} absent ${ABSENT}: small ${s.us.toFixed(2)} µs/get, ` +
      `big ${b.us.toFixed(2)} µs/get, ratio ${(b.us / s.us).toFixed(2)}; block cache hits ` +
      `${(s.hitRate * 100).toFixed(0)} % / ${(b.hitRate * 100).toFixed(0)} %`,
  );
}
