/**
 * History across region splits (docs/regions.md "History across splits"): on the 3-node split
 * harness, keys on both sides get history, region 1 splits at "m" into region 2, region 2 at "s"
 * into region 3 (a grandchild), and more history follows on all three. Every read at every
 * revision and every watch from revision 1 must return what a store without splits returns: one
 * reference store per final region's range, fed the same commands at the same revisions.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { HistoryPage } from "../../src/kv/history_reader.ts";
import type { KeyRange, KvEvent } from "../../src/kv/key_state.ts";
import { encodeRegionCommand } from "../../src/kv/region_command.ts";
import { regionKeys, RegionKind } from "../../src/kv/region_keys.ts";
import { decodeHistory } from "../../src/kv/key_record.ts";
import { HistoryView } from "../../src/kv/history_view.ts";
import { childLineage, decodeLineage, encodeLineage } from "../../src/kv/region_lineage.ts";
import { DecodeError } from "../../src/util/coding.ts";
import { CompactedError } from "../../src/kv/revision_errors.ts";
import type { KvStateMachine } from "../../src/kv/state_machine.ts";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import type { Replica } from "../../src/region/descriptor.ts";
import { b, cmd, decodeOutcome, openKv, put } from "./kv_helpers.ts";
import { RegionCluster } from "./region_cluster.ts";

const KEYS = ["a", "c", "e", "g", "m", "n", "p", "r", "s", "u", "x"];
const VOTERS: Replica[] = [1, 2, 3].map((nodeId) => ({ nodeId, role: "voter" }));
/** The final regions: id and range. */
const REGIONS = [
  { id: 1, range: { key: b(""), rangeEnd: new Uint8Array([0]) }, start: "", end: "m" },
  { id: 2, range: { key: b("m"), rangeEnd: b("s") }, start: "m", end: "s" },
  { id: 3, range: { key: b("s"), rangeEnd: new Uint8Array([0]) }, start: "s", end: "" },
];
const ALL: KeyRange = { key: b(""), rangeEnd: new Uint8Array([0]) };
const del = (key: string) => cmd({ body: { case: "delete", value: { key: b(key) } } });
const compact = (revision: number) =>
  cmd({ body: { case: "compact", value: { revision: BigInt(revision) } } });

/** The final region holding `key`. */
function finalRegion(key: string): number {
  return key < "m" ? 1 : key < "s" ? 2 : 3;
}

interface World {
  readonly c: RegionCluster;
  /** A store without splits for each final region's keys, by region id. */
  readonly refs: Map<number, KvStateMachine>;
  /** The revision each split copied (the child's nearest ancestor's split revision). */
  readonly splitRevisions: number[];
}

/** Writes `rounds` commands over every key, to the region that holds each key now. */
async function write(w: World, round: number, regionOf: (key: string) => number) {
  const live = new Set<string>();
  for (const ref of w.refs.values()) {
    const page = await ref.rangeAt(ALL, ref.revision, 100);
    for (const s of page.states) live.add(new TextDecoder().decode(s.key));
  }
  for (let i = 0; i < 9; i++) {
    const key = KEYS[(round * 5 + i * 7) % KEYS.length];
    const isDelete = live.has(key) && i % 4 === 3;
    const data = isDelete ? del(key) : put(key, `r${round}i${i}`);
    if (isDelete) live.delete(key);
    else live.add(key);
    const o = decodeOutcome(await w.c.propose(regionOf(key), data));
    assert.equal(o.body.case, "write", `${key} written`);
    const revision = Number(o.body.case === "write" ? o.body.value.revision : 0n);
    const ref = w.refs.get(finalRegion(key)) as KvStateMachine;
    if (revision <= ref.appliedIndex) continue;
    // The entries between hold other regions' commands and no-ops: nothing for these keys.
    const gap = Array.from({ length: revision - ref.appliedIndex - 1 }, (_, j) => ({
      index: ref.appliedIndex + 1 + j,
      data: null,
    }));
    await ref.apply([...gap, { index: revision, data }]);
  }
}

const split = (regionId: number, version: number, key: string, newRegionId: number) =>
  encodeRegionCommand({
    kind: "split",
    regionId,
    epoch: { version, confVer: 1 },
    splitKey: b(key),
    newRegionId,
    replicas: VOTERS,
  });

/** History on both sides, a split at "m", more, a split of the child at "s", more. */
async function build(seed: number): Promise<World> {
  const c = await RegionCluster.start(seed, 0.05);
  const refs = new Map<number, KvStateMachine>();
  for (const r of REGIONS) refs.set(r.id, (await openKv(createSimWorld(seed * 10 + r.id))).kv);
  const w: World = { c, refs, splitRevisions: [] };
  await write(w, 0, () => 1);
  await write(w, 1, () => 1);
  await c.propose(1, split(1, 1, "m", 2));
  await write(w, 2, (k) => (k < "m" ? 1 : 2));
  await c.propose(2, split(2, 2, "s", 3));
  await write(w, 3, finalRegion);
  await write(w, 4, finalRegion);
  for (const r of REGIONS) await c.settle(r.id);
  const lineage = c.sm(1, 3)?.kv.kv.history.lineage ?? [];
  w.splitRevisions.push(...lineage.map((a) => a.splitRevision).reverse());
  assert.deepEqual(lineage.map((a) => a.regionId), [2, 1], "the grandchild's ancestors");
  return w;
}

/** Every event from `from` on, page by page (2 events a page: pages end inside and across feeds). */
async function watchAll(kv: KvStateMachine, from: number, range: KeyRange): Promise<KvEvent[]> {
  const events: KvEvent[] = [];
  let page: HistoryPage | undefined;
  for (let i = 0; i < 200 && (page === undefined || page.through < kv.revision); i++) {
    page = await kv.readHistory(page === undefined ? from : page.through + 1, range, {
      maxEvents: 2,
      prevKv: true,
    });
    events.push(...page.events);
  }
  assert.ok(page !== undefined && page.through >= kv.revision, "the watch caught up");
  return events;
}

/**
 * Reads of every region on every node at every revision it serves from `low` on (its own
 * compaction point when that is higher) match the references; so does a watch from there.
 */
async function checkReads(w: World, low: number): Promise<number> {
  let checked = 0;
  for (const r of REGIONS) {
    const ref = w.refs.get(r.id) as KvStateMachine;
    for (const n of w.c.voters) {
      const kv = w.c.sm(n, r.id)?.kv.kv as KvStateMachine;
      assert.ok(kv.revision >= ref.revision);
      const from = Math.max(low, kv.compactedRevision, 1);
      for (let rev = from; rev <= kv.revision; rev++) {
        const at = Math.min(rev, ref.revision);
        const want = await ref.rangeAt(r.range, at, 100);
        assert.deepEqual(await kv.rangeAt(ALL, rev, 100), want, `n${n} r${r.id} range @${rev}`);
        for (const key of KEYS) {
          const own = finalRegion(key) === r.id;
          const expected = own ? await ref.getAt(b(key), at) : undefined;
          assert.deepEqual(await kv.getAt(b(key), rev), expected, `n${n} r${r.id} ${key}@${rev}`);
        }
        checked++;
      }
      const want = await watchAll(ref, from, ALL);
      assert.deepEqual(await watchAll(kv, from, ALL), want, `n${n} r${r.id} watch`);
    }
  }
  return checked;
}

test("region history: reads at every revision and watches match a store without splits", async () => {
  const w = await build(11);
  const [first, second] = w.splitRevisions;
  assert.ok(first > 1 && second > first, `split revisions ${first}, ${second}`);
  assert.ok((await checkReads(w, 1)) > 3 * 3 * second, "revisions on both sides of both splits");
  // The child's watch from 1 on its keys: the parent's feed up to the split, then its own.
  const ref2 = w.refs.get(2) as KvStateMachine;
  const mine = await watchAll(w.c.sm(2, 2)?.kv.kv as KvStateMachine, 1, REGIONS[1].range);
  assert.deepEqual(mine, await watchAll(ref2, 1, REGIONS[1].range));
  const revisions = mine.map((e) => e.kv.modRevision);
  assert.ok(revisions.some((r) => r <= first) && revisions.some((r) => r > second));
  assert.deepEqual(revisions, [...revisions].sort((x, y) => x - y), "in revision order");
  // A range wholly outside the region's keys is empty, not an error.
  const three = w.c.sm(1, 3)?.kv.kv as KvStateMachine;
  const outside = await three.rangeAt({ key: b("a"), rangeEnd: b("c") }, second, 10);
  assert.deepEqual(outside, { states: [], more: false });
  // A restarted node opens each region's history view from its descriptor and lineage record.
  await w.c.node(2).db.flush();
  w.c.kill(2);
  w.c.node(2).world.fs.crash("lose");
  await w.c.open(w.c.node(2));
  for (const r of REGIONS) await w.c.settle(r.id);
  assert.deepEqual(w.c.sm(2, 3)?.kv.kv.history.lineage.map((a) => a.regionId), [2, 1]);
  await checkReads(w, 1);
});

test("region history: lineage records and feed segments", () => {
  const chain = childLineage(2, 40, childLineage(1, 20, []));
  assert.deepEqual(decodeLineage(encodeLineage(chain)), chain);
  const bad = [
    new Uint8Array([2, 0, 0, 0, 0]),
    encodeLineage(chain).subarray(0, 20),
    new Uint8Array([...encodeLineage(chain), 0]),
    encodeLineage([...chain].reverse()),
  ];
  for (const v of bad) assert.throws(() => decodeLineage(v), DecodeError);
  const view = new HistoryView(regionKeys(3), { start: b("s"), end: b("") }, chain);
  const seg = (from: number, to: number) =>
    view.segments(from, to).map((s) => [s.feed.id, s.from, s.to]);
  assert.deepEqual(seg(1, 50), [[1, 1, 20], [2, 21, 40], [3, 41, 50]]);
  assert.deepEqual(seg(30, 35), [[2, 30, 35]]);
  assert.deepEqual(seg(41, 41), [[3, 41, 41]]);
  assert.deepEqual([20, 21, 40, 41].map((r) => view.feedOf(r).id), [1, 2, 2, 3]);
  assert.ok(view.owns(b("x")) && !view.owns(b("r")));
  // A child that split again before it wrote anything: its own interval is empty.
  const idle = new HistoryView(regionKeys(4), undefined, childLineage(3, 20, chain.slice(1)));
  assert.deepEqual(idle.segments(1, 30).map((s) => [s.feed.id, s.from, s.to]), [
    [1, 1, 20],
    [4, 21, 30],
  ]);
  assert.deepEqual([20, 21].map((r) => idle.feedOf(r).id), [1, 4]);
});

/** History records in region `feed`'s feed of keys region `owner` holds, on node n. */
function feedRecords(w: World, n: number, feed: number, owner: number): number {
  const keys = regionKeys(feed);
  let count = 0;
  for (const [k, v] of w.c.node(n).db.scanSync({ start: keys.start, end: keys.historyEnd })) {
    if (!keys.isKind(k, RegionKind.History)) continue;
    const { state } = decodeHistory(keys.parseHistory(k).revision, v);
    if (finalRegion(new TextDecoder().decode(state.key)) === owner) count++;
  }
  return count;
}

async function compactAll(w: World, regions: number[], revision: number): Promise<void> {
  for (const id of regions) {
    const o = decodeOutcome(await w.c.propose(id, compact(revision)));
    assert.equal(o.error, undefined, `r${id} compacted to ${revision}`);
    await w.c.settle(id);
  }
  for (const n of w.c.voters) {
    for (const id of [1, 2, 3]) await w.c.sm(n, id)?.kv.kv.compactor.idle();
  }
}

async function rejectsBelow(w: World, revision: number): Promise<void> {
  for (const r of REGIONS) {
    const kv = w.c.sm(1, r.id)?.kv.kv as KvStateMachine;
    await assert.rejects(kv.getAt(b(r.start || "a"), revision - 1), CompactedError);
    await assert.rejects(kv.rangeAt(ALL, revision - 1, 10), CompactedError);
    const o = { maxEvents: 10, prevKv: false };
    await assert.rejects(kv.readHistory(revision - 1, ALL, o), CompactedError);
  }
}

test("region history: compaction below and above the splits keeps what each region needs", async () => {
  const w = await build(12);
  const [first, second] = w.splitRevisions;
  const low = first - 3;
  await compactAll(w, [1, 2, 3], low);
  await rejectsBelow(w, low);
  await checkReads(w, low);
  // Only the parent compacts past both splits: its children's history in its feed stays.
  const before = [1, 2, 3].map((owner) => feedRecords(w, 1, 1, owner));
  const high = Math.min(...REGIONS.map((r) => w.c.sm(1, r.id)?.kv.kv.revision ?? 0));
  assert.ok(high > second, `${high} above the second split`);
  await compactAll(w, [1], high);
  const after = [1, 2, 3].map((owner) => feedRecords(w, 1, 1, owner));
  assert.ok(after[0] < before[0], "the parent removed its own keys' history");
  assert.deepEqual(after.slice(1), before.slice(1), "and kept its children's");
  await checkReads(w, low);
  // Then the children: every region at `high`; reads at and above it still right.
  await compactAll(w, [2, 3], high);
  await rejectsBelow(w, high);
  await checkReads(w, high);
  const children = [2, 3].map((owner) => feedRecords(w, 1, 1, owner));
  assert.ok(children[0] < after[1] && children[1] < after[2], "each child removed its own");
});
