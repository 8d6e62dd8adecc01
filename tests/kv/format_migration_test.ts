import { test } from "node:test";
import assert from "node:assert/strict";
import { dataKey, encodeApplied } from "../../src/kv/keyspace.ts";
import { legacyMetaKey } from "../../src/kv/region_migration.ts";
import { KvStateMachine } from "../../src/kv/state_machine.ts";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { Db } from "../../src/storage/db.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { ByteWriter } from "../../src/util/coding.ts";
import { applyAll, b, put } from "./kv_helpers.ts";

/** A current record as builds before revisions wrote it: varint Raft index, then the value. */
const format1 = (index: number, value: string) =>
  new ByteWriter(16).varint(index).bytes(b(value)).finish();

test("format: a store written before revisions opens with each key at its write's index", async () => {
  const world = createSimWorld(1);
  world.fs.mkdir("kv");
  const db = await Db.open(world.fs, "kv", { wal: false });
  // Keys a and b came from one batch at index 7; c from index 9.
  await db.write([
    { type: "put", key: dataKey(b("a")), value: format1(7, "A") },
    { type: "put", key: dataKey(b("b")), value: format1(7, "B") },
    { type: "put", key: dataKey(b("c")), value: format1(9, "C") },
    { type: "put", key: legacyMetaKey("applied"), value: encodeApplied(12) },
  ]);
  const kv = await KvStateMachine.open(db);
  const a = kv.get(b("a"));
  assert.deepEqual(
    a && [fromUtf8(a.value), a.createRevision, a.modRevision, a.version, a.lease],
    ["A", 7, 7, 1, 0],
  );
  assert.deepEqual([kv.appliedIndex, kv.revision, kv.compactedRevision], [12, 9, 9]);
  const at9 = await kv.rangeAt({ key: new Uint8Array(0), rangeEnd: new Uint8Array([0]) }, 9, 10);
  assert.deepEqual(at9.states.map((s) => fromUtf8(s.value)), ["A", "B", "C"]);
  // It goes on as a format-2 store: a reopen does not migrate again.
  await applyAll(kv, [put("a", "A2")]);
  await db.flush();
  await db.close();
  const again = await KvStateMachine.open(await Db.open(world.fs, "kv", { wal: false }));
  assert.deepEqual([again.get(b("a"))?.version, again.get(b("c"))?.modRevision], [2, 9]);
});
