/**
 * Transactions across regions next to single-region ones, on the compiled binary (issue 15;
 * docs/transactions.md "On nodes", decision 0019): a 3-node cluster on loopback, started with
 * and without `--region-split-bytes`, is loaded with routed puts until it has split, then driven
 * by `tinykv bench` (a separate process) with, in turn:
 *
 * - `put`: single puts, routed to their region's leader (the baseline write);
 * - `txn near`: a `txn` putting `--txn-keys` consecutive keys (one region, bar a boundary);
 * - `txn spread`: a `txn` putting `--txn-keys` keys drawn at random (on a split cluster, keys in
 *   several regions: a Percolator transaction coordinated by the node that receives it).
 *
 * Each row: operations per second, p50/p99 latency, errors, and the cluster's CPU per operation
 * (every node's utime + stime from /proc, summed, over the run's operations), so a shared
 * machine's noise can be read past.
 *
 *   deno run -A bench/regions_txn_bench.ts [--split-bytes 0,262144] [--keys 100000]
 *     [--txn-keys 3] [--concurrency 1,16] [--load 20] [--duration 10] [--balance 60]
 *
 * After the fill it waits (at most `--balance` seconds) for placement to spread the regions'
 * leaders over the nodes (leaders per node within one), and prints where they are.
 *
 * Requires ./tinykv (./compile.sh). Servers and load share this machine's cores.
 */
import * as os from "node:os";
import { parseArgs } from "node:util";
import { BinaryCluster } from "../tests/e2e/binary_cluster.ts";
import {
  type BenchRun,
  clusterCpuSeconds,
  leadersPerNode,
  leadersSpread,
  runBench,
} from "./binary_cluster_stats.ts";
import { describeMachine } from "./machine.ts";

const { values } = parseArgs({
  options: {
    "split-bytes": { type: "string", default: "0,262144" },
    keys: { type: "string", default: "100000" },
    "txn-keys": { type: "string", default: "3" },
    concurrency: { type: "string", default: "1,16" },
    load: { type: "string", default: "20" },
    duration: { type: "string", default: "10" },
    balance: { type: "string", default: "60" },
  },
});
const list = (s: string) => s.split(",").map((x) => Number(x.trim())).filter(Number.isFinite);
const KINDS = ["put", "txn near", "txn spread"] as const;

interface Row {
  splitBytes: number;
  regions: number;
  leaders: string;
  kind: (typeof KINDS)[number];
  concurrency: number;
  run: BenchRun;
  cpuMsPerOp: number;
  load: string;
}

function argsOf(kind: (typeof KINDS)[number], concurrency: number): string[] {
  const args = ["--concurrency", String(concurrency), "--duration", values.duration];
  args.push("--keys", values.keys, "--value-size", "100");
  if (kind === "put") return ["--op", "put", ...args];
  args.push("--op", "txn", "--txn-keys", values["txn-keys"]);
  return kind === "txn near" ? [...args, "--txn-near"] : args;
}

async function clusterRows(splitBytes: number): Promise<Row[]> {
  const extra = splitBytes > 0 ? ["--region-split-bytes", String(splitBytes)] : [];
  const c = await BinaryCluster.start(3, extra);
  const rows: Row[] = [];
  try {
    await c.leader();
    // Fill the keyspace the runs draw from, so a split cluster has regions across all of it.
    const fill = ["--op", "put", "--concurrency", "64", "--duration", values.load];
    await runBench(c.endpoints, [...fill, "--keys", values.keys, "--value-size", "100"]);
    await new Promise((r) => setTimeout(r, 3000)); // splits proposed at the end still land
    // Placement spreads the leaders once a heartbeat (10 s): measure on a balanced cluster.
    const regions = await leadersSpread(c, Number(values.balance) * 1000);
    for (const concurrency of list(values.concurrency)) {
      for (const kind of KINDS) {
        const cpu0 = clusterCpuSeconds(c);
        const run = await runBench(c.endpoints, argsOf(kind, concurrency));
        const cpuMsPerOp = ((clusterCpuSeconds(c) - cpu0) * 1000) / Math.max(1, run.ops);
        const row = {
          splitBytes,
          regions: regions.length,
          leaders: leadersPerNode(c, regions),
          kind,
          concurrency,
          run,
          cpuMsPerOp,
          load: os.loadavg()[0].toFixed(2),
        };
        console.error(
          `split=${splitBytes} (${row.regions} regions) ${kind} x${concurrency}: ` +
            `${run.opsPerSecond}/s p50 ${run.latencyMs.p50} p99 ${run.latencyMs.p99} ms, ` +
            `${cpuMsPerOp.toFixed(2)} CPU ms/op, errors ${JSON.stringify(run.errors)} ` +
            `(load ${row.load})`,
        );
        rows.push(row);
      }
    }
  } finally {
    await c.stop();
  }
  return rows;
}

const rows: Row[] = [];
for (const splitBytes of list(values["split-bytes"])) rows.push(...await clusterRows(splitBytes));

console.log(describeMachine());
console.log(
  `\n3 nodes; ${values.keys} keys of 100 B filled for ${values.load} s first; each run ` +
    `${values.duration} s; a txn puts ${values["txn-keys"]} keys\n`,
);
console.log(
  "| split bytes | regions | leaders per node | kind | in flight | ops/s | p50 ms | p99 ms | cluster CPU ms/op | errors | load |",
);
console.log("| ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |");
for (const r of rows) {
  const errs = Object.keys(r.run.errors).length === 0 ? "0" : JSON.stringify(r.run.errors);
  console.log(
    `| ${r.splitBytes} | ${r.regions} | ${r.leaders} | ${r.kind} | ${r.concurrency} | ` +
      `${r.run.opsPerSecond} | ${r.run.latencyMs.p50} | ${r.run.latencyMs.p99} | ` +
      `${r.cpuMsPerOp.toFixed(2)} | ${errs} | ${r.load} |`,
  );
}
