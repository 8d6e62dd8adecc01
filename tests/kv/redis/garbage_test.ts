/**
 * The background collector of dead hash and set members (src/kv/redis/garbage.ts):
 * DEL leaves a collection's members queued as garbage, the collector removes them in
 * bounded batches, a new collection of the same name never sees them, and the work
 * resumes when the state machine is opened again, or over an engine rebuilt from a snapshot.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RedisNamespace } from "../../../src/kv/redis/keys.ts";
import { collectGarbage } from "../../../src/kv/redis/garbage.ts";
import { RedisDb } from "../../../src/kv/redis/database.ts";
import { RedisType } from "../../../src/kv/redis/meta_record.ts";
import { ReadStorage } from "../../../src/kv/redis/read_storage.ts";
import { exportSnapshot, SnapshotImporter } from "../../../src/kv/kv_snapshot.ts";
import { KvStateMachine } from "../../../src/kv/state_machine.ts";
import { REDIS_GARBAGE_BATCH } from "../../../src/limits.ts";
import type { Db } from "../../../src/storage/db.ts";
import { fromUtf8 } from "../../../src/util/bytes.ts";
import { applyAll, b, dump } from "../kv_helpers.ts";
import { regionKeys } from "../../../src/kv/region_keys.ts";
import { engineKeys, freshEngine, read, redis, regionEngineKeys, seed } from "./seed_helpers.ts";

const MEMBERS = 1000;

/** A hash `key` in database `index` with fields f0..f{n-1} (values v0..). */
function hash(key: string, n: number, prefix = "f") {
  return (rdb: RedisDb) => {
    const c = rdb.collection(b(key), RedisType.Hash, true);
    assert.ok(c !== undefined);
    for (let i = 0; i < n; i++) rdb.putMember(c, b(`${prefix}${i}`), b(`v${i}`));
    rdb.save(c);
  };
}

const members = (db: Db) => engineKeys(db, RedisNamespace.Member).length;
const queued = (db: Db) => regionEngineKeys(db, RedisNamespace.Garbage).length;

test("garbage: DEL of a 1,000-member hash leaves its members until the collector runs", async () => {
  const { engine } = await freshEngine();
  await seed(engine, 3, 1000, hash("big", MEMBERS));
  const kv = await KvStateMachine.open(engine);
  kv.garbage.stop();
  assert.equal(members(engine), MEMBERS);
  assert.deepEqual(read(kv, 3, "type", "big"), { k: "simple", s: "hash" });
  const [del] = await applyAll(kv, [redis(3, 1000, ["del", "big"])]);
  assert.equal(del.body.case, "redis");
  // The DEL wrote one queue entry; the members are still in the engine, unreachable.
  assert.deepEqual(read(kv, 3, "dbsize"), { k: "int", n: 0n });
  assert.deepEqual(read(kv, 3, "exists", "big"), { k: "int", n: 0n });
  assert.equal(kv.redisKeyCount(3), 0);
  assert.equal(members(engine), MEMBERS);
  assert.equal(queued(engine), 1);
  kv.garbage.start();
  await kv.garbage.idle();
  assert.equal(members(engine), 0);
  assert.equal(queued(engine), 0);
  assert.equal(kv.garbage.removed, MEMBERS);
  await engine.close();
});

test("garbage: each batch deletes at most its bound; the queue entry goes with the last", async () => {
  const { engine } = await freshEngine();
  await seed(engine, 1, 1000, hash("a", 250));
  await seed(engine, 1, 1000, hash("b", 30));
  await seed(engine, 1, 1000, (rdb) => {
    rdb.remove(b("a"));
    rdb.remove(b("b"));
  });
  assert.equal(members(engine), 280);
  assert.equal(queued(engine), 2);
  const batches: { removed: number; more: boolean }[] = [];
  for (let i = 0; i < 10; i++) {
    const r = await collectGarbage(engine, regionKeys(), 100);
    batches.push(r);
    if (!r.more) break;
  }
  // a's 250 members take three batches (its entry goes with the last 50); b's 30 follow.
  assert.deepEqual(batches, [
    { removed: 100, more: true },
    { removed: 100, more: true },
    { removed: 80, more: false },
  ]);
  assert.equal(members(engine), 0);
  assert.equal(queued(engine), 0);
  await engine.close();
});

test("garbage: a new hash of the same name never sees the old members; work resumes on reopen", async () => {
  const fresh = await freshEngine();
  let engine = fresh.engine;
  await seed(engine, 0, 1000, hash("h", MEMBERS));
  const kv = await KvStateMachine.open(engine);
  kv.garbage.stop(); // as if the node stopped before its collector got to the garbage
  await applyAll(kv, [redis(0, 1000, ["del", "h"])]);
  await engine.close();

  engine = await fresh.reopen();
  await seed(engine, 0, 1000, hash("h", 3, "new"));
  assert.equal(members(engine), MEMBERS + 3, "the old members are still in the engine");
  const rdb = new RedisDb(new ReadStorage(engine, 1000, () => 0), 0);
  const c = rdb.collection(b("h"), RedisType.Hash);
  assert.ok(c !== undefined);
  assert.equal(c.count, 3);
  const seen = [...rdb.members(c)].map(([m, v]) => `${fromUtf8(m)}=${fromUtf8(v)}`);
  assert.deepEqual(seen, ["new0=v0", "new1=v1", "new2=v2"]);
  assert.equal(rdb.member(c, b("f7")), undefined);

  // Opening the state machine starts the collector over what the engine has queued.
  const reopened = await KvStateMachine.open(engine);
  await reopened.garbage.idle();
  assert.equal(members(engine), 3);
  assert.equal(queued(engine), 0);
  assert.equal(reopened.garbage.removed, MEMBERS);
  assert.deepEqual(read(reopened, 0, "type", "h"), { k: "simple", s: "hash" });
  assert.equal(reopened.redisKeyCount(0), 1);
  await engine.close();
});

test("garbage: a collection overwritten by SET is queued and collected after the commit", async () => {
  const { engine } = await freshEngine();
  await seed(engine, 5, 1000, hash("k", 40));
  const kv = await KvStateMachine.open(engine);
  await kv.garbage.idle();
  assert.equal(members(engine), 40);
  await applyAll(kv, [redis(5, 1000, ["set", "k", "now a string"])]);
  await kv.garbage.idle(); // requested by the commit that queued it
  assert.equal(members(engine), 0);
  assert.equal(queued(engine), 0);
  assert.deepEqual(read(kv, 5, "get", "k"), { k: "bulk", b: b("now a string") });
  assert.equal(kv.redisKeyCount(5), 1);
  await engine.close();
});

test("garbage: replicas collecting at different times agree on everything replicated", async () => {
  const log = [
    redis(1, 1000, ["del", "a"]),
    redis(1, 1000, ["set", "b", "string now"]),
    redis(1, 1000, ["set", "c", "v"]),
  ];
  const replicas = [];
  for (const early of [true, false]) {
    const { engine } = await freshEngine();
    for (const key of ["a", "b"]) await seed(engine, 1, 1000, hash(key, 300));
    const kv = await KvStateMachine.open(engine);
    if (!early) kv.garbage.stop();
    await applyAll(kv, log);
    await kv.garbage.idle();
    replicas.push({ engine, kv });
  }
  const [early, late] = replicas;
  assert.equal(members(early.engine), 0);
  assert.equal(members(late.engine), 600, "the late replica has not collected yet");
  // Members and the garbage queue (region 1's kind 0x0A) are collected locally.
  const local = (k: string) => k.startsWith("9,") || k.startsWith("16,0,0,0,0,0,0,0,1,10,");
  const replicated = async (db: Db) => (await dump(db)).filter((line) => !local(line));
  assert.deepEqual(await replicated(late.engine), await replicated(early.engine));
  late.kv.garbage.start();
  await late.kv.garbage.idle();
  assert.deepEqual(await dump(late.engine), await dump(early.engine));
  for (const { engine } of replicas) await engine.close();
});

test("garbage: REDIS_GARBAGE_BATCH bounds one write of the collector", async () => {
  const { engine } = await freshEngine();
  await seed(engine, 1, 1000, hash("big", REDIS_GARBAGE_BATCH + 5));
  await seed(engine, 1, 1000, (rdb) => assert.ok(rdb.remove(b("big"))));
  assert.deepEqual(await collectGarbage(engine, regionKeys()), {
    removed: REDIS_GARBAGE_BATCH,
    more: true,
  });
  assert.equal(members(engine), 5);
  assert.deepEqual(await collectGarbage(engine, regionKeys()), { removed: 5, more: false });
  assert.equal(queued(engine), 0);
  await engine.close();
});

test("garbage: a follower's engine rebuilt from a snapshot collects what the sender queued", async () => {
  const { engine } = await freshEngine();
  await seed(engine, 6, 1000, hash("h", 120));
  const leader = await KvStateMachine.open(engine);
  leader.garbage.stop(); // the sender had not collected yet
  await applyAll(leader, [redis(6, 1000, ["del", "h"])]);
  const target = await freshEngine();
  const importer = new SnapshotImporter(target.engine);
  for await (const piece of exportSnapshot(engine, 4096)) await importer.push(piece);
  await importer.finish();
  assert.equal(members(target.engine), 120);
  const follower = await KvStateMachine.open(target.engine); // as EngineHolder.swapIn does
  await follower.garbage.idle();
  assert.equal(members(target.engine), 0);
  assert.equal(queued(target.engine), 0);
  assert.equal(follower.garbage.removed, 120);
  assert.equal(follower.redisKeyCount(6), 0);
  await engine.close();
  await target.engine.close();
});

test("garbage: the collector awaits its pause between two batches, and only then", async () => {
  const { engine } = await freshEngine();
  await seed(engine, 0, 1000, hash("big", REDIS_GARBAGE_BATCH * 2 + 10));
  const kv = await KvStateMachine.open(engine);
  kv.garbage.stop();
  let pauses = 0;
  kv.garbage.pause = () => {
    pauses++;
    return Promise.resolve();
  };
  await applyAll(kv, [redis(0, 1000, ["del", "big"])]);
  kv.garbage.start();
  await kv.garbage.idle();
  assert.equal(members(engine), 0);
  assert.equal(pauses, 2, "three batches, a pause between each two");
  await engine.close();
});
