/**
 * HRANDFIELD and HSCAN through the executor. Argument errors and the replies
 * that do not depend on chance were checked byte for byte against
 * redis-server 7.0.15; random picks are checked for their properties.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { REDIS_RANDOM_MEMBERS_MAX } from "../../../src/limits.ts";
import type { RedisReply } from "../../../src/kv/redis/reply.ts";
import { fromUtf8 } from "../../../src/util/bytes.ts";
import { bulkArray, RedisHarness, resp } from "./hash_helpers.ts";

/** The bulk strings of a (possibly nested) array reply, flat. */
function texts(r: RedisReply): string[] {
  if (r.k === "bulk") return [fromUtf8(r.b)];
  if (r.k === "array" || r.k === "pairs" || r.k === "map") return r.items.flatMap(texts);
  throw new Error(`unexpected reply ${r.k}`);
}

async function hashOf(r: RedisHarness, key: string, n: number): Promise<string[]> {
  const args: string[] = [];
  for (let i = 0; i < n; i++) args.push(`f${String(i).padStart(5, "0")}`, `v${i}`);
  await r.run("HSET", key, ...args);
  return args.filter((_, i) => i % 2 === 0);
}

test("hash: HRANDFIELD's argument rules, missing keys and whole-hash counts", async () => {
  const r = await RedisHarness.open();
  await r.run("HSET", "h", "a", "1", "b", "2");
  const cases: [string[], string][] = [
    [["nope"], "$-1\r\n"],
    [["nope", "3"], "*0\r\n"],
    [["nope", "-3", "WITHVALUES"], "*0\r\n"],
    [["h", "0"], "*0\r\n"],
    [["h", "x"], "-ERR value is not an integer or out of range\r\n"],
    [
      ["h", "-9223372036854775808"],
      "-ERR value is out of range, value must between -9223372036854775807 and " +
      "9223372036854775807\r\n",
    ],
    [["h", "4611686018427387904", "withvalues"], "-ERR value is out of range\r\n"],
    [["h", "-4611686018427387904", "withvalues"], "-ERR value is out of range\r\n"],
    [["h", "1", "withvalue"], "-ERR syntax error\r\n"],
    [["h", "1", "withvalues", "x"], "-ERR syntax error\r\n"],
    [["h", "5"], bulkArray(["a", "b"])],
    [["h", "2", "WITHVALUES"], bulkArray(["a", "1", "b", "2"])],
    [["h", "4611686018427387903", "withvalues"], bulkArray(["a", "1", "b", "2"])],
  ];
  for (const [args, want] of cases) assert.equal(await r.run("HRANDFIELD", ...args), want);
  assert.equal(await r.run3("HRANDFIELD", "nope"), "_\r\n");
  assert.equal(
    await r.run3("HRANDFIELD", "h", "2", "WITHVALUES"),
    "*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n",
    "RESP3: an array of [field, value] pairs",
  );
  const over = -(REDIS_RANDOM_MEMBERS_MAX + 1);
  assert.equal(
    await r.run("HRANDFIELD", "h", String(over)),
    `-ERR a count of ${over} is over TinyKV's limit of ${REDIS_RANDOM_MEMBERS_MAX} picks\r\n`,
  );
});

test("hash: HRANDFIELD picks distinct fields for a count, repeats for a negative one", async () => {
  const r = await RedisHarness.open();
  const fields = await hashOf(r, "h", 40);
  for (let round = 0; round < 20; round++) {
    const picked = texts(await r.reply("HRANDFIELD", "h", "7"));
    assert.equal(picked.length, 7);
    assert.equal(new Set(picked).size, 7, "distinct");
    for (const f of picked) assert.ok(fields.includes(f));
    const many = texts(await r.reply("HRANDFIELD", "h", "-60", "WITHVALUES"));
    assert.equal(many.length, 120);
    for (let i = 0; i < many.length; i += 2) {
      assert.equal(many[i + 1], `v${Number(many[i].slice(1))}`, "each value is its field's");
    }
  }
  const seen = new Set<string>();
  for (let i = 0; i < 2000 && seen.size < fields.length; i++) {
    seen.add(texts(await r.reply("HRANDFIELD", "h"))[0]);
  }
  assert.equal(seen.size, fields.length, "every field is eventually picked");
});

test("hash: HRANDFIELD inside MULTI picks the same fields on every replica", async () => {
  const replicas = [await RedisHarness.open(), await RedisHarness.open()];
  const replies: string[] = [];
  const random = Math.random;
  try {
    for (const r of replicas) {
      await hashOf(r, "h", 50);
      Math.random = () => {
        throw new Error("Math.random at apply");
      };
      const reply = await r.exec(
        ["HRANDFIELD", "h"],
        ["HRANDFIELD", "h", "5"],
        ["HRANDFIELD", "h", "-20", "WITHVALUES"],
        ["HSET", "h", "x", "1"],
      );
      Math.random = random;
      replies.push(resp(reply, 3));
    }
  } finally {
    Math.random = random;
  }
  assert.equal(replies[0], replies[1]);
  assert.match(replies[0], /^\*4\r\n\$6\r\nf\d{5}\r\n\*5\r\n/);
  assert.match(
    replies[0],
    /\*20\r\n(\*2\r\n\$6\r\nf\d{5}\r\n\$\d\r\nv\d+\r\n){20}:1\r\n$/,
    "RESP3 pairs",
  );
});

test("hash: HSCAN's cursor and option rules (Redis's order of checks)", async () => {
  const r = await RedisHarness.open();
  await r.run("HSET", "h", "a", "1", "b", "2", "c", "3");
  const all = "*2\r\n$1\r\n0\r\n" + bulkArray(["a", "1", "b", "2", "c", "3"]);
  const empty = "*2\r\n$1\r\n0\r\n*0\r\n";
  const cases: [string[], string][] = [
    [["nope", "0"], empty],
    [["nope", "x"], "-ERR invalid cursor\r\n"],
    [["nope", "0", "count", "0"], empty],
    [["h", ""], all],
    [["h", "-1"], all],
    [["h", "-0"], all],
    [["h", "+5"], all],
    [["h", "18446744073709551615"], all],
    [["h", "18446744073709551616"], "-ERR invalid cursor\r\n"],
    [["h", "-"], "-ERR invalid cursor\r\n"],
    [["h", "+"], "-ERR invalid cursor\r\n"],
    [["h", " 5"], "-ERR invalid cursor\r\n"],
    [["h", "0x5"], "-ERR invalid cursor\r\n"],
    [["h", "0", "count", "-1"], "-ERR syntax error\r\n"],
    [["h", "0", "count", "0"], "-ERR syntax error\r\n"],
    [
      ["h", "0", "count", "9223372036854775808"],
      "-ERR value is not an integer or out of range\r\n",
    ],
    [["h", "0", "match"], "-ERR syntax error\r\n"],
    [["h", "0", "type", "hash"], "-ERR syntax error\r\n"],
    [["h", "0", "novalues"], "-ERR syntax error\r\n"],
    [["h", "0", "count", "1", "bogus", "2"], "-ERR syntax error\r\n"],
    [["h", "0", "match", "a*", "match", "c*"], "*2\r\n$1\r\n0\r\n" + bulkArray(["c", "3"])],
    [["h", "0", "MATCH", "[", "COUNT", "1"], empty],
    [["h", "0", "match", "*", "count", "1"], all],
    [["h", "5", "count", "1"], all],
  ];
  for (const [args, want] of cases) {
    assert.equal(await r.run("HSCAN", ...args), want, args.join(" "));
  }
  assert.equal(
    await r.run3("HSCAN", "h", "0", "MATCH", "b"),
    "*2\r\n$1\r\n0\r\n" + bulkArray(["b", "2"]),
  );
});

/** A whole HSCAN through the executor: cursors are positions. */
async function scanAll(r: RedisHarness, key: string, ...options: string[]) {
  const seen: string[] = [], cursors: string[] = [];
  let cursor = "0";
  for (let page = 0; page < 1000; page++) {
    const [next, ...items] = texts(await r.reply("HSCAN", key, cursor, ...options));
    for (let i = 0; i < items.length; i += 2) seen.push(items[i]);
    cursors.push(next);
    cursor = next;
    if (cursor === "0") break;
  }
  return { seen, cursors };
}

test("hash: HSCAN of a big hash pages by COUNT; the cursor is the fields examined", async () => {
  const r = await RedisHarness.open();
  const fields = await hashOf(r, "h", 1000);
  const { seen, cursors } = await scanAll(r, "h", "COUNT", "100");
  assert.deepEqual(seen, fields, "every field once, in byte order");
  assert.deepEqual(cursors, [...Array.from({ length: 9 }, (_, i) => String(100 * (i + 1))), "0"]);
  const matched = await scanAll(r, "h", "MATCH", "f0000*", "COUNT", "250");
  assert.deepEqual(matched.seen, fields.slice(0, 10));
  assert.deepEqual(matched.cursors, ["250", "500", "750", "0"], "pages examine COUNT fields");
  assert.equal(await r.run("HSCAN", "h", "1000"), "*2\r\n$1\r\n0\r\n*0\r\n", "past the end");
  const hashOfSmall = await hashOf(r, "small", 128);
  const small = await scanAll(r, "small", "COUNT", "1");
  assert.deepEqual(small.seen, hashOfSmall, "128 fields: one reply, as Redis's listpack");
  assert.deepEqual(small.cursors, ["0"]);
  const multi = await r.exec(["HSCAN", "h", "990", "COUNT", "5"], ["HSCAN", "h", "995"]);
  assert.deepEqual(texts(multi), [
    "995",
    ...fields.slice(990, 995).flatMap((f) => [f, `v${Number(f.slice(1))}`]),
    "0",
    ...fields.slice(995).flatMap((f) => [f, `v${Number(f.slice(1))}`]),
  ]);
});
