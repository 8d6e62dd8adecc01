/**
 * Merge at the region level (docs/regions.md "Merge"; src/kv/region_merge_*.ts): region 1
 * splits at "g" into region 2, which splits at "p" into region 3; both take writes, then
 * region 3 (the source) prepares a merge into region 2 (the target) and region 2 commits it.
 * Checked: the source stops serving at its prepare; the target's range, epoch, key counts,
 * current reads, reads at its revision of the absorbed keys, and writes after the merge; the
 * refusals (stale epochs, a target that moved, a second commit, a rollback after a commit);
 * the rollback; a lagging source caught up from the entries the commit carries; and a crash
 * at every point between the phases, replayed to the same engine, byte for byte.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  decodeRegionCommand,
  encodeRegionCommand,
  type RegionOutcome,
} from "../../src/kv/region_command.ts";
import { MERGE_ENTRIES_MAX } from "../../src/limits_ops.ts";
import { DecodeError } from "../../src/util/coding.ts";
import type { RegionDescriptor } from "../../src/region/descriptor.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { b, cmd, dump, put } from "./kv_helpers.ts";
import {
  commitCommand,
  type Logs,
  logUpTo,
  MergeNode,
  prepareCommand,
  run,
} from "./region_merge_harness.ts";
import { EntryType } from "../../src/raft/core/messages.ts";
import {
  type ConfChangeSingle,
  ConfChangeTransition,
  ConfChangeType,
  encodeConfChange,
} from "../../src/raft/core/confchange/conf_change.ts";
import { applyRegionEntries } from "../../src/server/node/region_membership.ts";
import { confRefused, recordConfRefused, REFUSED_KEPT } from "../../src/kv/refused_conf_changes.ts";

const voters = [{ nodeId: 1, role: "voter" as const }];
const del = (key: string) => cmd({ body: { case: "delete", value: { key: b(key) } } });

function split(regionId: number, version: number, key: string, newRegionId: number) {
  const epoch = { version, confVer: 1 };
  return encodeRegionCommand({
    kind: "split",
    regionId,
    epoch,
    splitKey: b(key),
    newRegionId,
    replicas: voters,
  });
}

function routed(regionId: number, version: number, command: Uint8Array) {
  return encodeRegionCommand({ kind: "routed", regionId, epoch: { version, confVer: 1 }, command });
}

const prepare = prepareCommand;
const commit = (target: RegionDescriptor, source: RegionDescriptor, fence: number, logs: Logs) =>
  commitCommand(target, source, fence, logUpTo(logs, source.id, fence));

/** Regions 1 [, g), 2 [g, p), 3 [p, ) with history on both sides of "p". */
async function threeRegions(node: MergeNode, logs: Logs) {
  for (const k of ["a", "h", "i", "q", "r", "s"]) await run(node, logs, 1, put(k, `v1-${k}`));
  assert.equal((await run(node, logs, 1, split(1, 1, "g", 2)))?.kind, "split");
  assert.equal((await run(node, logs, 2, split(2, 2, "p", 3)))?.kind, "split");
  await run(node, logs, 2, routed(2, 3, put("h", "v2-h")));
  await run(node, logs, 2, routed(2, 3, del("i")));
  await run(node, logs, 3, routed(3, 3, put("q", "v2-q")));
  await run(node, logs, 3, routed(3, 3, del("s")));
  await run(node, logs, 3, routed(3, 3, put("t", "v1-t")));
}

const region = (node: MergeNode, id: number) => {
  const r = node.regions.get(id);
  assert.ok(r !== undefined, `region ${id} is open`);
  return r;
};
const value = (node: MergeNode, id: number, key: string) => {
  const s = region(node, id).kv.get(b(key));
  return s === undefined ? undefined : fromUtf8(s.value);
};

/** Prepares 3 into 2 and commits; returns the prepare's index. */
async function merge(node: MergeNode, logs: Logs): Promise<number> {
  const source = region(node, 3).descriptor, target = region(node, 2).descriptor;
  const prepared = await run(node, logs, 3, prepare(source, target));
  assert.equal(prepared?.kind, "merge-prepared");
  const fence = region(node, 3).appliedIndex;
  const merged = await run(node, logs, 2, commit(target, region(node, 3).descriptor, fence, logs));
  assert.equal(merged?.kind, "merged", JSON.stringify(merged));
  return fence;
}

test("merge: the target takes the source's range, keys and history; the source is gone", async () => {
  const node = await MergeNode.create(1), logs: Logs = new Map();
  await threeRegions(node, logs);
  const source = region(node, 3), target = region(node, 2);
  const keys = source.kv.keyCount + target.kv.keyCount;
  const before = Math.max(source.kv.revision, target.kv.revision);
  const v = Math.max(source.descriptor.epoch.version, target.descriptor.epoch.version);
  const prepared = await run(node, logs, 3, prepare(source.descriptor, target.descriptor));
  assert.equal(prepared?.kind, "merge-prepared");
  assert.equal(source.descriptor.epoch.version, 4, "a prepare bumps the source's version");
  // Frozen: a write with its new epoch, a read, a split are refused; nothing applied.
  const write = await run(node, logs, 3, routed(3, 4, put("q", "lost")));
  assert.equal(write?.kind, "epoch-not-match");
  assert.equal(source.checkRead(b("q"))?.kind, "epoch-not-match");
  assert.equal((await run(node, logs, 3, split(3, 4, "r", 9)))?.kind, "epoch-not-match");
  assert.equal(value(node, 3, "q"), "v2-q");
  const fence = source.appliedIndex - 2; // the prepare's index: two refused entries after it
  const done = await run(node, logs, 2, commit(target.descriptor, source.descriptor, fence, logs));
  assert.equal(done?.kind, "merged");
  const d = target.descriptor;
  assert.deepEqual([fromUtf8(d.start), d.end.length], ["g", 0], "the target spans [g, )");
  assert.equal(d.epoch.version, v + 2, "a version above both (the source's prepared one)");
  assert.equal(source.merge?.stage, "merged");
  assert.equal(target.kv.keyCount, keys);
  assert.equal(target.kv.revision, before + 1);
  // Reads of absorbed keys: current, and at the merged region's revision through its history.
  assert.equal(target.checkRead(b("q")), undefined);
  assert.equal(value(node, 2, "q"), "v2-q");
  for (const [k, want] of [["q", "v2-q"], ["r", "v1-r"], ["t", "v1-t"], ["h", "v2-h"]]) {
    const s = await target.kv.getAt(b(k), target.kv.revision);
    assert.equal(s === undefined ? undefined : fromUtf8(s.value), want, `${k} at the merge`);
  }
  assert.equal(await target.kv.getAt(b("s"), target.kv.revision), undefined, "a deleted key");
  await assert.rejects(() => target.kv.getAt(b("q"), before - 1), /compact/i);
  // Writes to the absorbed range go to the target now; a stale route to it is refused.
  const after = await run(node, logs, 2, routed(2, d.epoch.version, put("q", "v3-q")));
  assert.notEqual(after?.kind, "key-not-in-region");
  assert.equal(value(node, 2, "q"), "v3-q");
  const stale = await run(node, logs, 2, routed(2, 3, put("r", "stale")));
  assert.equal(stale?.kind, "epoch-not-match");
  const s = await target.kv.getAt(b("r"), target.kv.revision);
  assert.equal(s === undefined ? "" : fromUtf8(s.value), "v1-r");
  // The engine keeps it: reopened, the regions are the same.
  await node.db.flush();
  await node.crash();
  assert.deepEqual(region(node, 2).descriptor, d);
  assert.equal(region(node, 3).merge?.stage, "merged");
  assert.equal(region(node, 2).kv.revision, target.kv.revision);
  assert.equal(value(node, 2, "q"), "v3-q");
  assert.equal(fence > 0, true);
});

test("merge: a session only the source had goes on in the target, whose log is shorter", async () => {
  // The source's session records its last write at the source's log index, which may be past
  // the target's: taken as it was, the client's next write in the target went "back" and the
  // node halted (session 20, under load in a node test).
  const node = await MergeNode.create(7), logs: Logs = new Map();
  await threeRegions(node, logs);
  const client = (sequence: number, key: string, v: string) =>
    put(key, v, { clientId: 77n, sequence: BigInt(sequence) });
  for (let i = 1; i <= 12; i++) await run(node, logs, 3, routed(3, 3, client(i, "q", `s${i}`)));
  assert.ok(region(node, 3).appliedIndex > region(node, 2).appliedIndex + 3, "a longer log");
  await merge(node, logs);
  const target = region(node, 2);
  const v = target.descriptor.epoch.version;
  assert.equal(await run(node, logs, 2, routed(2, v, client(13, "h", "after"))), undefined);
  assert.equal(value(node, 2, "h"), "after");
  // The session is the source's: its saved outcome answers a retry, nothing applied twice.
  assert.equal(await run(node, logs, 2, routed(2, v, client(12, "q", "again"))), undefined);
  assert.equal(value(node, 2, "q"), "s12");
});

test("merge: refusals change nothing but the applied index", async () => {
  const node = await MergeNode.create(2), logs: Logs = new Map();
  await threeRegions(node, logs);
  const source = region(node, 3), target = region(node, 2);
  const staleSource = { ...source.descriptor, epoch: { version: 2, confVer: 1 } };
  const refused = async (id: number, data: Uint8Array, kind: RegionOutcome["kind"]) => {
    const o = await run(node, logs, id, data);
    assert.equal(o?.kind, kind, JSON.stringify(o));
  };
  await refused(3, prepare(staleSource, target.descriptor), "epoch-not-match");
  await refused(3, prepare(source.descriptor, region(node, 1).descriptor), "invalid"); // not adjacent
  const far = { ...target.descriptor, replicas: [{ nodeId: 2, role: "voter" as const }] };
  await refused(3, prepare(source.descriptor, far), "invalid"); // other voters
  const r1 = region(node, 1).descriptor, r2 = region(node, 2).descriptor;
  await refused(1, prepare(r1, r2), "invalid"); // region 1 is never a source
  await refused(
    2,
    encodeRegionCommand({ kind: "rollback-merge", regionId: 2, epoch: r2.epoch, fence: 3 }),
    "invalid",
  );
  // A commit without a prepare: the source is not fenced.
  await refused(
    2,
    commit(target.descriptor, source.descriptor, source.appliedIndex, logs),
    "invalid",
  );
  assert.equal(source.merge, undefined);
  assert.equal(target.descriptor.end.length > 0, true, "nothing merged");
  // Prepared, then the target splits: its epoch moved, a commit is refused for ever, and the
  // source rolls back and serves again at a new version.
  await run(node, logs, 3, prepare(source.descriptor, target.descriptor));
  const fence = source.appliedIndex;
  const old = target.descriptor;
  assert.equal((await run(node, logs, 2, split(2, 3, "k", 9)))?.kind, "split");
  await refused(2, commit(old, source.descriptor, fence, logs), "epoch-not-match");
  await refused(2, commit(target.descriptor, source.descriptor, fence, logs), "invalid");
  const back = encodeRegionCommand({
    kind: "rollback-merge",
    regionId: 3,
    epoch: source.descriptor.epoch,
    fence,
  });
  assert.equal((await run(node, logs, 3, back))?.kind, "merge-rolled-back");
  assert.equal(source.merge, undefined);
  assert.equal(source.descriptor.epoch.version, 5);
  assert.equal(source.checkRead(b("q")), undefined);
  assert.equal((await run(node, logs, 3, routed(3, 5, put("q", "again"))))?.kind, undefined);
  assert.equal(value(node, 3, "q"), "again");
});

test("merge: a lagging source replica is caught up from the entries the commit carries", async () => {
  const a = await MergeNode.create(3), logs: Logs = new Map();
  await threeRegions(a, logs);
  await merge(a, logs);
  await run(a, logs, 2, routed(2, region(a, 2).descriptor.epoch.version, put("u", "after")));
  // Node b applies region 3's log only up to its split: the commit carries the rest.
  const bNode = await MergeNode.create(3);
  const partial: Logs = new Map([...logs].map(([id, log]) => [id, id === 3 ? [] : log]));
  await bNode.catchUp(partial, 1);
  // Region 3 is added after the apply that split it: the commit waits for it once.
  assert.equal(await bNode.catchUp(partial, 2), false, "the source is not open yet");
  assert.equal(region(bNode, 3).appliedIndex < region(a, 3).appliedIndex, true);
  assert.equal(await bNode.catchUp(partial, 2), true);
  assert.equal(region(bNode, 3).merge?.stage, "merged");
  assert.deepEqual(await dump(bNode.db), await dump(a.db));
});

/**
 * A membership change of region `id` applied on `node` as a node applies one (each in a batch of
 * its own, with the descriptor it leaves), logged as a commit carries it.
 */
async function member(node: MergeNode, logs: Logs, id: number, change: ConfChangeSingle) {
  const r = region(node, id), log = logs.get(id) ?? [];
  logs.set(id, log);
  const index = Math.max(r.appliedIndex, log.at(-1)?.index ?? 0) + 1;
  const data = encodeConfChange({ transition: ConfChangeTransition.Auto, changes: [change] });
  log.push({ index, data: null, confChange: data });
  const entry = { index, term: 1, type: EntryType.ConfChange, data };
  await applyRegionEntries({ id, kv: r }, [entry], {});
}

// The region simulator's seed 88 with merge: a wiped node replaying region 2's log re-created
// children merged away long before and caught them up from the commits' tails, which carried
// their membership changes empty; a later prepare was refused there alone (its conf version
// behind), then the commit, and that node's region 2 went on without the merge.
test("merge: a lagging source replica takes the membership changes the commit carries", async () => {
  const a = await MergeNode.create(11), logs: Logs = new Map();
  await threeRegions(a, logs);
  const target = region(a, 2).descriptor;
  assert.equal(
    (await run(a, logs, 3, prepare(region(a, 3).descriptor, target)))?.kind,
    "merge-prepared",
  );
  const first = region(a, 3).appliedIndex, prepared = region(a, 3).descriptor;
  const back = encodeRegionCommand({
    kind: "rollback-merge",
    regionId: 3,
    epoch: prepared.epoch,
    fence: first,
  });
  assert.equal((await run(a, logs, 3, back))?.kind, "merge-rolled-back");
  // A learner added and removed: the conf version moves twice, the replicas end as they were.
  await member(a, logs, 3, { type: ConfChangeType.AddLearner, nodeId: 2 });
  assert.deepEqual(region(a, 3).descriptor.replicas.map((x) => x.role), ["voter", "learner"]);
  await member(a, logs, 3, { type: ConfChangeType.RemoveNode, nodeId: 2 });
  const source = region(a, 3).descriptor;
  assert.equal(source.epoch.confVer, region(a, 3).appliedIndex);
  assert.equal((await run(a, logs, 3, prepare(source, target)))?.kind, "merge-prepared");
  const fence = region(a, 3).appliedIndex;
  const merged = await run(a, logs, 2, commit(target, region(a, 3).descriptor, fence, logs));
  assert.equal(merged?.kind, "merged");
  // Node b applied region 3's log only up to its split: the commit carries the rest.
  const bNode = await MergeNode.create(11);
  const partial: Logs = new Map([...logs].map(([id, log]) => [id, id === 3 ? [] : log]));
  await bNode.catchUp(partial, 1);
  assert.equal(await bNode.catchUp(partial, 2), false, "the source is not open yet");
  assert.equal(await bNode.catchUp(partial, 2), true);
  assert.equal(region(bNode, 3).merge?.stage, "merged", "the second prepare applied there too");
  assert.deepEqual(region(bNode, 2).descriptor, region(a, 2).descriptor);
  assert.deepEqual(await dump(bNode.db), await dump(a.db));
});

// The region simulator's seed 242 with merge: a member's removal, proposed as the prepare was,
// reached the source's log after it. Taken, the source's voters differed from the target's, every
// commit was refused ("voters differ"), and the source, frozen, was never rolled back.
test("merge: a prepared source refuses a membership change; a commit then takes it in", async () => {
  const a = await MergeNode.create(12), logs: Logs = new Map();
  await threeRegions(a, logs);
  await member(a, logs, 3, { type: ConfChangeType.AddLearner, nodeId: 2 });
  await member(a, logs, 2, { type: ConfChangeType.AddLearner, nodeId: 2 });
  const target = region(a, 2).descriptor;
  assert.equal(
    (await run(a, logs, 3, prepare(region(a, 3).descriptor, target)))?.kind,
    "merge-prepared",
  );
  const fence = region(a, 3).appliedIndex, prepared = region(a, 3).descriptor;
  const change = { type: ConfChangeType.RemoveNode, nodeId: 2 };
  const data = encodeConfChange({ transition: ConfChangeTransition.Auto, changes: [change] });
  const entry = { index: fence + 1, term: 1, type: EntryType.ConfChange, data };
  const applied = await applyRegionEntries({ id: 3, kv: region(a, 3) }, [entry], {});
  assert.deepEqual(applied.refused, [fence + 1], "the driver leaves the configuration too");
  assert.equal(region(a, 3).appliedIndex, fence + 1, "the entry's index is applied");
  assert.deepEqual(region(a, 3).descriptor, prepared, "the replicas and epoch are as prepared");
  // Handed again at or below the applied index (after an image newer than the Raft snapshot, or
  // a restart), the entry is refused by the region's record, whatever the merge state is then.
  const again = await applyRegionEntries({ id: 3, kv: region(a, 3) }, [entry], {});
  assert.deepEqual(again.refused, [fence + 1]);
  assert.ok(confRefused(a.db, 3, fence + 1) && !confRefused(a.db, 3, fence));
  const merged = await run(a, logs, 2, commit(target, prepared, fence, logs));
  assert.equal(merged?.kind, "merged");
  // The same change to the target (not frozen) is taken.
  const change2 = { ...entry, index: region(a, 2).appliedIndex + 1 };
  const took = await applyRegionEntries({ id: 2, kv: region(a, 2) }, [change2], {});
  assert.deepEqual(took.refused, []);
  assert.deepEqual(region(a, 2).descriptor.replicas.map((x) => x.nodeId), [1]);
});

test("merge: a region keeps the newest REFUSED_KEPT conf change refusals", async () => {
  const a = await MergeNode.create(13);
  const last = 100 + REFUSED_KEPT; // one more than kept
  for (let i = 100; i <= last; i++) {
    const ops = recordConfRefused(a.db, 3, i).map((w) =>
      w.value === null
        ? { type: "del" as const, key: w.key }
        : { type: "put" as const, key: w.key, value: w.value }
    );
    await a.db.write(ops);
  }
  assert.equal(confRefused(a.db, 3, 100), false, "the lowest index went");
  for (let i = 101; i <= last; i++) assert.ok(confRefused(a.db, 3, i));
  assert.equal(confRefused(a.db, 2, last), false, "another region's are its own");
});

test("merge: a lagging source replica applies its own log up to the fence", async () => {
  const a = await MergeNode.create(7), logs: Logs = new Map();
  await threeRegions(a, logs);
  const source = region(a, 3).descriptor, target = region(a, 2).descriptor;
  await run(a, logs, 3, prepare(source, target));
  const fence = region(a, 3).appliedIndex;
  const bare = encodeRegionCommand({
    kind: "commit-merge",
    regionId: 2,
    epoch: target.epoch,
    fence,
    source: region(a, 3).descriptor,
    entries: [],
  });
  assert.equal((await run(a, logs, 2, bare))?.kind, "merged");
  // Node b has region 3's log (it is a replica) but applied none of it: the commit applies it.
  const bNode = await MergeNode.create(7);
  const partial: Logs = new Map([...logs].map(([id, log]) => [id, id === 3 ? [] : log]));
  await bNode.catchUp(partial, 1);
  assert.equal(await bNode.catchUp(partial, 2), false, "the source is not open yet");
  assert.equal(await bNode.catchUp(partial, 2), false, "no entries carried, none in its log");
  bNode.localLogs = logs;
  assert.equal(await bNode.catchUp(partial, 2), true);
  assert.deepEqual(await dump(bNode.db), await dump(a.db));
});

test("merge: a crash at any point between the phases replays to the same engine", async () => {
  const ref = await MergeNode.create(4), logs: Logs = new Map();
  await threeRegions(ref, logs);
  await merge(ref, logs);
  const want = await dump(ref.db);
  // Flush after n entries of the merge's two (0: neither, 1: the prepare, 2: both), crash.
  for (const flushed of [0, 1, 2]) {
    const node = await MergeNode.create(4), mine: Logs = new Map();
    await threeRegions(node, mine);
    await node.db.flush();
    const source = region(node, 3).descriptor, target = region(node, 2).descriptor;
    await run(node, mine, 3, prepare(source, target));
    if (flushed >= 1) await node.db.flush();
    const fence = region(node, 3).appliedIndex;
    await run(node, mine, 2, commit(target, region(node, 3).descriptor, fence, mine));
    if (flushed >= 2) await node.db.flush();
    await node.crash();
    await node.replay(mine);
    assert.deepEqual(await dump(node.db), want, `flushed ${flushed} of the merge's entries`);
  }
  // A crash that lost everything since the regions were made replays the whole logs.
  const fresh = await MergeNode.create(4);
  await fresh.replay(logs);
  assert.deepEqual(await dump(fresh.db), want);
});

test("merge: the merged region compacts and splits again; absorbed keys keep their history", async () => {
  const node = await MergeNode.create(5), logs: Logs = new Map();
  await threeRegions(node, logs);
  await merge(node, logs);
  const target = region(node, 2);
  const at = (id: number, k: string, rev: number) =>
    region(node, id).kv.getAt(b(k), rev).then((s) =>
      s === undefined ? undefined : fromUtf8(s.value)
    );
  const merged = target.kv.revision;
  let version = target.descriptor.epoch.version;
  await run(node, logs, 2, routed(2, version, put("q", "v3-q")));
  await run(node, logs, 2, routed(2, version, put("j", "v1-j"))); // q's change below the point
  // Region 3's revisions (its indexes) are the same numbers as region 2's: q's second change
  // and h's are both at the first index after the split, in two feeds. Compacting q's must not
  // delete h's, which is still h's newest.
  const compact = cmd({
    body: { case: "compact", value: { revision: BigInt(target.kv.revision) } },
  });
  await run(node, logs, 2, routed(2, version, compact));
  await target.kv.compactor.idle();
  // Compaction removed the absorbed key's older change, and no other key's record.
  const kept = [["q", "v3-q"], ["h", "v2-h"], ["r", "v1-r"], ["t", "v1-t"], ["a", undefined]];
  for (const [k, want] of kept as [string, string | undefined][]) {
    assert.equal(await at(2, k, target.kv.revision), want, `${k} after compaction`);
  }
  await assert.rejects(() => at(2, "r", merged), /compacted/, "compacted past the merge");
  // A split of the merged region at "r": the child takes the absorbed records of its keys.
  assert.equal((await run(node, logs, 2, split(2, version, "r", 4)))?.kind, "split");
  version++;
  const child = region(node, 4);
  assert.equal(fromUtf8(child.descriptor.start), "r");
  for (const [k, want] of [["r", "v1-r"], ["t", "v1-t"], ["s", undefined]] as const) {
    assert.equal(await at(4, k, child.kv.revision), want, `${k} in the child`);
  }
  assert.equal(await at(2, "q", target.kv.revision), "v3-q");
  assert.equal(await at(2, "r", target.kv.revision), undefined, "the child's key now");
  await node.db.flush();
  await node.crash();
  assert.equal(await at(4, "t", region(node, 4).kv.revision), "v1-t");
  assert.equal(version, region(node, 2).descriptor.epoch.version);
});

test("merge commands: round trip; malformed, over-long and truncated ones are refused", async () => {
  const d = (id: number, start: string, end: string): RegionDescriptor => ({
    id,
    start: b(start),
    end: b(end),
    epoch: { version: 3, confVer: 2 },
    replicas: voters,
  });
  const confChange = encodeConfChange({
    transition: ConfChangeTransition.Auto,
    changes: [{ type: ConfChangeType.AddLearner, nodeId: 2 }],
  });
  const entries = [
    { index: 7, data: b("x") },
    { index: 8, data: null },
    { index: 9, data: null, confChange },
  ];
  const c = { kind: "commit-merge" as const, regionId: 2, epoch: { version: 3, confVer: 2 } };
  const bytes = encodeRegionCommand({ ...c, fence: 9, source: d(3, "p", ""), entries });
  assert.deepEqual(decodeRegionCommand(bytes), { ...c, fence: 9, source: d(3, "p", ""), entries });
  for (let cut = 1; cut < bytes.length; cut += 7) {
    assert.throws(() => decodeRegionCommand(bytes.subarray(0, cut)), DecodeError, `cut at ${cut}`);
  }
  const many = Array.from(
    { length: MERGE_ENTRIES_MAX + 1 },
    (_, i) => ({ index: i + 1, data: null }),
  );
  const long = encodeRegionCommand({
    ...c,
    fence: many.length,
    source: d(3, "p", ""),
    entries: many,
  });
  assert.throws(() => decodeRegionCommand(long), /entries/);
  // Applied, a malformed merge command is an `invalid` outcome, nothing else changes.
  const node = await MergeNode.create(6), logs: Logs = new Map();
  await threeRegions(node, logs);
  const garbage = bytes.slice(0, 40);
  assert.equal((await run(node, logs, 2, garbage))?.kind, "invalid");
  assert.equal((await run(node, logs, 2, long))?.kind, "invalid");
  assert.equal(region(node, 2).descriptor.end.length > 0, true);
});
