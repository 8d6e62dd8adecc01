/**
 * A node's reads at a start timestamp of keys in regions it does not hold (keys_at.ts,
 * keys_at_codec.ts; docs/transactions.md "On a node holding some regions"): the codec round-trips
 * and refuses malformed bytes; a region answering more than TXN_CROSS_REGION_BYTES_MAX is
 * TOO_LARGE; keys held here are served here and the rest sent one request a region, routed again
 * after a stale route, retried after a passing refusal at most TXN_ROUTE_ATTEMPTS_MAX times (then
 * UNAVAILABLE), anything else not retried; a Redis run's view serves the fetched records only.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { indexKey, indexKeyEnd } from "../../src/kv/mvcc_keys.ts";
import { metaKey } from "../../src/kv/redis/keys.ts";
import { TXN_CROSS_REGION_BYTES_MAX, TXN_CROSS_REGION_KEYS_MAX } from "../../src/limits_ops.ts";
import { ServiceError } from "../../src/server/kv_service.ts";
import {
  encodeServed,
  type KeysAtDeps,
  readKeysAt,
  viewOf,
} from "../../src/server/node/keys_at.ts";
import {
  decodeKeysAt,
  decodeKeysAtReply,
  encodeKeysAt,
  encodeKeysAtReply,
  isKeysAt,
  type KeyAt,
} from "../../src/server/node/keys_at_codec.ts";
import { TXN_ROUTE_ATTEMPTS_MAX } from "../../src/limits_ops.ts";
import { encodeTxnRead } from "../../src/txn/txn_read_codec.ts";
import type { TxnRoute } from "../../src/txn/routed_txn_client.ts";
import { fromUtf8, toHex, utf8 } from "../../src/util/bytes.ts";
import { ByteWriter, DecodeError } from "../../src/util/coding.ts";

const b = utf8;
const TS = 2 ** 44 + 7;

function stateOf(k: string, v: string, rev: number) {
  return {
    key: b(k),
    value: b(v),
    createRevision: rev - 1,
    modRevision: rev,
    version: 2,
    lease: 0,
    expireAtMs: 0,
  };
}

const AT: KeyAt[] = [
  { state: stateOf("a", "1", TS - 3), meta: undefined, indexTop: undefined, token: 9 },
  { state: undefined, meta: b("hash-meta"), indexTop: [b("ik"), b("iv")], token: 0 },
  { state: undefined, meta: undefined, indexTop: [indexKey(b("c"), 40), b("")], token: 80 },
];

test("keys at: requests and replies round-trip; malformed bytes are DecodeErrors", () => {
  const req = { ts: TS, db: 3, keys: [b("a"), b(""), b("zz")] };
  assert.ok(isKeysAt(encodeKeysAt(req)));
  assert.deepEqual(decodeKeysAt(encodeKeysAt(req)), req);
  assert.deepEqual(decodeKeysAtReply(encodeKeysAtReply(AT)), AT);
  // A Percolator read is told apart by its head.
  assert.equal(isKeysAt(encodeTxnRead({ kind: "get", key: b("a"), ts: TS })), false);
  for (const bytes of [encodeKeysAt(req), encodeKeysAtReply(AT)]) {
    for (let n = 0; n < bytes.length; n++) {
      assert.throws(() => decodeKeysAt(bytes.subarray(0, n)), DecodeError, `request cut at ${n}`);
      assert.throws(() => decodeKeysAtReply(bytes.subarray(0, n)), DecodeError, `reply at ${n}`);
    }
    const longer = new Uint8Array([...bytes, 0]);
    assert.throws(() => decodeKeysAt(longer), DecodeError);
    assert.throws(() => decodeKeysAtReply(longer), DecodeError);
  }
  const many = new ByteWriter(16).u8(1).u8(4).varint(TS).varint(0);
  assert.throws(
    () => decodeKeysAt(many.varint(TXN_CROSS_REGION_KEYS_MAX + 1).finish()),
    DecodeError,
  );
  const badTag = new ByteWriter(16).u8(1).u8(4).varint(1).u8(7).finish();
  assert.throws(() => decodeKeysAtReply(badTag), DecodeError);
});

test("keys at: a region answering more than TXN_CROSS_REGION_BYTES_MAX is TOO_LARGE", () => {
  const big = new Uint8Array(TXN_CROSS_REGION_BYTES_MAX);
  const at = (value: Uint8Array): KeyAt => ({
    state: { ...stateOf("a", "", 5), value },
    meta: undefined,
    indexTop: undefined,
    token: 11,
  });
  assert.throws(
    () => encodeServed([at(big)]),
    (e: unknown) => e instanceof ServiceError && e.code === ErrorCode.TOO_LARGE,
  );
  assert.deepEqual(decodeKeysAtReply(encodeServed([at(big.subarray(0, 1024))]))[0].token, 11);
});

const ROUTE: TxnRoute = { id: 5, start: b("m"), end: b(""), epoch: { version: 3, confVer: 2 } };

/** Keys below "m" held here; the rest in region 5, whose answers `answer` gives, in turn. */
function fake(answer: (n: number) => ServiceError | undefined) {
  const calls = { served: 0, sent: 0, routed: 0, slept: 0 };
  const served = (keys: readonly Uint8Array[]): KeyAt[] =>
    keys.map((k) => ({
      state: stateOf(fromUtf8(k), `v-${fromUtf8(k)}`, 10),
      meta: undefined,
      indexTop: undefined,
      token: 21,
    }));
  const deps: KeysAtDeps = {
    holds: (k) => fromUtf8(k) < "m",
    serve: (req) => (calls.served++, Promise.resolve(served(req.keys))),
    routeOf: () => (calls.routed++, Promise.resolve(ROUTE)),
    send: (_route, request) => {
      const err = answer(++calls.sent);
      if (err !== undefined) return Promise.reject(err);
      return Promise.resolve(encodeKeysAtReply(served(decodeKeysAt(request).keys)));
    },
    sleep: () => (calls.slept++, Promise.resolve()),
  };
  return { calls, deps };
}

test("keys at: held keys read here, the rest one request a region; stale routes routed again", async () => {
  const keys = ["x", "a", "y", "b"].map(b);
  const stale = new ServiceError(ErrorCode.EPOCH_NOT_MATCH, "split");
  const { calls, deps } = fake((n) => n === 1 ? stale : undefined);
  const got = await readKeysAt(deps, keys, TS);
  assert.deepEqual(got.map((a) => fromUtf8(a.state?.value ?? b(""))), ["v-x", "v-a", "v-y", "v-b"]);
  assert.deepEqual(calls, { served: 1, sent: 2, routed: 4, slept: 0 }, "one send a try, no wait");
  // More keys of one region than a request carries: several requests.
  const many = fake(() => undefined);
  const names = Array.from({ length: TXN_CROSS_REGION_KEYS_MAX + 1 }, (_, i) => b(`x${i}`));
  const all = await readKeysAt(many.deps, names, TS);
  assert.deepEqual(all.map((a) => fromUtf8(a.state?.key ?? b(""))), names.map(fromUtf8));
  assert.equal(many.calls.sent, 2);
  // All held here: served at once, nothing routed.
  const local = fake(() => undefined);
  await readKeysAt(local.deps, [b("a")], TS);
  assert.deepEqual(local.calls, { served: 1, sent: 0, routed: 0, slept: 0 });
});

test("keys at: passing refusals retried TXN_ROUTE_ATTEMPTS_MAX times, then UNAVAILABLE", async () => {
  const { calls, deps } = fake(() => new ServiceError(ErrorCode.NOT_LEADER, "moved"));
  await assert.rejects(
    readKeysAt(deps, [b("a"), b("x")], TS),
    (e: unknown) => e instanceof ServiceError && e.code === ErrorCode.UNAVAILABLE,
  );
  assert.equal(calls.sent, TXN_ROUTE_ATTEMPTS_MAX);
  assert.equal(calls.slept, TXN_ROUTE_ATTEMPTS_MAX - 1, "a backoff between tries");
  // Anything else is the answer at once.
  const large = fake(() => new ServiceError(ErrorCode.TOO_LARGE, "large"));
  await assert.rejects(
    readKeysAt(large.deps, [b("x")], TS),
    (e: unknown) => e instanceof ServiceError && e.code === ErrorCode.TOO_LARGE,
  );
  assert.equal(large.calls.sent, 1);
});

test("keys at: a Redis run's view serves the fetched meta records and index entries only", () => {
  const keys = [b("a"), b("h"), b("c")];
  const at = new Map(keys.map((k, i) => [toHex(k), AT[i]]));
  const view = viewOf(keys, at, 1234);
  assert.equal(view.now, 1234);
  assert.deepEqual(view.get(metaKey(0, b("h"))), b("hash-meta"));
  assert.equal(view.get(metaKey(0, b("a"))), undefined);
  assert.deepEqual([...view.scan(indexKey(b("c"), Number.MAX_SAFE_INTEGER), indexKeyEnd(b("c")))], [
    [indexKey(b("c"), 40), b("")],
  ]);
  assert.deepEqual([...view.scan(indexKey(b("a"), 1), indexKeyEnd(b("a")))], []);
  assert.equal(view.mayHaveTyped(0), true, "a fetched meta record: typed keys may exist");
  assert.equal(viewOf([b("a")], at, 0).mayHaveTyped(0), false);
});
