/**
 * The key commands through the state machine's apply step (writes) and the
 * read path (reads). The expected replies of key_cases.ts are redis-server
 * 7.0.15's own bytes; the keyspace events and TinyKV's own limits below were
 * checked against redis-server 7.0 by hand (notify-keyspace-events KEA).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  KV_KEY_BYTES_MAX,
  REDIS_COPY_BYTES_MAX,
  REDIS_COPY_MEMBERS_MAX,
} from "../../../src/limits.ts";
import { RedisType } from "../../../src/kv/redis/meta_record.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";
import { KEY_CASES } from "./key_cases.ts";
import { RedisHarness } from "./redis_harness.ts";

for (const [group, cases] of Object.entries(KEY_CASES)) {
  test(`keys, as redis-server 7.0 answers: ${group}`, async () => {
    const h = await RedisHarness.open();
    for (const [line, want] of cases) assert.equal(await h.run(line), want, line);
  });
}

/** A collection's members and values as "member=value" text, read at the harness's time. */
function members(h: RedisHarness, db: number, key: string, type: RedisType): string[] {
  const d = h.database(db);
  const c = d.collection(utf8(key), type);
  if (c === undefined) return [];
  return [...d.members(c)].map(([m, v]) => `${fromUtf8(m)}=${fromUtf8(v)}`);
}

test("keys: COPY and RENAME move a collection's members under a new generation", async () => {
  const h = await RedisHarness.open();
  await h.run("test.collection hash h f 1 g 2");
  assert.equal(await h.run("COPY h h2 DB 3"), ":1\r\n");
  assert.equal(await h.run("RENAME h r"), "+OK\r\n");
  assert.deepEqual(members(h, 0, "r", RedisType.Hash), ["f=1", "g=2"]);
  assert.deepEqual(members(h, 3, "h2", RedisType.Hash), ["f=1", "g=2"]);
  assert.equal(h.database(0).lookup(utf8("h")), undefined);
  // A collection made later under the old name starts empty: the old members are garbage.
  await h.run("test.collection hash h x 9");
  assert.deepEqual(members(h, 0, "h", RedisType.Hash), ["x=9"]);
  const r = h.database(0).lookup(utf8("r"))?.meta;
  const h2 = h.database(3).lookup(utf8("h2"))?.meta;
  assert.notDeepEqual(r?.gen, h2?.gen);
  assert.equal(r?.count, 2);
});

test("keys: the keyspace events have Redis's names, classes and databases", async () => {
  const h = await RedisHarness.open();
  const lines = [
    "SET b 1",
    "EXPIRE b -1",
    "SET i 1 EX 100",
    "PERSIST i",
    "PERSIST i",
    "EXPIRE i 100",
    "EXPIRE i 50 GT",
    "PEXPIRE i 0",
    "SET h 1",
    "RENAME h h2",
    "RENAME h2 h2",
    "COPY h2 h3",
    "COPY h2 h3 DB 4",
    "RENAMENX h3 h2",
    "TOUCH h2",
  ];
  for (const line of lines) await h.run(line);
  assert.deepEqual(h.events(), [
    "0 set b $",
    "0 del b g",
    "0 set i $",
    "0 expire i g",
    "0 persist i g",
    "0 expire i g",
    "0 del i g",
    "0 set h $",
    "0 rename_from h g",
    "0 rename_to h2 g",
    "0 copy_to h3 g",
    "4 copy_to h3 g",
  ]);
});

test("keys: expiry in a MULTI block runs at the block's replicated time", async () => {
  const h = await RedisHarness.open();
  const exec = await h.exec([
    "SET a 1 EX 100",
    "TTL a",
    "PEXPIRE a 2500",
    "PTTL a",
    "TTL a",
    "COPY a b DB 2",
    "SELECT 2",
    "PTTL b",
    "PERSIST b",
    "TTL b",
    "EXPIRE b 0",
    "EXISTS b",
  ]);
  assert.equal(
    exec,
    "*12\r\n+OK\r\n:100\r\n:1\r\n:2500\r\n:3\r\n:1\r\n+OK\r\n:2500\r\n:1\r\n:-1\r\n:1\r\n:0\r\n",
  );
  assert.equal(h.db, 2);
  h.db = 0;
  h.now += 2499;
  assert.equal(await h.run("PTTL a"), ":1\r\n");
  h.now += 1;
  assert.equal(await h.run("PTTL a"), ":-2\r\n");
  assert.equal(await h.run("RANDOMKEY"), "$-1\r\n");
});

test("keys: TinyKV bounds what one RENAME or COPY of a collection copies", async () => {
  const h = await RedisHarness.open();
  const many = Array.from({ length: REDIS_COPY_MEMBERS_MAX + 1 }, (_, i) => `m${i}`);
  await h.write([["test.collection", "set", "big", ...many]]);
  const refused = `-ERR a set of ${REDIS_COPY_MEMBERS_MAX + 1} members is over TinyKV's limit ` +
    `of ${REDIS_COPY_MEMBERS_MAX} members for RENAME and COPY\r\n`;
  assert.equal(await h.run("RENAME big small"), refused);
  assert.equal(await h.run("COPY big small"), refused);
  assert.equal(await h.run("EXISTS big small"), ":1\r\n");
  const longKey = "k".repeat(1025);
  await h.run("test.collection set s x");
  assert.equal(
    await h.run(`RENAME s ${longKey}`),
    "-ERR key of a set of 1025 bytes is over TinyKV's limit of 1024 bytes\r\n",
  );
  assert.equal(await h.run("TYPE s"), "+set\r\n");
  await h.run("SET str v");
  const huge = "k".repeat(KV_KEY_BYTES_MAX + 1);
  const keyTooLong = `-ERR key of ${KV_KEY_BYTES_MAX + 1} bytes is over TinyKV's limit ` +
    `of ${KV_KEY_BYTES_MAX} bytes\r\n`;
  assert.equal(await h.run(`RENAME str ${huge}`), keyTooLong);
  assert.equal(await h.run(`COPY str ${huge} DB 2`), keyTooLong);
  assert.equal(await h.run("GET str"), "$1\r\nv\r\n");
});

test("keys: TinyKV bounds the bytes one RENAME or COPY of a collection copies", async () => {
  const h = await RedisHarness.open();
  const value = new Uint8Array(REDIS_COPY_BYTES_MAX / 4);
  const fields = ["a", "b", "c", "d", "e"].flatMap((f) => [f, value]);
  await h.write([["test.collection", "hash", "big", ...fields]]);
  const bytes = 5 * (1 + value.length);
  const refused = `-ERR a hash of ${bytes} bytes is over TinyKV's limit ` +
    `of ${REDIS_COPY_BYTES_MAX} bytes for RENAME and COPY\r\n`;
  assert.equal(await h.run("COPY big copy DB 1"), refused);
  assert.equal(await h.run("RENAMENX big small"), refused);
  assert.equal(await h.run("TYPE big"), "+hash\r\n");
  assert.equal(await h.run("EXISTS small"), ":0\r\n");
});

test("keys: RANDOMKEY picks every key of a small database", async () => {
  const h = await RedisHarness.open();
  await h.write([["MSET", "a", "1", "b", "2", "c", "3"]]);
  await h.run("test.collection set s x");
  const seen = new Set<string>();
  for (let i = 0; i < 400 && seen.size < 4; i++) seen.add(await h.run("RANDOMKEY"));
  assert.deepEqual([...seen].sort(), ["$1\r\na\r\n", "$1\r\nb\r\n", "$1\r\nc\r\n", "$1\r\ns\r\n"]);
  // Inside MULTI it runs in the apply step: deterministic, seeded by the revision.
  const exec = await h.exec(["RANDOMKEY"]);
  assert.match(exec, /^\*1\r\n\$1\r\n[abcs]\r\n$/);
});
