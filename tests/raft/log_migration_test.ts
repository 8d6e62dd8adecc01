/**
 * A node's single-group Raft log moves into the shared multi-region log as
 * region 1 (src/raft/log_migration.ts): everything the old log held reads
 * back the same, and power loss at any mutating call of the migration leaves
 * either the old log in charge (and the next open migrates) or the new one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSimWorld, type SimWorld } from "../../src/platform/sim/sim_world.ts";
import type { FileSystem } from "../../src/platform/types.ts";
import type { MemoryStorage } from "../../src/raft/core/storage.ts";
import { LogStore } from "../../src/raft/log_store.ts";
import { MIGRATED_REGION, openSharedLog } from "../../src/raft/log_migration.ts";
import { CrashFs } from "../storage/crash_fs.ts";
import { appendReq, bootstrapReq, CS, ents } from "./multi_log_helpers.ts";

const DATA = "data";

/** What a log holds, as Raft reads it back. */
function modelOf(s: MemoryStorage): unknown {
  const m = s.snapshot().metadata;
  const first = s.firstIndex(), last = s.lastIndex();
  const entries = last >= first ? s.entries(first, last + 1, Number.MAX_SAFE_INTEGER) : [];
  return {
    marker: [m.index, m.term, m.confState],
    hardState: s.hardState,
    confState: s.confState,
    entries: entries.map((e) => [e.index, e.term, e.type, [...e.data]]),
  };
}

/** An old-layout log: bootstrap, entries over three terms, a compaction, a later conf change. */
async function writeOldLog(fs: FileSystem, bigEntries: number): Promise<unknown> {
  fs.mkdir(DATA);
  const s = await LogStore.open(fs, `${DATA}/raft`, { segmentBytes: 4096 });
  await s.save(bootstrapReq());
  await s.save(appendReq(ents(1, 2, 40, 1), 1, 40));
  await s.save(appendReq(ents(1, 41, 60, 2), 2, 55));
  await s.compact(30, CS, new Uint8Array(0));
  s.setConfState({ ...CS, voters: [1, 2, 3, 4] });
  const big = ents(1, 61, 60 + bigEntries, 3).map((e) => ({ ...e, data: new Uint8Array(70_000) }));
  await s.save(appendReq([...big, ...ents(1, 61 + bigEntries, 70 + bigEntries, 3)], 3, 62));
  const model = modelOf(s.storage);
  s.close();
  return model;
}

test("log migration: the old log reads back as region 1, and the old directory is gone", async () => {
  const w = createSimWorld(1, { trace: false });
  // 120 entries of 70 kB: more than one migration chunk.
  const before = await writeOldLog(w.fs, 120);
  const { log, migrated } = await openSharedLog(w.fs, DATA);
  assert.equal(migrated, true);
  assert.deepEqual(modelOf(log.group(MIGRATED_REGION).storage), before);
  assert.deepEqual(log.regionIds(), [MIGRATED_REGION]);
  log.close();
  assert.deepEqual(w.fs.list(DATA).sort(), ["raftlog"]);
  const again = await openSharedLog(w.fs, DATA);
  assert.equal(again.migrated, false);
  assert.deepEqual(modelOf(again.log.group(MIGRATED_REGION).storage), before);
  again.log.close();
});

test("log migration: a new node gets an empty shared log; a never-used old log adds no region", async () => {
  const w = createSimWorld(2, { trace: false });
  w.fs.mkdir(DATA);
  const fresh = await openSharedLog(w.fs, DATA);
  assert.equal(fresh.migrated, false);
  assert.deepEqual(fresh.log.regionIds(), []);
  fresh.log.close();

  const w2 = createSimWorld(3, { trace: false });
  w2.fs.mkdir(DATA);
  (await LogStore.open(w2.fs, `${DATA}/raft`)).close();
  const moved = await openSharedLog(w2.fs, DATA);
  assert.equal(moved.migrated, true);
  assert.deepEqual(moved.log.regionIds(), []);
  moved.log.close();
});

/** Opens until an open finishes without a crash (each attempt may crash at a random call). */
async function recover(w: SimWorld, crashAfter: number): Promise<CrashFs> {
  const cfs = new CrashFs(w.fs, crashAfter, w.prng.chance(0.5) ? "tear" : "lose");
  try {
    (await openSharedLog(cfs, DATA)).log.close();
  } catch (err) {
    assert.ok(cfs.crashed, `migration failed without a crash: ${err}`);
  }
  return cfs;
}

test("log migration: power loss at any point keeps the old log or the complete new one", async () => {
  let crashed = 0;
  for (let crashAfter = 1; crashAfter < 400; crashAfter++) {
    const w = createSimWorld(100 + crashAfter, { trace: false });
    const before = await writeOldLog(w.fs, 3);
    await w.fs.syncDir(DATA);
    const cfs = await recover(w, crashAfter);
    if (!cfs.crashed) break; // the budget outlasted the whole migration: every point was hit
    crashed++;
    // A second crash during the recovery's own migration, then a clean open.
    await recover(w, w.prng.range(1, 60));
    const { log } = await openSharedLog(w.fs, DATA);
    const where = `crash after ${crashAfter} calls (${cfs.crashedAt})`;
    assert.deepEqual(modelOf(log.group(MIGRATED_REGION).storage), before, where);
    assert.deepEqual(w.fs.list(DATA).sort(), ["raftlog"], where);
    log.close();
  }
  assert.ok(crashed >= 12, `only ${crashed} crash points`);
});
