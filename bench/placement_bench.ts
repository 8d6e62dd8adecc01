/**
 * What the placement service costs as a cluster grows (docs/scaling.md): the
 * scheduler's tick on a settled cluster and right after a node goes down, the
 * time to take every region's report, and route lookups and memory per region
 * in a RegionMap, at 10 to 1,000 nodes and up to 10^5 regions.
 *
 *   deno run -A bench/placement_bench.ts [--max-regions 100000]
 *   bun bench/placement_bench.ts
 */
import { parseArgs } from "node:util";
import { ClusterView, type RegionInfo } from "../src/placement/cluster_view.ts";
import { PlacementScheduler } from "../src/placement/scheduler.ts";
import type { RegionDescriptor } from "../src/region/descriptor.ts";
import { RegionMap } from "../src/region/region_map.ts";
import { createPrng } from "../src/util/prng.ts";
import { describeMachine } from "./machine.ts";

const { values } = parseArgs({ options: { "max-regions": { type: "string", default: "100000" } } });
const MAX_REGIONS = Number(values["max-regions"]);

function keyOf(i: number): Uint8Array {
  const k = new Uint8Array(8);
  new DataView(k.buffer).setUint32(4, i * 16);
  return k;
}

/** `regions` regions over `nodes` nodes in 3 zones, replicas spread evenly (settled). */
function cluster(nodes: number, regions: number) {
  const prng = createPrng(nodes * 1_000_003 + regions);
  const view = new ClusterView(30_000);
  for (let id = 1; id <= nodes; id++) {
    view.nodeHeartbeat({
      id,
      address: "",
      zone: `z${id % 3}`,
      capacityBytes: 1e13,
      usedBytes: 0,
      lastHeartbeatMs: 0,
      draining: false,
    });
  }
  const infos: RegionInfo[] = [];
  for (let i = 0; i < regions; i++) {
    // One node from each zone, round robin inside the zone, so the cluster starts balanced.
    const ids = [0, 1, 2].map((z) => {
      const inZone = Math.floor(nodes / 3) + (z < nodes % 3 ? 1 : 0);
      const slot = (i + prng.int(2)) % Math.max(1, inZone);
      return Math.min(nodes, slot * 3 + z + (z === 0 ? 3 : 0));
    }).filter((id, at, all) => id >= 1 && all.indexOf(id) === at);
    const descriptor: RegionDescriptor = {
      id: i + 1,
      start: i === 0 ? new Uint8Array(0) : keyOf(i),
      end: i === regions - 1 ? new Uint8Array(0) : keyOf(i + 1),
      epoch: { version: 2, confVer: 2 },
      replicas: ids.map((nodeId) => ({ nodeId, role: "voter" as const })),
    };
    infos.push({
      descriptor,
      leader: ids[i % ids.length],
      sizeBytes: 64 << 20,
      writesPerSec: 0,
      caughtUp: ids,
      reportedMs: 0,
      term: 1,
    });
  }
  return { view, infos };
}

function ms(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

const options = {
  replicas: 3,
  maxOperators: 64,
  maxMovesPerNode: 4,
  operatorTimeoutMs: 60_000,
  regionTolerance: 2,
  regionsCheckedPerTick: 4096,
};

console.log(describeMachine());
console.log(
  "| nodes | regions | take all reports | settled tick | tick after a node is down | operators in flight then |",
);
console.log("| ---: | ---: | ---: | ---: | ---: | ---: |");
for (const nodes of [10, 100, 1000]) {
  for (const regions of [1_000, 10_000, 100_000]) {
    if (regions > MAX_REGIONS) continue;
    const { view, infos } = cluster(nodes, regions);
    const reports = ms(() => {
      for (const r of infos) view.regionReport(r);
    });
    const scheduler = new PlacementScheduler(view, options);
    scheduler.tick(1_000); // leader moves of the first tick
    const settled = ms(() => scheduler.tick(2_000));
    // Node 1 stops heartbeating: past the timeout, its replicas need new homes.
    for (let id = 2; id <= nodes; id++) {
      const n = view.node(id);
      if (n !== undefined) view.nodeHeartbeat({ ...n, lastHeartbeatMs: 100_000 });
    }
    const down = ms(() => scheduler.tick(100_000));
    const made = scheduler.operators().length;
    console.log(
      `| ${nodes} | ${regions.toLocaleString("en-US")} | ${reports.toFixed(1)} ms | ` +
        `${settled.toFixed(1)} ms | ${down.toFixed(1)} ms | ${made} |`,
    );
  }
}

// The client's route cache: memory and lookups at the largest size.
const map = new RegionMap();
const { infos } = cluster(3, MAX_REGIONS);
const g = globalThis as { gc?: () => void };
g.gc?.();
const heap0 = process.memoryUsage().heapUsed;
for (const r of infos) map.update(r.descriptor);
g.gc?.();
const perRegion = (process.memoryUsage().heapUsed - heap0) / MAX_REGIONS;
const prng = createPrng(7);
const probes = Array.from({ length: 200_000 }, () => keyOf(prng.int(MAX_REGIONS)));
let hits = 0;
const lookup = ms(() => {
  for (const k of probes) if (map.lookup(k) !== undefined) hits++;
});
console.log(
  `\nroute map of ${MAX_REGIONS.toLocaleString("en-US")} regions: ${
    (lookup * 1e6 / probes.length).toFixed(0)
  } ns per lookup (${hits} hits), about ${perRegion.toFixed(0)} bytes of heap per region ` +
    "(descriptors with 3 replicas and 8-byte keys; the infos the benchmark built are shared)",
);
