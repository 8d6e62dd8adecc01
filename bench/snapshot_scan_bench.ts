/**
 * Current scans over several regions (docs/regions.md "Current reads over several regions"): an
 * in-process 3-node cluster (tests/server/cluster_helpers.ts) split into at least 17 small regions,
 * then scans whose range covers 1, 2 and 16 regions, through one node, `--concurrency` at a time.
 * Each size is run with the scan read at one timestamp (the oracle's, every region closed at it:
 * as built) and read region by region (each at its own revision: as before, by unsetting the
 * node's timestamp source), alternating, so the two are measured back to back under the same
 * load. Reports scans a second and scan latency p50/p99 in ms. Nodes and client share one process
 * and one event loop.
 *
 *   deno run -A bench/snapshot_scan_bench.ts [--scans 200] [--rounds 2] [--node 1]
 *     [--concurrency 1]
 */
import { parseArgs } from "node:util";
import { startCluster } from "../tests/server/cluster_helpers.ts";
import { key, SPLIT, splitInto } from "../tests/server/region_split_helpers.ts";
import { fromUtf8 } from "../src/util/bytes.ts";
import { describeMachine } from "./machine.ts";

const { values } = parseArgs({
  options: {
    scans: { type: "string", default: "200" },
    rounds: { type: "string", default: "2" },
    node: { type: "string", default: "1" },
    concurrency: { type: "string", default: "1" },
  },
});
const SCANS = Number(values.scans), ROUNDS = Number(values.rounds), NODE = Number(values.node);
const CONCURRENCY = Number(values.concurrency);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

const c = await startCluster(3, 20, undefined, SPLIT);
try {
  await c.leader();
  await splitInto(c, c.client(), 17, 400);
  const server = c.servers.get(NODE);
  if (server === undefined) throw new Error(`no node ${NODE}`);
  const reads = server.node.local.reads;
  const timestamp = reads.timestamp;
  const regions = server.node.local.host.all().filter((r) => r.kv.descriptor.start.length > 0);
  const spanOf = (n: number) => ({
    start: fromUtf8(regions[0].kv.descriptor.start),
    end: fromUtf8(regions[n - 1].kv.descriptor.end),
  });
  const client = c.client([NODE]);
  console.log(describeMachine());
  console.log(`regions: ${server.node.local.host.count}; keys ${key(0)}..${key(399)}`);
  console.log(`concurrency: ${CONCURRENCY} scans at a time`);
  console.log("| regions | read | keys | scans | scans/s | p50 ms | p99 ms | failed |");
  console.log("| ------: | ---- | ---: | ----: | ------: | -----: | -----: | -----: |");
  for (let round = 1; round <= ROUNDS; round++) {
    for (const n of [1, 2, 16]) {
      for (const mode of ["one timestamp", "per region"] as const) {
        reads.timestamp = mode === "one timestamp" ? timestamp : () => undefined;
        const times: number[] = [];
        let failed = 0, keys = 0, next = 0;
        const wall0 = performance.now();
        await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
          while (next++ < SCANS) {
            const t0 = performance.now();
            try {
              keys = (await client.scan({ ...spanOf(n), limit: 1000 })).items.length;
              times.push(performance.now() - t0);
            } catch {
              failed++;
            }
          }
        }));
        const perSecond = Math.round(times.length / ((performance.now() - wall0) / 1000));
        times.sort((a, b) => a - b);
        const [p50, p99] = [0.5, 0.99].map((p) => percentile(times, p).toFixed(1));
        const row = [n, mode, keys, times.length, perSecond, p50, p99, failed];
        console.log(`| ${row.join(" | ")} |`);
      }
    }
  }
  reads.timestamp = timestamp;
} finally {
  await c.close();
}
