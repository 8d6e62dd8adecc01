/** The split primitive at the storage level (src/kv/region_split.ts, docs/regions.md). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dueKeys } from "../../src/kv/expiry_index.ts";
import { regionKeys } from "../../src/kv/region_keys.ts";
import { splitRegion } from "../../src/kv/region_split.ts";
import { KvStateMachine } from "../../src/kv/state_machine.ts";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import type { WriteOp } from "../../src/storage/db.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { applyAll, b, cmd, openKv, put } from "./kv_helpers.ts";
import { redis } from "./redis/seed_helpers.ts";

const putTtl = (key: string) =>
  cmd({
    proposedAtMs: 1000n,
    body: { case: "put", value: { key: b(key), value: b("v"), ttlMs: 1000n } },
  });
const WHOLE = { key: new Uint8Array(0), rangeEnd: new Uint8Array([0]) };

test("region split: counts, sessions, revisions and expiry entries go to the right half", async () => {
  const { db, kv } = await openKv(createSimWorld(5));
  const retried = put("x", "1", { clientId: 7n, sequence: 1n });
  const log = [retried, put("a", "1"), put("b", "1"), put("n", "1"), putTtl("c"), putTtl("q")];
  log.push(redis(0, 1000, ["hset", "h-left", "f", "v"], ["pexpire", "h-left", "500"]));
  log.push(redis(0, 1000, ["hset", "s-right", "f", "v"], ["pexpire", "s-right", "500"]));
  log.push(redis(2, 1000, ["set", "z", "v", "px", "700"], ["set", "d", "v"]));
  const [saved] = await applyAll(kv, log);
  const revision = kv.revision;
  assert.deepEqual([kv.keyCount, kv.redisKeyCount(0), kv.redisKeyCount(2)], [6, 8, 2]);
  const batch: WriteOp[] = [];
  const plan = {
    parent: 1,
    child: 2,
    span: { start: new Uint8Array(0), end: new Uint8Array(0) },
    splitKey: b("m"),
    index: kv.appliedIndex + 1,
  };
  // The parent's counts as its store meta holds them: db 0's strings are the keys, not meta.
  const redisKeys = Array.from({ length: 16 }, (_, d) => kv.redisKeyCount(d));
  redisKeys[0] -= kv.keyCount;
  // The counts walk keys only, the left half only, and only namespaces the parent has keys in
  // (user keys, Redis databases 0 and 2): three walks.
  const walks: { keysOnly?: boolean; start: Uint8Array }[] = [];
  const reader = {
    get: (k: Uint8Array) => db.get(k),
    scanSync: (o: { start: Uint8Array; end: Uint8Array; keysOnly?: boolean }) => {
      if (o.keysOnly === true) walks.push(o);
      return db.scanSync(o);
    },
  };
  const counts = splitRegion(reader, plan, batch, { keys: kv.keyCount, redisKeys });
  assert.deepEqual(walks.map((w) => [...w.start]), [[0x02], [0x08, 0], [0x08, 2]]);
  assert.deepEqual(counts.left.keys + counts.right.keys, 6);
  await db.write(batch);

  const left = await KvStateMachine.open(db, undefined, { regionId: 1 });
  const right = await KvStateMachine.open(db, undefined, { regionId: 2 });
  assert.deepEqual([left.keyCount, right.keyCount], [3, 3], "a b c | n q x");
  assert.deepEqual([left.redisKeyCount(0), right.redisKeyCount(0)], [4, 4], "h-left | s-right");
  assert.deepEqual([left.redisKeyCount(2), right.redisKeyCount(2)], [1, 1], "d | z");
  assert.deepEqual([right.appliedIndex, right.revision], [plan.index, revision]);
  assert.equal(right.compactedRevision, kv.compactedRevision);
  // The child's change feed starts empty; the parent keeps its own.
  const opts = { maxEvents: 100, prevKv: false };
  assert.equal((await right.readHistory(1, WHOLE, opts)).events.length, 0);
  assert.equal((await left.readHistory(1, WHOLE, opts)).events.length, 6);
  // Expiry entries of right-half keys moved; the left's stayed.
  const due = async (region: number) => {
    const d = await dueKeys(db, 9999, 10, regionKeys(region));
    return [...d.keys.map(fromUtf8), ...d.redisKeys.map((r) => `${r.db}:${fromUtf8(r.key)}`)];
  };
  assert.deepEqual(await due(1), ["c", "0:h-left"]);
  assert.deepEqual(await due(2), ["q", "0:s-right", "2:z"]);
  // Sessions were copied: a retried write is answered from either half.
  for (const half of [left, right]) {
    const [again] = await applyAll(half, [retried]);
    assert.deepEqual(again, saved);
  }
  await db.close();
});
