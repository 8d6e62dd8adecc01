/**
 * Growth: one node of the compiled ./tinykv while its data grows. Rounds of
 * `redis-benchmark -c 50 -d 1000 -r 100000000 -t set -n 400000` (about 2 GB after five), each
 * with SET/s, p99, the node's RSS and CPU time per SET, and the data dir's size; then GET on
 * that data against GET on a small data set, write p99 at 16 in flight, and the time from a
 * kill -9 and restart to the first acknowledged SET.
 *
 *   deno task bench:growth [--rounds 5] [--requests 400000] [--value-size 1000]
 *     [--restart-each-round] [--dir /tmp] [--binary ./tinykv]
 *
 * Requires ./tinykv (bash compile.sh), redis-benchmark and redis-cli. Every process and the
 * data dir go at the end, also on error or Ctrl-C (bench/versus/processes.ts).
 */
import { parseArgs } from "node:util";
import { BINARY } from "../tests/e2e/binary_cluster.ts";
import { describeMachine } from "./machine.ts";
import { formatMeasured } from "./versus/report.ts";
import { cleanUp, cleanUpOnSignals, installed } from "./versus/processes.ts";
import { checkFreeDisk, type GrowthNode, startGrowthNode } from "./growth/node.ts";
import { redisLoad } from "./growth/load.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    requests: { type: "string", default: "400000" },
    "value-size": { type: "string", default: "1000" },
    clients: { type: "string", default: "50" },
    "get-requests": { type: "string", default: "200000" },
    "small-keys": { type: "string", default: "10000" },
    "restart-each-round": { type: "boolean", default: false },
    dir: { type: "string", default: "/tmp" },
    binary: { type: "string", default: BINARY },
  },
});

const rounds = positive("--rounds", values.rounds);
const requests = positive("--requests", values.requests);
const valueSize = positive("--value-size", values["value-size"]);
const clients = positive("--clients", values.clients);
const getRequests = positive("--get-requests", values["get-requests"]);
const smallKeys = positive("--small-keys", values["small-keys"]);
/** The key space of the growth rounds: random keys, so nearly every SET adds a key. */
const BIG_KEY_SPACE = 100_000_000;

function positive(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  return n;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/**
 * RSS, data size, slow request lines, and the node's CPU time; with `round`, the CPU time of
 * this round per SET (steadier than throughput on a shared machine).
 */
async function describeNode(
  node: GrowthNode,
  round?: { cpuMsBefore: number; sets: number },
): Promise<string> {
  const s = await node.sample();
  const perSet = round === undefined
    ? ""
    : `, ${((s.cpuMs - round.cpuMsBefore) * 1000 / round.sets).toFixed(0)} µs CPU/SET this round`;
  const parts = [...s.dirParts].filter(([, b]) => b >= 2 ** 20).map(([n, b]) => `${n} ${mib(b)}`);
  const compacted = metric(s.metrics, "tinykv_storage_compaction_bytes_total");
  const regions = metric(s.metrics, "tinykv_regions");
  return `RSS ${mib(s.rssBytes)}, data dir ${mib(s.dirBytes)} (${parts.join(", ")}), ` +
    `compactions wrote ${
      mib(compacted)
    } in all, ${regions} regions, slow requests ${node.slowLines()}, CPU ${
      (s.cpuMs / 1000).toFixed(1)
    } s${perSet}`;
}

/** The sum of a metric's samples in a /metrics text (0 if absent). */
function metric(text: string, name: string): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "gm"))) {
    sum += Number(m[1]);
  }
  return sum;
}

async function growthRounds(node: GrowthNode): Promise<void> {
  let written = 0;
  for (let round = 1; round <= rounds; round++) {
    const cpuMsBefore = (await node.sample()).cpuMs;
    const load = { test: "set" as const, clients, requests, valueSize, keySpace: BIG_KEY_SPACE };
    // redis-benchmark stops at the first error reply (a write that timed out): say so and go on.
    const r = await redisLoad(node.respPort, load).catch((err: Error) => err);
    written += requests;
    if (r instanceof Error) {
      const reason = r.message.split("\n").find((l) => l.includes("Error from server"));
      console.log(`round ${round}: stopped by an error reply: ${reason ?? r.message}`);
      continue;
    }
    console.log(
      `round ${round}: SET ${formatMeasured(r)} — ${
        written.toLocaleString("en-US")
      } SETs so far; ` +
        await describeNode(node, { cpuMsBefore, sets: requests }),
    );
    if (values["restart-each-round"] && round < rounds) await restartLine(node, written);
  }
}

async function restartLine(node: GrowthNode, keys: number): Promise<void> {
  const r = await node.restart();
  console.log(
    `restart after ${keys.toLocaleString("en-US")} SETs (${mib(r.dirBytes)} on disk): ` +
      `kill -9 → ports open ${r.servingMs.toFixed(0)} ms, first SET acknowledged ` +
      `${r.firstWriteMs.toFixed(0)} ms`,
  );
}

/**
 * Waits until the node's flushes and compactions have stopped for two seconds (at most
 * SETTLE_MS_MAX), so a GET row measures reads on the data's size rather than reads beside the
 * compactions the writes before it left (both are printed: the wait says how much was left).
 */
async function settle(node: GrowthNode): Promise<string> {
  const t0 = performance.now();
  const work = async () => {
    const m = (await node.sample()).metrics;
    return metric(m, "tinykv_storage_compaction_bytes_total") +
      metric(m, "tinykv_storage_flushes_total");
  };
  let last = await work(), quiet = 0;
  while (quiet < 2 && performance.now() - t0 < SETTLE_MS_MAX) {
    await new Promise((r) => setTimeout(r, 1_000));
    const now = await work();
    quiet = now === last ? quiet + 1 : 0;
    last = now;
  }
  return `compactions settled after ${((performance.now() - t0) / 1000).toFixed(0)} s`;
}

const SETTLE_MS_MAX = 180_000;

/** GET on the same random key space (mostly misses) and on a hot set of `smallKeys` keys. */
async function getLines(node: GrowthNode, label: string, space: number | undefined) {
  if (space !== undefined) {
    const load = {
      test: "get" as const,
      clients,
      requests: getRequests,
      valueSize,
      keySpace: space,
    };
    const busy = await redisLoad(node.respPort, load);
    const keySpace = `${space.toLocaleString("en-US")}-key space`;
    console.log(`${label}: GET, ${keySpace}, right after the writes: ${formatMeasured(busy)}`);
    console.log(`${label}: ${await settle(node)}`);
    const r = await redisLoad(node.respPort, load);
    console.log(`${label}: GET, ${keySpace}: ${formatMeasured(r)}`);
  }
  // The hot set: written first, so every GET finds its key.
  const fill = Math.max(smallKeys * 5, 10_000);
  const hot = { clients, valueSize, keySpace: smallKeys };
  await redisLoad(node.respPort, { ...hot, test: "set", requests: fill, pipeline: 16 });
  const busy = await redisLoad(node.respPort, { ...hot, test: "get", requests: getRequests });
  const keys = smallKeys.toLocaleString("en-US");
  console.log(`${label}: GET, ${keys} hot keys, right after their writes: ${formatMeasured(busy)}`);
  console.log(`${label}: ${await settle(node)}`);
  const r = await redisLoad(node.respPort, { ...hot, test: "get", requests: getRequests });
  console.log(`${label}: GET, ${keys} hot keys: ${formatMeasured(r)}`);
}

async function main(): Promise<void> {
  for (const tool of ["redis-benchmark", "redis-cli"]) {
    if (!(await installed(tool))) throw new Error(`${tool} is not installed`);
  }
  console.log(describeMachine());
  const dataBytes = rounds * requests * valueSize;
  await checkFreeDisk(values.dir, dataBytes * 2);
  console.log(
    `growth: ${rounds} rounds of ${
      requests.toLocaleString("en-US")
    } SETs, ${valueSize} B values, ` +
      `${clients} clients, keys random in ${BIG_KEY_SPACE.toLocaleString("en-US")} ` +
      `(about ${mib(dataBytes)} written); node ${values.binary}, data in ${values.dir}`,
  );
  const big = await startGrowthNode(values.binary, values.dir);
  console.log(`start: ${await describeNode(big)}`);
  await growthRounds(big);
  await getLines(big, "grown node", BIG_KEY_SPACE);
  await restartLine(big, rounds * requests);
  console.log(`after restart: ${await describeNode(big)}`);
  await big.stop();
  const small = await startGrowthNode(values.binary, values.dir);
  await getLines(small, "small node", undefined);
  // Sustained writes at 16 in flight: the latency target (p99 under 10 ms) of issue 14.
  const r = await redisLoad(small.respPort, {
    test: "set",
    clients: 16,
    requests: Math.max(getRequests, 100_000),
    valueSize: 100,
    keySpace: 10_000,
  });
  console.log(`small node: SET at 16 in flight, 100 B values: ${formatMeasured(r)}`);
  await small.stop();
}

cleanUpOnSignals();
try {
  await main();
} finally {
  await cleanUp();
}
