/**
 * `putParts` (write_batch.ts): a value given as parts is stored as their concatenation, through
 * the WAL and a reopen, and checked against the limits as one value.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { openSim, str, world } from "./helpers.ts";
import { VALUE_BYTES_MAX } from "../../src/limits.ts";
import { InvalidArgumentError, TooLargeError } from "../../src/util/errors.ts";
import { utf8 } from "../../src/util/bytes.ts";

test("putParts stores the parts joined, beside plain puts, through the WAL and a reopen", async () => {
  const w = world(11);
  let db = await openSim(w);
  const big = new Uint8Array(200_000).map((_, i) => (i * 31) & 0xff);
  await db.write([
    { type: "put", key: "a", value: "plain" },
    { type: "putParts", key: "b", parts: [utf8("head:"), big, utf8(":tail")] },
    { type: "putParts", key: "c", parts: [] },
  ]);
  const want = new Uint8Array([...utf8("head:"), ...big, ...utf8(":tail")]);
  assert.deepEqual(db.get("b"), want);
  assert.equal(str(db.get("c")), "", "no parts: an empty value");
  await db.close();
  db = await openSim(w); // replayed from the WAL
  assert.deepEqual(db.get("b"), want);
  assert.equal(str(db.get("a")), "plain");
  await db.flush();
  assert.deepEqual(db.get("b"), want, "and from a table");
  await db.close();
});

test("putParts is refused whole: parts that are not bytes, or a value past the limit", async () => {
  const db = await openSim(world(12));
  const notBytes = [{ type: "putParts", key: "k", parts: ["text"] }] as unknown as Parameters<
    typeof db.write
  >[0];
  await assert.rejects(db.write(notBytes), InvalidArgumentError);
  const half = new Uint8Array(Math.ceil(VALUE_BYTES_MAX / 2) + 1);
  await assert.rejects(
    db.write([{ type: "putParts", key: "k", parts: [half, half] }]),
    TooLargeError,
  );
  assert.equal(db.get("k"), undefined, "nothing written");
  await db.close();
});
