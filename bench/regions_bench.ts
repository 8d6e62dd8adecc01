/**
 * Sharding benchmark of the compiled binary (issue 15; docs/regions.md): clusters of 1, 3 and 5
 * nodes on loopback started with and without `--region-split-bytes`, loaded by `tinykv bench`
 * (routed puts, a separate process). For each cluster it prints:
 *
 * - the split under load: regions over time while the load phase writes (time to the final count);
 * - write throughput and latency once split (a second `tinykv bench` run);
 * - where the region leaders are (leaders per node) — leadership is not balanced yet, so a split
 *   cluster's writes still go through the nodes that lead;
 * - the cost of idle regions: each node's CPU (utime + stime from /proc) per second of an idle
 *   period after the load, next to the same for one region, and the placement group's commands
 *   a second meanwhile (heartbeats and region reports: node 1's `/placement` applied index).
 *
 *   deno run -A bench/regions_bench.ts [--nodes 1,3,5] [--split-bytes 0,262144] [--keys 200000]
 *     [--value-size 100] [--concurrency 64] [--load 20] [--duration 10] [--idle 10]
 *     [--split-load 0,2000]  (`--region-split-load`: rows for each, with splitting on)
 *     [--heartbeat MS] (`--placement-heartbeat`) [--binary PATH] (another build, to compare)
 *
 * Requires ./tinykv (./compile.sh). The servers and the load share this machine's cores: read the
 * numbers with the load average printed next to them.
 */
import * as os from "node:os";
import { parseArgs } from "node:util";
import { BinaryCluster } from "../tests/e2e/binary_cluster.ts";
import {
  type BenchRun,
  cpuSeconds,
  leadersPerNode,
  pids,
  regionsOf,
  runBench,
} from "./binary_cluster_stats.ts";
import { describeMachine } from "./machine.ts";

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "1,3,5" },
    "split-bytes": { type: "string", default: "0,262144" },
    keys: { type: "string", default: "200000" },
    "value-size": { type: "string", default: "100" },
    concurrency: { type: "string", default: "64" },
    load: { type: "string", default: "20" },
    duration: { type: "string", default: "10" },
    idle: { type: "string", default: "10" },
    "split-load": { type: "string", default: "0" },
    heartbeat: { type: "string", default: "" },
    binary: { type: "string", default: "./tinykv" },
  },
});
const list = (s: string) => s.split(",").map((x) => Number(x.trim())).filter(Number.isFinite);

function putLoad(endpoints: string, seconds: number): Promise<BenchRun> {
  const args = ["--op", "put", "--concurrency", values.concurrency, "--duration", String(seconds)];
  args.push("--keys", values.keys, "--value-size", values["value-size"]);
  return runBench(endpoints, args);
}

/** Each node's CPU milliseconds per second over `ms`. */
async function cpuPerSecond(c: BinaryCluster, ms: number): Promise<Map<number, number>> {
  const before = new Map([...pids(c)].map(([id, pid]) => [id, cpuSeconds(pid)]));
  await new Promise((r) => setTimeout(r, ms));
  const out = new Map<number, number>();
  for (const [id, pid] of pids(c)) {
    out.set(id, ((cpuSeconds(pid) - (before.get(id) ?? 0)) * 1000) / (ms / 1000));
  }
  return out;
}

interface Row {
  nodes: number;
  splitBytes: number;
  splitLoad: number;
  regions: number;
  splitTimeline: string;
  leadersPerNode: string;
  run: BenchRun;
  idleCpuMsPerS: string;
  /** Region 0's entries applied a second during the idle period (node 1's view). */
  idlePlacementPerS: number;
  load: string;
}

/** Node 1's placement applied index (`/placement`; 0 when it holds no region 0). */
async function placementApplied(c: BinaryCluster): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${c.nodes.get(1)?.httpPort}/placement`);
  const body = await res.json() as { appliedIndex?: number };
  return body.appliedIndex ?? 0;
}

async function clusterRow(nodes: number, splitBytes: number, splitLoad: number): Promise<Row> {
  // Always given: without it a new cluster splits at the binary's default (64 MiB).
  const extra = ["--region-split-bytes", String(splitBytes)];
  if (splitLoad > 0) extra.push("--region-split-load", String(splitLoad));
  if (values.heartbeat !== "") extra.push("--placement-heartbeat", `${values.heartbeat}ms`);
  const c = await BinaryCluster.start(nodes, extra, values.binary);
  try {
    await c.leader();
    const started = Date.now();
    const timeline: string[] = [];
    let last = 0;
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const n = (await regionsOf(c, 1)).length;
        if (n !== last) timeline.push(`${n} at ${((Date.now() - started) / 1000).toFixed(1)} s`);
        last = n;
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    await putLoad(c.endpoints, Number(values.load));
    // Splits proposed at the end of the load still land: give them a few checks.
    await new Promise((r) => setTimeout(r, 3000));
    polling = false;
    await poll;
    const run = await putLoad(c.endpoints, Number(values.duration));
    const regions = await regionsOf(c, 1);
    await new Promise((r) => setTimeout(r, 3000)); // let the regions go quiet
    const appliedBefore = await placementApplied(c);
    const idle = await cpuPerSecond(c, Number(values.idle) * 1000);
    const placed = (await placementApplied(c)) - appliedBefore;
    return {
      nodes,
      splitBytes,
      splitLoad,
      regions: regions.length,
      splitTimeline: timeline.slice(-4).join(", "),
      leadersPerNode: leadersPerNode(c, regions),
      run,
      idleCpuMsPerS: [...idle.values()].map((v) => v.toFixed(1)).join(" / "),
      idlePlacementPerS: placed / Number(values.idle),
      load: os.loadavg()[0].toFixed(2),
    };
  } finally {
    await c.stop();
  }
}

const rows: Row[] = [];
for (const nodes of list(values.nodes)) {
  for (const splitBytes of list(values["split-bytes"])) {
    // A split by load needs splitting on.
    const loads = splitBytes > 0 ? list(values["split-load"]) : [0];
    for (const splitLoad of loads) rows.push(await reportedRow(nodes, splitBytes, splitLoad));
  }
}

async function reportedRow(nodes: number, splitBytes: number, splitLoad: number): Promise<Row> {
  const row = await clusterRow(nodes, splitBytes, splitLoad);
  console.error(
    `nodes=${nodes} split=${splitBytes} load=${splitLoad}: ${row.regions} regions, ` +
      `${row.run.opsPerSecond} puts/s ` +
      `p99 ${row.run.latencyMs.p99} ms, idle CPU ${row.idleCpuMsPerS} ms/s, ` +
      `placement ${row.idlePlacementPerS.toFixed(1)} commands/s (load ${row.load})`,
  );
  return row;
}

console.log(describeMachine());
console.log(
  `\nput ${values["value-size"]} B, ${values.concurrency} in flight, ${values.keys} keys; ` +
    `load phase ${values.load} s, measured ${values.duration} s, idle ${values.idle} s\n`,
);
console.log(
  "| nodes | split bytes | split load | regions | regions over the load phase | leaders per node | puts/s | p50 ms | p99 ms | errors | idle CPU ms/s per node | idle placement commands/s | load |",
);
console.log(
  "| ---: | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: | --- | --- | ---: | ---: |",
);
for (const r of rows) {
  const errs = Object.keys(r.run.errors).length === 0 ? "0" : JSON.stringify(r.run.errors);
  console.log(
    `| ${r.nodes} | ${r.splitBytes} | ${r.splitLoad} | ${r.regions} | ${r.splitTimeline} | ` +
      `${r.leadersPerNode} | ` +
      `${r.run.opsPerSecond} | ${r.run.latencyMs.p50} | ${r.run.latencyMs.p99} | ${errs} | ` +
      `${r.idleCpuMsPerS} | ${r.idlePlacementPerS.toFixed(1)} | ${r.load} |`,
  );
}
