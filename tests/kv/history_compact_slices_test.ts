import { test } from "node:test";
import assert from "node:assert/strict";
import type { KvStateMachine } from "../../src/kv/state_machine.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { applyAll, b, cmd, dump, openKv, put } from "./kv_helpers.ts";

const del = (key: string) => cmd({ body: { case: "delete", value: { key: b(key) } } });
const compact = (revision: number) =>
  cmd({ body: { case: "compact", value: { revision: BigInt(revision) } } });

/**
 * 51 revisions: a hot key written 30 times among ten keys written twice (k3 deleted at 51),
 * keys written once, and k5 deleted and created again (a put of version 1 after history).
 */
function history(): Uint8Array[] {
  const commands: Uint8Array[] = [];
  for (let i = 0; i < 30; i++) {
    commands.push(i % 4 === 1 ? put(`once${i}`, "1") : put("hot", `v${i}`));
    if (i % 3 === 0) commands.push(put(`k${i / 3}`, `a${i}`), put(`k${i / 3}`, `b${i}`));
    if (i === 20) commands.push(del("k5"));
    if (i === 25) commands.push(put("k5", "again"));
  }
  commands.push(del("k3"));
  return commands;
}

/** A store whose compactor works in slices of `sliceEntries`, counting its pauses. */
async function sliced(sliceEntries: number, duringPause?: (kv: KvStateMachine) => Promise<void>) {
  const { db, kv } = await openKv();
  const counter = { pauses: 0 };
  kv.compactor.pace = {
    sliceEntries,
    pause: async () => {
      counter.pauses++;
      if (counter.pauses === 2) await duringPause?.(kv);
    },
  };
  await applyAll(kv, history());
  return { db, kv, counter };
}

test("history compaction in slices of 3 entries removes exactly what one slice removes", async () => {
  const whole = await sliced(1_000_000);
  const small = await sliced(3);
  for (const s of [whole, small]) {
    await applyAll(s.kv, [compact(45)]);
    await s.kv.compactor.idle();
  }
  assert.ok(whole.kv.compactor.removed > 20, `removed ${whole.kv.compactor.removed}`);
  assert.equal(small.kv.compactor.removed, whole.kv.compactor.removed);
  assert.deepEqual(await dump(small.db), await dump(whole.db), "the same engine contents");
  assert.ok(small.counter.pauses > 20, `the work was cut into slices: ${small.counter.pauses}`);
  assert.equal(whole.counter.pauses, 1, "one slice (one pause after it) for the whole range");
  // What compaction must keep is still there: every key at every revision from 45 reads as
  // in a store never compacted, and so does the history from 45.
  const full = await sliced(1_000_000);
  const keys = ["hot", "k3", "k5", ...Array.from({ length: 10 }, (_, i) => `k${i}`), "once5"];
  for (let revision = 45; revision <= full.kv.revision; revision++) {
    for (const key of keys) {
      const want = await full.kv.getAt(b(key), revision);
      const got = await small.kv.getAt(b(key), revision);
      assert.deepEqual(got, want, `${key} at ${revision}`);
    }
  }
  const everything = { key: new Uint8Array(0), rangeEnd: new Uint8Array([0]) };
  const options = { maxEvents: 100, prevKv: false };
  assert.deepEqual(
    await small.kv.readHistory(45, everything, options),
    await full.kv.readHistory(45, everything, options),
  );
});

test("history compaction: writes applied between two slices are kept and end in the same state", async () => {
  const later = [put("hot", "late"), put("k1", "late"), del("k2")];
  const interleaved = await sliced(2, (kv) => applyAll(kv, later).then(() => {}));
  const after = await sliced(1_000_000);
  await applyAll(interleaved.kv, [compact(40)]);
  await interleaved.kv.compactor.idle();
  await applyAll(after.kv, [compact(40)]);
  await after.kv.compactor.idle();
  await applyAll(after.kv, later);
  assert.ok(interleaved.counter.pauses > 2, "the writes went in while compaction was under way");
  assert.deepEqual(await dump(interleaved.db), await dump(after.db));
  assert.equal(fromUtf8(interleaved.kv.get(b("hot"))?.value ?? b("?")), "late");
  assert.equal(interleaved.kv.get(b("k2")), undefined);
  const events = await interleaved.kv.readHistory(52, { key: b("hot"), rangeEnd: b("hou") }, {
    maxEvents: 10,
    prevKv: false,
  });
  assert.deepEqual(events.events.map((e) => fromUtf8(e.kv.value)), ["late"]);
});

test("history compaction: passes to 20, 35 and 50 leave what one pass to 50 leaves", async () => {
  const stepwise = await sliced(4);
  const once = await sliced(1_000_000);
  for (const target of [20, 35, 50]) {
    await applyAll(stepwise.kv, [compact(target)]);
    await stepwise.kv.compactor.idle();
  }
  // Empty entries in place of the first two compactions keep the applied indexes aligned.
  await applyAll(once.kv, [null, null, compact(50)]);
  await once.kv.compactor.idle();
  assert.deepEqual(await dump(stepwise.db), await dump(once.db));
  assert.equal(stepwise.kv.compactor.removed, once.kv.compactor.removed);
});
