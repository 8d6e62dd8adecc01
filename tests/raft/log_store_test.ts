import { test } from "node:test";
import assert from "node:assert/strict";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { LogStore } from "../../src/raft/log_store.ts";
import { replay } from "../../src/raft/log_replay.ts";
import { LogRecordKind } from "../../src/raft/log_codec.ts";
import { type Entry, EntryType } from "../../src/raft/core/messages.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { readAllRecords } from "../../src/util/record_format.ts";
import { CorruptionError, NoSpaceError } from "../../src/util/errors.ts";

const CS = {
  voters: [1, 2, 3],
  votersOutgoing: [],
  learners: [],
  learnersNext: [],
  autoLeave: false,
};

function ents(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) {
    out.push({ term, index: i, type: EntryType.Normal, data: utf8(`e${i}`) });
  }
  return out;
}

function terms(s: LogStore): number[] {
  const st = s.storage;
  if (st.lastIndex() < st.firstIndex()) return [];
  return st.entries(st.firstIndex(), st.lastIndex() + 1, Infinity).map((e) => e.term);
}

async function bootstrapped(seed: number, segmentBytes?: number, preallocateBytes?: number) {
  const w = createSimWorld(seed, { trace: false });
  const s = await LogStore.open(w.fs, "raft", { segmentBytes, preallocateBytes });
  await s.save({
    hardState: { term: 1, vote: 0, commit: 1 },
    entries: [],
    snapshot: { metadata: { index: 1, term: 1, confState: CS }, data: new Uint8Array(0) },
    mustSync: true,
  });
  return { w, s };
}

test("log store: synced entries and hard state survive a crash", async () => {
  const { w, s } = await bootstrapped(1);
  await s.save({
    hardState: { term: 2, vote: 1, commit: 3 },
    entries: ents(2, 4, 2),
    snapshot: undefined,
    mustSync: true,
  });
  w.fs.crash("lose");
  const r = await LogStore.open(w.fs, "raft");
  assert.deepEqual(r.storage.hardState, { term: 2, vote: 1, commit: 3 });
  assert.equal(r.storage.firstIndex(), 2);
  assert.equal(r.storage.lastIndex(), 4);
  assert.deepEqual(r.storage.confState, CS);
});

test("log store: unsynced writes are lost and a torn tail is truncated", async () => {
  for (let seed = 1; seed <= 30; seed++) {
    const { w, s } = await bootstrapped(seed);
    await s.save({
      hardState: { term: 2, vote: 1, commit: 1 },
      entries: ents(2, 3, 2),
      snapshot: undefined,
      mustSync: true,
    });
    // Written but never synced: a crash may keep any prefix of it, torn.
    await s.save({
      hardState: undefined,
      entries: ents(4, 40, 2),
      snapshot: undefined,
      mustSync: false,
    });
    w.fs.crash(seed % 2 === 0 ? "tear" : "lose");
    const r = await LogStore.open(w.fs, "raft");
    const last = r.storage.lastIndex();
    assert.ok(last >= 3 && last <= 40, `seed ${seed}: last ${last}`);
    assert.deepEqual(r.storage.hardState.term, 2);
    // A second recovery finds a clean log (the tail was cut on disk).
    const again = await LogStore.open(w.fs, "raft");
    assert.equal(again.storage.lastIndex(), last);
  }
});

test("log store: a conflicting suffix is replaced, also after restart", async () => {
  const { w, s } = await bootstrapped(2);
  await s.save({
    hardState: { term: 2, vote: 1, commit: 2 },
    entries: ents(2, 6, 2),
    snapshot: undefined,
    mustSync: true,
  });
  await s.save({
    hardState: { term: 3, vote: 2, commit: 2 },
    entries: ents(4, 5, 3),
    snapshot: undefined,
    mustSync: true,
  });
  assert.deepEqual(terms(s), [2, 2, 3, 3]);
  w.fs.crash("lose");
  const r = await LogStore.open(w.fs, "raft");
  assert.deepEqual(terms(r), [2, 2, 3, 3]);
  assert.equal(r.storage.lastIndex(), 5);
});

test("log store: compaction removes covered segments and survives restart", async () => {
  const { w, s } = await bootstrapped(3, 160);
  for (let i = 2; i <= 200; i += 10) {
    await s.save({
      hardState: { term: 2, vote: 1, commit: i + 9 },
      entries: ents(i, i + 9, 2),
      snapshot: undefined,
      mustSync: true,
    });
  }
  const before = s.segmentCount;
  assert.ok(before > 5, `segments ${before}`);
  await s.compact(150, CS, utf8("image@150"));
  assert.ok(s.segmentCount < before, `segments ${s.segmentCount} of ${before}`);
  w.fs.crash("lose");
  const r = await LogStore.open(w.fs, "raft");
  assert.equal(r.storage.firstIndex(), 151);
  assert.equal(r.storage.lastIndex(), 201);
  assert.equal(new TextDecoder().decode(r.storage.snapshot().data), "image@150");
  assert.equal(r.storage.hardState.commit, 201);
});

test("log store: a snapshot from the leader replaces the log", async () => {
  const { w, s } = await bootstrapped(4);
  await s.save({
    hardState: { term: 2, vote: 1, commit: 3 },
    entries: ents(2, 5, 2),
    snapshot: undefined,
    mustSync: true,
  });
  const snap = { metadata: { index: 50, term: 4, confState: CS }, data: utf8("img") };
  await s.save({
    hardState: { term: 4, vote: 0, commit: 50 },
    entries: [],
    snapshot: snap,
    mustSync: true,
  });
  await s.save({
    hardState: undefined,
    entries: ents(51, 52, 4),
    snapshot: undefined,
    mustSync: true,
  });
  w.fs.crash("lose");
  const r = await LogStore.open(w.fs, "raft");
  assert.equal(r.storage.firstIndex(), 51);
  assert.equal(r.storage.lastIndex(), 52);
  assert.equal(r.storage.snapshot().metadata.index, 50);
});

test("log store: a failed fsync is sticky", async () => {
  const { w, s } = await bootstrapped(5);
  w.fs.failSync(1);
  await assert.rejects(
    s.save({ hardState: undefined, entries: ents(2, 2, 1), snapshot: undefined, mustSync: true }),
  );
  await assert.rejects(
    s.save({ hardState: undefined, entries: ents(3, 3, 1), snapshot: undefined, mustSync: true }),
    /failed earlier/,
  );
});

test("log store: repeated compaction keeps the entries after each snapshot", async () => {
  const { w, s } = await bootstrapped(6, 160);
  let commit = 1;
  for (let i = 2; i <= 120; i += 3) {
    commit = i + 2;
    await s.save({
      hardState: { term: 2, vote: 1, commit },
      entries: ents(i, i + 2, 2),
      snapshot: undefined,
      mustSync: true,
    });
    if (i === 50 || i === 89) await s.compact(i - 1, CS, utf8(`image@${i - 1}`));
  }
  w.fs.crash("lose");
  const r = await LogStore.open(w.fs, "raft");
  assert.equal(r.storage.firstIndex(), 89);
  assert.equal(r.storage.lastIndex(), 121);
  assert.equal(r.storage.hardState.commit, commit);
});

test("log replay: a durable snapshot marker with a torn hard state counts as committed", () => {
  const meta = { index: 52, term: 5, confState: CS };
  const state = replay([
    { kind: LogRecordKind.HardState, hardState: { term: 5, vote: 1, commit: 51 } },
    { kind: LogRecordKind.Entries, entries: ents(50, 51, 5) },
    { kind: LogRecordKind.SnapshotInstall, metadata: meta },
  ]);
  assert.equal(state.snapshot.index, 52);
  assert.equal(state.hardState.commit, 52);
  assert.deepEqual(state.entries, []);
});

test("log replay: compaction keeps later entries; an install replaces the log", () => {
  const meta = { index: 3, term: 2, confState: CS };
  const compacted = replay([
    { kind: LogRecordKind.Entries, entries: ents(2, 6, 2) },
    { kind: LogRecordKind.Snapshot, metadata: meta },
  ]);
  assert.deepEqual(compacted.entries.map((e) => e.index), [4, 5, 6]);
  const installed = replay([
    { kind: LogRecordKind.Entries, entries: ents(2, 6, 2) },
    { kind: LogRecordKind.SnapshotInstall, metadata: meta },
  ]);
  assert.deepEqual(installed.entries, []);
});

/** Bytes of whole records at the start of a segment (what is left without its zeros). */
function recordBytes(w: ReturnType<typeof createSimWorld>, path: string): number {
  return readAllRecords(w.fs.readFile(path), path).validBytes;
}

test("log store: a full disk fails the save, changes nothing, and the save works later", async () => {
  const { w, s } = await bootstrapped(7, undefined, 256);
  await s.save({
    hardState: undefined,
    entries: ents(2, 3, 1),
    snapshot: undefined,
    mustSync: true,
  });
  const seg = "raft/log-0000000000000001.seg";
  const syncedSize = recordBytes(w, seg);
  w.fs.setCapacity(w.fs.usedBytes() + 100); // the next save is torn after 100 bytes
  const big = [{ term: 1, index: 4, type: EntryType.Normal, data: new Uint8Array(8192) }];
  const save = () =>
    s.save({
      hardState: { term: 1, vote: 0, commit: 3 },
      entries: big,
      snapshot: undefined,
      mustSync: true,
    });
  await assert.rejects(save(), NoSpaceError);
  assert.equal(s.storage.lastIndex(), 3, "memory unchanged");
  assert.equal(w.fs.stat(seg)?.size, syncedSize, "the torn tail and the zeros were cut back");
  await assert.rejects(save(), NoSpaceError, "still full: fails again, not sticky");
  w.fs.setCapacity(undefined);
  await save();
  assert.equal(s.storage.lastIndex(), 4);
  await s.save({
    hardState: undefined,
    entries: ents(5, 5, 1),
    snapshot: undefined,
    mustSync: true,
  });
  w.fs.crash("tear");
  const r = await LogStore.open(w.fs, "raft");
  assert.equal(r.storage.lastIndex(), 5);
  assert.equal(r.storage.entries(4, 5, Infinity)[0].data.length, 8192);
  assert.equal(r.storage.hardState.commit, 3);
});

test("log store: a failed fsync for space is never retried over the same bytes", async () => {
  const { w, s } = await bootstrapped(8);
  const seg = "raft/log-0000000000000001.seg";
  const syncedSize = recordBytes(w, seg);
  w.fs.failSync(1, "no-space");
  const req = { hardState: undefined, entries: ents(2, 4, 1), snapshot: undefined, mustSync: true };
  await assert.rejects(s.save(req), NoSpaceError);
  assert.equal(w.fs.stat(seg)?.size, syncedSize, "the unsynced bytes were cut, not trusted");
  assert.equal(w.fs.unsyncedWrites(seg), 0, "and the cut itself is durable");
  assert.equal(s.storage.lastIndex(), 1);
  await s.save(req);
  w.fs.crash("lose");
  const r = await LogStore.open(w.fs, "raft");
  assert.equal(r.storage.lastIndex(), 4);
});

test("log store: saves under a disk that fills and frees at random lose nothing acknowledged", async () => {
  for (let seed = 1; seed <= 20; seed++) {
    const { w, s } = await bootstrapped(100 + seed, 600);
    let acked = 1, next = 2, failures = 0;
    for (let step = 0; step < 80; step++) {
      const room = w.prng.range(0, 400);
      w.fs.setCapacity(w.prng.chance(0.5) ? w.fs.usedBytes() + room : undefined);
      if (w.prng.chance(0.1)) w.fs.failSync(1, "no-space");
      const n = w.prng.range(1, 4);
      try {
        if (step % 20 === 19) await s.compact(acked, CS, utf8(`image@${acked}`));
        await s.save({
          hardState: { term: 1, vote: 0, commit: next + n - 1 },
          entries: ents(next, next + n - 1, 1),
          snapshot: undefined,
          mustSync: true,
        });
        next += n;
        acked = next - 1;
      } catch (err) {
        assert.ok(err instanceof NoSpaceError, `seed ${seed}: ${err}`);
        failures++;
      }
      assert.equal(s.storage.lastIndex(), acked, `seed ${seed}: memory matches what was saved`);
    }
    assert.ok(failures > 0 && acked > 20, `seed ${seed}: ${failures} failures, ${acked} acked`);
    w.fs.setCapacity(undefined);
    w.fs.crash(w.prng.chance(0.5) ? "lose" : "tear");
    const r = await LogStore.open(w.fs, "raft");
    assert.equal(r.storage.lastIndex(), acked, `seed ${seed}`);
    assert.equal(r.storage.hardState.commit, acked, `seed ${seed}`);
    const first = r.storage.firstIndex();
    const got = r.storage.entries(first, acked + 1, Infinity).map((e) => e.index);
    assert.deepEqual(got, Array.from({ length: acked - first + 1 }, (_, i) => first + i));
  }
});

test("log store: damage before the tail is reported as corruption, never served", async () => {
  const { w, s } = await bootstrapped(8, 1 << 20);
  const data = new Uint8Array(1024).fill(5);
  for (let i = 2; i <= 200; i++) {
    const e: Entry = { term: 2, index: i, type: EntryType.Normal, data };
    await s.save({
      hardState: { term: 2, vote: 1, commit: i },
      entries: [e],
      snapshot: undefined,
      mustSync: true,
    });
  }
  s.close();
  const seg = w.fs.list("raft").find((n) => n.endsWith(".seg"));
  assert.ok(seg !== undefined);
  w.fs.flipByte(`raft/${seg}`, 100);
  await assert.rejects(LogStore.open(w.fs, "raft"), (err: unknown) => {
    assert.ok(err instanceof CorruptionError, String(err));
    assert.match(err.message, /log-0000000000000001\.seg/);
    return true;
  });
});

test("log store: damage inside the last block is corruption too, not a torn tail", async () => {
  const { w, s } = await bootstrapped(9, 1 << 20);
  for (let i = 2; i <= 100; i++) {
    await s.save({
      hardState: { term: 2, vote: 1, commit: i },
      entries: ents(i, i, 2),
      snapshot: undefined,
      mustSync: true,
    });
  }
  s.close();
  const seg = w.fs.list("raft").find((n) => n.endsWith(".seg"));
  assert.ok(seg !== undefined);
  assert.ok(recordBytes(w, `raft/${seg}`) < 32 * 1024, "the whole log is in one block");
  w.fs.flipByte(`raft/${seg}`, 200);
  await assert.rejects(LogStore.open(w.fs, "raft"), CorruptionError);
});

test("log store: zeros ahead of the records: saves into them need no space, reopen cuts them", async () => {
  const step = 4096;
  const { w, s } = await bootstrapped(12, 16 * 1024, step);
  const seg1 = "raft/log-0000000000000001.seg";
  assert.equal(w.fs.stat(seg1)?.size, step, "the first save wrote zeros up to the step");
  assert.ok(recordBytes(w, seg1) < step);
  w.fs.setCapacity(w.fs.usedBytes()); // the disk is full, but the zeros are the log's
  await s.save({
    hardState: { term: 1, vote: 0, commit: 3 },
    entries: ents(2, 3, 1),
    snapshot: undefined,
    mustSync: true,
  });
  assert.equal(w.fs.stat(seg1)?.size, step, "written over the zeros, not past them");
  w.fs.setCapacity(undefined);
  const data = new Uint8Array(1000).fill(7);
  for (let i = 4; i <= 40; i++) {
    await s.save({
      hardState: { term: 1, vote: 0, commit: i },
      entries: [{ term: 1, index: i, type: EntryType.Normal, data }],
      snapshot: undefined,
      mustSync: true,
    });
  }
  assert.ok(s.segmentCount > 1, "rolled");
  for (const name of w.fs.list("raft").filter((n) => n.endsWith(".seg")).slice(0, -1)) {
    const path = `raft/${name}`;
    assert.equal(w.fs.stat(path)?.size, recordBytes(w, path), `${name} lost its zeros at the roll`);
  }
  const names = w.fs.list("raft").filter((n) => n.endsWith(".seg"));
  const last = `raft/${names[names.length - 1]}`;
  assert.equal((w.fs.stat(last)?.size ?? 0) % step, 0, "the current segment ends in zeros");
  s.close();
  w.fs.crash("tear");
  const r = await LogStore.open(w.fs, "raft");
  assert.equal(r.storage.lastIndex(), 40);
  assert.equal(r.storage.hardState.commit, 40);
  assert.equal(w.fs.stat(last)?.size, recordBytes(w, last), "reopen cut the zeros off");
  await r.save({
    hardState: undefined,
    entries: ents(41, 41, 1),
    snapshot: undefined,
    mustSync: true,
  });
  r.close();
  const again = await LogStore.open(w.fs, "raft");
  assert.equal(again.storage.lastIndex(), 41);
});
