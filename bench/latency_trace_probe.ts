/**
 * Puts from `--concurrency` loops of one client (each a put, then the next), every operation's
 * start and latency kept: prints the latency histogram, when the slow ones happened relative to
 * each other (gaps between slow operations), to tell a periodic cause (a timer) from a spread one
 * (GC, scheduling), and the wall-clock times of the slowest spells, to match with the nodes' logs.
 * Not a benchmark of throughput: `tinykv bench` is.
 *
 *   bun bench/latency_trace_probe.ts --endpoint 127.0.0.1:7101 [--seconds 10] [--slow-ms 1]
 *     [--concurrency 1]
 */
import { parseArgs } from "node:util";
import { TinyKvClient } from "../src/client/tinykv_client.ts";
import { getPlatform } from "../src/platform/detect.ts";

const { values } = parseArgs({
  options: {
    endpoint: { type: "string", default: "127.0.0.1:7101" },
    seconds: { type: "string", default: "10" },
    "slow-ms": { type: "string", default: "1" },
    concurrency: { type: "string", default: "1" },
  },
});
const platform = getPlatform();
const client = new TinyKvClient({
  endpoints: [values.endpoint],
  net: platform.net,
  clock: platform.clock,
  seed: 7,
});
const value = new Uint8Array(100).fill(120);
const until = performance.now() + Number(values.seconds) * 1000;
const starts: number[] = [], lats: number[] = [];
const wallAt = Date.now() - performance.now();
let next = 0;
async function loop(): Promise<void> {
  while (performance.now() < until) {
    const t0 = performance.now();
    await client.put(`key${next++ % 10000}`, value);
    starts.push(t0);
    lats.push(performance.now() - t0);
  }
}
await Promise.all(Array.from({ length: Number(values.concurrency) }, () => loop()));
client.close();
const sorted = [...lats].sort((a, b) => a - b);
const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
console.log(
  `${lats.length} puts: p50 ${q(0.5).toFixed(3)} p90 ${q(0.9).toFixed(3)} p95 ${
    q(0.95).toFixed(3)
  }` +
    ` p99 ${q(0.99).toFixed(3)} p99.9 ${q(0.999).toFixed(3)} ms; mean ${
      (lats.reduce((a, b) => a + b, 0) / lats.length).toFixed(3)
    }`,
);
const edges = [0.25, 0.35, 0.45, 0.55, 0.7, 0.9, 1.2, 1.6, 2.2, 3, 4, 6, 10, 1e9];
const counts = edges.map(() => 0);
for (const l of lats) counts[edges.findIndex((e) => l < e)]++;
console.log(edges.map((e, i) => `<${e === 1e9 ? "inf" : e}: ${counts[i]}`).join("  "));
const slow = Number(values["slow-ms"]);
const slowAt = starts.filter((_, i) => lats[i] >= slow);
const gaps = slowAt.slice(1).map((t, i) => t - slowAt[i]);
const gsorted = [...gaps].sort((a, b) => a - b);
console.log(
  `${slowAt.length} puts >= ${slow} ms; gaps between them (ms): p10 ${
    gsorted[Math.floor(gsorted.length * 0.1)]?.toFixed(1)
  } p50 ${gsorted[Math.floor(gsorted.length / 2)]?.toFixed(1)} p90 ${
    gsorted[Math.floor(gsorted.length * 0.9)]?.toFixed(1)
  }`,
);
// Slow puts by their start's phase within 100 ms (a 100 ms timer shows as one crowded bin).
const bins = new Array(10).fill(0);
for (const t of slowAt) bins[Math.floor((t % 100) / 10)]++;
console.log(`phase within 100 ms (10 ms bins): ${bins.join(" ")}`);
// The slowest puts' starts as wall-clock times (ISO, ms), at most one per 50 ms spell.
const order = lats.map((_, i) => i).sort((a, b) => lats[b] - lats[a]);
const spells: number[] = [];
for (const i of order) {
  if (spells.length >= 12) break;
  if (spells.some((j) => Math.abs(starts[j] - starts[i]) < 50)) continue;
  spells.push(i);
}
spells.sort((a, b) => starts[a] - starts[b]);
for (const i of spells) {
  const at = new Date(wallAt + starts[i]).toISOString();
  console.log(`slow spell: put started ${at} took ${lats[i].toFixed(1)} ms`);
}
