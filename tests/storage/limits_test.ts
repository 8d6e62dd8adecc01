import { test } from "node:test";
import assert from "node:assert/strict";
import {
  KEY_BYTES_MAX,
  VALUE_BYTES_MAX,
  WRITE_BATCH_BYTES_MAX,
  WRITE_BATCH_OPS_MAX,
} from "../../src/limits.ts";
import type { WriteOp } from "../../src/storage/db.ts";
import { InvalidArgumentError, TooLargeError } from "../../src/util/errors.ts";
import { openSim, str, world } from "./helpers.ts";

const tooLarge = (what: string) => (err: unknown) => {
  assert.ok(err instanceof TooLargeError, String(err));
  assert.equal(err.what, what);
  return true;
};

test("keys over KEY_BYTES_MAX are refused on every path", async () => {
  const db = await openSim(world(1));
  const big = new Uint8Array(KEY_BYTES_MAX + 1);
  await assert.rejects(db.put(big, "v"), tooLarge("key"));
  await assert.rejects(db.delete(big), tooLarge("key"));
  await assert.rejects(db.write([{ type: "put", key: big, value: "v" }]), tooLarge("key"));
  assert.throws(() => db.get(big), tooLarge("key"));
  await db.put(new Uint8Array(KEY_BYTES_MAX).fill(7), "max");
  assert.equal(str(db.get(new Uint8Array(KEY_BYTES_MAX).fill(7))), "max");
  await db.close();
});

test("values over VALUE_BYTES_MAX are refused", async () => {
  const db = await openSim(world(2));
  const big = new Uint8Array(VALUE_BYTES_MAX + 1);
  await assert.rejects(db.put("k", big), tooLarge("value"));
  await assert.rejects(db.write([{ type: "put", key: "k", value: big }]), tooLarge("value"));
  assert.equal(db.get("k"), undefined);
  await db.close();
});

test("batches over the op count or byte limit are refused before copying", async () => {
  const db = await openSim(world(3));
  const ops: WriteOp[] = Array.from({ length: WRITE_BATCH_OPS_MAX + 1 }, () => ({
    type: "del",
    key: "k",
  }));
  await assert.rejects(db.write(ops), tooLarge("batch operation count"));
  const value = new Uint8Array(64 * 1024 * 1024);
  const n = Math.floor(WRITE_BATCH_BYTES_MAX / value.length) + 1;
  const big: WriteOp[] = Array.from(
    { length: n },
    (_, i) => ({ type: "put", key: `k${i}`, value }),
  );
  await assert.rejects(db.write(big), tooLarge("batch"));
  await assert.rejects(
    db.write([{ type: "bogus", key: "k" } as unknown as WriteOp]),
    (e: unknown) => e instanceof InvalidArgumentError,
  );
  await db.close();
});

test("a 64 MiB value round-trips through WAL, memtable, table and reopen", async () => {
  const w = world(4);
  let db = await openSim(w, { sync: "always" });
  const value = new Uint8Array(64 * 1024 * 1024);
  for (let i = 0; i < value.length; i += 4096) value[i] = i / 4096;
  await db.put("big", value);
  await db.put("small", "s");
  assert.deepEqual(db.get("big"), value);
  await db.flush();
  assert.deepEqual(db.get("big"), value);
  await db.close();
  db = await openSim(w);
  assert.deepEqual(db.get("big"), value);
  assert.equal(str(db.get("small")), "s");
  await db.close();
});
