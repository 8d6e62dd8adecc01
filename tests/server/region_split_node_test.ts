/**
 * The node holding many regions (docs/regions.md "The node holding many regions"): three
 * in-process nodes with a small `regionSplitBytes` split into several regions under writes;
 * every acknowledged write reads back through every node (a node forwards to the key's region
 * leader); the regions survive a restart; commands over keys of several regions are refused.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import { TinyKvError } from "../../src/client/errors.ts";
import { ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { ServiceError } from "../../src/server/kv_service.ts";
import { watchRefusal, watchRegion } from "../../src/server/node/region_watch_policy.ts";
import { startCluster, type TestCluster } from "./cluster_helpers.ts";
import { key, regionCounts, SPLIT, until } from "./region_split_helpers.ts";

/**
 * Every write reads back, linearizably, through each node alone: a scan over every region
 * (stitched in key order by the node: one engine) and a point read of a key in each region
 * (its region's barrier).
 */
async function readAll(c: TestCluster, written: ReadonlyMap<string, string>): Promise<void> {
  const keys = [...written.keys()].sort();
  for (const id of [1, 2, 3]) {
    const one = c.client([id]);
    const page = await one.scan({ prefix: "k", limit: 1000 });
    assert.deepEqual(page.items.map((i) => fromUtf8(i.key)), keys);
    for (const item of page.items) {
      assert.equal(fromUtf8(item.value), written.get(fromUtf8(item.key)));
    }
    const regions = c.servers.get(id)?.node.local.host.all() ?? [];
    for (const r of regions) {
      const start = fromUtf8(r.kv.descriptor.start);
      const k = keys.find((x) => x >= start) ?? "";
      assert.equal(
        fromUtf8(await one.get(k) ?? new Uint8Array(0)),
        written.get(k),
        `${k} on ${id}`,
      );
    }
    // Each write applied in its key's region: the regions' key counts add up (once a split's
    // child, if one is being added, is served: the check splits on).
    const host = c.servers.get(id)?.node.local.host;
    await until("no child being added", () => host?.adding === false);
    const now = host?.all() ?? [];
    assert.equal(now.reduce((n, r) => n + r.kv.kv.keyCount, 0), written.size);
    assert.ok(now.every((r) => r.kv.kv.keyCount > 0));
  }
}

/**
 * Over more than one region: what is not a transaction across regions is refused with
 * FAILED_PRECONDITION, nothing applied (a Redis run writing an expiry among them); a txn and a
 * batch run as one (cross_region_txn.ts).
 */
async function refusals(c: TestCluster, ends: Uint8Array[], written: Map<string, string>) {
  const client = c.client();
  const keys = [...written.keys()].sort();
  const firstEnd = fromUtf8(ends[0]);
  const a = keys.find((k) => k < firstEnd) ?? "";
  const b = keys.find((k) => k >= firstEnd) ?? "";
  assert.ok(a !== "" && b !== "");
  const refused = (err: unknown) =>
    err instanceof TinyKvError && err.code === "FAILED_PRECONDITION" &&
    /more than one region/.test(err.message);
  const put = (key: string) => ({ put: { key, value: "changed" } });
  await assert.rejects(client.txn({ success: [{ delete: { key: "k", rangeEnd: "l" } }] }), refused);
  await assert.rejects(
    client.txn({ success: [{ range: { key: "\0", rangeEnd: "\0" } }] }),
    refused,
  );
  const lease = await client.grant(60);
  await assert.rejects(client.put(b, "leased", { lease: lease.id }), refused);
  const node = c.servers.get(1)?.node;
  // A Redis run across regions is a transaction, but not one that writes an expiry.
  const commands = [["SET", a, "1", "EX", "100"], ["SET", b, "2"]].map((c) => ({
    args: c.map(utf8),
  }));
  const redis = { db: 0, commands, multi: true };
  await assert.rejects(
    node?.execute({ body: { case: "redis", value: redis } }) ?? Promise.resolve(),
    (err: unknown) => err instanceof ServiceError && err.code === ErrorCode.FAILED_PRECONDITION,
  );
  // A watch within one region is served by that region; one over several by a sub-watch in
  // each (span_watch.ts), up to WATCH_SPAN_REGIONS_MAX regions.
  const host = c.servers.get(1)?.node.local.host;
  assert.ok(host !== undefined);
  const none = new Uint8Array(0);
  // (Once a split's child being added is served: splits go on under the writes above.)
  const served = (key: string, rangeEnd: Uint8Array) =>
    watchRefusal(host, { key: utf8(key), rangeEnd }) === undefined;
  await until("watches served", () => served(a, none) && served(b, none) && served(a, utf8("l")));
  const both = watchRegion(host, { key: utf8(a), rangeEnd: utf8("l") });
  assert.ok((both.kind === "spans" ? both.regions.length : 0) >= 2);
  const narrow = watchRegion(host, { key: utf8(a), rangeEnd: utf8("l") }, 1);
  assert.match(narrow.kind === "refused" ? narrow.reason : "", /more than 1 regions/);
  for (const k of [a, b]) {
    assert.equal(fromUtf8(await client.get(k) ?? new Uint8Array(0)), written.get(k));
  }
  // A txn and a batch over both regions commit in both.
  assert.equal((await client.txn({ success: [put(a), put(b)] })).succeeded, true);
  const at = await client.batch([{ type: "put", key: a, value: "x" }, {
    type: "put",
    key: b,
    value: "y",
  }]);
  for (const [k, v] of [[a, "x"], [b, "y"]]) {
    const entry = await client.getEntry(k);
    assert.equal(fromUtf8(entry?.value ?? new Uint8Array(0)), v);
    assert.equal(entry?.modRevision, at, "one revision in both regions");
    written.set(k, v);
  }
  // Within one region a transaction and a leased key (region 1's) run as before.
  const done = await client.txn({ success: [put(a)] });
  assert.equal(done.succeeded, true);
  written.set(a, "changed");
  await client.put(a, "leased", { lease: lease.id });
  written.set(a, "leased");
}

test("region split node: splits under writes; reads through every node; restart", {
  timeout: 60_000,
}, async () => {
  const c = await startCluster(3, 20, undefined, SPLIT);
  try {
    await c.leader();
    const client = c.client();
    const written = new Map<string, string>();
    // Each key's revisions keep increasing across the splits of its region: a child's log,
    // and so its revisions, continue from the split's index.
    const revisions = new Map<string, number>();
    for (let i = 0; i < 160; i++) {
      const k = key((i * 37) % 120);
      const v = `value-${i}-${"x".repeat(120)}`;
      const revision = await client.put(k, v);
      assert.ok(revision > (revisions.get(k) ?? 0), `${k}: ${revision} after ${revisions.get(k)}`);
      revisions.set(k, revision);
      written.set(k, v);
    }
    await until("4 regions on every node", () => regionCounts(c).every((n) => n >= 4));
    await readAll(c, written);
    // The regions cover the keyspace, contiguous, each with a leader every node agrees on.
    const regions = await client.regions();
    assert.ok(regions.length >= 4, `${regions.length} regions`);
    assert.equal(regions[0].start.length, 0);
    assert.equal(regions[regions.length - 1].end.length, 0);
    for (let i = 1; i < regions.length; i++) {
      assert.deepEqual(regions[i].start, regions[i - 1].end);
      assert.ok(regions[i].epoch.version > 1);
    }
    await until(
      "every region has a leader",
      () =>
        [...c.servers.values()].every((s) =>
          s.node.local.host.all().every((r) => r.group.rawNode.lead !== 0)
        ),
    );

    await refusals(c, regions.map((r) => r.end), written);

    // A restarted node reopens every region from its engine and log, and catches up.
    const before = c.servers.get(3)?.node.local.host.count ?? 0;
    await c.stop(3);
    for (let i = 0; i < 20; i++) {
      const k = key(120 + i);
      const v = `after-${i}`;
      await client.put(k, v);
      written.set(k, v);
    }
    await c.start(3);
    assert.ok((c.servers.get(3)?.node.local.host.count ?? 0) >= before);
    await readAll(c, written);
  } finally {
    await c.close();
  }
});
