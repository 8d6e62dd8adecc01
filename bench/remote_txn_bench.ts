/**
 * Transactions across regions on real nodes, next to single-region ones (docs/transactions.md
 * "On nodes", "On a node holding some regions"): three in-process nodes
 * (tests/server/cluster_helpers.ts: real sockets, engines on disk, 20 ms ticks) with
 * `--replicas 2`, split until one node holds no replica of a region (tests/server/partial_layout.ts).
 * Every transaction is a protobuf `txn` of two keys (a compare of the first, puts of both), sent by
 * clients of one node only, each client on keys of its own (no conflicts):
 *
 *   single-here    both keys in one region the node holds (its fast path: one Routed command)
 *   single-away    both keys in the region the node does not hold (sent on to it)
 *   cross-all      one key in each region, on a node holding both
 *   cross-partial  one key in each region, on the node holding one (reads and Percolator requests
 *                  of the other region at its leader)
 *
 * Reported per kind: latency of one client's transactions in turn (p50, p99 ms), throughput of
 * `--clients` clients at once (txns/s), and CPU per transaction (the whole process: all three nodes
 * and the clients share it).
 *
 *   deno run -A bench/remote_txn_bench.ts [--txns 200] [--clients 8]
 *   bun bench/remote_txn_bench.ts
 */
import { parseArgs } from "node:util";
import process from "node:process";
import type { TinyKvClient } from "../src/client/tinykv_client.ts";
import { utf8 } from "../src/util/bytes.ts";
import { startCluster, type TestCluster } from "../tests/server/cluster_helpers.ts";
import { PARTIAL, partialLayout } from "../tests/server/partial_layout.ts";
import { describeMachine } from "./machine.ts";

const { values } = parseArgs({
  options: {
    txns: { type: "string", default: "200" },
    clients: { type: "string", default: "8" },
  },
});
const TXNS = Number(values.txns);
const CLIENTS = Number(values.clients);

interface Kind {
  readonly name: string;
  readonly node: number;
  /** The two keys of transaction `n` of client `c`. */
  readonly keys: (c: number, n: number) => [string, string];
}

async function txn(client: TinyKvClient, [a, b]: [string, string], n: number): Promise<void> {
  const r = await client.txn({
    compare: [{ key: a, target: "version", result: "<", number: 2 ** 52 }],
    success: [{ put: { key: a, value: `v${n}` } }, { put: { key: b, value: `w${n}` } }],
  });
  if (!r.succeeded) throw new Error("the compare failed");
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

async function measure(c: TestCluster, kind: Kind) {
  const clients = Array.from({ length: CLIENTS }, () => c.client([kind.node]));
  // Warm up: routes cached, connections open.
  for (let i = 0; i < 5; i++) await txn(clients[0], kind.keys(0, i), i);
  const latencies: number[] = [];
  let cpu0 = process.cpuUsage();
  for (let n = 0; n < TXNS; n++) {
    const t0 = performance.now();
    await txn(clients[0], kind.keys(0, n), n);
    latencies.push(performance.now() - t0);
  }
  const cpu1 = process.cpuUsage(cpu0);
  const serialCpuMs = (cpu1.user + cpu1.system) / 1000 / TXNS;
  latencies.sort((x, y) => x - y);
  cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const per = Math.ceil(TXNS / CLIENTS);
  await Promise.all(clients.map(async (client, i) => {
    for (let n = 0; n < per; n++) await txn(client, kind.keys(i, n), n);
  }));
  const wallMs = performance.now() - wall0;
  const cpu2 = process.cpuUsage(cpu0);
  for (const client of clients) client.close();
  return {
    kind: kind.name,
    node: kind.node,
    p50: percentile(latencies, 0.5).toFixed(1),
    p99: percentile(latencies, 0.99).toFixed(1),
    serialCpuMsPerTxn: serialCpuMs.toFixed(2),
    txnsPerSec: ((per * CLIENTS) / (wallMs / 1000)).toFixed(0),
    concurrentCpuMsPerTxn: ((cpu2.user + cpu2.system) / 1000 / (per * CLIENTS)).toFixed(2),
  };
}

async function main() {
  console.log(describeMachine());
  console.log(`txns: ${TXNS} serial, then ${CLIENTS} clients at once`);
  const c = await startCluster(3, 20, undefined, PARTIAL);
  try {
    await c.leader();
    const layout = await partialLayout(c, c.client());
    const { node, away, here } = layout;
    const hostOf = (id: number) => c.servers.get(id)?.node.local.host;
    const regionAt = (id: number, k: string) => hostOf(id)?.regionFor(utf8(k))?.id;
    const [x, y] = [away[0], here[0]];
    // Keys next to x and y (the same regions: checked below).
    const near = (base: string) => (c: number, n: number) => `${base}-c${c}-${n % 20}`;
    const nx = near(x), ny = near(y);
    const both = [...c.servers.keys()].find((id) =>
      id !== node && regionAt(id, x) !== undefined && regionAt(id, y) !== undefined
    );
    const holder = [...c.servers.keys()].find((id) => regionAt(id, x) !== undefined) ?? 0;
    const kinds: Kind[] = [
      { name: "single-here", node, keys: (c, n) => [ny(c, n), `${ny(c, n)}b`] },
      { name: "single-away", node, keys: (c, n) => [nx(c, n), `${nx(c, n)}b`] },
      ...(both === undefined ? [] : [{
        name: "cross-all",
        node: both,
        keys: (c: number, n: number): [string, string] => [nx(c, n), ny(c, n)],
      }]),
      { name: "cross-partial", node, keys: (c, n) => [nx(c, n), ny(c, n)] },
    ];
    // Every key in the region its kind names (x's region held elsewhere, y's held here).
    for (let i = 0; i < CLIENTS; i++) {
      for (let n = 0; n < 20; n++) {
        if (regionAt(holder, nx(i, n)) !== regionAt(holder, x)) throw new Error("x's region");
        if (regionAt(node, ny(i, n)) !== regionAt(node, y)) throw new Error("y's region");
      }
    }
    // Who leads each region decides the hops (a follower forwards to its leader): say it.
    const leaderOf = (k: string) =>
      [...c.servers.keys()].find((id) =>
        hostOf(id)?.regionFor(utf8(k))?.group.rawNode.isLeader === true
      );
    console.log(
      `node ${node} lacks region ${layout.region.id} (keys near ${x}, led by node ` +
        `${leaderOf(x)}); holds ${y}'s (led by node ${leaderOf(y)}); node ${both ?? "none"} ` +
        "holds both",
    );
    const rows = [];
    for (const kind of kinds) {
      // A kind that fails (no answer in time) is reported, and the others still measured.
      rows.push(await measure(c, kind).catch((err) => ({ kind: kind.name, error: String(err) })));
    }
    console.table(rows);
    console.log(describeMachine().split("\n").at(-1));
  } finally {
    await c.close();
  }
}

await main();
