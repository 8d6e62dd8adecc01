/**
 * Edges of RedisDb (src/kv/redis/database.ts) found while adding the expiry
 * sweep: a key past KV_KEY_BYTES_MAX stored without a lookup (MSET) is an error
 * reply, not an engine failure that stops the node, and so is one whose 0x00
 * bytes, escaped in the key index, take it past the limit (the protobuf put too,
 * whose entry stopped every replica); an expiry change keeps a
 * database-0 key on its lease; FLUSHDB removes expired keys too. Redis replies
 * (DBSIZE 0 after FLUSHDB with an expired key) checked against redis-server 7.0.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../../src/gen/tinykv/v1/tinykv_pb.ts";
import { decodeReply } from "../../../src/kv/redis/reply_codec.ts";
import { KvStateMachine } from "../../../src/kv/state_machine.ts";
import { KV_KEY_BYTES_MAX } from "../../../src/limits.ts";
import { applyAll, b, cmd } from "../kv_helpers.ts";
import { freshEngine, read, redis, seed } from "./seed_helpers.ts";

test("redis db: MSET of a key past the limit answers an error and the node goes on", async () => {
  const { engine } = await freshEngine();
  const kv = await KvStateMachine.open(engine);
  const long = "k".repeat(KV_KEY_BYTES_MAX + 1);
  for (const db of [0, 3]) {
    const [out] = await applyAll(kv, [redis(db, 1000, ["mset", long, "v"])]);
    assert.equal(out.body.case, "redis", `database ${db}`);
  }
  const [after] = await applyAll(kv, [redis(3, 1000, ["set", "short", "v"])]);
  assert.equal(after.body.case, "redis");
  assert.deepEqual(read(kv, 3, "dbsize"), { k: "int", n: 1n });
  assert.deepEqual(read(kv, 0, "dbsize"), { k: "int", n: 0n });
  await engine.close();
});

test("redis db: an expiry change keeps a database-0 key attached to its lease", async () => {
  const { engine, reopen } = await freshEngine();
  let kv = await KvStateMachine.open(engine);
  const put = { key: b("leased"), value: b("v"), lease: 7n };
  await applyAll(kv, [
    cmd({ proposedAtMs: 1000n, body: { case: "leaseGrant", value: { ttlSeconds: 60, id: 7n } } }),
    cmd({ proposedAtMs: 1000n, body: { case: "put", value: put } }),
  ]);
  await engine.close();
  const again = await reopen();
  await seed(again, 0, 1000, (rdb) => {
    const e = rdb.lookup(b("leased"));
    assert.ok(e !== undefined);
    rdb.setExpiry(e, 50_000);
  });
  kv = await KvStateMachine.open(again);
  assert.equal(kv.get(b("leased"))?.expireAtMs, 50_000);
  assert.equal(kv.get(b("leased"))?.lease, 7);
  assert.deepEqual((await kv.leaseKeys(7)).map((k) => new TextDecoder().decode(k)), ["leased"]);
  await again.close();
});

test("redis db: FLUSHDB removes expired keys too, so DBSIZE is 0 after it", async () => {
  const { engine } = await freshEngine();
  const kv = await KvStateMachine.open(engine);
  await applyAll(kv, [
    redis(4, 1000, ["set", "gone", "v", "px", "10"]),
    redis(4, 1000, ["set", "live", "v"]),
    redis(0, 1000, ["set", "gone0", "v", "px", "10"]),
  ]);
  await applyAll(kv, [redis(4, 2000, ["flushdb"]), redis(0, 2000, ["flushdb"])]);
  assert.deepEqual(read(kv, 4, "dbsize"), { k: "int", n: 0n });
  assert.deepEqual(read(kv, 0, "dbsize"), { k: "int", n: 0n });
  assert.equal(kv.redisKeyCount(4), 0);
  await engine.close();
});

test("redis db: a key of 0x00 bytes counts them twice, as the key index stores it", async () => {
  const { engine } = await freshEngine();
  const kv = await KvStateMachine.open(engine);
  const zeros = new Uint8Array(3000); // 6,000 bytes escaped: its 0x04 entry would not fit
  const put = cmd({ body: { case: "put", value: { key: zeros, value: b("v") } } });
  const [refused] = await applyAll(kv, [put]);
  assert.equal(refused.error?.code, ErrorCode.TOO_LARGE);
  assert.match(refused.error?.message ?? "", /6000 with each 0x00 byte counted twice/);
  const text = new TextDecoder("latin1").decode(zeros);
  const [set] = await applyAll(kv, [redis(0, 1000, ["mset", text, "v"])]);
  const reply = set.body.case === "redis" ? decodeReply(set.body.value.reply) : undefined;
  assert.deepEqual(reply, {
    k: "array",
    items: [{
      k: "error",
      s: `ERR key (0x00 bytes counted twice) of 6000 bytes is over TinyKV's limit of ${KV_KEY_BYTES_MAX} bytes`,
    }],
  });
  // Half as many zero bytes fit, through either door.
  const half = new Uint8Array(KV_KEY_BYTES_MAX / 2);
  const [ok] = await applyAll(kv, [
    cmd({ body: { case: "put", value: { key: half, value: b("v") } } }),
  ]);
  assert.equal(ok.error, undefined);
  assert.equal(kv.keyCount, 1);
  await engine.close();
});
