/**
 * A region's snapshot (docs/formats.md#kv-snapshot-stream): its local records and the
 * user-keyed records of its key span, nothing of another region and nothing out of the span.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { exportSnapshot, SnapshotImporter } from "../../src/kv/kv_snapshot.ts";
import { parseIndexKey, parseLeaseAttachment } from "../../src/kv/mvcc_keys.ts";
import { keyOfMeta } from "../../src/kv/redis/keys.ts";
import { regionKeys } from "../../src/kv/region_keys.ts";
import { inSpan, type KeySpan } from "../../src/kv/snapshot_ranges.ts";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { Db } from "../../src/storage/db.ts";
import { lockKey, parseLockKey, parseWriteKey, writeKey } from "../../src/txn/txn_keys.ts";
import { equalBytes } from "../../src/util/bytes.ts";
import { applyAll, b, cmd, openKv, put } from "./kv_helpers.ts";
import { redis } from "./redis/seed_helpers.ts";

const R1 = regionKeys(1), R2 = regionKeys(2);
const KEYS = ["a", "f\xff", "g", "g\0", "g\0\0x", "h", "o", "o\xff", "p", "p\0", "z"];

/** The user key of a shared entry, or undefined for the meta namespace and region-local ones. */
function userKeyOf(k: Uint8Array): Uint8Array | undefined {
  switch (k[0]) {
    case 0x02:
      return k.subarray(1);
    case 0x04:
      return parseIndexKey(k).key;
    case 0x06:
      return parseLeaseAttachment(k).key;
    case 0x08:
      return keyOfMeta(k);
    case 0x09:
      return unescapeMember(k);
    case 0x0c:
      return parseLockKey(k);
    case 0x0d:
      return parseWriteKey(k).key;
  }
  return undefined;
}

/** `0x09 db escaped(key) 00 01 …`: the key. */
function unescapeMember(k: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 2; i < k.length; i++) {
    if (k[i] !== 0) out.push(k[i]);
    else if (k[i + 1] === 0xff) (out.push(0), i++);
    else return new Uint8Array(out);
  }
  throw new Error("unterminated member key");
}

async function source(): Promise<Db> {
  const { db, kv } = await openKv(createSimWorld(3));
  const lease = cmd({ body: { case: "leaseGrant", value: { ttlSeconds: 60, id: 0n } } });
  await applyAll(kv, [lease]);
  const withLease = (key: Uint8Array) =>
    cmd({ body: { case: "put", value: { key, value: b("v"), lease: 1n } } });
  const log: Uint8Array[] = [];
  for (const key of KEYS) {
    log.push(put(key, "first"), withLease(b(key)));
    log.push(redis(3, 1000, ["hset", `${key}-hash`, "f", "v"]));
  }
  log.push(redis(0, 1000, ["sadd", "m-set", "x"]), redis(0, 1000, ["sadd", "q-set", "x"]));
  await applyAll(kv, log);
  const txn = KEYS.flatMap((key) => [
    { type: "put" as const, key: lockKey(b(key)), value: b("lock") },
    { type: "put" as const, key: writeKey(b(key), 5), value: b("write") },
  ]);
  // Another region's local records on the same engine.
  await db.write([...txn, { type: "put", key: R2.applied, value: new Uint8Array(8) }]);
  return db;
}

async function snapshotOf(src: Db, span: KeySpan): Promise<[Uint8Array, Uint8Array][]> {
  const world = createSimWorld(4);
  world.fs.mkdir("dst");
  const dst = await Db.open(world.fs, "dst", { wal: false });
  const importer = new SnapshotImporter(dst);
  for await (const piece of exportSnapshot(src, 1024, { region: R1, span })) {
    await importer.push(piece);
  }
  await importer.finish();
  return [...dst.scanSync()];
}

const starts = (k: Uint8Array, prefix: Uint8Array) =>
  equalBytes(k.subarray(0, prefix.length), prefix);

test("region snapshot: a sub-range holds that range's shared records and region 1's own", async () => {
  const src = await source();
  const all = [...src.scanSync()];
  for (
    const span of [{ start: b("g"), end: b("p") }, { start: b("o\xff"), end: new Uint8Array(0) }]
  ) {
    const got = await snapshotOf(src, span);
    const want = all.filter(([k]) => {
      if (k[0] === 0x00 || k[0] === 0x05) return true; // node-global meta, leases
      if (starts(k, R1.prefix)) return true;
      const key = userKeyOf(k);
      return key !== undefined && inSpan(span, key);
    });
    assert.deepEqual(got, want);
    const outside = all.filter(([k]) => userKeyOf(k) !== undefined).length -
      got.filter(([k]) => userKeyOf(k) !== undefined).length;
    assert.ok(outside > 20, `shared records out of the span were left out (${outside})`);
    const shared = got.flatMap(([k]) => (userKeyOf(k) === undefined ? [] : [k[0]]));
    assert.deepEqual(new Set(shared), new Set([2, 4, 6, 8, 9, 0x0c, 0x0d]), "every namespace");
    assert.ok(!got.some(([k]) => starts(k, R2.prefix)), "nothing of region 2");
    assert.ok(got.some(([k]) => equalBytes(k, R1.applied)), "region 1's applied index");
  }
  // The whole keyspace leaves out only the other region.
  const whole = await snapshotOf(src, { start: new Uint8Array(0), end: new Uint8Array(0) });
  const text = (entries: [Uint8Array, Uint8Array][]) => entries.map(([k]) => k.join(","));
  assert.deepEqual(text(whole), text(all.filter(([k]) => !starts(k, R2.prefix))));
  await src.close();
});
