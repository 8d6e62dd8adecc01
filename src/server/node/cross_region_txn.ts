/**
 * The coordination API's `txn` and `batch` whose keys lie in more than one region, run by the
 * node that received them as a Percolator transaction (docs/transactions.md#on-nodes,
 * docs/decisions/0019-cross-region-txns-on-nodes.md):
 *
 * 1. a start timestamp from the oracle; every key the request compares, reads or writes is read
 *    at it (each region closed at it, the locks at or below it finished: node_reads.ts), here
 *    or, for a region this node does not hold, by that region's leader (keys_at.ts);
 * 2. the compares decide the branch; its puts and deletes are the writes, and every key compared
 *    or read but not written is locked lock-only, so a change to it after the start timestamp is
 *    a conflict (no write skew: the transaction is serializable, not only snapshot-isolated);
 * 3. prewrite on every region's leader (the first key in order is the primary), a commit
 *    timestamp, the primary's commit (the commit point), then the others'
 *    (`Transaction.commit`). Each region writes the committed values into its keyspace at the
 *    commit timestamp, which is the answer's revision.
 *
 * A conflict, or reads refused for a passing reason (a region split under them), is retried here
 * with a new start timestamp (`TXN_CROSS_REGION_ATTEMPTS`), then
 * answered UNAVAILABLE: nothing happened, the client may retry. An unknown commit outcome is
 * TIMEOUT. Not supported across regions (FAILED_PRECONDITION): a range or delete-range over
 * several keys, puts with a lease, an expiry, a condition or `return_previous`, and writing a key
 * attached to a lease.
 */
import { create } from "@bufbuild/protobuf";
import {
  type BatchRequest,
  ErrorCode,
  type TxnOp,
  type TxnOpResultSchema,
  type TxnRequest,
  TxnResponseSchema,
  WriteResponseSchema,
} from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { compareHolds } from "../../kv/txn_apply.ts";
import type { KeyState } from "../../kv/key_state.ts";
import { keyValueOf } from "../../kv/key_value_wire.ts";
import { TXN_CROSS_REGION_ATTEMPTS } from "../../limits_ops.ts";
import { encodeOutcome } from "../../kv/outcome_codec.ts";
import {
  Transaction,
  TxnAppliedError,
  TxnConflictError,
  TxnUndeterminedError,
} from "../../txn/coordinator.ts";
import { type RequestSession, savedAnswer, txnOptions } from "./txn_request_session.ts";
import {
  checkBytes,
  checkKeys,
  checkUnleased,
  opKey,
  writtenBytes,
} from "./cross_region_txn_checks.ts";
import { TxnLockedError } from "../../txn/lock_resolver.ts";
import { TxnRouteError } from "../../txn/routed_txn_client.ts";
import { compareBytes, toHex } from "../../util/bytes.ts";
import { type CommandOutcome, ServiceError } from "../kv_service.ts";
import {
  type CrossRegionTxnDeps,
  readAll,
  ReadRefusedError,
  startTimestamp,
} from "./cross_region_start.ts";

export type { CrossRegionTxnDeps } from "./cross_region_start.ts";

type OpResult = MessageInitShape<typeof TxnOpResultSchema>;

/** What the branch does to the transaction and answers, given the commit timestamp. */
function runOps(
  ops: readonly TxnOp[],
  seen: Map<string, KeyState | undefined>,
  txn: Transaction,
): (commitTs: number) => OpResult[] {
  const now = new Map(seen);
  const answers: ((commitTs: number) => OpResult)[] = [];
  for (const op of ops) {
    const o = op.op, key = opKey(op), hex = toHex(key), prev = now.get(hex);
    if (o.case === "put") {
      txn.put(key, o.value.value);
      const value = o.value.value;
      now.set(hex, {
        key,
        value,
        createRevision: prev?.createRevision ?? -1,
        modRevision: -1,
        version: (prev?.version ?? 0) + 1,
        lease: 0,
        expireAtMs: 0,
      });
      answers.push((ts) => ({
        result: { case: "put", value: { prevKv: prev === undefined ? undefined : kv(prev, ts) } },
      }));
    } else if (o.case === "deleteRange") {
      txn.delete(key);
      now.set(hex, undefined);
      const prevKvs = o.value.prevKv && prev !== undefined ? [prev] : [];
      const deleted = BigInt(prev === undefined ? 0 : 1);
      answers.push((ts) => ({
        result: { case: "deleteRange", value: { deleted, prevKvs: prevKvs.map((s) => kv(s, ts)) } },
      }));
    } else if (o.case === "range") {
      txn.lock(key);
      const r = o.value, s = prev;
      answers.push((ts) => {
        const shown = s === undefined || r.countOnly ? [] : [kv(s, ts, r.keysOnly)];
        const count = BigInt(s === undefined ? 0 : 1);
        return { result: { case: "range", value: { kvs: shown, more: false, count } } };
      });
    }
  }
  return (commitTs) => answers.map((a) => a(commitTs));
}

/** The lowest of `keys` (bytewise). */
function firstKey(keys: readonly Uint8Array[]): Uint8Array {
  return keys.reduce((a, b) => compareBytes(a, b) <= 0 ? a : b);
}

/** A state written earlier in the transaction carries -1 for revisions not known until now. */
function kv(s: KeyState, commitTs: number, keysOnly = false) {
  const at = (r: number) => r === -1 ? commitTs : r;
  const value = keysOnly ? new Uint8Array(0) : s.value;
  return keyValueOf({
    ...s,
    value,
    createRevision: at(s.createRevision),
    modRevision: at(s.modRevision),
  });
}

async function txnOnce(
  d: CrossRegionTxnDeps,
  req: TxnRequest,
  session: RequestSession | undefined,
): Promise<CommandOutcome> {
  const keys = [...req.compare.map((c) => c.key), ...[...req.success, ...req.failure].map(opKey)];
  checkKeys(keys);
  const env = d.env();
  const startTs = await startTimestamp(env);
  const seen = await readAll(d, keys, startTs);
  const succeeded = req.compare.every((c) => compareHolds(c, seen.get(toHex(c.key))));
  const branch = succeeded ? req.success : req.failure;
  checkUnleased(branch.flatMap((op) => op.op.case === "range" ? [] : [opKey(op)]), seen);
  let results: (commitTs: number) => OpResult[] = () => [];
  const answer = (revision: number): CommandOutcome => ({
    case: "txn",
    value: create(TxnResponseSchema, {
      succeeded,
      revision: BigInt(revision),
      results: results(revision),
    }),
  });
  const mayWrite = [...req.success, ...req.failure].some((op) =>
    op.op.case === "put" || op.op.case === "deleteRange"
  );
  const options = txnOptions(session, answer, mayWrite);
  const txn = new Transaction(env, startTs, options);
  // The primary (the first key prewritten) must be the same whichever branch runs, so that a
  // retry of the request finds the session its first attempt recorded there: the request's
  // first key is always prewritten (locked, if not written).
  if (options.commitReads === true && keys.length > 0) txn.lock(firstKey(keys));
  for (const c of req.compare) txn.lock(c.key);
  results = runOps(branch, seen, txn);
  checkBytes(writtenBytes(branch) + encodeOutcome({ body: answer(startTs) }).length);
  return answer(await txn.commit());
}

async function batchOnce(
  d: CrossRegionTxnDeps,
  req: BatchRequest,
  session: RequestSession | undefined,
): Promise<CommandOutcome> {
  checkKeys(req.ops.flatMap((o) => o.op.case === undefined ? [] : [o.op.value.key]));
  checkBytes(writtenBytes(req.ops));
  const env = d.env();
  let deleted = 0;
  const answer = (revision: number): CommandOutcome => ({
    case: "write",
    value: create(WriteResponseSchema, { applied: true, deleted, revision: BigInt(revision) }),
  });
  const txn = new Transaction(env, await startTimestamp(env), txnOptions(session, answer));
  const keys = req.ops.flatMap((o) => o.op.case === undefined ? [] : [o.op.value.key]);
  const seen = await readAll(d, keys, txn.startTs);
  checkUnleased(keys, seen);
  const existing = new Set<string>();
  for (const [hex, s] of seen) if (s !== undefined) existing.add(hex);
  for (const op of req.ops) {
    const o = op.op;
    if (o.case === "put") {
      txn.put(o.value.key, o.value.value);
      existing.add(toHex(o.value.key));
    } else if (o.case === "delete") {
      if (existing.delete(toHex(o.value.key))) deleted++;
      txn.delete(o.value.key);
    }
  }
  return answer(await txn.commit());
}

/**
 * Runs `once` until it does not conflict, at most TXN_CROSS_REGION_ATTEMPTS times, backing off
 * between tries (20 ms, 40 ms, ...) so that the holder of the conflicting locks can finish.
 */
export async function withRetries(
  d: CrossRegionTxnDeps,
  once: () => Promise<CommandOutcome>,
): Promise<CommandOutcome> {
  for (let attempt = 1;; attempt++) {
    try {
      return await once();
    } catch (err) {
      if (err instanceof TxnAppliedError) return savedAnswer(err);
      const again = err instanceof TxnConflictError || err instanceof TxnLockedError ||
        err instanceof ReadRefusedError;
      if (!again || attempt >= TXN_CROSS_REGION_ATTEMPTS) throw serviceErrorOf(err);
      await d.env().sleep(10 * 2 ** attempt);
    }
  }
}

function serviceErrorOf(err: unknown): unknown {
  if (err instanceof TxnConflictError || err instanceof TxnLockedError) {
    return new ServiceError(ErrorCode.UNAVAILABLE, `${err.message}; nothing was written, retry`);
  }
  if (err instanceof TxnRouteError || err instanceof ReadRefusedError) {
    return new ServiceError(ErrorCode.UNAVAILABLE, err.message);
  }
  if (err instanceof TxnUndeterminedError) {
    return new ServiceError(ErrorCode.TIMEOUT, `the transaction's ${err.message}`);
  }
  return err;
}

export function crossRegionTxn(
  d: CrossRegionTxnDeps,
  req: TxnRequest,
  session?: RequestSession,
): Promise<CommandOutcome> {
  return withRetries(d, () => txnOnce(d, req, session));
}

export function crossRegionBatch(
  d: CrossRegionTxnDeps,
  req: BatchRequest,
  session?: RequestSession,
): Promise<CommandOutcome> {
  return withRetries(d, () => batchOnce(d, req, session));
}
