/**
 * Watches on nodes holding many regions (src/server/node/node_watches.ts, docs/regions.md "The
 * node holding many regions"): a watch within one region is served by that region, on every
 * node; one resuming from below a split reads the ancestors' history (the lineage); one over
 * several regions is served (span_watch.ts); and a watch opened before the splits follows
 * its keys into the regions the splits give them, every change delivered once, in order.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Watch } from "../../src/client/watch.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { startCluster } from "./cluster_helpers.ts";
import { hostOf, key, regionCounts, settle, SPLIT, until } from "./region_split_helpers.ts";

/** Reads `watch` in the background: each change as "key=value", in order. */
function collect(watch: Watch): { seen: string[]; error: () => unknown } {
  const seen: string[] = [];
  let failed: unknown;
  void (async () => {
    try {
      for await (const u of watch) {
        for (const e of u.events) seen.push(`${fromUtf8(e.key)}=${fromUtf8(e.value)}`);
      }
    } catch (err) {
      failed = err;
    }
  })();
  return { seen, error: () => failed };
}

test("region watch node: a watch follows its keys through splits; per-region watches", {
  timeout: 60_000,
}, async () => {
  const c = await startCluster(3, 20, undefined, SPLIT);
  try {
    await c.leader();
    const client = c.client();
    // Opened while region 1 holds everything: key k0099 ends up in a split's child.
    const watched = client.watch(key(99));
    const moved = collect(watched);
    await until("the watch is created", () => watched.nextRevision > 0);
    const want: string[] = [];
    for (let i = 0; i < 220; i++) {
      const n = i % 4 === 0 ? 99 : (i * 37) % 100;
      const v = `v${i}-${"y".repeat(120)}`;
      await client.put(key(n), v);
      if (n === 99) want.push(`${key(n)}=${v}`);
      if (i >= 40 && regionCounts(c).every((x) => x >= 2)) break;
    }
    await settle(c, 2);
    const regions = hostOf(c, 1).all().map((r) => r.kv.descriptor);
    const last = regions[regions.length - 1];
    assert.notEqual(last.id, 1, "k0099's region split off region 1");
    for (let i = 0; i < 10; i++) {
      await client.put(key(99), `after-${i}`);
      want.push(`${key(99)}=after-${i}`);
    }
    await until("every change delivered", () => moved.seen.length >= want.length);
    assert.deepEqual(moved.seen, want, "each change once, in order, across the splits");
    assert.equal(moved.error(), undefined);
    watched.cancel();

    // A watch of the last region's keys from revision 1, through each node: its history below
    // the splits comes from its ancestors' feeds.
    for (const id of [1, 2, 3]) {
      const one = c.client([id]);
      const w = one.watch(key(99), { fromRevision: 1 });
      const got = collect(w);
      await until(`node ${id}: history delivered`, () => got.seen.length >= want.length);
      assert.deepEqual(got.seen.slice(0, want.length), want, `node ${id}`);
      w.cancel();
    }

    // Over two regions: served by merging the regions' feeds (span_watch.ts).
    const spanning = client.watch({ key: "", rangeEnd: key(100) }, { fromRevision: 1 });
    const both = collect(spanning);
    await client.put(key(0), "first-region");
    await client.put(key(99), "last-region");
    const tail = [`${key(0)}=first-region`, `${key(99)}=last-region`];
    await until("the spanning watch delivers", () => both.seen.slice(-2).join() === tail.join());
    assert.equal(both.error(), undefined);
    spanning.cancel();
  } finally {
    await c.close();
  }
});
