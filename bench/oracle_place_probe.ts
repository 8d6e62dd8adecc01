/**
 * What a put costs a node with splitting on but one region, by where region 1 is led against the
 * timestamp oracle (region 0's leader): bench/RESULTS.md "The oracle follows region 1's leader".
 * Three nodes of a compiled binary with `--region-split-bytes` (64 MiB: nothing splits); per run,
 * region 1's leadership is moved onto the oracle's node ("together"), then off it ("apart"), and
 * `tinykv bench --op put` measures puts/s and the cluster's CPU per put (every node's utime +
 * stime). A binary whose oracle follows region 1 is given `--follow-wait` seconds to move region
 * 0 after "apart" before the bench starts; the row shows where both were led at the start and
 * the end. With `--before PATH` the same runs are made on that binary first.
 *
 *   deno run -A bench/oracle_place_probe.ts [--before PATH] [--runs 3] [--duration 6]
 *     [--follow-wait 45] [--extra="--read-mode lease"] [--split-run BYTES]
 */
import * as os from "node:os";
import { parseArgs } from "node:util";
import { BINARY, BinaryCluster } from "../tests/e2e/binary_cluster.ts";
import {
  clusterCpuSeconds,
  leadersPerNode,
  leadersSpread,
  runBench,
} from "./binary_cluster_stats.ts";

const { values } = parseArgs({
  options: {
    before: { type: "string", default: "" },
    runs: { type: "string", default: "3" },
    duration: { type: "string", default: "6" },
    "follow-wait": { type: "string", default: "45" },
    // The binary before the change never moves the oracle: its "apart" runs start this soon.
    "before-wait": { type: "string", default: "3" },
    "split-bytes": { type: "string", default: "67108864" },
    extra: { type: "string", default: "" },
    // With a size: a second cluster split at it (filled first, leaders spread), measured as is.
    "split-run": { type: "string", default: "" },
  },
});

interface Tso {
  readonly confirms?: number;
  readonly confirmRounds?: number;
  readonly requests?: number;
}

interface Row {
  binary: string;
  place: string;
  region1: string;
  oracle: string;
  putsPerSecond: number;
  cpuMsPerPut: number;
  p50: number;
  p99: number;
  errors: number;
  /** Leadership checks per quorum round on the oracle's node during the run ("–": not shown). */
  sharing: string;
  followSeconds: string;
  load: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function placementOf(c: BinaryCluster, id: number): Promise<
  { leader: number | null; tso?: Tso } | undefined
> {
  const port = c.nodes.get(id)?.httpPort;
  try {
    const res = await fetch(`http://127.0.0.1:${port}/placement`, {
      headers: c.adminHeaders(),
      signal: AbortSignal.timeout(2000),
    });
    return await res.json();
  } catch {
    return undefined;
  }
}

/** The oracle's node (region 0's leader) as node 1..3 report it; 0 when none answers. */
async function oracleNode(c: BinaryCluster): Promise<number> {
  for (const id of c.nodes.keys()) {
    const p = await placementOf(c, id);
    if (p?.leader !== undefined && p.leader !== null) return p.leader;
  }
  return 0;
}

async function region1Node(c: BinaryCluster): Promise<number> {
  return await c.leader(20_000);
}

/** Moves region 1's leadership to `to` (retried: at most 10 attempts). */
async function moveRegion1(c: BinaryCluster, to: number): Promise<void> {
  for (let i = 0; i < 10; i++) {
    if (await region1Node(c) === to) return;
    await c.cli("transfer-leader", String(to));
    await sleep(500);
  }
  throw new Error(`region 1 not moved to node ${to}`);
}

/** Waits (at most `s` seconds) until the oracle is led where region 1 is; the seconds waited. */
async function awaitFollow(c: BinaryCluster, s: number): Promise<string> {
  const start = Date.now();
  while (Date.now() - start < s * 1000) {
    if (await oracleNode(c) === await region1Node(c)) {
      return ((Date.now() - start) / 1000).toFixed(1);
    }
    await sleep(250);
  }
  return `> ${s}`;
}

async function measure(
  c: BinaryCluster,
  binary: string,
  place: string,
  more: string[] = [],
): Promise<Row> {
  const r1 = await region1Node(c);
  const o1 = await oracleNode(c);
  const tso0 = (await placementOf(c, o1))?.tso;
  const load = os.loadavg().map((x) => x.toFixed(1)).join(" ");
  const cpu0 = clusterCpuSeconds(c);
  const args = ["--op", "put", "--concurrency", "16", "--duration", values.duration, ...more];
  const run = await runBench(c.endpoints, args);
  const cpuMsPerPut = ((clusterCpuSeconds(c) - cpu0) * 1000) / Math.max(1, run.ops);
  const r2 = await region1Node(c);
  const o2 = await oracleNode(c);
  const tso1 = (await placementOf(c, o1))?.tso;
  const confirms = (tso1?.confirms ?? 0) - (tso0?.confirms ?? 0);
  const rounds = (tso1?.confirmRounds ?? 0) - (tso0?.confirmRounds ?? 0);
  return {
    binary,
    place,
    region1: r1 === r2 ? `${r1}` : `${r1} → ${r2}`,
    oracle: o1 === o2 ? `${o1}` : `${o1} → ${o2}`,
    putsPerSecond: run.opsPerSecond,
    cpuMsPerPut,
    p50: run.latencyMs.p50,
    p99: run.latencyMs.p99,
    errors: Object.values(run.errors).reduce((a, b) => a + b, 0),
    sharing: tso1?.confirms === undefined || rounds === 0 ? "–" : (confirms / rounds).toFixed(2),
    followSeconds: "",
    load,
  };
}

async function probe(binary: string, label: string): Promise<Row[]> {
  const extra = values.extra === "" ? [] : values.extra.split(" ");
  const c = await BinaryCluster.start(
    3,
    ["--region-split-bytes", values["split-bytes"], ...extra],
    binary,
  );
  const rows: Row[] = [];
  try {
    await c.serving(20_000);
    await c.leader(20_000);
    for (let i = 0; i < 100 && await oracleNode(c) === 0; i++) await sleep(200);
    // A first run not counted: the processes' code warms up, the first files are made.
    await runBench(c.endpoints, ["--op", "put", "--concurrency", "16", "--duration", "3"]);
    for (let run = 0; run < Number(values.runs); run++) {
      await moveRegion1(c, await oracleNode(c));
      rows.push(report(await measure(c, label, "together")));
      const oracle = await oracleNode(c);
      const away = [1, 2, 3].filter((id) => id !== oracle)[run % 2];
      await moveRegion1(c, away);
      const wait = label === "before" ? values["before-wait"] : values["follow-wait"];
      const follow = await awaitFollow(c, Number(wait));
      const row = await measure(c, label, "apart");
      row.followSeconds = follow;
      rows.push(report(row));
    }
  } finally {
    await c.stop();
  }
  return rows;
}

/** A cluster split at `--split-run` bytes: every node leads regions and asks for timestamps. */
async function splitProbe(binary: string, label: string): Promise<Row[]> {
  const split = ["--region-split-bytes", values["split-run"]];
  const c = await BinaryCluster.start(3, split, binary);
  const rows: Row[] = [];
  const keys = ["--keys", "100000", "--value-size", "100"];
  try {
    await c.serving(20_000);
    await c.leader(20_000);
    await runBench(c.endpoints, [
      "--op",
      "put",
      "--concurrency",
      "64",
      "--duration",
      "15",
      ...keys,
    ]);
    await sleep(3000); // splits proposed at the end still land
    const regions = await leadersSpread(c, 60_000);
    for (let run = 0; run < Number(values.runs); run++) {
      const row = await measure(c, label, `split: ${regions.length} regions`, keys);
      row.followSeconds = leadersPerNode(c, regions);
      rows.push(report(row));
    }
  } finally {
    await c.stop();
  }
  return rows;
}

function report(r: Row): Row {
  console.error(
    `${r.binary} ${r.place}: region 1 ${r.region1}, oracle ${r.oracle}, ${r.putsPerSecond}/s, ` +
      `${
        r.cpuMsPerPut.toFixed(2)
      } CPU ms/put, checks/round ${r.sharing}, follow ${r.followSeconds}` +
      ` (load ${r.load})`,
  );
  return r;
}

const rows: Row[] = [];
const probeOf = values["split-run"] === "" ? probe : splitProbe;
if (values.before !== "") rows.push(...await probeOf(values.before, "before"));
rows.push(...await probeOf(BINARY, "after"));
console.log(
  "| binary | region 1 placed | follow s (split: leaders per node) | region 1's leader | oracle | puts/s | cluster CPU ms/put " +
    "| p50 ms | p99 ms | errors | checks per round | load 1/5/15 |",
);
console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
for (const r of rows) {
  console.log(
    `| ${r.binary} | ${r.place} | ${r.followSeconds} | ${r.region1} | ${r.oracle} | ` +
      `${r.putsPerSecond} | ${r.cpuMsPerPut.toFixed(2)} | ${r.p50} | ${r.p99} | ${r.errors} | ` +
      `${r.sharing} | ${r.load} |`,
  );
}
