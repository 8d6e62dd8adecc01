/**
 * The upgrade every existing user meets when the binary's default turns splitting on
 * (docs/regions.md, "Turning splitting on"; decision 0020): three in-process nodes write a history
 * with splitting off (one region, revisions are Raft log indexes), stop, and start again on the
 * same directories with splitting on. Every key keeps its value and revisions; the regions split,
 * and new writes get timestamps from the first split on, above every index; a watch opened before
 * the restart carries
 * on through it, and one from revision 1 afterwards reads the whole history in order, across
 * the switch from indexes to timestamps and across the splits.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Watch } from "../../src/client/watch.ts";
import type { ServerConfig } from "../../src/server/server.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { startCluster } from "./cluster_helpers.ts";
import { hostOf, key, noise, regionCounts, settle, SPLIT, until } from "./region_split_helpers.ts";

/** Reads `watch` in the background: each change as "revision key=value" (or "key deleted"). */
function collect(watch: Watch): { seen: string[]; error: () => unknown } {
  const seen: string[] = [];
  let failed: unknown;
  void (async () => {
    try {
      for await (const u of watch) {
        for (const e of u.events) {
          const what = e.type === "delete" ? "deleted" : `=${fromUtf8(e.value)}`;
          seen.push(`${e.modRevision} ${fromUtf8(e.key)}${what}`);
        }
      }
    } catch (err) {
      failed = err;
    }
  })();
  return { seen, error: () => failed };
}

/** Revisions of "revision key…" lines, each larger than the one before. */
function increasing(lines: readonly string[]): boolean {
  const revisions = lines.map((l) => Number(l.split(" ")[0]));
  return revisions.every((r, i) => i === 0 || r > revisions[i - 1]);
}

test("region split upgrade: a cluster made with splitting off restarts with it on", {
  timeout: 120_000,
}, async () => {
  let options: Partial<ServerConfig> = {};
  const c = await startCluster(3, 20, undefined, () => options);
  try {
    await c.leader();
    const client = c.client();
    const want: string[] = [];
    const values = new Map<string, string>();
    const revisions = new Map<string, number>();
    // A watch opened before the restart, over every key: the client resumes it after.
    const watch = client.watch({ prefix: "k" });
    const live = collect(watch);
    await until("the watch is created", () => watch.nextRevision > 0);
    for (let i = 0; i < 40; i++) {
      const k = key((i * 7) % 30);
      const v = `off-${i}`;
      const revision = await client.put(k, v);
      want.push(`${revision} ${k}=${v}`);
      values.set(k, v);
      revisions.set(k, revision);
    }
    const deleted = key(7);
    await client.delete(deleted);
    values.delete(deleted);
    const offLast = (await client.getEntry(key(0)))?.modRevision ?? 0;
    const indexes = [...revisions.values()];
    assert.ok(Math.max(...indexes) < 1_000, `revisions are log indexes: ${Math.max(...indexes)}`);
    await until("the live watch saw the history", () => live.seen.length >= want.length + 1);
    want.push(live.seen[want.length]); // the delete, at the revision the node gave it
    assert.match(want[want.length - 1], new RegExp(` ${deleted}deleted$`));

    for (const id of [1, 2, 3]) await c.stop(id);
    options = { ...SPLIT };
    const t0 = Date.now();
    for (const id of [1, 2, 3]) await c.start(id);
    await c.leader();
    const restartMs = Date.now() - t0;
    for (const id of [1, 2, 3]) {
      assert.ok(hostOf(c, id).regionSnapshots, `node ${id} runs regions after the restart`);
    }
    // Every key as it was, at the revision it had.
    for (const [k, v] of values) {
      const e = await client.getEntry(k);
      assert.equal(e === undefined ? undefined : fromUtf8(e.value), v, k);
      assert.equal(e?.modRevision, revisions.get(k), `${k}'s revision`);
    }
    assert.equal(await client.get(deleted), undefined);

    // New writes: increasing, index revisions until the first split and timestamps after it
    // (stamping.ts); enough of them to split.
    let last = Math.max(...indexes, offLast);
    for (let i = 0; i < 400; i++) {
      const k = key(30 + (i * 37) % 100);
      const v = `on-${i}-${noise(120)}`;
      const revision = await client.put(k, v);
      assert.ok(revision > last, `write ${i}: ${revision} after ${last}`);
      last = revision;
      want.push(`${revision} ${k}=${v}`);
      values.set(k, v);
      if (i >= 40 && regionCounts(c).every((n) => n >= 3)) break;
    }
    assert.ok(last > 2 ** 40, `revision ${last} is a timestamp`);
    await settle(c, 3);
    for (const [k, v] of values) {
      assert.equal(fromUtf8((await client.get(k)) ?? new Uint8Array()), v, `${k} after splits`);
    }

    // The watch opened before the restart: every change once, in order, across it.
    await until("the live watch caught up", () => live.seen.length >= want.length, 20_000);
    assert.deepEqual(live.seen, want);
    // A watch from revision 1 through each node: the whole history, indexes then timestamps.
    for (const id of [1, 2, 3]) {
      const from1 = collect(c.client([id]).watch({ prefix: "k" }, { fromRevision: 1 }));
      await until(`node ${id}: history`, () => from1.seen.length >= want.length, 20_000);
      assert.deepEqual(from1.seen, want, `node ${id}`);
      assert.equal(from1.error(), undefined);
    }
    assert.ok(increasing(want));
    assert.equal(live.error(), undefined);
    console.log(
      `split upgrade: ${indexes.length} keys at index revisions up to ${Math.max(...indexes)}; ` +
        `restart with splitting on ${restartMs} ms; ${want.length} changes, last revision ` +
        `${last}; ${regionCounts(c).join("/")} regions per node`,
    );
  } finally {
    await c.close();
  }
});

test("region split upgrade: a follower left behind with splitting off catches up by images", {
  timeout: 120_000,
}, async () => {
  let options: Partial<ServerConfig> = {};
  const lines: string[] = [];
  // Logs compacted every 40 entries: the follower cannot catch up from the leaders' logs.
  const c = await startCluster(
    3,
    20,
    40,
    (id) => id === 3 ? { ...options, log: (l) => lines.push(l) } : options,
  );
  try {
    await c.leader();
    const client = c.client([1, 2]);
    const values = new Map<string, string>();
    for (let i = 0; i < 30; i++) {
      values.set(key(i), `off-${i}`);
      await client.put(key(i), `off-${i}`);
    }
    await c.stop(3);
    for (let i = 30; i < 60; i++) {
      values.set(key(i), `off-${i}`);
      await client.put(key(i), `off-${i}`);
    }
    for (const id of [1, 2]) await c.stop(id);
    options = { ...SPLIT };
    for (const id of [1, 2]) await c.start(id);
    await c.leader();
    for (let i = 0; i < 400; i++) {
      const k = key(60 + (i * 37) % 100);
      values.set(k, `on-${i}-${noise(120)}`);
      await client.put(k, values.get(k) ?? "");
      const n = regionCounts(c);
      if (i >= 40 && n.every((x) => x >= 3)) break;
    }
    await c.start(3); // with splitting on, on its store of splitting off, far behind
    await settle(c, 3);
    const local = c.client([3]);
    await until("node 3 holds every key", () => {
      const host = hostOf(c, 3);
      return host.all().every((r) => {
        const leader = hostOf(c, 1).region(r.kv.descriptor.id) ??
          hostOf(c, 2).region(r.kv.descriptor.id);
        return leader !== undefined && r.kv.kv.revision === leader.kv.kv.revision;
      });
    }, 20_000);
    for (const [k, v] of values) {
      const got = await local.get(k, { consistency: "serializable" });
      assert.equal(got === undefined ? undefined : fromUtf8(got), v, `${k} on node 3`);
    }
    const images = lines.filter((l) => l.includes("region.snapshot_installed")).length;
    assert.ok(images > 0, "node 3 caught up by region images");
    console.log(
      `split upgrade, lagging follower: ${regionCounts(c).join("/")} regions per node; node 3 ` +
        `installed ${images} region images`,
    );
  } finally {
    await c.close();
  }
});

test("region split upgrade: a cluster that split, restarted with splitting off, runs its regions", {
  timeout: 120_000,
}, async () => {
  let options: Partial<ServerConfig> = SPLIT;
  const c = await startCluster(3, 20, undefined, () => options);
  try {
    await c.leader();
    const client = c.client();
    const values = new Map<string, string>();
    let last = 0;
    for (let i = 0; i < 400; i++) {
      const k = key((i * 37) % 100);
      values.set(k, `on-${i}-${noise(120)}`);
      last = await client.put(k, values.get(k) ?? "");
      if (i >= 40 && regionCounts(c).every((n) => n >= 3)) break;
    }
    await settle(c, 3);
    for (const id of [1, 2, 3]) await c.stop(id);
    options = { regionSplitBytes: 0, splitCheckMs: SPLIT.splitCheckMs };
    for (const id of [1, 2, 3]) await c.start(id);
    await c.leader();
    await until(
      "every region has a leader again",
      () =>
        [...c.servers.values()].every((s) =>
          s.node.local.host.all().every((r) => r.group.rawNode.lead !== 0)
        ),
    );
    for (const id of [1, 2, 3]) {
      const local = c.servers.get(id)?.node.local;
      assert.ok(local?.host.regionSnapshots, `node ${id} still runs regions`);
      assert.ok(local?.txnResolver.running, `node ${id} resolves locks`);
    }
    for (const [k, v] of values) {
      assert.equal(fromUtf8((await client.get(k)) ?? new Uint8Array()), v, k);
    }
    // Writes still take timestamps (the regions' revisions only grow), and nothing splits.
    for (let i = 0; i < 60; i++) {
      const k = key((i * 11) % 100);
      const revision = await client.put(k, `off-${i}-${noise(120)}`);
      assert.ok(revision > last, `write ${i}: ${revision} after ${last}`);
      last = revision;
    }
    // A transaction across regions, whose locks the resolver would finish.
    const first = key(0);
    const lastKey = key(99);
    await client.txn({
      success: [{ put: { key: first, value: "t" } }, { put: { key: lastKey, value: "t" } }],
    });
    assert.equal(fromUtf8((await client.get(lastKey)) ?? new Uint8Array()), "t");
    // (A split proposed before the stop may still apply as the logs replay: no new one.)
    for (const id of [1, 2, 3]) {
      assert.equal(c.servers.get(id)?.node.local.splitCheck.proposedCount, 0, `node ${id}`);
    }
  } finally {
    await c.close();
  }
});
