/**
 * A lone SET in database 0 runs straight on the apply pass's write set (apply_direct.ts).
 * It must leave exactly what the staged path leaves: the same replies, engine writes, key
 * counts, watch events, lease counts and budget used, over keys with and without an expiry
 * or a lease, with every SET option, and for every error (which must write nothing).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { RedisRequest } from "../../../src/gen/tinykv/v1/tinykv_pb.ts";
import { LeaseTable } from "../../../src/kv/lease_table.ts";
import { writesDirectly } from "../../../src/kv/redis/apply_direct.ts";
import { applyRedisRequest, requestBudget } from "../../../src/kv/redis/apply_request.ts";
import { RevisionWriter } from "../../../src/kv/revision_writer.ts";
import { WriteSet } from "../../../src/kv/write_set.ts";
import { KV_KEY_BYTES_MAX } from "../../../src/limits.ts";
import type { Db } from "../../../src/storage/db.ts";
import { utf8 } from "../../../src/util/bytes.ts";
import { createPrng } from "../../../src/util/prng.ts";
import { freshEngine } from "./seed_helpers.ts";

const NOW = 1_000_000;
const LEASE = 7;

const request = (args: (string | Uint8Array)[], db = 0): RedisRequest =>
  ({
    db,
    commands: [{ args: args.map((a) => typeof a === "string" ? utf8(a) : a) }],
    multi: false,
    watches: [],
  }) as unknown as RedisRequest;

/** An engine holding k0..k5: plain, with an expiry (one already past), and leased. */
async function engineWithKeys(): Promise<Db> {
  const { engine } = await freshEngine();
  const leases = new LeaseTable();
  const ws = new WriteSet(engine);
  leases.grant(LEASE, 60, ws);
  const w = new RevisionWriter(ws, 2, leases, NOW - 10);
  w.put(utf8("k0"), utf8("zero"), 0);
  w.put(utf8("k1"), utf8("one"), 0, undefined, NOW + 50_000);
  w.put(utf8("k2"), utf8("two"), 0, undefined, NOW - 1);
  w.put(utf8("k3"), utf8("three"), LEASE);
  w.put(utf8("k4"), utf8("four"), LEASE, undefined, NOW + 9_000);
  await engine.write(ws.ops());
  return engine;
}

/** Every observable result of applying `requests` in one pass, staged or not. */
function applyAll(engine: Db, requests: RedisRequest[], direct: boolean) {
  const leases = new LeaseTable();
  const boot = new WriteSet(engine);
  leases.grant(LEASE, 60, boot); // the table as the engine's writes left it
  leases.countKeys(LEASE, 2);
  const ws = new WriteSet(engine);
  const w = new RevisionWriter(ws, 3, leases, NOW);
  const outcomes = requests.map((r) => {
    // Without typedBase a request is always staged (the direct path needs to know db 0 has no
    // typed key); with it, a lone SET goes direct.
    const a = applyRedisRequest(r, w, () => 5, direct ? () => 0 : undefined, requestBudget(r));
    return { reply: a.reply, db: a.db, counts: [...a.counts], events: a.events, used: a.used };
  });
  const ops = ws.ops().map((o) => [o.type, [...o.key], o.type === "put" ? [...o.value] : null]);
  ops.sort((x, y) => JSON.stringify(x) < JSON.stringify(y) ? -1 : 1);
  return {
    outcomes,
    ops,
    size: ws.size,
    bytes: ws.bytes,
    keysDelta: ws.keysDelta,
    events: w.events,
    changed: w.changed,
    leaseKeys: leases.keyCount(LEASE),
  };
}

const SET_SHAPES: string[][] = [
  [],
  ["NX"],
  ["XX"],
  ["GET"],
  ["KEEPTTL"],
  ["EX", "100"],
  ["PX", "5"],
  ["PXAT", String(NOW - 5)], // already past: the key is removed
  ["EXAT", String(NOW / 1000 + 30)],
  ["NX", "GET"],
  ["XX", "GET", "KEEPTTL"],
  ["EX", "0"], // invalid expire time
  ["NX", "XX"], // syntax error
  ["EX", "10", "PX", "10"], // syntax error
  ["KEEPTTL", "EX", "5"], // syntax error
  ["EX", "abc"], // not an integer
];

test("direct SET: the same writes, replies, events and counts as a staged one", async () => {
  const engine = await engineWithKeys();
  const prng = createPrng(14);
  for (let round = 0; round < 60; round++) {
    const requests: RedisRequest[] = [];
    for (let i = 0; i < 8; i++) {
      const key = `k${prng.int(6)}`;
      const pick = prng.int(10);
      if (pick === 0) requests.push(request(["DEL", key]));
      else if (pick === 1) requests.push(request(["GETSET", key, `g${i}`]));
      else {
        const name = ["SET", "set", "SeT"][prng.int(3)];
        const shape = SET_SHAPES[prng.int(SET_SHAPES.length)];
        requests.push(request([name, key, `v${round}.${i}`, ...shape]));
      }
    }
    const staged = applyAll(engine, requests, false);
    const direct = applyAll(engine, requests, true);
    assert.deepEqual(direct, staged, `round ${round}`);
  }
});

test("direct SET: a SET that answers an error writes nothing", async () => {
  const engine = await engineWithKeys();
  const long = new Uint8Array(KV_KEY_BYTES_MAX + 1).fill(0x61);
  const bad = [
    request(["SET", long, "v"]),
    request(["SET", "k0", "v", "EX", "0"]),
    request(["SET", "k0", "v", "BOGUS"]),
    request(["SET", "k1", "v", "GET", "PX", "-3"]),
  ];
  for (const r of bad) {
    assert.ok(writesDirectly(r, () => 0, requestBudget(r)), "taken directly");
    const direct = applyAll(engine, [r], true);
    assert.equal(direct.outcomes[0].reply.k, "array");
    assert.deepEqual(direct.ops, []);
    assert.deepEqual(direct.outcomes[0].used, { ops: 0, bytes: 0 });
    assert.deepEqual(direct, applyAll(engine, [r], false));
  }
});

test("direct SET: only a lone SET on database 0 with room in its budget and no typed keys", () => {
  const set = request(["set", "k", "v"]);
  const budget = requestBudget(set);
  assert.ok(writesDirectly(set, () => 0, budget));
  assert.ok(!writesDirectly(set, () => 1, budget), "database 0 holds a typed key");
  assert.ok(!writesDirectly(set, undefined, budget), "typed keys unknown");
  assert.ok(!writesDirectly(request(["set", "k", "v"], 1), () => 0, budget), "database 1");
  assert.ok(!writesDirectly(request(["SETNX", "k", "v"]), () => 0, budget));
  assert.ok(!writesDirectly(request(["SEX", "k", "v"]), () => 0, budget));
  assert.ok(!writesDirectly(request(["SET", "k"]), () => 0, budget), "wrong arity: staged");
  assert.ok(!writesDirectly({ ...set, multi: true } as RedisRequest, () => 0, budget));
  const two = { ...set, commands: [...set.commands, ...set.commands] } as RedisRequest;
  assert.ok(!writesDirectly(two, () => 0, budget), "two commands");
  assert.ok(!writesDirectly(set, () => 0, { ops: 7, bytes: budget.bytes }), "ops left");
  assert.ok(!writesDirectly(set, () => 0, { ops: budget.ops, bytes: 500 }), "bytes left");
});
