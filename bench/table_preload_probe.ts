/**
 * What the table cache holds after the background preload of a store: opens `--dir` (an engine
 * directory, e.g. a node's `<data-dir>/kv`, or a store of bench/engine_growth_read_bench.ts),
 * waits until the preload stops, and prints the resident tables, their bytes, the open files,
 * the level shape and how long the preload took. Then `--gets` gets of random absent keys
 * (each probes every level's filter), CPU µs per get.
 *
 *   bun bench/table_preload_probe.ts --dir /tmp/store/kv [--gets 100000]
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { openDb } from "../mod.ts";
import { createPrng } from "../src/util/prng.ts";

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  options: { dir: { type: "string" }, gets: { type: "string", default: "100000" } },
});
if (args.dir === undefined) throw new Error("--dir is required");
const t0 = performance.now();
const db = await openDb(args.dir, {});
const opened = performance.now();
let last = -1;
for (let i = 0; i < 600 && db.stats().residentTables.count !== last; i++) {
  last = db.stats().residentTables.count;
  await new Promise((r) => setTimeout(r, 50));
}
const st = db.stats();
const mib = (b: number) => (b / 2 ** 20).toFixed(1);
console.log(
  `open ${(opened - t0).toFixed(0)} ms; preload done within ${
    (performance.now() - opened).toFixed(0)
  } ms: ` +
    `${st.residentTables.count} tables resident, ${mib(st.residentTables.bytes)} MiB ` +
    `(${
      (st.residentTables.bytes / Math.max(1, st.residentTables.count) / 1024).toFixed(1)
    } KiB each), ` +
    `${st.openTables} files open; levels ${st.levels.map((l) => l.files).join(" / ")}`,
);
const gets = Number(args.gets);
const prng = createPrng(7);
const key = new Uint8Array(16);
const c0 = process.cpuUsage();
for (let i = 0; i < gets; i++) {
  for (let j = 0; j < 16; j++) key[j] = prng.range(0, 255);
  db.get(key);
}
const c = process.cpuUsage(c0);
console.log(`${gets} absent-key gets: ${((c.user + c.system) / gets).toFixed(2)} µs CPU each`);
await db.close();
