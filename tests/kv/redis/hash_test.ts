/**
 * Redis hashes through the executor, on a real state machine (writes applied
 * like log entries, reads on the engine). Every expected reply was checked
 * byte for byte against redis-server 7.0.15 (RESP2 and, after HELLO 3, RESP3).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { KV_VALUE_BYTES_MAX, REDIS_MEMBER_BYTES_MAX } from "../../../src/limits.ts";
import { REDIS_COLLECTION_KEY_BYTES_MAX } from "../../../src/limits.ts";
import { bulkArray, RedisHarness, resp } from "./hash_helpers.ts";

const WRONGTYPE = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

test("hash: HSET/HMSET/HSETNX/HGET/HMGET/HEXISTS/HLEN/HSTRLEN answer as Redis", async () => {
  const r = await RedisHarness.open();
  assert.equal(
    await r.run("HSET", "h", "a"),
    "-ERR wrong number of arguments for 'hset' command\r\n",
  );
  assert.equal(
    await r.run("HSET", "h", "a", "1", "b"),
    "-ERR wrong number of arguments for 'hset' command\r\n",
  );
  assert.equal(await r.run("EXISTS", "h"), ":0\r\n", "a refused HSET wrote nothing");
  assert.equal(await r.run("HSET", "h", "a", "1", "b", "2"), ":2\r\n");
  assert.equal(
    await r.run("HSET", "h", "a", "1", "a", "3"),
    ":0\r\n",
    "a repeated field is one field",
  );
  assert.equal(await r.run("HGET", "h", "a"), "$1\r\n3\r\n");
  assert.equal(await r.run("HMSET", "h", "c", "3"), "+OK\r\n");
  assert.equal(
    await r.run("HMSET", "h", "c"),
    "-ERR wrong number of arguments for 'hmset' command\r\n",
  );
  assert.equal(await r.run("HGET", "nope", "a"), "$-1\r\n");
  assert.equal(await r.run("HMGET", "h", "a", "zz", "c"), "*3\r\n$1\r\n3\r\n$-1\r\n$1\r\n3\r\n");
  assert.equal(await r.run("HMGET", "nope", "a", "b"), "*2\r\n$-1\r\n$-1\r\n");
  assert.equal(await r.run("HLEN", "h"), ":3\r\n");
  assert.equal(await r.run("HLEN", "nope"), ":0\r\n");
  assert.equal(await r.run("HSTRLEN", "h", "a"), ":1\r\n");
  assert.equal(await r.run("HSTRLEN", "h", "zz"), ":0\r\n");
  assert.equal(await r.run("HEXISTS", "h", "a"), ":1\r\n");
  assert.equal(await r.run("HEXISTS", "h", "zz"), ":0\r\n");
  assert.equal(await r.run("HEXISTS", "nope", "a"), ":0\r\n");
  assert.equal(await r.run("HSETNX", "h", "a", "5"), ":0\r\n");
  assert.equal(await r.run("HSETNX", "h", "n", "5"), ":1\r\n");
  assert.equal(await r.run("HSETNX", "newh", "f", "v"), ":1\r\n");
  assert.equal(await r.run("HGET", "h", "a"), "$1\r\n3\r\n", "HSETNX kept the old value");
  assert.equal(await r.run("TYPE", "newh"), "+hash\r\n");
  for (const [name, n] of [["HDEL", 3], ["HMGET", 3], ["HSETNX", 4], ["HGET", 3], ["HLEN", 2]]) {
    const args = Array.from({ length: Number(n) - 2 }, () => "x");
    assert.equal(
      await r.run(String(name), ...args),
      `-ERR wrong number of arguments for '${String(name).toLowerCase()}' command\r\n`,
    );
  }
});

test("hash: HGETALL/HKEYS/HVALS in RESP2 and RESP3 (a map; empty for a missing key)", async () => {
  const r = await RedisHarness.open();
  await r.run("HSET", "h", "b", "2", "a", "1");
  assert.equal(await r.run("HGETALL", "h"), bulkArray(["a", "1", "b", "2"]));
  assert.equal(await r.run3("HGETALL", "h"), "%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
  assert.equal(await r.run("HGETALL", "nope"), "*0\r\n");
  assert.equal(await r.run3("HGETALL", "nope"), "%0\r\n");
  assert.equal(await r.run("HKEYS", "h"), bulkArray(["a", "b"]));
  assert.equal(await r.run("HVALS", "h"), bulkArray(["1", "2"]));
  assert.equal(await r.run3("HKEYS", "nope"), "*0\r\n");
  assert.equal(await r.run3("HVALS", "nope"), "*0\r\n");
  assert.equal(await r.run3("HMGET", "h", "a", "x"), "*2\r\n$1\r\n1\r\n_\r\n");
});

test("hash: WRONGTYPE both ways: hash commands on a string, string ones on a hash", async () => {
  const r = await RedisHarness.open();
  await r.run("SET", "s", "x");
  const onString = [
    ["HSET", "s", "a", "b"],
    ["HMSET", "s", "a", "b"],
    ["HSETNX", "s", "a", "b"],
    ["HGET", "s", "a"],
    ["HMGET", "s", "a"],
    ["HDEL", "s", "a"],
    ["HLEN", "s"],
    ["HSTRLEN", "s", "a"],
    ["HEXISTS", "s", "a"],
    ["HGETALL", "s"],
    ["HKEYS", "s"],
    ["HVALS", "s"],
    ["HINCRBY", "s", "f", "1"],
    ["HINCRBYFLOAT", "s", "f", "1"],
    ["HRANDFIELD", "s"],
    ["HRANDFIELD", "s", "0"],
    ["HSCAN", "s", "0", "COUNT", "0"],
  ];
  for (const args of onString) assert.equal(await r.run(...args), WRONGTYPE, args.join(" "));
  // Argument errors come first, as in Redis.
  assert.equal(
    await r.run("HSET", "s", "a", "b", "c"),
    "-ERR wrong number of arguments for 'hset' command\r\n",
  );
  assert.equal(
    await r.run("HINCRBY", "s", "f", "x"),
    "-ERR value is not an integer or out of range\r\n",
  );
  assert.equal(await r.run("HINCRBYFLOAT", "s", "f", "nan"), "-ERR value is not a valid float\r\n");
  assert.equal(await r.run("HINCRBYFLOAT", "s", "f", "inf"), "-ERR value is NaN or Infinity\r\n");
  assert.equal(await r.run("HRANDFIELD", "s", "1", "x"), "-ERR syntax error\r\n");
  assert.equal(await r.run("HSCAN", "s", "x"), "-ERR invalid cursor\r\n");
  assert.equal(await r.run("GET", "s"), "$1\r\nx\r\n", "the string is untouched");

  await r.run("HSET", "h", "a", "1");
  for (const args of [["GET", "h"], ["INCR", "h"], ["APPEND", "h", "x"], ["STRLEN", "h"]]) {
    assert.equal(await r.run(...args), WRONGTYPE, args.join(" "));
  }
  assert.equal(await r.run("MGET", "h", "s"), "*2\r\n$-1\r\n$1\r\nx\r\n");
  assert.equal(await r.run("SET", "h", "x"), "+OK\r\n", "SET replaces a hash");
  assert.equal(await r.run("TYPE", "h"), "+string\r\n");
  assert.equal(await r.run("HGET", "h", "a"), WRONGTYPE);
});

test("hash: HDEL of the last field deletes the key; DEL then HSET sees no old field", async () => {
  const r = await RedisHarness.open();
  await r.run("HSET", "h", "a", "1", "b", "2");
  await r.run("SET", "other", "x");
  assert.equal(await r.run("DBSIZE"), ":2\r\n");
  assert.equal(await r.run("HDEL", "h", "zz"), ":0\r\n");
  assert.equal(await r.run("HDEL", "h", "a", "zz"), ":1\r\n");
  assert.equal(await r.run("EXISTS", "h"), ":1\r\n");
  assert.equal(await r.run("HDEL", "h", "b", "b"), ":1\r\n");
  assert.equal(await r.run("EXISTS", "h"), ":0\r\n");
  assert.equal(await r.run("TYPE", "h"), "+none\r\n");
  assert.equal(await r.run("DBSIZE"), ":1\r\n");
  assert.equal(await r.run("HDEL", "h", "b"), ":0\r\n");

  await r.run("HSET", "h3", "a", "1", "b", "2");
  assert.equal(await r.run("DEL", "h3"), ":1\r\n");
  assert.equal(await r.run("HSET", "h3", "c", "3"), ":1\r\n");
  assert.equal(await r.run("HGETALL", "h3"), bulkArray(["c", "3"]));
  assert.equal(await r.run("HLEN", "h3"), ":1\r\n");
  assert.equal(await r.run("HGET", "h3", "a"), "$-1\r\n");
  // A string in between: the hash that comes back is new as well.
  await r.run("SET", "h3", "s");
  assert.equal(await r.run("HSET", "h3", "d", "4"), WRONGTYPE);
  await r.run("DEL", "h3");
  assert.equal(await r.run("HSET", "h3", "d", "4"), ":1\r\n");
  assert.equal(await r.run("HKEYS", "h3"), bulkArray(["d"]));
});

test("hash: keyspace events with Redis's names and classes", async () => {
  const r = await RedisHarness.open();
  r.events();
  await r.run("HSET", "h", "a", "1");
  await r.run("HSET", "h", "a", "1");
  await r.run("HMSET", "h", "b", "2");
  await r.run("HSETNX", "h", "b", "3");
  await r.run("HSETNX", "h", "c", "3");
  await r.run("HDEL", "h", "zz");
  await r.run("HINCRBY", "h", "x", "1");
  await r.run("HINCRBYFLOAT", "h", "x", "1.5");
  await r.run("HINCRBY", "h", "x", "1");
  await r.run("HDEL", "h", "a", "b", "c", "x");
  assert.deepEqual(r.events(), [
    "0:hset:h:h",
    "0:hset:h:h",
    "0:hset:h:h",
    "0:hset:h:h",
    "0:hincrby:h:h",
    "0:hincrbyfloat:h:h",
    "0:hdel:h:h",
    "0:del:g:h",
  ], "the failed HINCRBY (not an integer) and the no-op HSETNX/HDEL emit nothing");
});

test("hash: TinyKV's size limits refuse the whole command and change nothing", async () => {
  const r = await RedisHarness.open();
  const longField = "f".repeat(REDIS_MEMBER_BYTES_MAX + 1);
  const fieldError = `-ERR member or field of ${REDIS_MEMBER_BYTES_MAX + 1} bytes is over ` +
    `TinyKV's limit of ${REDIS_MEMBER_BYTES_MAX} bytes\r\n`;
  assert.equal(await r.run("HSET", "h", "a", "1", longField, "2"), fieldError);
  assert.equal(await r.run("EXISTS", "h"), ":0\r\n", "the first pair was not written either");
  await r.run("HSET", "h", "a", "1");
  assert.equal(await r.run("HSET", "h", "b", "2", longField, "2"), fieldError);
  assert.equal(await r.run("HINCRBY", "h", longField, "1"), fieldError);
  assert.equal(await r.run("HINCRBYFLOAT", "h", longField, "1"), fieldError);
  assert.equal(await r.run("HSETNX", "h", longField, "1"), fieldError);
  assert.equal(await r.run("HGETALL", "h"), bulkArray(["a", "1"]));
  // A field that cannot exist is simply absent for the readers.
  assert.equal(await r.run("HGET", "h", longField), "$-1\r\n");
  assert.equal(await r.run("HEXISTS", "h", longField), ":0\r\n");
  assert.equal(await r.run("HDEL", "h", longField), ":0\r\n");
  const field = "f".repeat(REDIS_MEMBER_BYTES_MAX);
  assert.equal(await r.run("HSET", "h", field, "v"), ":1\r\n", "the limit itself is allowed");
  assert.equal(await r.run("HSTRLEN", "h", field), ":1\r\n");

  const longKey = "k".repeat(REDIS_COLLECTION_KEY_BYTES_MAX + 1);
  assert.equal(
    await r.run("HSET", longKey, "a", "1"),
    `-ERR key of a hash of ${REDIS_COLLECTION_KEY_BYTES_MAX + 1} bytes is over ` +
      `TinyKV's limit of ${REDIS_COLLECTION_KEY_BYTES_MAX} bytes\r\n`,
  );
  assert.equal(await r.run("EXISTS", longKey), ":0\r\n");
  assert.equal(await r.run("HSET", "k".repeat(REDIS_COLLECTION_KEY_BYTES_MAX), "a", "1"), ":1\r\n");
  assert.ok(KV_VALUE_BYTES_MAX > REDIS_MEMBER_BYTES_MAX, "values are bounded by the KV limit");
});

test("hash: database 3 is separate from database 0", async () => {
  const r = await RedisHarness.open();
  await r.run("HSET", "k", "f", "zero");
  await r.run("SELECT", "3");
  assert.equal(r.db, 3);
  assert.equal(await r.run("HGET", "k", "f"), "$-1\r\n");
  assert.equal(await r.run("HSET", "k", "f", "three", "g", "x"), ":2\r\n");
  assert.equal(await r.run("HLEN", "k"), ":2\r\n");
  assert.equal(await r.run("DBSIZE"), ":1\r\n");
  r.events();
  await r.run("HDEL", "k", "f", "g");
  assert.deepEqual(r.events(), ["3:hdel:h:k", "3:del:g:k"]);
  await r.run("SELECT", "0");
  assert.equal(await r.run("HGETALL", "k"), bulkArray(["f", "zero"]));
  assert.equal(await r.run("DBSIZE"), ":1\r\n");
});

test("hash: MULTI/EXEC runs hash commands at one revision, errors in place", async () => {
  const r = await RedisHarness.open();
  await r.run("SET", "s", "x");
  const reply = await r.exec(
    ["HSET", "h", "a", "1", "b", "2"],
    ["HINCRBY", "h", "a", "10"],
    ["HSET", "s", "a", "1"],
    ["HINCRBYFLOAT", "h", "b", "0.5"],
    ["HDEL", "h", "zz"],
    ["HGETALL", "h"],
    ["HLEN", "h"],
    ["HSCAN", "h", "0"],
    ["SELECT", "3"],
    ["HSET", "h", "x", "y"],
  );
  assert.equal(
    resp(reply),
    "*10\r\n:2\r\n:11\r\n" + WRONGTYPE + "$3\r\n2.5\r\n:0\r\n" +
      bulkArray(["a", "11", "b", "2.5"]) + ":2\r\n" +
      "*2\r\n$1\r\n0\r\n" + bulkArray(["a", "11", "b", "2.5"]) + "+OK\r\n:1\r\n",
  );
  assert.equal(r.db, 3);
  assert.equal(await r.run("HGETALL", "h"), bulkArray(["x", "y"]));
});

test("hash: WATCH sees every change of a hash, and no read of it", async () => {
  const r = await RedisHarness.open();
  await r.run("HSET", "h", "a", "1");
  const cases: [string[], string][] = [
    [["HSET", "h", "a", "1"], "*-1\r\n"],
    [["HINCRBY", "h", "n", "1"], "*-1\r\n"],
    [["HDEL", "h", "n"], "*-1\r\n"],
    [["HDEL", "h", "zz"], "*1\r\n:1\r\n"],
    [["HGETALL", "h"], "*1\r\n:1\r\n"],
    [["HSETNX", "h", "a", "2"], "*1\r\n:1\r\n"],
  ];
  for (const [between, want] of cases) {
    const watched = r.watch("h");
    await r.run(...between);
    assert.equal(resp(await r.execWatching([watched], ["HLEN", "h"])), want, between.join(" "));
  }
  const absent = r.watch("new");
  await r.run("HSET", "new", "f", "v");
  assert.equal(resp(await r.execWatching([absent], ["HLEN", "new"])), "*-1\r\n");
});
