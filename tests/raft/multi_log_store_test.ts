import { test } from "node:test";
import assert from "node:assert/strict";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { MultiLogStore } from "../../src/raft/multi_log_store.ts";
import type { PersistRequest } from "../../src/raft/log_store.ts";
import { CorruptionError, InvalidArgumentError, NoSpaceError } from "../../src/util/errors.ts";
import { MULTI_LOG_REGIONS_MAX } from "../../src/limits_ops.ts";
import { appendReq, bootstrapRegions, bootstrapReq, CS, ents, logOf } from "./multi_log_helpers.ts";

const DIR = "raft-multi";

test("multi log: many regions round-trip, one fsync per round", async () => {
  const w = createSimWorld(1, { trace: false });
  const s = await MultiLogStore.open(w.fs, DIR);
  const N = 200;
  await bootstrapRegions(s, N);
  for (let round = 0; round < 5; round++) {
    const before = s.syncs;
    const reqs = new Map<number, PersistRequest>();
    for (let r = 1; r <= N; r++) {
      const from = 2 + round * 3;
      reqs.set(r, appendReq(ents(r, from, from + 2, 2), 2, from + (r % 3)));
    }
    await s.save(reqs);
    assert.equal(s.syncs, before + 1, "one fsync for every region of the round");
  }
  const want = new Map(s.regionIds().map((r) => [r, logOf(s.group(r))]));
  w.fs.crash("lose");
  const r2 = await MultiLogStore.open(w.fs, DIR);
  assert.equal(r2.regionIds().length, N);
  for (let r = 1; r <= N; r++) {
    const g = r2.group(r);
    assert.deepEqual(logOf(g), want.get(r), `region ${r}`);
    assert.equal(g.firstIndex(), 2);
    assert.equal(g.lastIndex(), 16);
    assert.deepEqual(g.hardState, { term: 2, vote: 1, commit: 14 + (r % 3) });
    assert.deepEqual(g.snapshotMarker, { index: 1, term: 1, confState: CS });
    assert.deepEqual(g.confState, CS);
  }
});

test("multi log: interleaved appends with a conflicting suffix per region", async () => {
  const w = createSimWorld(2, { trace: false });
  const s = await MultiLogStore.open(w.fs, DIR);
  await bootstrapRegions(s, 3);
  await s.save(
    new Map([[1, appendReq(ents(1, 2, 6, 2), 2, 2)], [2, appendReq(ents(2, 2, 4, 2), 2, 2)]]),
  );
  // Region 1's suffix from 4 is replaced; region 2 grows; region 3 gets its first entries.
  await s.save(
    new Map([
      [2, appendReq(ents(2, 5, 7, 2), 2, 2)],
      [1, appendReq(ents(1, 4, 5, 3), 3, 2)],
      [3, appendReq(ents(3, 2, 2, 2), 2, 2)],
    ]),
  );
  await s.save(new Map([[2, appendReq(ents(2, 3, 3, 4), 4, 2)]]));
  const want = [1, 2, 3].map((r) => logOf(s.group(r)));
  assert.deepEqual(want[0].map((e) => e.split(":")[1]), ["2", "2", "3", "3"]);
  assert.deepEqual(want[1].map((e) => e.split(":")[1]), ["2", "4"]);
  w.fs.crash("lose");
  const r2 = await MultiLogStore.open(w.fs, DIR);
  assert.deepEqual([1, 2, 3].map((r) => logOf(r2.group(r))), want);
  assert.equal(r2.group(1).lastIndex(), 5);
  assert.equal(r2.group(2).lastIndex(), 3);
  assert.deepEqual(r2.group(2).hardState, { term: 4, vote: 1, commit: 2 });
});

test("multi log: conf states, hard states without fsync, and a snapshot from the leader", async () => {
  const w = createSimWorld(3, { trace: false });
  const s = await MultiLogStore.open(w.fs, DIR);
  await bootstrapRegions(s, 2);
  await s.save(new Map([[1, appendReq(ents(1, 2, 5, 2), 2, 3)]]));
  const cs2 = { ...CS, voters: [1, 2, 3, 4] };
  s.group(1).setConfState(cs2);
  const snap = { metadata: { index: 40, term: 5, confState: CS }, data: new Uint8Array(9) };
  await s.save(
    new Map([
      [2, {
        hardState: { term: 5, vote: 0, commit: 40 },
        entries: [],
        snapshot: snap,
        mustSync: true,
      }],
    ]),
  );
  await s.save(new Map([[2, appendReq(ents(2, 41, 42, 5), 5, 41)]]));
  w.fs.crash("lose");
  const r2 = await MultiLogStore.open(w.fs, DIR);
  assert.deepEqual(r2.group(1).confState, cs2);
  assert.equal(r2.group(2).firstIndex(), 41);
  assert.equal(r2.group(2).lastIndex(), 42);
  assert.deepEqual(r2.group(2).snapshotMarker, snap.metadata);
  assert.equal(r2.group(2).storage.snapshot().data.length, 0, "images live in the engine");
});

/** Writes `rounds` rounds of 4-entry appends to regions 1..n (each round one save). */
async function fill(s: MultiLogStore, n: number, from: number, rounds: number): Promise<number> {
  let next = from;
  for (let i = 0; i < rounds; i++, next += 4) {
    const reqs = new Map<number, PersistRequest>();
    for (let r = 1; r <= n; r++) reqs.set(r, appendReq(ents(r, next, next + 3, 2), 2, next + 3));
    await s.save(reqs);
  }
  return next - 1;
}

test("multi log: per-region compaction deletes segments no region needs", async () => {
  const w = createSimWorld(4, { trace: false });
  const opts = { segmentBytes: 2048, segmentsKept: 100, preallocateBytes: 256 };
  const s = await MultiLogStore.open(w.fs, DIR, opts);
  await bootstrapRegions(s, 4);
  const last = await fill(s, 4, 2, 80);
  const before = s.segmentCount;
  assert.ok(before > 8, `segments ${before}`);
  // Regions 1-3 compact; region 4 still needs every segment.
  await s.compact(new Map([1, 2, 3].map((r) => [r, { index: last - 2, confState: CS }])));
  assert.equal(s.segmentCount, before, "region 4 pins the oldest segment");
  await s.group(4).compact(last - 10, CS);
  assert.ok(s.segmentCount < before / 2, `segments ${s.segmentCount} of ${before}`);
  assert.equal(w.fs.list(DIR).length, s.segmentCount, "deleted on disk too");
  w.fs.crash("lose");
  const r2 = await MultiLogStore.open(w.fs, DIR);
  for (const r of [1, 2, 3]) assert.equal(r2.group(r).firstIndex(), last - 1);
  assert.equal(r2.group(4).firstIndex(), last - 9);
  for (const r of [1, 2, 3, 4]) {
    assert.equal(r2.group(r).lastIndex(), last);
    assert.equal(r2.group(r).hardState.commit, last);
  }
});

test("multi log: an idle region's records are copied forward so old segments go", async () => {
  const w = createSimWorld(5, { trace: false });
  const s = await MultiLogStore.open(w.fs, DIR, { segmentBytes: 2048, segmentsKept: 3 });
  await bootstrapRegions(s, 3);
  await s.save(new Map([[3, appendReq(ents(3, 2, 4, 2), 2, 3)]])); // region 3 then stays idle
  let next = 2;
  for (let i = 0; i < 60; i++, next += 4) {
    const reqs = new Map<number, PersistRequest>();
    for (const r of [1, 2]) reqs.set(r, appendReq(ents(r, next, next + 3, 2), 2, next + 3));
    await s.save(reqs);
    if (i % 10 === 9) {
      await s.compact(new Map([1, 2].map((r) => [r, { index: next + 3, confState: CS }])));
    }
    assert.ok(s.segmentCount <= 4, `segments ${s.segmentCount} at round ${i}`);
  }
  const idle = logOf(s.group(3));
  w.fs.crash("tear");
  const r2 = await MultiLogStore.open(w.fs, DIR);
  assert.deepEqual(logOf(r2.group(3)), idle);
  assert.deepEqual(r2.group(3).hardState, { term: 2, vote: 1, commit: 3 });
  assert.deepEqual(r2.group(3).snapshotMarker.index, 1);
  assert.equal(r2.group(1).lastIndex(), next - 1);
});

test("multi log: a removed region is gone after restart, frees its segments, can come back", async () => {
  const w = createSimWorld(6, { trace: false });
  const s = await MultiLogStore.open(w.fs, DIR, { segmentBytes: 2048, segmentsKept: 100 });
  await bootstrapRegions(s, 3);
  const last = await fill(s, 3, 2, 30);
  await s.compact(new Map([1, 2].map((r) => [r, { index: last, confState: CS }])));
  const before = s.segmentCount;
  const view = s.group(3);
  await s.remove([3]);
  assert.ok(s.segmentCount < before, `segments ${s.segmentCount} of ${before}`);
  assert.throws(() => view.lastIndex(), /removed/);
  assert.deepEqual(s.regionIds().sort(), [1, 2]);
  w.fs.crash("lose");
  const r2 = await MultiLogStore.open(w.fs, DIR);
  assert.deepEqual(r2.regionIds().sort(), [1, 2]);
  assert.equal(r2.group(3).lastIndex(), 0, "a new, empty region 3");
  await r2.save(new Map([[3, bootstrapReq()]]));
  await r2.save(new Map([[3, appendReq(ents(3, 2, 3, 7), 7, 2)]]));
  w.fs.crash("lose");
  const r3 = await MultiLogStore.open(w.fs, DIR);
  assert.deepEqual(logOf(r3.group(3)), ["2:7:r3e2t7", "3:7:r3e3t7"]);
  assert.equal(r3.group(1).lastIndex(), last);
});

test("multi log: a full disk fails the round, changes nothing, and the round works later", async () => {
  const w = createSimWorld(7, { trace: false });
  const s = await MultiLogStore.open(w.fs, DIR, { preallocateBytes: 256 });
  await bootstrapRegions(s, 5);
  w.fs.setCapacity(w.fs.usedBytes() + 100);
  const big = (r: number) =>
    appendReq([{ ...ents(r, 2, 2, 2)[0], data: new Uint8Array(4096) }], 2, 1);
  const round = new Map([1, 2, 3, 4, 5].map((r) => [r, big(r)]));
  await assert.rejects(s.save(round), NoSpaceError);
  for (const r of [1, 2, 3, 4, 5]) assert.equal(s.group(r).lastIndex(), 1, "memory unchanged");
  await assert.rejects(s.save(round), NoSpaceError, "still full: fails again, not sticky");
  w.fs.setCapacity(undefined);
  await s.save(round);
  w.fs.failSync(1, "no-space");
  await assert.rejects(s.save(new Map([[1, appendReq(ents(1, 3, 3, 2), 2, 1)]])), NoSpaceError);
  await s.save(new Map([[1, appendReq(ents(1, 3, 3, 2), 2, 1)]]));
  w.fs.crash("tear");
  const r2 = await MultiLogStore.open(w.fs, DIR);
  for (const r of [2, 3, 4, 5]) assert.equal(r2.group(r).lastIndex(), 2);
  assert.equal(r2.group(1).lastIndex(), 3);
  assert.equal(r2.group(1).storage.entries(2, 3, Infinity)[0].data.length, 4096);
});

test("multi log: a failed fsync is sticky", async () => {
  const w = createSimWorld(8, { trace: false });
  const s = await MultiLogStore.open(w.fs, DIR);
  await bootstrapRegions(s, 2);
  w.fs.failSync(1);
  await assert.rejects(s.save(new Map([[1, appendReq(ents(1, 2, 2, 1), 1, 1)]])));
  await assert.rejects(s.save(new Map([[2, appendReq(ents(2, 2, 2, 1), 1, 1)]])), /failed earlier/);
  assert.throws(() => s.group(1), /failed earlier/);
});

test("multi log: damage before the tail is corruption; bad region ids are refused", async () => {
  const w = createSimWorld(9, { trace: false });
  const s = await MultiLogStore.open(w.fs, DIR, { segmentBytes: 4096 });
  await bootstrapRegions(s, 2);
  await fill(s, 2, 2, 20);
  assert.throws(() => s.group(-1), InvalidArgumentError);
  assert.throws(() => s.group(1.5), InvalidArgumentError);
  s.close();
  const first = w.fs.list(DIR)[0];
  w.fs.flipByte(`${DIR}/${first}`, 30);
  await assert.rejects(MultiLogStore.open(w.fs, DIR), CorruptionError);
});

test("multi log: a region past MULTI_LOG_REGIONS_MAX or a bad id is refused, nothing else", async () => {
  const w = createSimWorld(10, { trace: false });
  const max = 50;
  const s = await MultiLogStore.open(w.fs, DIR, { regionsMax: max });
  await bootstrapRegions(s, 1);
  await assert.rejects(s.save(new Map([[2 ** 53, bootstrapReq()]])), InvalidArgumentError);
  await assert.rejects(s.save(new Map([[-3, bootstrapReq()]])), InvalidArgumentError);
  const round = new Map<number, PersistRequest>();
  for (let r = 2; r <= max + 1; r++) round.set(r, bootstrapReq());
  await assert.rejects(s.save(round), /MULTI_LOG_REGIONS_MAX/);
  assert.deepEqual(s.regionIds(), [1], "the refused round added no region");
  round.delete(max + 1);
  await s.save(round);
  assert.equal(s.regionIds().length, max);
  assert.throws(
    () => s.group(max + 1),
    (e) => e instanceof InvalidArgumentError && e.message.endsWith(`= ${MULTI_LOG_REGIONS_MAX})`),
  );
  const big = await MultiLogStore.open(w.fs, "other", { regionsMax: 10 ** 9 });
  assert.throws(() => big.group(2 ** 53), InvalidArgumentError, "ids stay below 2^53");
  await s.save(new Map([[1, appendReq(ents(1, 2, 2, 1), 1, 1)]]));
});

test("multi log: a batch over MULTI_LOG_RECORD_BYTES_MAX is split into records and replays whole", async () => {
  const w = createSimWorld(11, { trace: false });
  const s = await MultiLogStore.open(w.fs, DIR, { preallocateBytes: 0 });
  await bootstrapRegions(s, 2);
  const big = ents(1, 2, 4, 2).map((e, i) => ({
    ...e,
    data: new Uint8Array(700 * 1024).fill(i + 1),
  }));
  await s.save(new Map([[1, appendReq(big, 2, 3)], [2, appendReq(ents(2, 2, 2, 2), 2, 2)]]));
  w.fs.crash("tear");
  const r2 = await MultiLogStore.open(w.fs, DIR);
  const got = r2.group(1).storage.entries(2, 5, Infinity);
  assert.deepEqual(got.map((e) => [e.data.length, e.data[0]]), [[716800, 1], [716800, 2], [
    716800,
    3,
  ]]);
  assert.deepEqual(r2.group(1).hardState, { term: 2, vote: 1, commit: 3 });
  assert.equal(r2.group(2).lastIndex(), 2);
});

test("multi log: entries larger than a record, among small ones, survive a crash whole", async () => {
  const w = createSimWorld(7, { trace: false });
  const s = await MultiLogStore.open(w.fs, DIR);
  await bootstrapRegions(s, 2);
  const big = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (i * seed) & 0xff);
  const e1 = ents(1, 2, 4, 2);
  e1[1] = { ...e1[1], data: big(3 * 1024 * 1024 + 17, 7) }; // framed as it is written
  const e2 = ents(2, 2, 3, 2);
  e2[0] = { ...e2[0], data: big(1024 * 1024 + 1, 13) };
  await s.save(new Map([[1, appendReq(e1, 2, 3)], [2, appendReq(e2, 2, 2)]]));
  await s.save(new Map([[1, appendReq(ents(1, 5, 6, 2), 2, 5)]]));
  w.fs.crash("lose");
  const r2 = await MultiLogStore.open(w.fs, DIR);
  const read = (r: number, from: number, to: number) =>
    r2.group(r).storage.entries(from, to, Infinity);
  assert.deepEqual(
    read(1, 2, 7).map((e) => e.data),
    [...e1, ...ents(1, 5, 6, 2)].map((e) => e.data),
  );
  assert.deepEqual(read(2, 2, 4).map((e) => e.data), e2.map((e) => e.data));
});

test("multi log: a full disk while a large entry is streamed fails the round, which works later", async () => {
  // An entry past MULTI_LOG_RECORD_BYTES_MAX is framed and written as it is framed
  // (SegmentTail.appendParts), before the round's flush: a full disk fails inside the stream.
  const w = createSimWorld(9, { trace: false });
  const s = await MultiLogStore.open(w.fs, DIR);
  await bootstrapRegions(s, 2);
  const big = new Uint8Array(3 * 1024 * 1024 + 5).map((_, i) => (i * 11) & 0xff);
  const e1 = ents(1, 2, 3, 2);
  e1[0] = { ...e1[0], data: big };
  const round = new Map([[1, appendReq(e1, 2, 2)], [2, appendReq(ents(2, 2, 2, 2), 2, 1)]]);
  const before = w.fs.usedBytes();
  w.fs.setCapacity(before + 1024 * 1024); // a third of the entry fits
  await assert.rejects(s.save(round), NoSpaceError);
  for (const r of [1, 2]) assert.equal(s.group(r).lastIndex(), 1, `region ${r} unchanged`);
  assert.ok(w.fs.usedBytes() <= before, `the partial record was cut back: ${w.fs.usedBytes()}`);
  await assert.rejects(s.save(round), NoSpaceError, "still full: fails again, not sticky");
  w.fs.setCapacity(undefined);
  await s.save(round);
  await s.save(new Map([[1, appendReq(ents(1, 4, 4, 2), 2, 4)]]));
  w.fs.crash("tear");
  const r2 = await MultiLogStore.open(w.fs, DIR);
  const got = r2.group(1).storage.entries(2, 5, Infinity);
  assert.equal(got.length, 3);
  assert.deepEqual(got[0].data, big, "the large entry reads back whole");
  assert.equal(r2.group(2).lastIndex(), 2);
});

test("multi log: regions whose entries crowd the oldest segment are named for compaction", async () => {
  const w = createSimWorld(7, { trace: false });
  const s = await MultiLogStore.open(w.fs, DIR, { segmentBytes: 2048, segmentsKept: 3 });
  await bootstrapRegions(s, 3);
  assert.deepEqual(s.crowding(), [], "one segment: nothing crowds");
  // Regions 1 and 2 take entries and are never compacted; region 3 keeps only its bootstrap.
  let last = 1;
  for (let i = 0; i < 50 && s.segmentCount < 3; i++) last = await fill(s, 2, last + 1, 1);
  assert.equal(s.segmentCount, 3, "the next roll would copy forward");
  assert.deepEqual([...s.crowding()].sort(), [1, 2], "their entries pin the oldest segment");
  await s.compact(new Map([[1, { index: last, confState: CS }]]));
  assert.deepEqual(s.crowding(), [2], "region 1's entries are gone from it");
  await s.compact(new Map([[2, { index: last, confState: CS }]]));
  assert.deepEqual(s.crowding(), [], "region 3 pins it with its bootstrap only: copied forward");
});
