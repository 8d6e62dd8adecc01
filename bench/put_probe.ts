/**
 * Where a 3-node cluster's puts go, on the compiled binary: starts three nodes of each build given,
 * warms them with puts (the client is the same build), then runs `tinykv bench --op put` rows and prints, per row, writes per
 * second, p50 and p99 next to what each node spent per write: CPU of its main thread and of the
 * rest (JIT, GC, storage worker; /proc/PID/task) and fsyncs per write (the node's /metrics).
 * Builds alternate, run after run, and the medians close the output, so an old and a new binary
 * are compared on runs made close together (the load average is printed with each run). Linux
 * only (/proc).
 *
 *   deno run -A bench/put_probe.ts [--binaries old=/tmp/old,new=./tinykv] [--repeat 3]
 *     [--rows 1,64] [--seconds 6] [--warmup 3] [--args="--region-split-bytes 0"] [--op put|get]
 *
 * `--op get` measures linearizable gets instead (of keys the warm-up's puts wrote; CPU and fsyncs
 * per get).
 */
import * as fs from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { BINARY, BinaryCluster } from "../tests/e2e/binary_cluster.ts";
import { type BenchRun, median, runBench } from "./binary_cluster_stats.ts";

const { values } = parseArgs({
  options: {
    binaries: { type: "string", default: `tinykv=${BINARY}` },
    rows: { type: "string", default: "1,64" },
    seconds: { type: "string", default: "6" },
    warmup: { type: "string", default: "3" },
    repeat: { type: "string", default: "1" },
    args: { type: "string", default: "" },
    op: { type: "string", default: "put" },
  },
});
const BUILDS = values.binaries.split(",").map((b) => {
  const at = b.indexOf("=");
  return { label: b.slice(0, at), path: b.slice(at + 1) };
});
const ROWS = values.rows.split(",").map(Number);
const SECONDS = Number(values.seconds), WARMUP = Number(values.warmup);
const REPEAT = Number(values.repeat);
const EXTRA = values.args.split(" ").filter((a) => a !== "");

/** CPU seconds of the main thread and of every other thread of `pid`, from /proc. */
function cpu(pid: number): { main: number; rest: number } {
  let main = 0, rest = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    } catch {
      continue; // the thread ended meanwhile
    }
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const s = (Number(f[11]) + Number(f[12])) / 100; // USER_HZ
    if (Number(tid) === pid) main += s;
    else rest += s;
  }
  return { main, rest };
}

async function fsyncs(c: BinaryCluster, id: number): Promise<number> {
  const port = c.nodes.get(id)?.httpPort;
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
    headers: c.adminHeaders(),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  return Number(/^tinykv_raft_log_fsyncs_total (\S+)/m.exec(text)?.[1] ?? 0);
}

interface NodeCost {
  readonly mainUs: number;
  readonly restUs: number;
  readonly fsyncs: number;
}

interface RowResult {
  readonly run: BenchRun;
  readonly nodes: Map<number, NodeCost>;
  readonly load: number;
}

async function snapshot(c: BinaryCluster) {
  const m = new Map<number, { main: number; rest: number; fsyncs: number }>();
  for (const [id, n] of c.nodes) {
    const pid = n.proc?.pid;
    if (pid === undefined) throw new Error(`node ${id} is not running`);
    m.set(id, { ...cpu(pid), fsyncs: await fsyncs(c, id) });
  }
  return m;
}

async function measureRow(c: BinaryCluster, concurrency: number): Promise<RowResult> {
  // The client is the same build as the nodes: its own request and answer codecs count too.
  const args = ["--op", values.op, "--concurrency", String(concurrency), "--value-size", "100"];
  args.push("--keys", "1000", "--duration", String(SECONDS));
  const before = await snapshot(c);
  const run = await runBench(c.endpoints, args, c.binary);
  const after = await snapshot(c);
  const nodes = new Map<number, NodeCost>();
  for (const [id, a] of after) {
    const b = before.get(id) ?? a;
    nodes.set(id, {
      mainUs: (a.main - b.main) * 1e6 / run.ops,
      restUs: (a.rest - b.rest) * 1e6 / run.ops,
      fsyncs: (a.fsyncs - b.fsyncs) / run.ops,
    });
  }
  return { run, nodes, load: os.loadavg()[0] };
}

function format(label: string, concurrency: number, r: RowResult): string {
  const nodes = [...r.nodes].map(([id, n]) =>
    `n${id} ${n.mainUs.toFixed(0)}+${n.restUs.toFixed(0)} µs ${n.fsyncs.toFixed(2)} fsync`
  ).join(" | ");
  const all = [...r.nodes.values()].reduce((s, n) => s + n.mainUs + n.restUs, 0);
  return `${label.padEnd(8)} c=${String(concurrency).padEnd(3)} ${
    Math.round(r.run.opsPerSecond).toString().padStart(6)
  }/s p50 ${r.run.latencyMs.p50.toFixed(2)} p99 ${r.run.latencyMs.p99.toFixed(2)} ms | ` +
    `CPU/write ${all.toFixed(0)} µs: ${nodes} | load ${r.load.toFixed(2)}`;
}

async function runBuild(path: string): Promise<RowResult[]> {
  const c = await BinaryCluster.start(3, EXTRA, path);
  try {
    await c.leader();
    const warm = ["--op", "put", "--concurrency", "16", "--value-size", "100", "--keys", "1000"];
    await runBench(c.endpoints, [...warm, "--duration", String(WARMUP)], c.binary);
    const results: RowResult[] = [];
    for (const row of ROWS) results.push(await measureRow(c, row));
    return results;
  } finally {
    await c.stop();
  }
}

const all = new Map<string, RowResult[][]>(BUILDS.map((b) => [b.label, []]));
for (let run = 0; run < REPEAT; run++) {
  for (const b of BUILDS) {
    const results = await runBuild(b.path);
    all.get(b.label)?.push(results);
    results.forEach((r, i) => console.log(format(b.label, ROWS[i], r)));
  }
}
console.log(`\nmedians of ${REPEAT} run(s) (writes/s, p50, p99, CPU µs per write over the nodes):`);
for (const [label, runs] of all) {
  ROWS.forEach((concurrency, i) => {
    const rs = runs.map((r) => r[i]);
    const cpuAll = rs.map((r) =>
      [...r.nodes.values()].reduce((s, n) => s + n.mainUs + n.restUs, 0)
    );
    console.log(
      `${label.padEnd(8)} c=${String(concurrency).padEnd(3)} ` +
        `${Math.round(median(rs.map((r) => r.run.opsPerSecond)))}/s ` +
        `p50 ${median(rs.map((r) => r.run.latencyMs.p50)).toFixed(2)} ` +
        `p99 ${median(rs.map((r) => r.run.latencyMs.p99)).toFixed(2)} ms ` +
        `CPU ${median(cpuAll).toFixed(0)} µs`,
    );
  });
}
