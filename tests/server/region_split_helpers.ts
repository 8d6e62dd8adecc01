/**
 * The harness of the tests of nodes holding many regions (region_split_node_test.ts and the
 * tests built on it): a split size small enough that a few hundred writes split three in-process
 * nodes (cluster_helpers.ts) into several regions, and the waits and names they share.
 */
import type { RegionHost } from "../../src/server/node/region_host.ts";
import type { TinyKvClient } from "../../src/client/tinykv_client.ts";
import type { TestCluster } from "./cluster_helpers.ts";
import { createPrng } from "../../src/util/prng.ts";

/** Splits past 2 KiB, checked every 40 ms. */
export const SPLIT = { regionSplitBytes: 2048, splitCheckMs: 40 } as const;

const prng = createPrng(41);

/**
 * `n` random hex characters: values that do not compress. A region's size counts its tables'
 * bytes as stored (LZ4 blocks) plus what it applied since the last flush (docs/regions.md "Size
 * and split keys"); repeated characters compress about tenfold, so a region of them stayed under
 * the split size once flushed, and a split waited for a check to land between two flushes.
 */
export function noise(n: number): string {
  let out = "";
  while (out.length < n) out += prng.nextU32().toString(16).padStart(8, "0");
  return out.slice(0, n);
}

export function key(i: number): string {
  return `k${String(i).padStart(4, "0")}`;
}

/** Polls `ok` every 20 ms (a bounded count); throws after `ms`. */
export async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  for (let i = 0; i < ms / 20; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

export function regionCounts(c: TestCluster): number[] {
  return [...c.servers.values()].map((s) => s.node.local.host.count);
}

export function hostOf(c: TestCluster, id: number): RegionHost {
  const host = c.servers.get(id)?.node.local.host;
  if (host === undefined) throw new Error(`node ${id} is not running`);
  return host;
}

/**
 * Writes keys k0000..k(keys-1) with values of about 130 bytes until every node holds at least
 * `regions` regions, alike, then stops the split checks (no split while the test looks).
 * Resolves with what was written.
 */
export async function splitInto(
  c: TestCluster,
  client: TinyKvClient,
  regions: number,
  keys = 100,
): Promise<Map<string, string>> {
  const written = new Map<string, string>();
  for (let i = 0; i < keys * 2; i++) {
    const k = key((i * 37) % keys);
    written.set(k, `v${i}-${noise(120)}`);
    await client.put(k, written.get(k) ?? "");
    const n = regionCounts(c);
    if (i >= keys && n.every((x) => x >= regions)) break;
  }
  await settle(c, regions);
  return written;
}

/**
 * Waits until every node holds at least `regions` regions, alike, each with a leader, and stops
 * the split checks (no split while the test looks).
 */
export async function settle(c: TestCluster, regions: number): Promise<void> {
  await until(`${regions} regions, alike on every node`, () => {
    const n = regionCounts(c);
    return n[0] >= regions && n.every((x) => x === n[0]) &&
      [...c.servers.values()].every((s) => !s.node.local.host.adding);
  });
  for (const s of c.servers.values()) s.node.local.splitCheck.stop();
  // A split proposed before the stop may still apply: the counts must hold still (15 polls).
  let same = 0, was = "";
  await until("region counts settled", () => {
    const now = regionCounts(c).join();
    same = now === was ? same + 1 : 0;
    was = now;
    return same >= 15 && regionCounts(c).every((x) => x === regionCounts(c)[0]);
  });
  await until(
    "every region has a leader",
    () =>
      [...c.servers.values()].every((s) =>
        s.node.local.host.all().every((r) => r.group.rawNode.lead !== 0)
      ),
  );
}

/**
 * A put tried again (the same value: idempotent) when it fails while regions split and move, at
 * most 3 times. (Unanswered puts seen at load 25 were probably the stale command path of a replica
 * that left a node and came back, fixed in session 15; a retry stays harmless.)
 */
export async function putRetrying(client: TinyKvClient, k: string, v: string): Promise<void> {
  for (let attempt = 1;; attempt++) {
    try {
      await client.put(k, v);
      return;
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}
