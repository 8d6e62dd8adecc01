/**
 * A Redis request writes at most REDIS_REQUEST_OPS_MAX engine entries in one
 * step: past that it changes nothing and says so, the same on every replica,
 * instead of building an engine batch too large to write (which would stop the
 * node). FLUSHDB/FLUSHALL outside MULTI go on in further steps instead.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { FLUSH_CONTINUES } from "../../../src/kv/redis/commands/keyspace.ts";
import { REDIS_REQUEST_BYTES_MIN, REDIS_REQUEST_OPS_MAX } from "../../../src/limits.ts";
import { utf8 } from "../../../src/util/bytes.ts";
import { plain, RedisBench } from "./redis_helpers.ts";

const KEYS = 14_000;

async function fill(b: RedisBench, db = 0): Promise<void> {
  for (let start = 0; start < KEYS; start += 3_500) {
    const args = ["MSET"];
    for (let i = start; i < start + 3_500; i++) args.push(`k${i}`, "v");
    assert.equal(plain(await b.write(args, { db })), "OK");
  }
}

test("redis budget: a DEL too big for one step changes nothing and says why", async () => {
  const b = await RedisBench.open();
  await fill(b);
  const del = ["DEL", ...Array.from({ length: KEYS }, (_, i) => `k${i}`)];
  assert.ok(KEYS * 3 > REDIS_REQUEST_OPS_MAX, "each delete writes a record, history and index");
  const reply = plain(await b.write(del)) as { err: string };
  assert.match(reply.err, /^ERR 'del' would write more than TinyKV writes in one step/);
  assert.equal(plain(b.read(["DBSIZE"])), KEYS);
  assert.equal(plain(b.read(["GET", "k0"])), "v");
});

test("redis budget: FLUSHDB outside MULTI empties a big database in several atomic steps", async () => {
  const b = await RedisBench.open();
  await fill(b, 0);
  await b.write(["SET", "keep", "me"], { db: 4 });
  let steps = 0;
  let reply: unknown;
  do {
    reply = plain(await b.write(["FLUSHDB"], { db: 0 }));
    steps++;
  } while (steps < 100 && reply === FLUSH_CONTINUES);
  assert.equal(reply, "OK");
  assert.ok(steps > 1, `took ${steps} steps`);
  assert.equal(plain(b.read(["DBSIZE"], 0)), 0);
  assert.equal(plain(b.read(["GET", "keep"], 4)), "me", "other databases untouched");
});

test("redis budget: FLUSHALL inside MULTI must be one step: too big, the block changes nothing", async () => {
  const b = await RedisBench.open();
  await fill(b);
  const r = await b.apply([["SET", "marker", "1"], ["FLUSHALL"]], { multi: true });
  assert.match((plain(r.reply) as { err: string }).err, /would write more than/);
  assert.equal(plain(b.read(["DBSIZE"])), KEYS);
  assert.equal(plain(b.read(["GET", "marker"])), null);
});

test("redis budget: a Redis write over a leased key detaches it; a refused one leaves the lease", async () => {
  const b = await RedisBench.open();
  const kv = b.service.kv;
  await b.service.execute({ body: { case: "leaseGrant", value: { id: 7n, ttlSeconds: 60 } } });
  for (const key of ["a", "b"]) {
    await b.service.execute({
      body: { case: "put", value: { key: utf8(key), value: utf8("x"), lease: 7n } },
    });
  }
  assert.equal(kv.leaseTable.keyCount(7), 2);
  await fill(b);
  const tooBig = ["DEL", "a", ...Array.from({ length: KEYS }, (_, i) => `k${i}`)];
  assert.match((plain(await b.write(tooBig)) as { err: string }).err, /would write more/);
  assert.equal(kv.leaseTable.keyCount(7), 2, "the refused request detached nothing");
  assert.equal(plain(await b.write(["SET", "a", "redis"])), "OK");
  assert.equal(kv.leaseTable.keyCount(7), 1, "SET replaced the leased key");
  assert.equal(kv.get(utf8("a"))?.lease, 0);
});

test("redis budget: a command that writes far more bytes than it carries is refused whole", async () => {
  const b = await RedisBench.open();
  // 50 MB written twice (the key's record and its history) is past REDIS_REQUEST_BYTES_MIN.
  const offset = 50_000_000;
  assert.ok(2 * offset > REDIS_REQUEST_BYTES_MIN);
  const reply = plain(await b.write(["SETRANGE", "big", String(offset), "x"])) as { err: string };
  assert.match(reply.err, /^ERR 'setrange' would write more than TinyKV writes in one step/);
  assert.equal(plain(b.read(["EXISTS", "big"])), 0);
  assert.equal(plain(await b.write(["SETRANGE", "small", "1000", "x"])), 1001);
});
