/**
 * expire_keys for Redis keys kept outside the revisioned keyspace (the 0x0B
 * index): the sweeper's read of both indexes, removal at apply against the
 * command's own time, key counts (DBSIZE), "expired" keyspace events, and the
 * gateway bounds of redis_keys. Event names and classes are Redis 7's
 * ("expired", class 'x'; checked against redis-server 7.0 with
 * notify-keyspace-events KEA).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../../src/gen/tinykv/v1/tinykv_pb.ts";
import type { CommandInit } from "../../../src/kv/command_codec.ts";
import { dueKeys, type RedisKeyRef } from "../../../src/kv/expiry_index.ts";
import type { RedisDb } from "../../../src/kv/redis/database.ts";
import { RedisNamespace } from "../../../src/kv/redis/keys.ts";
import { regionKeys } from "../../../src/kv/region_keys.ts";
import { RedisType } from "../../../src/kv/redis/meta_record.ts";
import type { RedisEvent } from "../../../src/kv/redis/storage.ts";
import { KvStateMachine } from "../../../src/kv/state_machine.ts";
import { EXPIRE_KEYS_PER_COMMAND_MAX, KV_KEY_BYTES_MAX } from "../../../src/limits.ts";
import type { Db } from "../../../src/storage/db.ts";
import { fromUtf8 } from "../../../src/util/bytes.ts";
import { applyAll, b, cmd } from "../kv_helpers.ts";
import { engineKeys, freshEngine, read, redis, regionEngineKeys, seed } from "./seed_helpers.ts";

const expireKeys = (atMs: number, keys: Uint8Array[], redisKeys: RedisKeyRef[]) =>
  cmd({ proposedAtMs: BigInt(atMs), body: { case: "expireKeys", value: { keys, redisKeys } } });

/** A hash with `n` fields expiring at `at` (0: never). */
function hash(key: string, n: number, at: number) {
  return (rdb: RedisDb) => {
    const c = rdb.collection(b(key), RedisType.Hash, true);
    assert.ok(c !== undefined);
    for (let i = 0; i < n; i++) rdb.putMember(c, b(`f${i}`), b(`v${i}`));
    c.expireAtMs = at;
    rdb.save(c);
  };
}

const redisIndex = (db: Db) =>
  regionEngineKeys(db, RedisNamespace.Expiry).map((k) => {
    const e = regionKeys().parseRedisExpiry(k);
    return `${e.db}:${fromUtf8(e.key)}@${e.expireAtMs}`;
  });

const keyspace = (events: RedisEvent[]) =>
  events.flatMap((e) => e.kind === "keyspace" ? [`${e.db}:${e.event}:${fromUtf8(e.key)}`] : []);

/** Database 2: hash h (TTL to 1500), hash keep (no TTL), string s (SET PX to 1500). */
async function setup() {
  const { engine, reopen } = await freshEngine();
  await seed(engine, 2, 1000, hash("h", 5, 1500));
  await seed(engine, 2, 1000, hash("keep", 2, 0));
  const kv = await KvStateMachine.open(engine);
  kv.redisEventsWanted = true;
  await applyAll(kv, [redis(2, 1000, ["set", "s", "v", "px", "500"])]);
  kv.drainRedisEvents();
  return { engine, reopen, kv };
}

test("redis expiry: a hash with a TTL in database 2 leaves the index and the counts", async () => {
  const { engine, kv } = await setup();
  assert.deepEqual(read(kv, 2, "dbsize"), { k: "int", n: 3n });
  assert.deepEqual(redisIndex(engine), ["2:h@1500", "2:s@1500"]);
  assert.deepEqual(await dueKeys(engine, 1499, 10), { keys: [], redisKeys: [] });
  const due = await dueKeys(engine, 2000, EXPIRE_KEYS_PER_COMMAND_MAX);
  assert.deepEqual(due.redisKeys.map((r) => `${r.db}:${fromUtf8(r.key)}`), ["2:h", "2:s"]);
  assert.deepEqual(due.keys, []);

  const [out] = await applyAll(kv, [expireKeys(2000, due.keys, due.redisKeys)]);
  assert.equal(out.body.case === "write" && out.body.value.deleted, 2);
  assert.deepEqual(redisIndex(engine), []);
  assert.equal(kv.redisKeyCount(2), 1);
  assert.deepEqual(read(kv, 2, "dbsize"), { k: "int", n: 1n });
  assert.deepEqual(read(kv, 2, "type", "h"), { k: "simple", s: "none" });
  assert.deepEqual(read(kv, 2, "type", "keep"), { k: "simple", s: "hash" });
  assert.deepEqual(keyspace(kv.drainRedisEvents()), ["2:expired:h", "2:expired:s"]);
  const ev = (await dueKeys(engine, 9999, 10)).redisKeys;
  assert.deepEqual(ev, [], "nothing left to sweep");
  // The hash's members went to the garbage queue and the collector removed them.
  await kv.garbage.idle();
  assert.equal(engineKeys(engine, RedisNamespace.Member).length, 2, "keep's two fields");
  await engine.close();
});

test("redis expiry: a key extended between the sweeper's read and apply survives", async () => {
  const { engine, kv } = await setup();
  const due = await dueKeys(engine, 2000, EXPIRE_KEYS_PER_COMMAND_MAX);
  assert.equal(due.redisKeys.length, 2);
  // Before the expire_keys applies, s is set again with a later expiry.
  const [, out] = await applyAll(kv, [
    redis(2, 1400, ["set", "s", "v2", "px", "10000"]),
    expireKeys(2000, due.keys, due.redisKeys),
  ]);
  assert.equal(out.body.case === "write" && out.body.value.deleted, 1);
  assert.deepEqual(read(kv, 2, "get", "s"), { k: "bulk", b: b("v2") });
  assert.deepEqual(redisIndex(engine), ["2:s@11400"]);
  assert.deepEqual(read(kv, 2, "dbsize"), { k: "int", n: 2n });
  assert.deepEqual(keyspace(kv.drainRedisEvents()).filter((e) => e.includes("expired")), [
    "2:expired:h",
  ]);
  // A key the sweeper lists that is not due by the command's own time stays too.
  const [early] = await applyAll(kv, [expireKeys(2000, [], [{ db: 2, key: b("s") }])]);
  assert.equal(early.body.case === "write" && early.body.value.deleted, 0);
  assert.deepEqual(read(kv, 2, "dbsize"), { k: "int", n: 2n });
  await engine.close();
});

test("redis expiry: database 0's strings swept by expire_keys are 'expired' events too", async () => {
  const { engine, kv } = await setup();
  const put: CommandInit = {
    proposedAtMs: 1000n,
    body: { case: "put", value: { key: b("plain"), value: b("1"), ttlMs: 100n } },
  };
  await applyAll(kv, [cmd(put)]);
  const due = await dueKeys(engine, 1600, EXPIRE_KEYS_PER_COMMAND_MAX);
  // Both indexes, soonest first: plain (1100) from 0x07, h and s (1500) from 0x0B.
  assert.deepEqual(due.keys.map(fromUtf8), ["plain"]);
  assert.equal(due.redisKeys.length, 2);
  const limited = await dueKeys(engine, 1600, 2);
  assert.equal(limited.keys.length + limited.redisKeys.length, 2);
  assert.deepEqual(limited.keys.map(fromUtf8), ["plain"]);
  await applyAll(kv, [expireKeys(1600, due.keys, due.redisKeys)]);
  assert.deepEqual(keyspace(kv.drainRedisEvents()), [
    "0:expired:plain",
    "2:expired:h",
    "2:expired:s",
  ]);
  assert.equal(kv.get(b("plain")), undefined);
  assert.deepEqual(read(kv, 0, "dbsize"), { k: "int", n: 0n });
  await engine.close();
});

test("redis expiry: expire_keys bounds its Redis keys before anything changes", async () => {
  const { engine, kv } = await setup();
  const many = Array.from({ length: EXPIRE_KEYS_PER_COMMAND_MAX }, (_, i) => b(`k${i}`));
  const bad: [Uint8Array, ErrorCode][] = [
    [expireKeys(2000, [], [{ db: 16, key: b("h") }]), ErrorCode.INVALID_ARGUMENT],
    [
      expireKeys(2000, [], [{ db: 2, key: new Uint8Array(KV_KEY_BYTES_MAX + 1) }]),
      ErrorCode.TOO_LARGE,
    ],
    [expireKeys(2000, many, [{ db: 2, key: b("h") }]), ErrorCode.TOO_LARGE],
  ];
  for (const [command, code] of bad) {
    const [out] = await applyAll(kv, [command]);
    assert.equal(out.error?.code, code, out.error?.message);
  }
  assert.deepEqual(redisIndex(engine), ["2:h@1500", "2:s@1500"]);
  assert.deepEqual(read(kv, 2, "dbsize"), { k: "int", n: 3n });
  await engine.close();
});

test("redis expiry: the counts survive reopening the state machine", async () => {
  const { engine, reopen, kv } = await setup();
  const due = await dueKeys(engine, 2000, EXPIRE_KEYS_PER_COMMAND_MAX);
  await applyAll(kv, [expireKeys(2000, due.keys, due.redisKeys)]);
  await kv.garbage.idle();
  await engine.close();
  const again = await KvStateMachine.open(await reopen());
  assert.equal(again.redisKeyCount(2), 1);
  assert.deepEqual(read(again, 2, "dbsize"), { k: "int", n: 1n });
  await again.garbage.idle();
  await again.db.close();
});
