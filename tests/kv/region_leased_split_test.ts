/**
 * Keys attached to a lease stay in region 1 (src/kv/region_leased_keys.ts): a split whose
 * child would hold one is refused at apply, and the split check cuts after the last leased
 * key. Before, such a split applied, and region 1's revoke later deleted a key of the child's
 * range in region 1's apply, which a replica that installed region 1's image past the revoke
 * never did: the child's replicas differed (the whole-node simulator, seed 19 with regions).
 * Likewise a split whose child would hold a key a transaction holds locked
 * (src/kv/region_split_refusal.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeRegionOutcome, encodeRegionCommand } from "../../src/kv/region_command.ts";
import { RegionKv } from "../../src/kv/region_apply.ts";
import { firstKeyAfter, lastLeasedKey } from "../../src/kv/region_leased_keys.ts";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { Db } from "../../src/storage/db.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { encodeLock } from "../../src/txn/records.ts";
import { lockKey } from "../../src/txn/txn_keys.ts";
import { b, cmd, put } from "./kv_helpers.ts";

const grant = cmd({ body: { case: "leaseGrant", value: { ttlSeconds: 60, id: 7n } } });
const leased = (key: string) =>
  cmd({ body: { case: "put", value: { key: b(key), value: b("l"), lease: 7n } } });

function split(key: string, version: number, newRegionId: number): Uint8Array {
  return encodeRegionCommand({
    kind: "split",
    regionId: 1,
    epoch: { version, confVer: 1 },
    splitKey: b(key),
    newRegionId,
    replicas: [{ nodeId: 1, role: "voter" }],
  });
}

async function region1() {
  const world = createSimWorld(5);
  world.fs.mkdir("kv");
  const db = await Db.open(world.fs, "kv", { wal: false, seed: 1 });
  const r1 = await RegionKv.open(db, 1, { voters: [1] });
  r1.kv.garbage.stop();
  const run = async (data: Uint8Array) => {
    const index = r1.kv.appliedIndex + 1;
    const outcomes = await r1.apply([{ index, data }]);
    return decodeRegionOutcome(outcomes.get(index) ?? new Uint8Array());
  };
  for (const c of [grant, put("a", "1"), put("f", "1"), leased("k"), put("p", "1")]) await run(c);
  return { db, r1, run };
}

test("a split whose child would hold a key attached to a lease is refused, nothing changed", async () => {
  const { r1, run } = await region1();
  const refused = await run(split("c", 1, 2));
  assert.equal(refused?.kind, "invalid");
  assert.match(refused?.kind === "invalid" ? refused.message : "", /attached to a lease/);
  assert.equal(r1.descriptor.epoch.version, 1, "the region did not split");
  assert.equal(r1.descriptor.end.length, 0);
  // A split past the leased key applies: the child holds no leased key.
  const done = await run(split("m", 1, 2));
  assert.equal(done?.kind, "split");
  assert.equal(fromUtf8(r1.descriptor.end), "m");
});

test("the split check's cut moves past the region's last leased key", async () => {
  const { db } = await region1();
  const whole = { start: new Uint8Array(0), end: new Uint8Array(0) };
  assert.equal(fromUtf8(lastLeasedKey(db, whole) ?? b("none")), "k");
  assert.equal(lastLeasedKey(db, { start: b("l"), end: new Uint8Array(0) }), undefined);
  assert.equal(fromUtf8(firstKeyAfter(db, whole, b("k")) ?? b("none")), "p");
  assert.equal(firstKeyAfter(db, whole, b("p")), undefined, "no key after the last one");
  assert.equal(firstKeyAfter(db, { start: b("a"), end: b("m") }, b("k")), undefined);
});

test("a split whose child would hold a key a transaction holds locked is refused until it ends", async () => {
  const { db, r1, run } = await region1();
  // A prewrite's lock on "q" (as a Txn entry writes it): its commit must not land in a child.
  const lock = { kind: "put" as const, startTs: 900, primary: b("a"), ttlMs: 3000, lockedAtMs: 1 };
  await db.write([{
    type: "put",
    key: lockKey(b("q")),
    value: encodeLock({ ...lock, value: b("v") }),
  }]);
  const refused = await run(split("m", 1, 2));
  assert.equal(refused?.kind, "invalid");
  assert.match(refused?.kind === "invalid" ? refused.message : "", /locked/);
  assert.equal(r1.descriptor.epoch.version, 1, "the region did not split");
  // A child past the lock takes no locked key: it applies.
  assert.equal((await run(split("r", 1, 2)))?.kind, "split");
  // Once the transaction ended (its lock gone), the split at "m" applies too.
  await db.write([{ type: "del", key: lockKey(b("q")) }]);
  assert.equal((await run(split("m", 2, 3)))?.kind, "split");
  assert.equal(fromUtf8(r1.descriptor.end), "m");
});
