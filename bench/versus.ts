/**
 * bench:versus — TinyKV next to etcd and redis-server on this machine, in one run, each driven by
 * a native client, printed as one table with ratios (bench/RESULTS.md, "Side by side").
 *
 *   deno task bench:versus [--seconds 5] [--warmup 5] [--row-warmup 3] [--history keep|compact]
 *                          [--region-split-bytes N]
 *   or   bun bench/versus.ts [...]
 *
 * Every server is warmed up before its first measured row: the same load as its busiest row,
 * unmeasured, for --warmup seconds (0: none). A fresh TinyKV spends its first seconds compiling
 * (Bun's JIT threads take ~40 % of its CPU per write then: bench/RESULTS.md); etcd and
 * redis-server get the same warm-up so that both sides are measured in their steady state.
 * Then every row runs its own load for --row-warmup seconds, unmeasured, before it is measured, on
 * every system alike: warming with 64 in flight leaves a one-in-flight put's path and the read
 * paths still compiling when their rows start, and a `tinykv bench` process compiles its own
 * client (it gets `--warmup`, so the measured run reuses the warmed process).
 *
 * History: etcd as packaged compacts nothing automatically, while a TinyKV node removes history
 * older than 100,000 revisions while it writes (docs/coordination.md). `--history keep` (the
 * default) starts TinyKV with `--auto-compact-revisions 0` so both keep their history, as etcd's
 * defaults do; `--history compact` measures TinyKV's default (the cost is in bench/RESULTS.md).
 *
 * Regions: TinyKV runs as a new cluster does, splitting at its default size (every write takes a
 * timestamp from the placement service's oracle: docs/regions.md); `--region-split-bytes 0`
 * measures the one-region node, whose revisions are log indexes.
 *
 * Needs ./tinykv (bash compile.sh). Rows whose anchor is not installed are skipped with a note:
 * etcd (Debian etcd-server) plus golang-go and golang-etcd-server-dev for its Go client; and
 * redis-server, redis-cli and redis-benchmark (Debian redis-server, redis-tools). Every process
 * it starts is killed by pid at the end, on error and on Ctrl-C; temp dirs are removed.
 */
import * as os from "node:os";
import { parseArgs } from "node:util";
import process from "node:process";
import { describeMachine } from "./machine.ts";
import {
  buildEtcdLoader,
  type EtcdCluster,
  etcdMissing,
  runEtcdLoad,
  startEtcd,
} from "./versus/etcd.ts";
import { cleanUp, cleanUpOnSignals, installed, runTool } from "./versus/processes.ts";
import { redisBenchmark, startRedis } from "./versus/redis.ts";
import type { Measured, VersusRow } from "./versus/report.ts";
import { renderTable } from "./versus/report.ts";
import { runTinyKvBench, startTinyKv, type TinyKvCluster } from "./versus/tinykv.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    seconds: { type: "string", default: "5" },
    warmup: { type: "string", default: "5" },
    "row-warmup": { type: "string", default: "3" },
    history: { type: "string", default: "keep" },
    "region-split-bytes": { type: "string" },
  },
});
const SECONDS = Number(values.seconds);
if (!Number.isInteger(SECONDS) || SECONDS < 1 || SECONDS > 600) {
  console.error("--seconds must be a whole number from 1 to 600");
  process.exit(2);
}
const WARMUP_SECONDS = Number(values.warmup);
if (!Number.isInteger(WARMUP_SECONDS) || WARMUP_SECONDS < 0 || WARMUP_SECONDS > 600) {
  console.error("--warmup must be a whole number from 0 to 600");
  process.exit(2);
}
const ROW_WARMUP_SECONDS = Number(values["row-warmup"]);
if (!Number.isInteger(ROW_WARMUP_SECONDS) || ROW_WARMUP_SECONDS < 0 || ROW_WARMUP_SECONDS > 600) {
  console.error("--row-warmup must be a whole number from 0 to 600");
  process.exit(2);
}

if (values.history !== "keep" && values.history !== "compact") {
  console.error("--history must be keep or compact");
  process.exit(2);
}
const SPLIT = values["region-split-bytes"];
if (SPLIT !== undefined && !/^\d{1,15}$/.test(SPLIT)) {
  console.error("--region-split-bytes must be a non-negative integer");
  process.exit(2);
}
/** TinyKV's flags: history kept as etcd keeps it, unless --history compact. */
const TINYKV_ARGS = [
  ...(values.history === "keep" ? ["--auto-compact-revisions", "0"] : []),
  ...(SPLIT === undefined ? [] : ["--region-split-bytes", SPLIT]),
];

/** Runs a load unmeasured for --warmup seconds (its result is dropped; a failure is a note). */
async function warmUp(what: string, run: (seconds: number) => Promise<Measured>, notes: string[]) {
  if (WARMUP_SECONDS === 0) return;
  await measure(
    `${what} warm-up (${WARMUP_SECONDS} s, not reported)`,
    () => run(WARMUP_SECONDS),
    notes,
  );
}

/** Runs a row's own load unmeasured for --row-warmup seconds before the row is measured. */
async function rowWarmUp(run: (seconds: number) => Promise<Measured>): Promise<void> {
  if (ROW_WARMUP_SECONDS === 0) return;
  await run(ROW_WARMUP_SECONDS).catch(() => undefined); // the measured run reports failures
}

/** The version a server prints with --version, or "" when it prints none we recognise. */
async function toolVersion(cmd: string, pattern: RegExp): Promise<string> {
  const out = await runTool(cmd, ["--version"], 10_000).catch(() => "");
  return pattern.exec(out)?.[1] ?? "";
}

/** Runs one measurement; a failure becomes a note on the row instead of ending the run. */
async function measure(
  what: string,
  run: () => Promise<Measured>,
  notes: string[],
): Promise<Measured | undefined> {
  try {
    const m = await run();
    console.error(`  ${what}: ${Math.round(m.perSecond)}/s, p99 ${m.p99Ms ?? "?"} ms`);
    return m;
  } catch (err) {
    const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
    console.error(`  ${what}: failed: ${message}`);
    notes.push(`${what} failed: ${message}`);
    return undefined;
  }
}

let ETCD_ANCHOR = "etcd, Go clientv3";
const THREE_NODE_LOADS = [
  { workload: "3 nodes, put 100 B, 1 in flight", op: "put", concurrency: 1 },
  { workload: "3 nodes, put 100 B, 64 in flight", op: "put", concurrency: 64 },
  { workload: "3 nodes, linearizable get, 64 in flight", op: "get", concurrency: 64 },
] as const;
/** What warms a 3-node cluster up: puts, 64 in flight (the busiest write row). */
const WARMUP_LOAD = { op: "put", concurrency: 64 } as const;

/** The etcd side of the 3-node rows: its own cluster, stopped before TinyKV's starts. */
async function etcdResults(notes: string[]): Promise<(Measured | undefined)[]> {
  const missing = await etcdMissing();
  if (missing !== undefined) {
    notes.push(`etcd rows skipped: ${missing}`);
    return THREE_NODE_LOADS.map(() => undefined);
  }
  ETCD_ANCHOR = `etcd ${await toolVersion("etcd", /etcd Version: ([\d.]+)/)}, Go clientv3`;
  console.error("etcd: building the Go loader, starting 3 members");
  let loader: string, etcd: EtcdCluster;
  try {
    loader = await buildEtcdLoader();
    etcd = await startEtcd();
  } catch (err) {
    // A loader that does not build, or members that do not start, skip the rows, not the run.
    notes.push(`etcd rows skipped: ${err instanceof Error ? err.message.split("\n")[0] : err}`);
    return THREE_NODE_LOADS.map(() => undefined);
  }
  const results: (Measured | undefined)[] = [];
  try {
    const warm = (seconds: number) => runEtcdLoad(loader, etcd, { ...WARMUP_LOAD, seconds });
    await warmUp("etcd put", warm, notes);
    for (const l of THREE_NODE_LOADS) {
      const load = { op: l.op, concurrency: l.concurrency, seconds: SECONDS };
      await rowWarmUp((seconds) => runEtcdLoad(loader, etcd, { ...load, seconds }));
      results.push(
        await measure(`etcd ${l.workload}`, () => runEtcdLoad(loader, etcd, load), notes),
      );
    }
  } finally {
    etcd.stop();
  }
  return results;
}

/** The 3-node rows: etcd first, then a fresh 3-node TinyKV with `tinykv bench` and RESP. */
async function threeNodeRows(): Promise<VersusRow[]> {
  const notes: string[] = [];
  const anchors = await etcdResults(notes);
  if (anchors.every((a) => a === undefined) && notes.some((n) => n.includes("skipped"))) {
    return [{ workload: "3 nodes (put, get)", anchor: "etcd", tinykvTool: "—", note: notes[0] }];
  }
  console.error("tinykv: starting 3 nodes");
  const tinykv = await startTinyKv(3, TINYKV_ARGS);
  const rows: VersusRow[] = [];
  try {
    await warmUp(
      "tinykv put",
      (seconds) => runTinyKvBench(tinykv, { ...WARMUP_LOAD, seconds }),
      notes,
    );
    for (const [i, l] of THREE_NODE_LOADS.entries()) {
      const load = {
        op: l.op,
        concurrency: l.concurrency,
        seconds: SECONDS,
        warmupSeconds: ROW_WARMUP_SECONDS,
      };
      const t = await measure(`tinykv ${l.workload}`, () => runTinyKvBench(tinykv, load), notes);
      rows.push({
        workload: l.workload,
        anchor: ETCD_ANCHOR,
        anchorResult: anchors[i],
        tinykvResult: t,
        tinykvTool: "`tinykv bench`",
      });
    }
    rows.push(await respGetRow(tinykv, anchors[2], notes));
  } finally {
    await tinykv.stop();
  }
  return withNotes(rows, notes);
}

/** The linearizable get row again, TinyKV driven by redis-benchmark on the leader's RESP port. */
async function respGetRow(
  tinykv: TinyKvCluster,
  anchor: Measured | undefined,
  notes: string[],
): Promise<VersusRow> {
  const workload = "3 nodes, linearizable get, 64 in flight";
  const tinykvTool = "`redis-benchmark -c 64 -P 1 -d 100`, leader's RESP port";
  if (!(await installed("redis-benchmark"))) {
    return { workload, anchor: ETCD_ANCHOR, tinykvTool, note: "redis-benchmark not installed" };
  }
  const load = {
    port: tinykv.leaderRespPort,
    test: "get" as const,
    clients: 64,
    pipeline: 1,
    seconds: SECONDS,
    valueSize: 100,
  };
  await rowWarmUp((seconds) => redisBenchmark({ ...load, seconds }));
  const t = await measure(`tinykv ${workload} (RESP)`, () => redisBenchmark(load), notes);
  return { workload, anchor: ETCD_ANCHOR, anchorResult: anchor, tinykvResult: t, tinykvTool };
}

/** Puts the failures collected while measuring a group on the group's first row. */
function withNotes(rows: VersusRow[], notes: string[]): VersusRow[] {
  if (notes.length === 0 || rows.length === 0) return rows;
  return [{ ...rows[0], note: notes.join("; ") }, ...rows.slice(1)];
}

const RESP_LOADS = [
  { test: "set", pipeline: 1 },
  { test: "set", pipeline: 16 },
  { test: "get", pipeline: 1 },
  { test: "get", pipeline: 16 },
] as const;

/** The 1-node RESP rows: redis-server (appendfsync always), then a 1-node TinyKV. */
async function oneNodeRows(): Promise<VersusRow[]> {
  const workloadOf = (l: (typeof RESP_LOADS)[number]) =>
    `1 node, RESP ${l.test.toUpperCase()}, \`redis-benchmark -c 50 -P ${l.pipeline}\``;
  for (const tool of ["redis-server", "redis-cli", "redis-benchmark"]) {
    if (!(await installed(tool))) {
      const note = `1-node RESP rows skipped: ${tool} is not installed (Debian: redis-server)`;
      return [{ workload: "1 node, RESP SET/GET", anchor: "redis-server", tinykvTool: "—", note }];
    }
  }
  const notes: string[] = [];
  const version = await toolVersion("redis-server", /v=([\d.]+)/);
  const runAll = async (port: number, who: string) => {
    const out: (Measured | undefined)[] = [];
    const warm = { port, test: "set" as const, clients: 50, pipeline: 16 };
    await warmUp(`${who} SET -P 16`, (seconds) => redisBenchmark({ ...warm, seconds }), notes);
    for (const l of RESP_LOADS) {
      const load = { port, test: l.test, clients: 50, pipeline: l.pipeline, seconds: SECONDS };
      const run = () => redisBenchmark(load);
      await rowWarmUp((seconds) => redisBenchmark({ ...load, seconds }));
      out.push(await measure(`${who} ${workloadOf(l)}`, run, notes));
    }
    return out;
  };
  console.error("redis-server: appendonly yes, appendfsync always");
  const redis = await startRedis();
  const anchors = await runAll(redis.port, "redis").finally(() => redis.stop());
  console.error("tinykv: starting 1 node");
  const tinykv = await startTinyKv(1, TINYKV_ARGS);
  const ours = await runAll(tinykv.leaderRespPort, "tinykv").finally(() => tinykv.stop());
  const rows = RESP_LOADS.map((l, i) => ({
    workload: workloadOf(l),
    anchor: `redis-server ${version}, appendfsync always`,
    anchorResult: anchors[i],
    tinykvResult: ours[i],
    tinykvTool: "`redis-benchmark`",
  }));
  return withNotes(rows, notes);
}

async function main(): Promise<void> {
  cleanUpOnSignals();
  console.log(describeMachine());
  console.log(`seconds per measurement: ${SECONDS}; servers and clients share these cores`);
  console.log(
    `warm-up: ${WARMUP_SECONDS} s per server, then ${ROW_WARMUP_SECONDS} s of each row's load`,
  );
  console.log(`TinyKV history: ${values.history} (etcd: no automatic compaction)`);
  console.log(
    `TinyKV regions: --region-split-bytes ${SPLIT ?? "default (a new cluster splits)"}\n`,
  );
  const rows = [...await threeNodeRows(), ...await oneNodeRows()];
  console.log(renderTable(rows));
  console.log(`\nload average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(", ")}`);
}

try {
  await main();
} finally {
  await cleanUp();
}
