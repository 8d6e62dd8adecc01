/**
 * The expiry sweep's quiet check (src/server/node/quiet_expiry.ts): after a read found nothing
 * due, no engine read until the soonest expiry comes, a write changes the expiry indexes, or the
 * state machine is replaced — and each of those brings the read back.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { CommandInit } from "../../src/kv/command_codec.ts";
import { QuietExpiry } from "../../src/server/node/quiet_expiry.ts";
import type { EngineHolder } from "../../src/server/node/engine_holder.ts";
import type { Db } from "../../src/storage/db.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { applyAll, b, cmd, openKv } from "../kv/kv_helpers.ts";

type Body = NonNullable<CommandInit["body"]>;
const at = (ms: number, body: Body) => cmd({ proposedAtMs: BigInt(ms), body });

/** An engine holder over `db` that counts the reads made through it. */
function countingHolder(db: Db): { holder: EngineHolder; reads: () => number } {
  let reads = 0;
  const holder = {
    db,
    read<T>(run: () => Promise<T>): Promise<T> {
      reads++;
      return run();
    },
  };
  return { holder: holder as unknown as EngineHolder, reads: () => reads };
}

test("quiet expiry: no engine read while nothing can be due; writes, due time and owner end it", async () => {
  const { db, kv } = await openKv();
  const { holder, reads } = countingHolder(db);
  const quiet = new QuietExpiry();
  const due = (nowMs: number, owner: object = kv) =>
    quiet.dueKeys(holder, owner, kv.region, nowMs, 100);

  // Nothing expires: one look (the due keys and the soonest expiry), then none.
  assert.deepEqual(await due(1000), { keys: [], redisKeys: [] });
  const afterFirst = reads();
  assert.ok(afterFirst > 0);
  for (let t = 1100; t < 2000; t += 100) await due(t);
  assert.equal(reads(), afterFirst, "a quiet region was read again");

  // A put without expiry leaves the indexes alone: still no read.
  await applyAll(kv, [at(2000, { case: "put", value: { key: b("plain"), value: b("v") } })]);
  await due(2100);
  assert.equal(reads(), afterFirst, "a write without expiry ended the quiet");

  // A key that expires at 5,000: the write ends the quiet; the look finds it not due yet.
  const ttl = { key: b("k"), value: b("v"), ttlMs: 2900n };
  await applyAll(kv, [at(2100, { case: "put", value: ttl })]);
  assert.deepEqual(await due(2200), { keys: [], redisKeys: [] });
  const afterWrite = reads();
  assert.ok(afterWrite > afterFirst, "the write with expiry did not bring a read");
  await due(4999);
  assert.equal(reads(), afterWrite, "read again before the soonest expiry");

  // At 5,000 it is due: read, and found.
  const found = await due(5000);
  assert.deepEqual(found.keys.map(fromUtf8), ["k"]);
  assert.ok(reads() > afterWrite);

  // A replaced state machine (an installed snapshot) is read again whatever the counter says.
  const before = reads();
  await due(5000, {});
  assert.ok(reads() > before, "a new owner was not read");
});
