/**
 * The Redis commands over a transaction across regions' storage (src/kv/redis/txn_storage.ts):
 * they read database 0's strings as of the start timestamp with their own writes over them,
 * answer as at apply, and leave their writes as puts and deletes; what the commit cannot carry
 * (expiry, hashes and sets, other databases, key counts, PUBLISH, unnamed keys) throws
 * NotAcrossRegions.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runRedis } from "../../../src/kv/redis/executor.ts";
import { metaKey } from "../../../src/kv/redis/keys.ts";
import { encodeMeta, RedisType } from "../../../src/kv/redis/meta_record.ts";
import type { RedisReply } from "../../../src/kv/redis/reply.ts";
import { NotAcrossRegions, TxnRedisStorage } from "../../../src/kv/redis/txn_storage.ts";
import type { KeyState } from "../../../src/kv/key_state.ts";
import { fromUtf8, toHex, utf8 } from "../../../src/util/bytes.ts";

const START = 1_000;

function state(key: string, value: string, expireAtMs = 0): KeyState {
  const k = utf8(key);
  return {
    key: k,
    value: utf8(value),
    createRevision: 5,
    modRevision: 7,
    version: 2,
    lease: 0,
    expireAtMs,
  };
}

/** A storage over `strings` (absent: named but missing) and `metas` (database 0's typed keys). */
function storageOf(
  named: string[],
  strings: KeyState[],
  metas = new Map<string, Uint8Array>(),
): TxnRedisStorage {
  const snapshot = new Map<string, KeyState | undefined>(
    named.map((k) => [toHex(utf8(k)), undefined]),
  );
  for (const s of strings) snapshot.set(toHex(s.key), s);
  const local = {
    now: 50_000,
    get: (k: Uint8Array) => metas.get(toHex(k)),
    scan: () => [],
    mayHaveTyped: () => metas.size > 0,
  };
  return new TxnRedisStorage(local, snapshot, named.map(utf8), START);
}

function exec(s: TxnRedisStorage, multi: boolean, ...commands: string[][]) {
  const run = { db: 0, commands: commands.map((c) => c.map(utf8)), multi, watches: [] };
  return runRedis(run, s).reply;
}

function shown(r: RedisReply): unknown {
  switch (r.k) {
    case "bulk":
      return fromUtf8(r.b);
    case "int":
      return Number(r.n);
    case "array":
      return r.items.map(shown);
    case "simple":
    case "error":
      return r.s;
    default:
      return r.k;
  }
}

function writes(s: TxnRedisStorage): [string, string | undefined][] {
  return s.writes().map((w) => [fromUtf8(w.key), w.value && fromUtf8(w.value)]);
}

test("txn storage: string commands read the snapshot and their own writes", () => {
  const s = storageOf(["a", "b", "c", "d"], [state("a", "x"), state("b", "5")]);
  const reply = exec(
    s,
    true,
    ["INCR", "a"],
    ["INCRBY", "b", "5"],
    ["GETSET", "c", "new"],
    ["COPY", "b", "d"],
    ["MSETNX", "a", "1", "c", "2"],
    ["RENAME", "a", "c"],
    ["EXISTS", "a", "b", "c", "d"],
    ["GET", "c"],
  );
  assert.deepEqual(shown(reply), [
    "ERR value is not an integer or out of range",
    10,
    "null",
    1,
    0,
    "OK",
    3,
    "x",
  ]);
  assert.deepEqual(writes(s), [["a", undefined], ["b", "10"], ["c", "x"], ["d", "10"]]);
});

test("txn storage: a WATCHed key changed since answers the null array, writing nothing", () => {
  const s = storageOf(["a", "b"], [state("a", "x")]);
  const watches = [{ db: 0, key: utf8("a"), revision: 2 * 6 + 1 }];
  const run = { db: 0, commands: [["SET", "b", "1"].map(utf8)], multi: true, watches };
  assert.equal(runRedis(run, s).reply.k, "nullArray");
  assert.deepEqual(writes(s), []);
  const same = storageOf(["a", "b"], [state("a", "x")]);
  const unchanged = { ...run, watches: [{ db: 0, key: utf8("a"), revision: 2 * 7 + 1 }] };
  assert.deepEqual(shown(runRedis(unchanged, same).reply), ["OK"]);
  assert.deepEqual(writes(same), [["b", "1"]]);
});

test("txn storage: a hash is read (WRONGTYPE) but not written", () => {
  const metas = new Map([[
    toHex(metaKey(0, utf8("h"))),
    encodeMeta({
      type: RedisType.Hash,
      gen: { revision: 3, sub: 0 },
      modRevision: 3,
      expireAtMs: 0,
      count: 1,
      value: new Uint8Array(0),
    }),
  ]]);
  const s = storageOf(["h", "b"], [], metas);
  assert.deepEqual(shown(exec(s, true, ["GET", "h"], ["SET", "b", "1"])), [
    "WRONGTYPE Operation against a key holding the wrong kind of value",
    "OK",
  ]);
  assert.throws(
    () => exec(storageOf(["h"], [], metas), false, ["SET", "h", "1"]),
    NotAcrossRegions,
  );
});

test("txn storage: what a commit cannot carry is refused", () => {
  const refused = (named: string[], strings: KeyState[], ...commands: string[][]) =>
    assert.throws(() => exec(storageOf(named, strings), true, ...commands), NotAcrossRegions);
  refused(["a"], [], ["SET", "a", "1", "EX", "10"]);
  refused(["a"], [state("a", "1")], ["EXPIRE", "a", "10"]);
  refused(["a", "b"], [state("a", "1", 90_000)], ["RENAME", "a", "b"]);
  refused(["a"], [], ["HSET", "a", "f", "v"]);
  refused(["a"], [], ["SADD", "a", "m"]);
  refused(["a"], [], ["SELECT", "1"], ["SET", "a", "1"]);
  refused(["a"], [], ["DBSIZE"]);
  refused(["a"], [], ["PUBLISH", "ch", "m"]);
  const s = storageOf(["a"], []);
  assert.throws(() => s.stringOf0(utf8("unnamed")), NotAcrossRegions);
  assert.throws(() => s.get(metaKey(1, utf8("a"))), NotAcrossRegions);
});
