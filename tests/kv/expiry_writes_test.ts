/**
 * `RegionKeys.expiryWrites`: batches that changed a region's expiry indexes, which the expiry
 * sweep of a node holding many regions checks before it reads them again (region_services.ts).
 * A write without expiry must leave it alone (or every busy region is read each sweep); every
 * change of the index must move it (or a due key waits for the next scheduled read).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { CommandInit } from "../../src/kv/command_codec.ts";
import { applyAll, b, cmd, openKv } from "./kv_helpers.ts";

type Body = NonNullable<CommandInit["body"]>;
const at = (ms: number, body: Body) => cmd({ proposedAtMs: BigInt(ms), body });
const plainPut = (key: string): Body => ({ case: "put", value: { key: b(key), value: b("v") } });
const putTtl = (key: string, ttlMs: number): Body => ({
  case: "put",
  value: { key: b(key), value: b("v"), ttlMs: BigInt(ttlMs) },
});
const del = (key: string): Body => ({ case: "delete", value: { key: b(key) } });

test("expiry writes: counted for index changes only, once each batch is written", async () => {
  const { kv } = await openKv();
  const writes = () => kv.region.expiryWrites;
  const start = writes();
  await applyAll(kv, [at(1000, plainPut("a")), at(1000, plainPut("b"))]);
  assert.equal(writes(), start, "puts without expiry leave the index alone");
  await applyAll(kv, [at(1000, putTtl("t", 60_000))]);
  assert.equal(writes(), start + 1, "a put with a TTL adds an index entry");
  await applyAll(kv, [at(1000, plainPut("a")), at(1000, plainPut("c"))]);
  assert.equal(writes(), start + 1);
  await applyAll(kv, [at(1000, del("t"))]);
  assert.equal(writes(), start + 2, "deleting a key with a TTL removes its entry");
  await applyAll(kv, [at(1000, putTtl("u", 60_000)), at(1000, plainPut("u"))]);
  assert.equal(writes(), start + 3, "one batch, one count");
});
