import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { CompactedError, FutureRevisionError } from "../../src/kv/revision_errors.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { applyAll, b, cmd, dump, openKv, put } from "./kv_helpers.ts";

const del = (key: string) => cmd({ body: { case: "delete", value: { key: b(key) } } });
const compact = (revision: number) =>
  cmd({ body: { case: "compact", value: { revision: BigInt(revision) } } });
const all = { key: new Uint8Array(0), rangeEnd: new Uint8Array([0]) };

test("revisions: each key carries create/mod revision and version; the store revision moves only on change", async () => {
  const { kv } = await openKv();
  // 1: put a; 2: put a again; 3: delete of a missing key (no change); 4: put b
  const outs = await applyAll(kv, [put("a", "1"), put("a", "2"), del("zz"), put("b", "x")]);
  const a = kv.get(b("a"));
  assert.deepEqual(
    a && { c: a.createRevision, m: a.modRevision, v: a.version, val: fromUtf8(a.value) },
    { c: 1, m: 2, v: 2, val: "2" },
  );
  assert.equal(kv.revision, 4);
  const revisions = outs.map((o) => o.body.case === "write" ? Number(o.body.value.revision) : -1);
  assert.deepEqual(revisions, [1, 2, 2, 4], "a write that changed nothing reports the current one");
  // Deleting and recreating starts the key over.
  await applyAll(kv, [del("a"), put("a", "3")]);
  const again = kv.get(b("a"));
  assert.deepEqual(again && [again.createRevision, again.modRevision, again.version], [6, 6, 1]);
});

test("revisions: reads at a past revision see the store as it was", async () => {
  const { kv } = await openKv();
  await applyAll(kv, [put("a", "1"), put("b", "1"), put("a", "2"), del("b"), put("c", "1")]);
  assert.equal(fromUtf8((await kv.getAt(b("a"), 1))?.value ?? b("?")), "1");
  assert.equal(fromUtf8((await kv.getAt(b("a"), 4))?.value ?? b("?")), "2");
  assert.equal(await kv.getAt(b("b"), 4), undefined, "deleted at 4");
  assert.equal(fromUtf8((await kv.getAt(b("b"), 3))?.value ?? b("?")), "1");
  const at3 = await kv.rangeAt(all, 3, 100);
  assert.deepEqual(at3.states.map((s) => `${fromUtf8(s.key)}=${fromUtf8(s.value)}`), [
    "a=2",
    "b=1",
  ]);
  const page = await kv.scan({ prefix: new Uint8Array(0), revision: 2, limit: 1 });
  assert.deepEqual(page.items.map((s) => fromUtf8(s.key)), ["a"]);
  const next = await kv.scan({ revision: 2, limit: 1, cursor: page.nextCursor });
  assert.deepEqual(next.items.map((s) => fromUtf8(s.value)), ["1"]);
  assert.equal(next.nextCursor, undefined);
  await assert.rejects(kv.getAt(b("a"), 6), FutureRevisionError);
});

test("revisions: history reads return every change in revision order, never splitting a revision", async () => {
  const { kv } = await openKv();
  const batch = cmd({
    body: {
      case: "batch",
      value: {
        ops: ["p1", "p2", "q"].map((k) => ({
          op: { case: "put", value: { key: b(k), value: b("v") } },
        })),
      },
    },
  });
  await applyAll(kv, [put("p0", "a"), batch, put("p0", "b"), del("p1")]);
  const prefixP = { key: b("p"), rangeEnd: b("q") };
  const page = await kv.readHistory(1, prefixP, { maxEvents: 2, prevKv: true });
  // Revision 1 has one event, revision 2 two in range: the second revision comes whole.
  assert.deepEqual(page.events.map((e) => `${e.type}:${fromUtf8(e.kv.key)}@${e.kv.modRevision}`), [
    "put:p0@1",
    "put:p1@2",
    "put:p2@2",
  ]);
  assert.equal(page.through, 2);
  const rest = await kv.readHistory(page.through + 1, prefixP, { maxEvents: 100, prevKv: true });
  assert.deepEqual(
    rest.events.map((e) => `${e.type}:${fromUtf8(e.kv.key)}:${fromUtf8(e.prev?.value ?? b("-"))}`),
    [
      "put:p0:a",
      "delete:p1:v",
    ],
  );
  assert.equal(rest.through, 4);
  // The same events came out of the apply passes for the watch hub.
  assert.equal(kv.drainEvents().length, 6);
  assert.equal(kv.drainEvents().length, 0);
});

test("revisions: compaction forgets history below it but keeps every state at or after it", async () => {
  const { kv, db } = await openKv();
  await applyAll(kv, [put("a", "1"), put("a", "2"), put("b", "1"), del("b"), put("c", "1")]);
  const [ok] = await applyAll(kv, [compact(3)]);
  assert.equal(ok.error, undefined);
  assert.equal(kv.compactedRevision, 3);
  await kv.compactor.idle();
  assert.equal(fromUtf8((await kv.getAt(b("a"), 3))?.value ?? b("?")), "2");
  assert.equal(fromUtf8((await kv.getAt(b("b"), 3))?.value ?? b("?")), "1");
  await assert.rejects(
    kv.getAt(b("a"), 2),
    (e: unknown) => e instanceof CompactedError && e.compactedRevision === 3,
  );
  await assert.rejects(kv.readHistory(2, all, { maxEvents: 10, prevKv: false }), CompactedError);
  const h = await kv.readHistory(3, all, { maxEvents: 10, prevKv: false });
  assert.deepEqual(h.events.map((e) => `${e.type}@${e.kv.modRevision}`), [
    "put@3",
    "delete@4",
    "put@5",
  ]);
  // a@1 was removed from history and the index; a@2 stays (the state at 3).
  const lines = await dump(db);
  const history = lines.filter((l) => l.startsWith("16,0,0,0,0,0,0,0,1,3,"));
  assert.equal(history.length, 4, "history records at 2, 3, 4, 5 remain");
  const [again, future] = await applyAll(kv, [compact(3), compact(99)]);
  assert.equal(again.error?.code, ErrorCode.COMPACTED);
  assert.equal(again.error?.compactedRevision, 3n);
  assert.equal(future.error?.code, ErrorCode.FUTURE_REVISION);
  assert.equal(kv.compactedRevision, 3, "refused compactions changed nothing");
});

test("revisions: the compacted revision and history survive a reopen, and compaction resumes", async () => {
  const { kv, db, world } = await openKv();
  await applyAll(kv, [put("a", "1"), put("a", "2"), put("a", "3"), compact(3)]);
  await db.flush();
  await db.close();
  const { Db } = await import("../../src/storage/db.ts");
  const { KvStateMachine } = await import("../../src/kv/state_machine.ts");
  const third = await KvStateMachine.open(await Db.open(world.fs, "kv", { wal: false }));
  assert.deepEqual([third.revision, third.compactedRevision], [3, 3]);
  await third.compactor.idle();
  assert.equal(fromUtf8((await third.getAt(b("a"), 3))?.value ?? b("?")), "3");
  await assert.rejects(third.getAt(b("a"), 2), CompactedError);
});

test("revisions: compacting at a delete's revision keeps that delete for a watch from there", async () => {
  const { kv } = await openKv();
  await applyAll(kv, [put("a", "1"), put("a", "2"), del("a"), put("b", "1")]);
  await applyAll(kv, [compact(3)]);
  await kv.compactor.idle();
  const h = await kv.readHistory(3, all, { maxEvents: 10, prevKv: false });
  assert.deepEqual(h.events.map((e) => `${e.type}:${fromUtf8(e.kv.key)}@${e.kv.modRevision}`), [
    "delete:a@3",
    "put:b@4",
  ]);
  assert.equal(await kv.getAt(b("a"), 3), undefined);
  // A later compaction past the delete removes it: nothing at or after 4 needs it.
  await applyAll(kv, [put("c", "1"), compact(5)]);
  await kv.compactor.idle();
  const later = await kv.readHistory(5, all, { maxEvents: 10, prevKv: false });
  assert.deepEqual(later.events.map((e) => fromUtf8(e.kv.key)), ["c"]);
  assert.equal(kv.compactor.removed, 3, "a@1, a@2 and the delete a@3 removed; b@4 and c@5 kept");
});
