/**
 * The string commands through the state machine's apply step (writes) and the
 * read path (reads). The expected replies of string_cases.ts are redis-server
 * 7.0.15's own bytes; the keyspace events and TinyKV's own limits below were
 * checked against redis-server 7.0 by hand (notify-keyspace-events KEA).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { KV_VALUE_BYTES_MAX } from "../../../src/limits.ts";
import { RedisHarness } from "./redis_harness.ts";
import { STRING_CASES } from "./string_cases.ts";

for (const [group, cases] of Object.entries(STRING_CASES)) {
  test(`strings, as redis-server 7.0 answers: ${group}`, async () => {
    const h = await RedisHarness.open();
    for (const [line, want] of cases) assert.equal(await h.run(line), want, line);
  });
}

test("strings: the keyspace events have Redis's names and classes", async () => {
  const h = await RedisHarness.open();
  const lines = [
    "SET a 1 PXAT 1",
    "SET c 1",
    "GETEX c PXAT 1",
    "SET e 1 EX 100",
    "GETEX e PERSIST",
    "GETEX e PERSIST",
    "GETEX e EX 5",
    "GETDEL e",
    "GETDEL e",
    "SETEX g 100 v",
    "SET g 2 KEEPTTL",
    "INCRBYFLOAT g 1.5",
    "SETRANGE g 0 x",
    "SETRANGE g 0 \\e",
    "GETSET g 1",
    "MSET m1 1 m2 2",
  ];
  for (const line of lines) await h.run(line);
  assert.deepEqual(h.events(), [
    "0 set a $",
    "0 expire a g",
    "0 expired a x",
    "0 set c $",
    "0 del c g",
    "0 set e $",
    "0 expire e g",
    "0 persist e g",
    "0 expire e g",
    "0 del e g",
    "0 set g $",
    "0 expire g g",
    "0 set g $",
    "0 incrbyfloat g $",
    "0 setrange g $",
    "0 set g $",
    "0 set m1 $",
    "0 set m2 $",
  ]);
});

test("strings: expiries count from the write's replicated time; TTL reads the node's time", async () => {
  const h = await RedisHarness.open();
  assert.equal(await h.run("SET a v EX 100"), "+OK\r\n");
  assert.equal(h.database(0).lookup(new TextEncoder().encode("a"))?.expireAtMs, h.now + 100_000);
  h.now += 40_400;
  assert.equal(await h.run("TTL a"), ":60\r\n"); // 59.6 s rounds to 60, as Redis
  assert.equal(await h.run("PTTL a"), ":59600\r\n");
  assert.equal(await h.run("GETEX a PX 1000"), "$1\r\nv\r\n");
  h.now += 1000;
  assert.equal(await h.run("GET a"), "$-1\r\n");
  assert.equal(await h.run("TTL a"), ":-2\r\n");
});

test("strings in databases other than 0 keep their TTL in the meta record", async () => {
  const h = await RedisHarness.open();
  assert.equal(await h.run("SELECT 5"), "+OK\r\n");
  assert.equal(await h.run("SET k 1.5 EX 10"), "+OK\r\n");
  assert.equal(await h.run("INCRBYFLOAT k 1"), "$3\r\n2.5\r\n");
  assert.equal(await h.run("SETRANGE k 3 0"), ":4\r\n");
  assert.equal(await h.run("GETRANGE k 0 -1"), "$4\r\n2.50\r\n");
  assert.equal(await h.run("TTL k"), ":10\r\n");
  assert.equal(await h.run("SELECT 0"), "+OK\r\n");
  assert.equal(await h.run("GET k"), "$-1\r\n");
  h.db = 5;
  h.now += 10_000;
  assert.equal(await h.run("GETDEL k"), "$-1\r\n");
});

test("strings: TinyKV's limits (Redis allows 512 MB and any 64-bit expiry)", async () => {
  const h = await RedisHarness.open();
  const tooLong = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";
  assert.equal(await h.run(`SETRANGE k ${KV_VALUE_BYTES_MAX} x`), tooLong);
  assert.equal(await h.run(`SETRANGE k ${KV_VALUE_BYTES_MAX - 1} \\e`), ":0\r\n");
  assert.equal(await h.run("EXISTS k"), ":0\r\n");
  assert.equal(await h.run("SET k 1"), "+OK\r\n");
  assert.equal(await h.run(`SETRANGE k ${KV_VALUE_BYTES_MAX - 1} xy`), tooLong);
  assert.equal(await h.run("GET k"), "$1\r\n1\r\n");
  // Past the end of year 9999 (KEY_EXPIRE_AT_MS_MAX) is an invalid expire time in TinyKV.
  assert.equal(await h.run("SET k 2 EXAT 253402300799"), "+OK\r\n");
  assert.equal(await h.run("EXPIRETIME k"), ":253402300799\r\n");
  const invalid = "-ERR invalid expire time in 'set' command\r\n";
  assert.equal(await h.run("SET k 3 EXAT 253402300800"), invalid);
  assert.equal(
    await h.run("GETEX k PXAT 253402300800000"),
    "-ERR invalid expire time in 'getex' command\r\n",
  );
  assert.equal(await h.run("GET k"), "$1\r\n2\r\n");
});

test("strings: SETRANGE pads with zero bytes inside one value", async () => {
  const h = await RedisHarness.open();
  assert.equal(await h.run("SETRANGE k 3 ab"), ":5\r\n");
  assert.equal(await h.run("GET k"), "$5\r\n\u0000\u0000\u0000ab\r\n");
  assert.equal(await h.run("SETRANGE k 1 Z"), ":5\r\n");
  assert.equal(await h.run("GET k"), "$5\r\n\u0000Z\u0000ab\r\n");
});
