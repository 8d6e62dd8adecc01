/**
 * The transactional requests and answers as bytes (src/txn/txn_codec.ts), and the routed
 * client's bounded retries (src/txn/routed_txn_client.ts): every kind round-trips, malformed
 * bytes are DecodeErrors, and each limit (TXN_COMMAND_BYTES_MAX, TXN_ROUTE_ATTEMPTS_MAX) refuses.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { TXN_COMMAND_BYTES_MAX, TXN_ROUTE_ATTEMPTS_MAX } from "../../src/limits_ops.ts";
import {
  decodeTxnReply,
  decodeTxnRequest,
  encodeTxnReply,
  encodeTxnRequest,
  type TxnWriteReply,
  type TxnWriteRequest,
} from "../../src/txn/txn_codec.ts";
import {
  RoutedTxnClient,
  type TxnRefusal,
  type TxnRoute,
  TxnRouteError,
} from "../../src/txn/routed_txn_client.ts";
import { TxnInputError } from "../../src/txn/txn_types.ts";
import { DecodeError } from "../../src/util/coding.ts";
import { utf8 } from "../../src/util/bytes.ts";

const b = utf8;
const TS = 2 ** 40 + 5;
const LOCK = {
  key: b("k"),
  kind: "put" as const,
  startTs: TS,
  primary: b("p"),
  ttlMs: 3000,
  lockedAtMs: 1_800_000_000_000,
  value: b("secret"),
};

const REQUESTS: TxnWriteRequest[] = [
  {
    kind: "prewrite",
    mutations: [
      { kind: "put", key: b("a"), value: b("1") },
      { kind: "delete", key: b("b") },
      { kind: "lock", key: Uint8Array.of(0, 0xff, 0) },
    ],
    primary: b("a"),
    startTs: TS,
    lockTtlMs: 3000,
    nowMs: 1_800_000_000_000,
  },
  { kind: "commit", keys: [b("a"), b("b")], startTs: TS, commitTs: TS + 9 },
  {
    kind: "commit",
    keys: [b("a")],
    startTs: TS,
    commitTs: TS + 9,
    session: { clientId: 77, sequence: 3, outcome: b("answer") },
  },
  { kind: "rollback", keys: [b("a")], startTs: TS },
  { kind: "resolveLock", keys: [b("a")], startTs: TS, commitTs: TS + 1 },
  { kind: "resolveLock", keys: [b("a")], startTs: TS },
  { kind: "checkTxnStatus", primary: b("a"), startTs: TS, rollbackIfMissing: true, nowMs: 7 },
];

const REPLIES: TxnWriteReply[] = [
  { kind: "result", result: { ok: true } },
  { kind: "result", result: { ok: false, error: { kind: "locked", lock: LOCK } } },
  {
    kind: "result",
    result: { ok: false, error: { kind: "writeConflict", key: b("a"), commitTs: TS } },
  },
  { kind: "result", result: { ok: false, error: { kind: "rolledBack", key: b("a") } } },
  {
    kind: "result",
    result: { ok: false, error: { kind: "committed", key: b("a"), commitTs: TS } },
  },
  { kind: "result", result: { ok: false, error: { kind: "lockNotFound", key: b("a") } } },
  {
    kind: "result",
    result: { ok: false, error: { kind: "applied", key: b("a"), outcome: b("answer") } },
  },
  { kind: "status", status: { kind: "committed", commitTs: TS } },
  { kind: "status", status: { kind: "rolledBack" } },
  { kind: "status", status: { kind: "missing" } },
  { kind: "status", status: { kind: "locked", lock: LOCK } },
];

/** What an answer holds after the trip: a lock's value is not sent. */
function withoutLockValues(reply: TxnWriteReply): TxnWriteReply {
  const bare = { ...LOCK, value: new Uint8Array(0) };
  if (reply.kind === "status" && reply.status.kind === "locked") {
    return { kind: "status", status: { kind: "locked", lock: bare } };
  }
  if (reply.kind === "result" && !reply.result.ok && reply.result.error.kind === "locked") {
    return { kind: "result", result: { ok: false, error: { kind: "locked", lock: bare } } };
  }
  return reply;
}

test("txn codec: every request and answer round-trips; every truncation is a DecodeError", () => {
  for (const req of REQUESTS) {
    const bytes = encodeTxnRequest(req);
    assert.deepEqual(decodeTxnRequest(bytes), req);
    for (let n = 0; n < bytes.length; n++) {
      assert.throws(() => decodeTxnRequest(bytes.subarray(0, n)), DecodeError, `${req.kind} ${n}`);
    }
    assert.throws(() => decodeTxnRequest(Uint8Array.of(...bytes, 0)), DecodeError, "trailing");
  }
  for (const reply of REPLIES) {
    const bytes = encodeTxnReply(reply);
    assert.deepEqual(decodeTxnReply(bytes), withoutLockValues(reply));
    for (let n = 0; n < bytes.length; n++) {
      assert.throws(() => decodeTxnReply(bytes.subarray(0, n)), DecodeError);
    }
  }
  assert.throws(() => decodeTxnRequest(Uint8Array.of(1, 9)), DecodeError, "unknown kind");
  assert.throws(() => decodeTxnRequest(Uint8Array.of(2, 1)), DecodeError, "unknown version");
  assert.throws(() => decodeTxnReply(Uint8Array.of(1, 3)), DecodeError);
  const locked = encodeTxnReply(REPLIES[1]);
  assert.ok(!new TextDecoder().decode(locked).includes("secret"), "no uncommitted value sent");
  const badMutation = encodeTxnRequest(REQUESTS[0]);
  badMutation[badMutation.indexOf(2, 20)] = 9; // the delete's kind byte
  assert.throws(() => decodeTxnRequest(badMutation), DecodeError);
});

test("txn codec: a request over TXN_COMMAND_BYTES_MAX is refused both ways", () => {
  const value = new Uint8Array(1024 * 1024);
  const count = Math.ceil(TXN_COMMAND_BYTES_MAX / value.length) + 1;
  const mutations = Array.from({ length: count }, (_, i) => ({
    kind: "put" as const,
    key: b(`k${i}`),
    value,
  }));
  const req: TxnWriteRequest = {
    kind: "prewrite",
    mutations,
    primary: b("k0"),
    startTs: TS,
    lockTtlMs: 3000,
    nowMs: 1,
  };
  assert.throws(() => encodeTxnRequest(req), TxnInputError);
  assert.throws(() => decodeTxnRequest(new Uint8Array(TXN_COMMAND_BYTES_MAX + 1)), DecodeError);
});

const ROUTES: TxnRoute[] = [
  { id: 1, start: b(""), end: b("m"), epoch: { version: 2, confVer: 1 } },
  { id: 2, start: b("m"), end: b(""), epoch: { version: 2, confVer: 1 } },
];

function refusing(refusal: TxnRefusal) {
  const sent = { writes: 0, reads: 0, refreshes: 0 };
  const sender = {
    write: () => (sent.writes++, Promise.resolve(refusal)),
    read: () => (sent.reads++, Promise.resolve(refusal)),
    routes: () => (sent.refreshes++, Promise.resolve(ROUTES)),
  };
  return { sent, client: new RoutedTxnClient(sender, ROUTES, () => Promise.resolve()) };
}

test("routed client: TXN_ROUTE_ATTEMPTS_MAX tries on stale routes or no leader, then a retryable error", async () => {
  for (const kind of ["stale", "unavailable"] as const) {
    const { sent, client } = refusing({ kind });
    await assert.rejects(client.get(1, b("a"), TS), TxnRouteError);
    assert.equal(sent.reads, TXN_ROUTE_ATTEMPTS_MAX, kind);
    await assert.rejects(client.commit(1, [b("a"), b("z")], TS, TS + 1), TxnRouteError);
    assert.equal(sent.writes, 2 * TXN_ROUTE_ATTEMPTS_MAX, `${kind}: both regions each try`);
    assert.equal(sent.refreshes > 0, kind === "stale", "routes refreshed after a stale one only");
  }
  const { sent, client } = refusing({ kind: "invalid", message: "bad" });
  await assert.rejects(client.rollback(1, [b("a")], TS), TxnInputError);
  assert.equal(sent.writes, 1, "an invalid request is not retried");
});

test("routed client: a key without a route fetches the routes again, as a stale route", async () => {
  const sent = { writes: 0, reads: 0, refreshes: 0 };
  const ok = { kind: "result", result: { ok: true } } as const;
  const sender = {
    write: () => (sent.writes++, Promise.resolve(ok)),
    read: () => (sent.reads++, Promise.resolve({ kind: "get", get: { kind: "value" } } as const)),
    routes: () => (sent.refreshes++, Promise.resolve(ROUTES)),
  };
  // Only region 1's route is known at first (a node holding some regions: node_txn_sender.ts).
  const client = new RoutedTxnClient(sender, [ROUTES[0]], () => Promise.resolve());
  assert.equal(client.regionHint(b("z")), 0, "no region known yet: a hint of 0");
  assert.deepEqual(await client.get(0, b("z"), TS), { kind: "value" });
  assert.equal(sent.refreshes, 1);
  assert.equal(client.regionHint(b("z")), 2);
  assert.deepEqual(await client.commit(0, [b("a"), b("y")], TS, TS + 1), { ok: true });
  assert.equal(sent.writes, 2, "one commit a region");
  // Routes that never cover the key: bounded, then the retryable TxnRouteError.
  const none = new RoutedTxnClient(
    { ...sender, routes: () => Promise.resolve([ROUTES[0]]) },
    [ROUTES[0]],
    () => Promise.resolve(),
  );
  await assert.rejects(none.get(0, b("z"), TS), TxnRouteError);
  await assert.rejects(none.rollback(0, [b("z")], TS), TxnRouteError);
});
