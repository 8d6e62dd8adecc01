/**
 * The loads of bench/coordination_bench.ts, each on its own in-process 3-node cluster
 * (tests/server/cluster_helpers.ts: real files and loopback sockets; nodes, clients and the
 * load share one process and one event loop, so a number is the whole of it).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { TinyKvClient } from "../src/client/tinykv_client.ts";
import { startCluster, type TestCluster } from "../tests/server/cluster_helpers.ts";

export interface Latency {
  readonly p50: number;
  readonly p99: number;
}

function latencyOf(samples: number[]): Latency {
  const sorted = Float64Array.from(samples).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
  return { p50: at(0.5), p99: at(0.99) };
}

async function withCluster<T>(run: (c: TestCluster) => Promise<T>): Promise<T> {
  const c = await startCluster(3);
  try {
    await c.leader();
    return await run(c);
  } finally {
    await c.close();
  }
}

export interface FanOutRow extends Latency {
  readonly watchers: number;
  readonly writes: number;
  readonly delivered: number;
  readonly eventsPerSecond: number;
}

/**
 * `watchers` watches on one prefix, spread over the three nodes (one client per node), and
 * `writes` puts under it, `concurrency` in flight. Latency: put issued → event received.
 */
export function fanOut(watchers: number, writes: number, concurrency: number): Promise<FanOutRow> {
  return withCluster(async (c) => {
    const writer = c.client();
    const start = await writer.put("fan/start", "");
    const issuedAt = new Map<string, number>();
    const latencies: number[] = [];
    const expected = watchers * writes;
    let lastAt = 0;
    let allDelivered = () => {};
    const delivered = new Promise<void>((r) => allDelivered = r);
    const perNode = [...c.peers.keys()].map((id) => c.client([id]));
    const watches = Array.from({ length: watchers }, (_, i) => {
      const w = perNode[i % perNode.length].watch({ prefix: "fan/" }, { fromRevision: start + 1 });
      void (async () => {
        for await (const u of w) {
          const now = performance.now();
          for (const e of u.events) latencies.push(now - (issuedAt.get(keyText(e.key)) ?? now));
          lastAt = now;
          if (latencies.length >= expected) allDelivered();
        }
      })().catch(() => {});
      return w;
    });
    const began = performance.now();
    await inFlight(writes, concurrency, async (i) => {
      const key = `fan/${i}`;
      issuedAt.set(key, performance.now());
      await writer.put(key, "v".repeat(100));
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([delivered, new Promise((r) => timer = setTimeout(r, 120_000))]);
    clearTimeout(timer);
    watches.forEach((w) => w.cancel());
    const seconds = (lastAt - began) / 1000;
    const eventsPerSecond = Math.round(latencies.length / seconds);
    return {
      watchers,
      writes,
      delivered: latencies.length,
      eventsPerSecond,
      ...latencyOf(latencies),
    };
  });
}

const keyText = (k: Uint8Array) => new TextDecoder().decode(k);

/** Runs `op(0..count-1)` with `concurrency` in flight. */
async function inFlight(count: number, concurrency: number, op: (i: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < count) await op(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export interface ThroughputRow extends Latency {
  readonly op: string;
  readonly concurrency: number;
  readonly opsPerSecond: number;
}

/** `op` for `durationMs` with `concurrency` in flight: ops/s and latency. */
async function throughput(
  name: string,
  concurrency: number,
  durationMs: number,
  op: (i: number) => Promise<unknown>,
): Promise<ThroughputRow> {
  const samples: number[] = [];
  const began = performance.now();
  let n = 0;
  const worker = async () => {
    while (performance.now() - began < durationMs) {
      const t = performance.now();
      await op(n++);
      samples.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - began) / 1000;
  const opsPerSecond = Math.round(samples.length / seconds);
  return { op: name, concurrency, opsPerSecond, ...latencyOf(samples) };
}

const VALUE = "v".repeat(100);

/** Plain puts, then a txn of 2 compares and 2 puts, at the same concurrency on one cluster. */
export function txnVsPut(concurrency: number, durationMs: number): Promise<ThroughputRow[]> {
  return withCluster(async (c) => {
    const kv = c.client();
    const put = await throughput(
      "put",
      concurrency,
      durationMs,
      (i) => kv.put(`p/${i % 1000}`, VALUE),
    );
    const txn = await throughput("txn (2 compares, 2 puts)", concurrency, durationMs, (i) => {
      const a = `t/a${i % 1000}`;
      const b = `t/b${i % 1000}`;
      return kv.txn({
        compare: [
          { key: a, target: "version", result: "<", number: 1e9 },
          { key: b, target: "modRevision", result: "<", number: 1e12 },
        ],
        success: [{ put: { key: a, value: VALUE } }, { put: { key: b, value: VALUE } }],
      });
    });
    return [put, txn];
  });
}

export interface HistoryRow {
  readonly overwrites: number;
  readonly keys: number;
  readonly putsPerSecond: number;
  /** The leader's engine directory after an engine compaction: every revision kept. */
  readonly bytesKept: number;
  /** The same after `compact(last revision)`, its background removal and an engine compaction. */
  readonly bytesCompacted: number;
}

/**
 * `overwrites` puts over `keys` keys (auto-compaction never triggers below its default 100,000
 * revisions), then the engine's bytes with the history kept and after compact(revision).
 */
export function historyCost(
  overwrites: number,
  keys: number,
  concurrency: number,
): Promise<HistoryRow> {
  return withCluster(async (c) => {
    const kv = c.client();
    let last = 0;
    const began = performance.now();
    await inFlight(overwrites, concurrency, async (i) => {
      last = Math.max(last, await kv.put(`h/${i % keys}`, VALUE));
    });
    const putsPerSecond = Math.round(overwrites / ((performance.now() - began) / 1000));
    const leader = c.servers.get(await c.leader());
    if (leader === undefined) throw new Error("no leader");
    const engineDir = path.join(c.dirs.get(await c.leader()) ?? "", "kv");
    await leader.node.db.compactRange();
    const bytesKept = treeBytes(engineDir);
    await compactEverywhere(c, kv, last);
    const bytesCompacted = treeBytes(engineDir);
    return { overwrites, keys, putsPerSecond, bytesKept, bytesCompacted };
  });
}

async function compactEverywhere(c: TestCluster, kv: TinyKvClient, revision: number) {
  await kv.compact(revision);
  for (const s of c.servers.values()) {
    for (let i = 0; i < 100 && s.node.kv.compactedRevision < revision; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await s.node.kv.compactor.idle();
    await s.node.db.compactRange();
  }
}

/** Bytes of every file under `dir`. */
export function treeBytes(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? treeBytes(p) : fs.statSync(p).size;
  }
  return total;
}
