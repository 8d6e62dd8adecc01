/**
 * Format 2 → 3 (docs/decisions/0014-regions.md §2): a store written before regions opens as
 * region 1. The old store is made by a fixture generator: a state machine's engine with region
 * 1's local keys put back where format 2 kept them (the region prefix is the only difference,
 * region_keys.ts), checked byte for byte against the documented format-2 layout.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dueKeys } from "../../src/kv/expiry_index.ts";
import { migrateFormat } from "../../src/kv/format_migration.ts";
import { regionKeys } from "../../src/kv/region_keys.ts";
import { FORMAT_KEY, formatRecord, type MigrationDb } from "../../src/kv/region_migration.ts";
import { KvStateMachine } from "../../src/kv/state_machine.ts";
import { createSimWorld, type SimWorld } from "../../src/platform/sim/sim_world.ts";
import { Db, type WriteOp } from "../../src/storage/db.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { applyAll, b, cmd, dump, openKv, put } from "./kv_helpers.ts";
import { read, redis } from "./redis/seed_helpers.ts";

const R1 = regionKeys(1);
const WHOLE = { key: new Uint8Array(0), rangeEnd: new Uint8Array([0]) };
const putTtl = (key: string, ttlMs: number) =>
  cmd({
    proposedAtMs: 1000n,
    body: { case: "put", value: { key: b(key), value: b("soon"), ttlMs: BigInt(ttlMs) } },
  });

/** The log of the old store: sessions, history, both expiry indexes, Redis garbage. */
const LOG = [
  put("a", "1", { clientId: 7n, sequence: 1n }),
  put("b", "1"),
  put("a", "2", { clientId: 7n, sequence: 2n, ackedSequence: 1n }),
  putTtl("ttl", 1000),
  redis(0, 1000, ["hset", "h", "f1", "v", "f2", "v"]),
  redis(0, 1000, ["del", "h"]),
  redis(2, 1000, ["set", "s", "v", "px", "500"]),
  redis(0, 1000, ["hset", "h2", "f", "v"]),
];

interface OldStore {
  readonly world: SimWorld;
  /** What the state machine answered and held before the store went back to format 2. */
  readonly before: {
    outcomes: Awaited<ReturnType<typeof applyAll>>;
    revision: number;
    applied: number;
    history: string[];
    dbsize: number;
  };
}

/** Region 1's local keys moved back to the format-2 layout; checks a sample of the bytes. */
async function toFormat2(db: Db): Promise<void> {
  const ops: WriteOp[] = [{ type: "put", key: FORMAT_KEY, value: formatRecord(2) }];
  for await (const [k, v] of db.scan({ start: R1.start, end: R1.end })) {
    ops.push({ type: "del", key: k.slice() }, { type: "put", key: k.slice(9), value: v.slice() });
  }
  await db.write(ops);
  const old = (bytes: number[]) => db.get(new Uint8Array(bytes)) !== undefined;
  assert.ok(old([0, ...b("applied")]), "0x00 applied");
  assert.ok(old([1, 0, 0, 0, 0, 0, 0, 0, 7]), "0x01 clientId:u64be");
  assert.ok(old([3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]), "0x03 revision:u64be sub:u32be");
  assert.ok(old([7, 0, 0, 0, 0, 0, 0, 0x07, 0xd0, ...b("ttl")]), "0x07 expireAtMs key");
  assert.ok(old([0x0b, 0, 0, 0, 0, 0, 0, 0x05, 0xdc, 2, ...b("s")]), "0x0B expireAtMs db key");
  assert.ok(old([0x0a, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0]), "0x0A revision sub");
  await db.flush();
}

const members = (db: Db) =>
  [...db.scanSync({ start: new Uint8Array([9]), end: new Uint8Array([10]) })].length;

function historyText(events: { type: string; kv: { key: Uint8Array; modRevision: number } }[]) {
  return events.map((e) => `${e.type} ${fromUtf8(e.kv.key)}@${e.kv.modRevision}`);
}

async function oldStore(seed: number): Promise<OldStore> {
  const { world, db, kv } = await openKv(createSimWorld(seed));
  kv.garbage.stop(); // the dead hash's members stay queued
  const outcomes = await applyAll(kv, LOG);
  const history = await kv.readHistory(2, WHOLE, { maxEvents: 100, prevKv: false });
  const dbsize = read(kv, 0, "dbsize");
  assert.equal(members(db), 3, "h's two fields (queued as garbage) and h2's one");
  const before = {
    outcomes,
    revision: kv.revision,
    applied: kv.appliedIndex,
    history: historyText(history.events),
    dbsize: dbsize.k === "int" ? Number(dbsize.n) : -1,
  };
  await toFormat2(db);
  await db.close();
  return { world, before };
}

/** Everything the old store held still works as region 1 after the migration. */
async function checkMigrated(world: SimWorld, before: OldStore["before"]): Promise<void> {
  const db = await Db.open(world.fs, "kv", { wal: false });
  const kv = await KvStateMachine.open(db);
  assert.equal(db.get(FORMAT_KEY)?.[0], 3);
  for (const ns of [1, 3, 7, 0x0a, 0x0b]) {
    const left = [...db.scanSync({ start: new Uint8Array([ns]), end: new Uint8Array([ns + 1]) })];
    assert.equal(left.length, 0, `no format-2 records left in namespace ${ns}`);
  }
  assert.deepEqual([kv.appliedIndex, kv.revision], [before.applied, before.revision]);
  assert.equal(fromUtf8(kv.get(b("a"))?.value ?? b("-")), "2");
  const history = await kv.readHistory(2, WHOLE, { maxEvents: 100, prevKv: false });
  assert.deepEqual(historyText(history.events), before.history, "a watch from revision 2");
  assert.equal((await kv.getAt(b("a"), 1))?.version, 1, "the key index finds the old history");
  const dbsize = read(kv, 0, "dbsize");
  assert.deepEqual(dbsize, { k: "int", n: BigInt(before.dbsize) });
  const due = await dueKeys(db, 5000, 10);
  assert.deepEqual(due.keys.map(fromUtf8), ["ttl"]);
  assert.deepEqual(due.redisKeys.map((r) => `${r.db}:${fromUtf8(r.key)}`), ["2:s"]);
  // A retried write gets its saved outcome; nothing is applied again.
  const [retry] = await applyAll(kv, [LOG[2]]);
  assert.deepEqual(retry, before.outcomes[2]);
  assert.equal(kv.revision, before.revision);
  // The old store queued the dead hash's members (3 members then): region 1's collector,
  // started by the open, finds the queue and removes them.
  await kv.garbage.idle();
  assert.equal(members(db), 1, "h2's field is alive");
  assert.equal([...db.scanSync({ start: R1.garbagePrefix, end: R1.garbageEnd })].length, 0);
  await db.close();
}

test("regions: a format-2 store opens as region 1 with everything working", async () => {
  const { world, before } = await oldStore(1);
  assert.equal(before.dbsize, 4, "a, b, ttl, h2 (s is in database 2)");
  await checkMigrated(world, before);
});

/** The engine with its `n`th write refused (the batch is not written), flushed after each. */
function cutAt(db: Db, n: number): MigrationDb & { readonly writes: number } {
  let writes = 0;
  return {
    get: (k) => db.get(k),
    scan: (o) => db.scan(o),
    flush: () => db.flush(),
    async write(ops) {
      if (++writes === n) throw new Error("crash");
      await db.write(ops);
      await db.flush();
    },
    get writes() {
      return writes;
    },
  };
}

/** A world whose engine holds exactly `entries`. */
async function worldWith(seed: number, entries: [Uint8Array, Uint8Array][]): Promise<SimWorld> {
  const world = createSimWorld(seed);
  world.fs.mkdir("kv");
  const db = await Db.open(world.fs, "kv", { wal: false });
  await db.write(entries.map(([key, value]) => ({ type: "put", key, value })));
  await db.flush();
  await db.close();
  return world;
}

test("regions: a migration cut at any batch leaves a readable store that migrates next open", async () => {
  const { world, before } = await oldStore(2);
  const db0 = await Db.open(world.fs, "kv", { wal: false });
  const entries = [...db0.scanSync()];
  const format2 = await dump(db0);
  await db0.close();
  const seen = { 2: 0, 3: 0 };
  for (let n = 1; n <= 200; n++) {
    const w = await worldWith(100 + n, entries);
    const db = await Db.open(w.fs, "kv", { wal: false });
    // Three records per batch: the copy, switch and cleanup steps each take several batches.
    const done = await migrateFormat(cutAt(db, n), false, 3).then(() => true, () => false);
    w.fs.crash("lose");
    const after = await Db.open(w.fs, "kv", { wal: false });
    const format = after.get(FORMAT_KEY)?.[0];
    seen[format === 2 ? 2 : 3]++;
    if (format === 2) {
      const unprefixed = (await dump(after)).filter((l) => !l.startsWith("16,"));
      assert.deepEqual(unprefixed, format2, `cut at write ${n}: the format-2 store is whole`);
    } else assert.equal(format, 3, `cut at write ${n}`);
    await after.close();
    // The store as the crash left it migrates (or finishes migrating) at the next open.
    await checkMigrated(w, before);
    if (done) {
      assert.ok(
        seen[2] > 5 && seen[3] > 5,
        `cuts in the copy and cleanup steps: ${JSON.stringify(seen)}`,
      );
      return;
    }
  }
  assert.fail("the migration never finished");
});
