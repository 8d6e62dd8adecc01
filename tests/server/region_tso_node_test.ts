/**
 * Revisions from the timestamp oracle on nodes holding many regions (decision 0018,
 * docs/regions.md "Revisions across regions"): three in-process nodes split into several
 * regions under writes; every acknowledged write's revision is a timestamp larger than every
 * earlier write's, whatever its region; a scan at a past revision over several regions sees
 * exactly the writes at or below it (through every node, and through the routing client); a
 * revision no oracle handed out yet is refused; `compact` reaches every region.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { TinyKvError } from "../../src/client/errors.ts";
import type { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { LOGICAL_PER_MS } from "../../src/txn/timestamp.ts";
import { startCluster } from "./cluster_helpers.ts";
import { hostOf, key, SPLIT, splitInto, until } from "./region_split_helpers.ts";

/** Every key of prefix "k" and its value, read at `revision` (all pages). */
async function scanAt(client: TinyKvClient, revision: number): Promise<Map<string, string>> {
  const seen = new Map<string, string>();
  let cursor: Uint8Array | undefined;
  for (let page = 0; page < 100; page++) {
    const p = await client.scan({ prefix: "k", limit: 40, revision, cursor });
    assert.equal(p.revision, revision);
    for (const i of p.items) seen.set(fromUtf8(i.key), fromUtf8(i.value));
    cursor = p.nextCursor;
    if (cursor === undefined) return seen;
  }
  throw new Error("more than 100 pages");
}

test("region tso node: revisions are timestamps across regions; scans and compaction at one", {
  timeout: 90_000,
}, async () => {
  const c = await startCluster(3, 20, undefined, { ...SPLIT, autoCompact: { checkMs: 100 } });
  try {
    await c.leader();
    const client = c.client();
    // Every write is acknowledged before the next is sent: its timestamp, taken after the
    // previous one's acknowledgement, is larger, in whichever region each lands.
    const written = await splitInto(c, client, 3);
    let last = 0;
    const revisions: number[] = [];
    for (let i = 0; i < 60; i++) {
      const k = key((i * 7) % 100);
      await client.put(k, `w${i}`);
      const revision = (await client.getEntry(k))?.modRevision ?? 0;
      assert.ok(revision > last, `write ${i}: revision ${revision} after ${last}`);
      last = revision;
      revisions.push(revision);
      written.set(key((i * 7) % 100), `w${i}`);
    }
    // Timestamps (ms since 2026 × 2048), not log indexes.
    assert.ok(last > 2 ** 40, `revision ${last} is a timestamp`);
    const host = hostOf(c, 1);
    assert.ok(host.count >= 3, `${host.count} regions`);
    const inRegions = new Set(host.all().map((r) => r.kv.kv.revision));
    assert.ok(inRegions.size >= 2, "the regions' revisions differ: each its own writes");

    // A past revision over every region: exactly the writes at or below it.
    const at = last;
    const before = new Map(written);
    for (let i = 0; i < 30; i++) {
      await client.put(key((i * 11) % 100), `later${i}`);
      written.set(key((i * 11) % 100), `later${i}`);
    }
    await client.put(key(150), "new");
    for (const id of [1, 2, 3]) {
      assert.deepEqual(await scanAt(c.client([id]), at), before, `through node ${id}`);
    }
    const routed = await scanAt(client, at);
    assert.deepEqual(routed, before, "through the routing client");
    // A region that wrote nothing since is read at the revision too (it is closed first).
    const quiet = revisions[10];
    const asOf = await scanAt(c.client([2]), quiet);
    assert.equal(asOf.size, before.size);
    assert.ok([...asOf.values()].every((v) => !v.startsWith("later")));

    // A revision no timestamp reached yet (an hour ahead): FUTURE_REVISION.
    const future = at + 3_600_000 * LOGICAL_PER_MS;
    await assert.rejects(
      client.scan({ prefix: "k", revision: future }),
      (err: unknown) => err instanceof TinyKvError && err.code === "FUTURE_REVISION",
    );

    // `compact` at a revision: region 1 at once, every other region's leader follows.
    await c.client([2]).compact(at);
    await until(
      "every region compacted",
      () =>
        [...c.servers.values()].every((s) =>
          s.node.local.host.all().every((r) =>
            r.kv.kv.compactedRevision === Math.min(at, r.kv.kv.revision)
          )
        ),
      20_000,
    );
    for (const id of [1, 2, 3]) {
      await assert.rejects(
        scanAt(c.client([id]), at - 1),
        (err: unknown) => err instanceof TinyKvError && err.code === "COMPACTED",
      );
      assert.deepEqual(await scanAt(c.client([id]), at), before, `node ${id}: kept at ${at}`);
    }
  } finally {
    await c.close();
  }
});
