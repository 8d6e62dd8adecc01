import { test } from "node:test";
import assert from "node:assert/strict";
import { PassKeys } from "../../src/kv/history_pass_keys.ts";
import { ChangeType } from "../../src/kv/key_record.ts";
import { applyAll, b, cmd, openKv, put } from "./kv_helpers.ts";

const compact = (revision: number) =>
  cmd({ body: { case: "compact", value: { revision: BigInt(revision) } } });

const KEYS = 10;
const ROUNDS = 40;

/** One round of puts: every one of KEYS hot keys written ROUNDS times, interleaved. */
function round(tag: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < KEYS; k++) out.push(put(`hot${k}`, `v${tag}.${r}`));
  }
  return out;
}

test("history compaction: each pass over hot keys costs what was written since, not their past", async () => {
  const { db, kv } = await openKv();
  // Small slices: the records of one pass come in many batches, each naming every hot key.
  kv.compactor.pace = { sliceEntries: 16, pause: () => Promise.resolve() };
  const stepsPerPass: number[] = [];
  const removedPerPass: number[] = [];
  for (let pass = 0; pass < 8; pass++) {
    await applyAll(kv, round(pass));
    const before = db.stats().scanSteps;
    const removedBefore = kv.compactor.removed;
    await applyAll(kv, [compact(kv.revision - 5)]);
    await kv.compactor.idle();
    stepsPerPass.push(db.stats().scanSteps - before);
    removedPerPass.push(kv.compactor.removed - removedBefore);
  }
  // Every pass after the first removes one round of changes per key...
  for (const removed of removedPerPass.slice(1)) assert.equal(removed, KEYS * ROUNDS);
  // ...and steps over a bounded number of engine entries for it: the round's history records,
  // with the scans' read-ahead past each batch of 16 (1,672 per pass here; no index entries:
  // the kept ones are remembered from the pass before). Before the session-11 fix a hot key was
  // compacted again in every batch, walking the tombstones of all its earlier passes: 2,501,
  // 5,345, 8,465, … 24,065.
  const changes = KEYS * ROUNDS;
  for (const [i, steps] of stepsPerPass.entries()) {
    assert.ok(steps <= 5 * changes, `pass ${i}: ${steps} steps for ${changes} changes`);
  }
  assert.ok(
    stepsPerPass[7] <= stepsPerPass[1] + KEYS,
    `later passes cost no more: ${stepsPerPass.join(", ")}`,
  );
  // What compaction keeps still reads: every key's newest value and its history from there.
  for (let k = 0; k < KEYS; k++) {
    assert.deepEqual(kv.get(b(`hot${k}`))?.value, b(`v7.${ROUNDS - 1}`));
  }
  await db.close();
});

test("PassKeys: its byte bound, the last pass's keys kept for the next, a stale entry forgotten", () => {
  // Each pass's keys get half of 800 bytes; a key costs its bytes, its records' and 160.
  const keys = new PassKeys(800);
  keys.set("abcd", null); // 164
  keys.set("efgh", null); // 328
  keys.set("ijk", null); // 491: over the pass's 400, not remembered
  assert.equal(keys.get("abcd"), null);
  assert.equal(keys.get("ijk"), undefined, "not remembered: the compactor looks it up");
  keys.nextPass();
  assert.equal(keys.get("efgh"), null, "the last pass's keys still answer");
  const kept = { revision: 5, type: ChangeType.Put, records: [new Uint8Array(10)] };
  keys.set("ijk", kept);
  keys.set("efgh", null); // moved into this pass
  assert.equal(keys.get("ijk"), kept);
  keys.nextPass();
  assert.equal(keys.get("abcd"), undefined, "a key the last pass did not see is dropped");
  assert.equal(keys.get("efgh"), null);
  keys.set("ijk", { revision: 6, type: ChangeType.Put, records: [new Uint8Array(300)] });
  assert.equal(keys.get("ijk"), undefined, "forgotten rather than left stale");
  assert.equal(keys.size, 1);
  assert.equal(keys.bytes, 164);
});
