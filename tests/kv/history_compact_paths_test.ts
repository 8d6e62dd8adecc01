import { test } from "node:test";
import assert from "node:assert/strict";
import { compactHistory, MICROTASK_PACE } from "../../src/kv/history_compactor.ts";
import { PassKeys } from "../../src/kv/history_pass_keys.ts";
import type { KvStateMachine } from "../../src/kv/state_machine.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { applyAll, b, cmd, dump, openKv, put } from "./kv_helpers.ts";

const del = (key: string) => cmd({ body: { case: "delete", value: { key: b(key) } } });
/** One Redis MULTI: its commands change the store at one revision, in order (subs 0, 1, ...). */
const multi = (...commands: string[][]) =>
  cmd({
    body: {
      case: "redis",
      value: { db: 0, commands: commands.map((c) => ({ args: c.map(b) })), multi: true },
    },
  });
const compact = (revision: number) =>
  cmd({ body: { case: "compact", value: { revision: BigInt(revision) } } });

/** Writes in rounds: hot keys every round, a key deleted and made again, keys set twice in one MULTI. */
function round(r: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < 6; i++) out.push(put(`hot${i % 3}`, `r${r}.${i}`));
  out.push(put(`once${r}`, "1"));
  out.push(r % 2 === 0 ? del("flip") : put("flip", `r${r}`));
  out.push(multi(["SET", "twice", `a${r}`], ["SET", "twice", `b${r}`]));
  if (r % 3 === 0) out.push(multi(["SET", `m${r}`, "x"], ["DEL", `m${r}`], ["SET", `m${r}`, "y"]));
  return out;
}

const KEYS = ["hot0", "hot1", "hot2", "flip", "twice", "once0", "once4", "m0", "m3", "m6"];

/** The same rounds into two stores; between rounds both compact to `revision - lag`. */
async function compactedInRounds(
  lag: number,
  pass: (kv: KvStateMachine, from: number, upTo: number) => Promise<number>,
) {
  const { db, kv } = await openKv();
  let from = 0, removed = 0;
  for (let r = 0; r < 8; r++) {
    await applyAll(kv, round(r));
    const upTo = kv.revision - lag;
    removed += await pass(kv, from, upTo);
    from = upTo;
  }
  return { db, kv, removed, from };
}

test("history compaction: what the keys of one pass carry into the next, and a seek for every key, leave the same store", async () => {
  for (const lag of [0, 1, 2, 5]) {
    const carried = new PassKeys();
    const remembering = await compactedInRounds(
      lag,
      (kv, from, upTo) => compactHistory(kv.db, kv.history, from, upTo, MICROTASK_PACE, carried),
    );
    // Nothing remembered: every key's live change is found by an index seek.
    const seeking = await compactedInRounds(
      lag,
      (kv, from, upTo) =>
        compactHistory(kv.db, kv.history, from, upTo, MICROTASK_PACE, new PassKeys(0)),
    );
    const whole = await openKv();
    for (let r = 0; r < 8; r++) await applyAll(whole.kv, round(r));
    assert.ok(remembering.removed > 40, `lag ${lag}: removed ${remembering.removed}`);
    assert.equal(remembering.removed, seeking.removed, `lag ${lag}`);
    assert.deepEqual(await dump(remembering.db), await dump(seeking.db), `lag ${lag}`);
    // Every key reads the same at every revision from the last compaction as never compacted.
    for (let revision = remembering.from; revision <= whole.kv.revision; revision++) {
      for (const key of KEYS) {
        assert.deepEqual(
          await remembering.kv.getAt(b(key), revision),
          await whole.kv.getAt(b(key), revision),
          `lag ${lag}: ${key} at ${revision}`,
        );
      }
    }
    const everything = { key: new Uint8Array(0), rangeEnd: new Uint8Array([0]) };
    const options = { maxEvents: 1000, prevKv: false };
    assert.deepEqual(
      await remembering.kv.readHistory(remembering.from, everything, options),
      await whole.kv.readHistory(remembering.from, everything, options),
    );
    for (const s of [remembering, seeking, whole]) await s.db.close();
  }
});

test("history compaction: a change at the compaction revision keeps its previous value; deletes and a MULTI's earlier set go", async () => {
  const { db, kv } = await openKv();
  await applyAll(kv, [put("a", "1"), put("a", "2"), put("d", "1"), del("d")]); // 1-4
  await applyAll(kv, [multi(["SET", "m", "x"], ["SET", "m", "y"]), put("m", "z")]); // 5, 6
  await applyAll(kv, [put("a", "3")]); // 7: a changes at the compaction revision
  await applyAll(kv, [compact(7)]);
  await kv.compactor.idle();
  // a keeps 7 and 2 (its state just below 7: the previous value of its change at 7); d (deleted
  // below 7) is gone; m keeps 6 alone.
  const index = (await dump(db)).filter((line) => line.startsWith("4,"));
  assert.equal(index.length, 3, index.join("\n"));
  assert.equal(fromUtf8((await kv.getAt(b("a"), 7))?.value ?? b("?")), "3");
  assert.equal(await kv.getAt(b("d"), 7), undefined);
  assert.equal(fromUtf8((await kv.getAt(b("m"), 7))?.value ?? b("?")), "z");
  await assert.rejects(kv.getAt(b("a"), 6), /compacted/i);
  // The MULTI's two history records (revision 5, subs 0 and 1) went with its index entry: the
  // history holds a's changes at 2 and 7 and m's at 6 (region 1's feed: 0x10, region 1, 0x03).
  const records = (await dump(db)).filter((line) => line.startsWith("16,0,0,0,0,0,0,0,1,3,"));
  assert.equal(records.length, 3, records.join("\n"));
  const everything = { key: new Uint8Array(0), rangeEnd: new Uint8Array([0]) };
  const history = await kv.readHistory(7, everything, { maxEvents: 10, prevKv: true });
  assert.deepEqual(history.events.map((e) => fromUtf8(e.kv.key)), ["a"]);
  assert.equal(fromUtf8(history.events[0].prev?.value ?? b("?")), "2", "a watch from 7 sees a's 2");
  assert.equal(kv.compactor.removed, 4, "a at 1, d at 3 and 4, m at 5");
  // The next pass removes a's 2 once its change at 7 is below the compaction revision.
  await applyAll(kv, [put("a", "4"), compact(9)]);
  await kv.compactor.idle();
  assert.equal(kv.compactor.removed, 5);
  await db.close();
});
