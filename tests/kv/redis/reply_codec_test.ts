import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeReply, encodeReply } from "../../../src/kv/redis/reply_codec.ts";
import type { RedisReply } from "../../../src/kv/redis/reply.ts";
import { utf8 } from "../../../src/util/bytes.ts";

test("reply codec: +OK takes a shortcut with the same bytes; other replies round-trip", () => {
  const ok = encodeReply({ k: "simple", s: "OK" });
  // The general encoding of a simple string: tag 1, length, UTF-8.
  assert.deepEqual([...ok], [1, 2, 0x4f, 0x4b]);
  assert.notEqual(encodeReply({ k: "simple", s: "OK" }), ok, "each call owns its bytes");
  assert.deepEqual(decodeReply(ok), { k: "simple", s: "OK" });
  // A one-command run (a SET) answers an array of one: tag 7, count 1, then +OK.
  const one: RedisReply = { k: "array", items: [{ k: "simple", s: "OK" }] };
  assert.deepEqual([...encodeReply(one)], [7, 1, 1, 2, 0x4f, 0x4b]);
  assert.deepEqual(decodeReply(encodeReply(one)), one);
  const others: RedisReply[] = [
    { k: "simple", s: "OKAY" },
    { k: "simple", s: "ok" },
    { k: "error", s: "OK" },
    { k: "bulk", b: utf8("OK") },
    { k: "int", n: 2n },
    { k: "array", items: [{ k: "simple", s: "OK" }, { k: "null" }] },
    { k: "array", items: [{ k: "simple", s: "Ok" }] },
    { k: "set", items: [{ k: "simple", s: "OK" }] },
    { k: "array", items: [] },
  ];
  for (const r of others) assert.deepEqual(decodeReply(encodeReply(r)), r);
  // A bulk "OK" differs from +OK only in its tag.
  assert.deepEqual([...encodeReply({ k: "bulk", b: utf8("OK") })], [4, 2, 0x4f, 0x4b]);
});
