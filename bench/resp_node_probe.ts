/**
 * Where one node's RESP requests go, on the compiled binary: starts one node of each build
 * given, warms it with `redis-benchmark -P 16` SETs, then runs redis-benchmark rows against it
 * and prints, per row, requests per second and p99 next to what the node spent per request:
 * CPU by thread (main, JIT compiler threads, GC helpers, the storage worker, the rest, from
 * /proc/PID/task), minor page faults, and how many requests one log entry and one fsync carried
 * (the node's /metrics). Builds alternate, run after run, and the medians close the output, so
 * an old and a new binary are compared on runs made close together (the machine's load average
 * is printed with each run: the cores are shared). Linux only (/proc).
 *
 *   deno run -A bench/resp_node_probe.ts [--binaries old=/tmp/old,new=./tinykv] [--repeat 3]
 *     [--rows set:1,set:16,get:1,get:16] [--requests 60000] [--warmup 200000]
 *   bun bench/resp_node_probe.ts ...
 *
 * `--requests` is the count for `-P 1` rows; `-P 16` rows run 5× as many (they are faster).
 */
import * as fs from "node:fs";
import os from "node:os";
import process from "node:process";
import { parseArgs } from "node:util";
import { BINARY, BinaryCluster } from "../tests/e2e/binary_cluster.ts";
import { parseRedisBenchmarkCsv } from "./versus/report.ts";
import { runTool } from "./versus/processes.ts";
import { median } from "./binary_cluster_stats.ts";

const { values } = parseArgs({
  options: {
    binaries: { type: "string", default: `tinykv=${BINARY}` },
    rows: { type: "string", default: "set:1,set:16,get:1,get:16" },
    requests: { type: "string", default: "60000" },
    warmup: { type: "string", default: "200000" },
    repeat: { type: "string", default: "1" },
  },
});
const BUILDS = values.binaries.split(",").map((b) => {
  const at = b.indexOf("=");
  return { label: b.slice(0, at), path: b.slice(at + 1) };
});
const ROWS = values.rows.split(",").map((r) => {
  const [test, pipeline] = r.split(":");
  return { test, pipeline: Number(pipeline) };
});
const REQUESTS = Number(values.requests), WARMUP = Number(values.warmup);
const REPEAT = Number(values.repeat);
const TIMEOUT_MS = 600_000;

/** Thread groups: the main thread, then threads by name (JSC and Bun name theirs). */
function groupOf(pid: number, tid: number, comm: string): string {
  if (tid === pid) return "main";
  if (comm.startsWith("JITWorker")) return "jit";
  if (comm.startsWith("HeapHelper")) return "gc";
  if (comm.startsWith("Worker")) return "worker";
  return "other";
}

interface Sample {
  readonly cpu: Map<string, number>;
  readonly faults: number;
  readonly applied: number;
  readonly fsyncs: number;
}

/** CPU seconds per thread group and minor faults of `pid`, from /proc. */
function threads(pid: number): { cpu: Map<string, number>; faults: number } {
  const cpu = new Map<string, number>();
  let faults = 0;
  const tick = 100; // USER_HZ on Linux
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    } catch {
      continue; // the thread ended meanwhile
    }
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const g = groupOf(pid, Number(tid), comm);
    cpu.set(g, (cpu.get(g) ?? 0) + (Number(f[11]) + Number(f[12])) / tick);
    faults += Number(f[7]);
  }
  return { cpu, faults };
}

async function sample(pid: number, httpPort: number, headers: HeadersInit): Promise<Sample> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`, {
    headers,
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)`, "m").exec(text)?.[1] ?? 0);
  return {
    ...threads(pid),
    applied: metric("tinykv_raft_applied_index"),
    fsyncs: metric("tinykv_raft_log_fsyncs_total"),
  };
}

interface RowResult {
  readonly perSecond: number;
  readonly p99Ms: number;
  /** µs of CPU per request by thread group, and "all". */
  readonly us: Map<string, number>;
  readonly faults: number;
  readonly perEntry: number;
  readonly perFsync: number;
  readonly load: number;
}

function redisArgs(port: number, test: string, pipeline: number, n: number): string[] {
  const args = ["-h", "127.0.0.1", "-p", String(port), "-c", "50", "-r", "10000"];
  return [...args, "-P", String(pipeline), "-n", String(n), "-t", test, "--csv"];
}

async function measureRow(
  c: BinaryCluster,
  test: string,
  pipeline: number,
): Promise<RowResult> {
  const node = c.nodes.get(1);
  const pid = node?.proc?.pid;
  if (node === undefined || pid === undefined) throw new Error("node 1 is not running");
  const n = pipeline > 1 ? REQUESTS * 5 : REQUESTS;
  const before = await sample(pid, node.httpPort, c.adminHeaders());
  const out = await runTool(
    "redis-benchmark",
    redisArgs(node.respPort, test, pipeline, n),
    TIMEOUT_MS,
  );
  const after = await sample(pid, node.httpPort, c.adminHeaders());
  const m = parseRedisBenchmarkCsv(out).get(test.toUpperCase());
  const us = new Map<string, number>();
  let all = 0;
  for (const [g, s] of after.cpu) {
    const d = (s - (before.cpu.get(g) ?? 0)) * 1e6 / n;
    us.set(g, d);
    all += d;
  }
  us.set("all", all);
  const entries = after.applied - before.applied, fsyncs = after.fsyncs - before.fsyncs;
  return {
    perSecond: m?.perSecond ?? 0,
    p99Ms: m?.p99Ms ?? 0,
    us,
    faults: (after.faults - before.faults) / n,
    perEntry: entries > 0 ? n / entries : Infinity,
    perFsync: fsyncs > 0 ? n / fsyncs : Infinity,
    load: os.loadavg()[0],
  };
}

function formatRow(label: string, row: string, r: RowResult): string {
  const t = (g: string) => (r.us.get(g) ?? 0).toFixed(2);
  const per = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "-");
  return `${label.padEnd(8)} ${row.padEnd(7)} ${
    Math.round(r.perSecond).toString().padStart(8)
  }/s ` +
    `p99 ${r.p99Ms.toFixed(1).padStart(6)} ms | µs/req all ${t("all")} main ${t("main")} ` +
    `jit ${t("jit")} gc ${t("gc")} worker ${t("worker")} other ${t("other")} | ` +
    `faults ${r.faults.toFixed(2)} | per entry ${per(r.perEntry)} per fsync ` +
    `${per(r.perFsync)} | load ${r.load.toFixed(2)}`;
}

async function runBuild(path: string): Promise<RowResult[]> {
  const c = await BinaryCluster.start(1, ["--auto-compact-revisions", "0"], path);
  try {
    await c.leader();
    const port = c.nodes.get(1)?.respPort ?? 0;
    const warm = redisArgs(port, "set", 16, WARMUP).slice(0, -1);
    await runTool("redis-benchmark", [...warm, "-q"], TIMEOUT_MS);
    const results: RowResult[] = [];
    for (const row of ROWS) results.push(await measureRow(c, row.test, row.pipeline));
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
    results.forEach((r, i) => {
      console.log(formatRow(b.label, `${ROWS[i].test}:${ROWS[i].pipeline}`, r));
    });
  }
}
console.log(`\nmedians of ${REPEAT} run(s):`);
for (const [label, runs] of all) {
  ROWS.forEach((row, i) => {
    const rs = runs.map((r) => r[i]);
    const us = new Map<string, number>();
    for (const g of rs[0].us.keys()) us.set(g, median(rs.map((r) => r.us.get(g) ?? 0)));
    const med: RowResult = {
      perSecond: median(rs.map((r) => r.perSecond)),
      p99Ms: median(rs.map((r) => r.p99Ms)),
      us,
      faults: median(rs.map((r) => r.faults)),
      perEntry: median(rs.map((r) => r.perEntry)),
      perFsync: median(rs.map((r) => r.perFsync)),
      load: median(rs.map((r) => r.load)),
    };
    console.log(formatRow(label, `${row.test}:${row.pipeline}`, med));
  });
}
process.exit(0);
