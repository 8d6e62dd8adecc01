/**
 * Key expiry in the state machine (docs/decisions/0009-key-expiry.md): the
 * replicated time, expired keys absent at apply, Redis 7's EXPIRE conditions,
 * expire_keys, the expiry index, and reads.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ClientResponse } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { ExpireCondition, PutCondition } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import type { CommandInit } from "../../src/kv/command_codec.ts";
import { conditionHolds } from "../../src/kv/expire_apply.ts";
import { dueKeys } from "../../src/kv/expiry_index.ts";
import { KEY_EXPIRE_AT_MS_MAX } from "../../src/limits.ts";
import { regionKeys } from "../../src/kv/region_keys.ts";
import type { KvStateMachine } from "../../src/kv/state_machine.ts";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import type { Db } from "../../src/storage/db.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { applyAll, b, cmd, dump, openKv } from "./kv_helpers.ts";

type Body = NonNullable<CommandInit["body"]>;
const at = (ms: number, body: Body) => cmd({ proposedAtMs: BigInt(ms), body });
const putTtl = (key: string, value: string, ttlMs: number) =>
  ({ case: "put", value: { key: b(key), value: b(value), ttlMs: BigInt(ttlMs) } }) as const;
const plainPut = (key: string, value: string) =>
  ({ case: "put", value: { key: b(key), value: b(value) } }) as const;
const ttl = (key: string, ms: number, condition = ExpireCondition.UNSPECIFIED) =>
  ({
    case: "expire",
    value: { key: b(key), when: { case: "ttlMs", value: BigInt(ms) }, condition },
  }) as const;
const expireKeys = (...keys: string[]) =>
  ({ case: "expireKeys", value: { keys: keys.map(b) } }) as const;
const write = (r: ClientResponse) => {
  assert.equal(r.body.case, "write", JSON.stringify(r.error));
  return r.body.case === "write" ? r.body.value : assert.fail("not a write");
};

async function expiryIndex(db: Db): Promise<string[]> {
  const out: string[] = [];
  for await (const [k] of db.scan({ prefix: regionKeys().expiryPrefix })) {
    const e = regionKeys().parseExpiry(k);
    out.push(`${fromUtf8(e.key)}@${e.expireAtMs}`);
  }
  return out;
}

/** A log exercising every expiry path, with the leader's clock going back at entry 6. */
function log(): Uint8Array[] {
  return [
    at(1000, putTtl("a", "1", 500)),
    at(1100, putTtl("b", "2", 5000)),
    at(1200, plainPut("c", "3")),
    at(1300, ttl("c", 100)),
    at(1600, { case: "increment", value: { key: b("a"), delta: 1n } }),
    at(900, putTtl("d", "4", 50)), // a new leader whose clock is behind
    at(0, expireKeys("a", "b", "c", "d")), // an older build's entry: no time
    at(1700, expireKeys("a", "b", "c", "d")),
  ];
}

test("expiry: replicas applying the same log agree, in one pass or entry by entry", async () => {
  const one = await openKv(createSimWorld(1));
  const two = await openKv(createSimWorld(2));
  one.kv.wallClock = () => 0;
  two.kv.wallClock = () => 99_999_999; // a replica's own clock never enters apply
  await applyAll(one.kv, log());
  for (const entry of log()) await applyAll(two.kv, [entry]);
  assert.deepEqual(await dump(one.db), await dump(two.db));
  // a expired at 1500: the increment at 1600 created it anew (no expiry kept: it had none);
  // d got 1600 + 50 (time never went back to 900); c (1400) and d were swept at 1700.
  assert.equal(fromUtf8(one.kv.get(b("a"))?.value ?? b("")), "1");
  assert.equal(one.kv.get(b("a"))?.expireAtMs, 0);
  assert.equal(one.kv.get(b("a"))?.version, 1);
  assert.equal(one.kv.get(b("b"))?.expireAtMs, 6100);
  assert.equal(one.kv.get(b("c")), undefined);
  assert.equal(one.kv.get(b("d")), undefined);
  assert.equal(one.kv.keyCount, 2);
  assert.deepEqual(await expiryIndex(one.db), ["b@6100"]);
});

test("expiry: the replicated now never goes back, and entries without a time keep it", async () => {
  const { kv } = await openKv();
  await applyAll(kv, [at(5000, plainPut("x", "1"))]);
  const [behind, old] = await applyAll(kv, [
    at(3000, putTtl("k", "v", 1000)),
    at(0, putTtl("j", "v", 10)),
  ]);
  write(behind);
  write(old);
  assert.equal(kv.get(b("k"))?.expireAtMs, 6000);
  assert.equal(kv.get(b("j"))?.expireAtMs, 5010);
});

test("expiry: an expired key is absent for every command at apply", async () => {
  const { kv } = await openKv();
  await applyAll(kv, [at(1000, putTtl("k", "5", 100)), at(1000, putTtl("r/1", "x", 100))]);
  const nx = {
    case: "put",
    value: { key: b("k"), value: b("new"), condition: PutCondition.IF_ABSENT },
  } as const;
  const cas = {
    case: "compareAndSet",
    value: {
      key: b("k"),
      expect: { case: "expectedValue", value: b("5") },
      action: { case: "newValue", value: b("z") },
    },
  } as const;
  const [casOut, del, txn, nxOut] = await applyAll(kv, [
    at(1100, cas),
    at(1100, { case: "delete", value: { key: b("k") } }),
    at(1100, {
      case: "txn",
      value: {
        success: [{ op: { case: "range", value: { key: b("r/"), rangeEnd: b("r0") } } }],
      },
    }),
    at(1100, nx),
  ]);
  assert.equal(write(casOut).applied, false);
  assert.equal(write(del).existed, false);
  assert.equal(txn.body.case === "txn" && txn.body.value.results[0].result.case, "range");
  const range = txn.body.case === "txn" ? txn.body.value.results[0].result : undefined;
  assert.equal(range?.case === "range" && range.value.count, 0n);
  assert.equal(write(nxOut).applied, true);
  const k = kv.get(b("k"));
  assert.equal(k?.version, 1, "the put created the key anew");
  assert.equal(k?.createRevision, k?.modRevision);
  assert.equal(k?.expireAtMs, 0);
  assert.equal(kv.keyCount, 2, "the replaced record is not counted twice");
});

test("expiry: Redis 7 NX/XX/GT/LT (no expiry counts as infinite)", () => {
  const C = ExpireCondition;
  const table: [ExpireCondition, number, number, boolean][] = [
    [C.NX, 0, 10, true],
    [C.NX, 5, 10, false],
    [C.XX, 0, 10, false],
    [C.XX, 5, 10, true],
    [C.GT, 0, 10, false],
    [C.GT, 5, 10, true],
    [C.GT, 10, 5, false],
    [C.GT, 10, 10, false],
    [C.LT, 0, 10, true],
    [C.LT, 10, 5, true],
    [C.LT, 5, 10, false],
    [C.XX_LT, 0, 10, false],
    [C.XX_LT, 10, 5, true],
    [C.UNSPECIFIED, 10, 50, true],
  ];
  for (const [c, current, next, want] of table) {
    assert.equal(conditionHolds(c, current, next), want, `${C[c]} ${current} -> ${next}`);
  }
});

test("expiry: expire sets, persists, deletes when due, and answers applied as Redis 1/0", async () => {
  const { kv, db } = await openKv();
  await applyAll(kv, [at(1000, plainPut("k", "v"))]);
  const persist = {
    case: "expire",
    value: { key: b("k"), when: { case: "persist", value: true } },
  } as const;
  const outs = await applyAll(kv, [
    at(1000, persist), // no expiry to remove: 0
    at(1000, ttl("k", 500, ExpireCondition.XX)), // no expiry: 0
    at(1000, ttl("k", 500, ExpireCondition.NX)), // 1: expires at 1500
    at(1000, ttl("k", 400, ExpireCondition.GT)), // 1400 is not later: 0
    at(1000, ttl("k", 900, ExpireCondition.GT)), // 1900: 1
    at(1000, ttl("nope", 900)), // no key: 0
  ]);
  assert.deepEqual(outs.map((o) => write(o).applied), [false, false, true, false, true, false]);
  assert.equal(kv.get(b("k"))?.expireAtMs, 1900);
  assert.deepEqual(await expiryIndex(db), ["k@1900"]);
  const events = kv.drainEvents();
  assert.equal(events.at(-1)?.type, "put", "an expiry change is a put of the same value");
  assert.equal(write((await applyAll(kv, [at(1000, persist)]))[0]).applied, true);
  assert.equal(kv.get(b("k"))?.expireAtMs, 0);
  assert.deepEqual(await expiryIndex(db), []);
  const [gone] = await applyAll(kv, [at(1000, ttl("k", 0))]);
  assert.equal(write(gone).deleted, 1);
  assert.equal(kv.get(b("k")), undefined);
});

test("expiry: expire_keys deletes what is due, skips a key extended meanwhile", async () => {
  const { kv, db } = await openKv();
  await applyAll(kv, [at(1000, putTtl("a", "1", 100)), at(1000, putTtl("b", "2", 100))]);
  assert.deepEqual((await dueKeys(db, 1100, 10)).keys.map(fromUtf8), ["a", "b"]);
  kv.drainEvents();
  // The sweeper read both as due; before its command applies, b is extended.
  const [, swept] = await applyAll(kv, [at(1050, ttl("b", 1000)), at(1200, expireKeys("a", "b"))]);
  assert.equal(write(swept).deleted, 1);
  assert.equal(kv.get(b("a")), undefined);
  assert.equal(kv.get(b("b"))?.expireAtMs, 2050);
  const deletes = kv.drainEvents().filter((e) => e.type === "delete");
  assert.deepEqual(deletes.map((e) => fromUtf8(e.kv.key)), ["a"]);
  assert.equal(deletes[0].prev?.expireAtMs, 1100);
  assert.deepEqual(await expiryIndex(db), ["b@2050"]);
  assert.deepEqual(await dueKeys(db, 5000, 0), { keys: [], redisKeys: [] });
});

test("expiry: the index follows overwrite, keep-ttl, delete and lease revoke", async () => {
  const { kv, db } = await openKv();
  const keep = { case: "put", value: { key: b("k"), value: b("w"), keepTtl: true } } as const;
  await applyAll(kv, [at(1000, putTtl("k", "v", 100)), at(1000, putTtl("k", "v", 300))]);
  assert.deepEqual(await expiryIndex(db), ["k@1300"]);
  await applyAll(kv, [at(1000, keep)]);
  assert.equal(kv.get(b("k"))?.expireAtMs, 1300);
  assert.deepEqual(await expiryIndex(db), ["k@1300"]);
  await applyAll(kv, [at(1000, plainPut("k", "x"))]);
  assert.deepEqual(await expiryIndex(db), [], "a put without expiry clears it (Redis SET)");
  await applyAll(kv, [
    at(1000, putTtl("k", "v", 100)),
    at(1000, { case: "delete", value: { key: b("k") } }),
  ]);
  assert.deepEqual(await expiryIndex(db), []);
  await applyAll(kv, [
    at(1000, { case: "leaseGrant", value: { id: 7n, ttlSeconds: 60 } }),
    at(1000, { case: "put", value: { key: b("l"), value: b("v"), lease: 7n, ttlMs: 10n } }),
    at(2000, { case: "leaseRevoke", value: { id: 7n } }),
  ]);
  assert.deepEqual(await expiryIndex(db), [], "revoke deletes the lease's expired keys too");
  assert.equal(kv.keyCount, 0);
});

test("expiry: reads hide keys expired by max(wall clock, applied time)", async () => {
  const { kv } = await openKv();
  await applyAll(kv, [at(1000, putTtl("a", "1", 100)), at(1000, plainPut("b", "2"))]);
  let wall = 0;
  kv.wallClock = () => wall;
  assert.ok(kv.get(b("a")) !== undefined, "the applied time (1000) is before the expiry");
  wall = 1100;
  assert.equal(kv.get(b("a")), undefined);
  assert.deepEqual((await kv.scan({})).items.map((s) => fromUtf8(s.key)), ["b"]);
  assert.equal(await kv.getAt(b("a"), kv.revision), undefined);
  wall = 0;
  await applyAll(kv, [at(1200, plainPut("c", "3"))]); // the replicated time passes it too
  assert.equal(kv.get(b("a")), undefined);
});

test("expiry: bad expiry requests are refused before they change anything", async () => {
  const { kv } = await openKv();
  const both = {
    case: "put",
    value: { key: b("k"), value: b("v"), ttlMs: 5n, keepTtl: true },
  } as const;
  const persistNx = {
    case: "expire",
    value: {
      key: b("k"),
      when: { case: "persist", value: true },
      condition: ExpireCondition.NX,
    },
  } as const;
  const many = expireKeys(...Array.from({ length: 257 }, (_, i) => `k${i}`));
  const outs = await applyAll(kv, [at(1, both), at(1, persistNx), at(1, many)]);
  assert.deepEqual(outs.map((o) => o.error?.code !== undefined), [true, true, true]);
  assert.equal(kv.keyCount, 0);
});

test("expiry: KEY_EXPIRE_AT_MS_MAX bounds an expiry and a TTL", async () => {
  const { kv } = await openKv();
  const putAt = (ms: number) =>
    ({ case: "put", value: { key: b("k"), value: b("v"), expireAtMs: BigInt(ms) } }) as const;
  const [ok, late, long] = await applyAll(kv, [
    at(1, putAt(KEY_EXPIRE_AT_MS_MAX)),
    at(1, putAt(KEY_EXPIRE_AT_MS_MAX + 1)),
    at(1, ttl("k", KEY_EXPIRE_AT_MS_MAX + 1)),
  ]);
  assert.equal(write(ok).applied, true);
  assert.match(late.error?.message ?? "", /at most/);
  assert.match(long.error?.message ?? "", /at most/);
  assert.equal(kv.get(b("k"))?.expireAtMs, KEY_EXPIRE_AT_MS_MAX);
});

export type { KvStateMachine };
