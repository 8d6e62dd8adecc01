/**
 * Percolator transactions on a region's state machine (docs/transactions.md#on-regions):
 *
 * - A `Txn` region command (prewrite, commit, rollback, resolve-lock, check-txn-status) is
 *   applied as one entry: the request runs over the engine through the entry's write batch
 *   (`WriteSetTxnStore`: reads see the batch), with the clock the proposing leader stamped into
 *   it, so every replica decides alike. It is refused with an outcome, and writes nothing, when
 *   it is malformed or invalid (`invalid`; also a clock before 2026: no leader stamped it),
 *   routed to another region (`region-not-found`) or with a stale epoch (`epoch-not-match`), or
 *   names a key outside the range (`key-not-in-region`). Otherwise the outcome `txn` carries the
 *   encoded answer: conflicts are answers, not refusals.
 * - Reads (`get`, `scan`, the resolver's expired-lock scan) are served by the leader after a
 *   ReadIndex, from the engine, with the same range and epoch checks (`readRegionTxn`).
 *
 * Locks (`0x0C`) and write records (`0x0D`) are keyed by user key: a split moves none of them,
 * and a region's snapshot carries those of its range (snapshot_ranges.ts).
 */
import { containsKey, isStaleEpoch, type RegionDescriptor } from "../region/descriptor.ts";
import type { RegionEpoch } from "../region/descriptor.ts";
import { compareBytes } from "../util/bytes.ts";
import { DecodeError } from "../util/coding.ts";
import { errorMessage } from "../util/errors.ts";
import {
  RegionTxnServer,
  serveTxnRead,
  serveTxnWrite,
  type TxnReadReply,
  type TxnReadRequest,
} from "../txn/region_txn.ts";
import { InvalidTimestampError, TIMESTAMP_EPOCH_MS } from "../txn/timestamp.ts";
import { decodeTxnRequest, encodeTxnReply, type TxnWriteRequest } from "../txn/txn_codec.ts";
import type { TxnStore } from "../txn/txn_store.ts";
import { KeyNotInRegionError, type LockInfo, TxnInputError } from "../txn/txn_types.ts";
import { malformed, type RegionOutcome, type TxnCommand } from "./region_command.ts";
import type { KvStateMachine } from "./state_machine.ts";
import {
  committing,
  type KeyspaceCommit,
  keyspaceConflict,
  writeCommitted,
} from "./region_txn_keyspace.ts";
import { type EngineReader, WriteSet } from "./write_set.ts";
import { ErrorCode } from "../gen/tinykv/v1/tinykv_pb.ts";
import { readLock } from "../txn/mvcc_read.ts";
import { failure } from "./apply.ts";
import { encodeOutcome } from "./outcome_codec.ts";
import type { Sessions } from "./sessions.ts";

/** A region's store during the apply of one entry: reads see the entry's own writes. */
export class WriteSetTxnStore implements TxnStore {
  constructor(readonly ws: WriteSet) {}
  get(key: Uint8Array): Uint8Array | undefined {
    return this.ws.get(key);
  }
  scan(start: Uint8Array, end: Uint8Array): Iterable<readonly [Uint8Array, Uint8Array]> {
    return this.ws.scan(start, end);
  }
  put(key: Uint8Array, value: Uint8Array): void {
    this.ws.put(key, value);
  }
  delete(key: Uint8Array): void {
    this.ws.delete(key);
  }
}

/** The engine as reads see it: a read that tried to write would be a bug. */
class ReadOnlyTxnStore implements TxnStore {
  constructor(readonly engine: EngineReader) {}
  get(key: Uint8Array): Uint8Array | undefined {
    return this.engine.get(key);
  }
  scan(start: Uint8Array, end: Uint8Array): Iterable<readonly [Uint8Array, Uint8Array]> {
    return this.engine.scanSync({ start, end });
  }
  put(): void {
    throw new Error("a transactional read wrote");
  }
  delete(): void {
    throw new Error("a transactional read wrote");
  }
}

/** Errors of a request no correct coordinator sends: refused, nothing written. */
function isBadRequest(err: unknown): boolean {
  return err instanceof TxnInputError || err instanceof KeyNotInRegionError ||
    err instanceof DecodeError || err instanceof InvalidTimestampError;
}

/** The user keys a write request touches in the region it is sent to. */
function writeKeys(req: TxnWriteRequest): readonly Uint8Array[] {
  switch (req.kind) {
    case "prewrite":
      return req.mutations.map((m) => m.key);
    case "checkTxnStatus":
      return [req.primary];
    default:
      return req.keys;
  }
}

/** Why a request routed to region `regionId` with `epoch` cannot run on `d`, if it cannot. */
export function refuseRoute(
  d: RegionDescriptor,
  regionId: number,
  epoch: RegionEpoch,
  keys: readonly Uint8Array[],
): RegionOutcome | undefined {
  if (regionId !== d.id) return { kind: "region-not-found", regionId };
  if (isStaleEpoch(epoch, d.epoch)) return { kind: "epoch-not-match", current: d };
  for (const key of keys) {
    if (!containsKey(d, key)) return { kind: "key-not-in-region", key, region: d };
  }
  return undefined;
}

interface TxnRun {
  readonly outcome: RegionOutcome;
  /** What an ok commit makes visible in the keyspace (region_txn_keyspace.ts). */
  readonly commit?: KeyspaceCommit;
}

/**
 * The refusal of a primary's commit whose client request the region's session already holds
 * (an earlier transaction of the same request committed it), or undefined. Asked only when the
 * commit would newly commit (the lock is this transaction's): a repeat of a commit that went
 * through answers as the first did.
 */
function appliedBefore(
  sessions: Sessions,
  store: TxnStore,
  req: TxnWriteRequest,
): RegionOutcome | undefined {
  if (req.kind !== "commit" || req.session === undefined || req.keys.length === 0) return undefined;
  if (readLock(store, req.keys[0])?.startTs !== req.startTs) return undefined;
  const seen = sessions.lookup(req.session.clientId, req.session.sequence);
  if (seen.kind === "new") return undefined;
  const outcome = seen.kind === "saved"
    ? seen.outcome
    : encodeOutcome(failure(ErrorCode.INVALID_ARGUMENT, "the request's sequence was acknowledged"));
  const error = { kind: "applied" as const, key: req.keys[0], outcome };
  return { kind: "txn", reply: encodeTxnReply({ kind: "result", result: { ok: false, error } }) };
}

function runTxn(
  ws: WriteSet,
  d: RegionDescriptor,
  c: TxnCommand,
  sessions: Sessions,
  index: number,
): TxnRun {
  let req: TxnWriteRequest;
  try {
    req = decodeTxnRequest(c.request);
  } catch (err) {
    return { outcome: malformed(err) };
  }
  const refused = refuseRoute(d, c.regionId, c.epoch, writeKeys(req));
  if (refused !== undefined) return { outcome: refused };
  const nowMs = "nowMs" in req ? req.nowMs : TIMESTAMP_EPOCH_MS;
  // A clock before the timestamps' epoch was never stamped by a leader: its locks would be born
  // expired (or never expire), so it is refused rather than judged.
  if (nowMs < TIMESTAMP_EPOCH_MS) {
    return { outcome: { kind: "invalid", message: `unstamped clock ${nowMs}` } };
  }
  const duplicate = appliedBefore(sessions, new WriteSetTxnStore(ws), req);
  if (duplicate !== undefined) return { outcome: duplicate };
  // A staged set: a request that throws leaves nothing in the entry's batch.
  const staged = new WriteSet(ws);
  const server = new RegionTxnServer(new WriteSetTxnStore(staged), d, () => nowMs);
  try {
    const reply = serveTxnWrite(server, req);
    const ok = reply.kind === "result" && reply.result.ok;
    // Checked once the request is known valid, against the state before it (`ws`).
    const before = new WriteSetTxnStore(ws);
    const conflict = ok && req.kind === "prewrite" ? keyspaceConflict(before, ws, req) : undefined;
    if (conflict !== undefined) {
      const refusal = encodeTxnReply({ kind: "result", result: { ok: false, error: conflict } });
      return { outcome: { kind: "txn", reply: refusal } };
    }
    const commit = ok ? committing(before, req) : undefined;
    staged.mergeInto(ws);
    const session = req.kind === "commit" ? req.session : undefined;
    if (
      ok && session !== undefined &&
      sessions.lookup(session.clientId, session.sequence).kind === "new"
    ) {
      const { clientId, sequence, outcome } = session;
      sessions.record({ clientId, sequence, ackedSequence: 0, index }, outcome, ws);
    }
    return { outcome: { kind: "txn", reply: encodeTxnReply(reply) }, commit };
  } catch (err) {
    if (isBadRequest(err)) return { outcome: { kind: "invalid", message: errorMessage(err) } };
    throw err;
  }
}

/** Applies the `Txn` command of entry `index` as one engine batch; returns its outcome. */
export async function applyTxnCommand(
  kv: KvStateMachine,
  d: RegionDescriptor,
  index: number,
  c: TxnCommand,
): Promise<RegionOutcome> {
  let outcome: RegionOutcome = { kind: "invalid", message: "not applied" };
  await kv.applyOwn(index, (ws, meta) => {
    const run = runTxn(ws, d, c, kv.sessions, index);
    outcome = run.outcome;
    return run.commit === undefined ? meta : writeCommitted(kv, ws, meta, run.commit);
  });
  return outcome;
}

/**
 * Serves a transactional read of region `d` (routed with `regionId` and `epoch`) from the
 * engine, as of its applied state: the caller has waited for a ReadIndex. `nowMs` is the
 * leader's clock (which locks have expired). A scan must lie inside the region.
 */
export function readRegionTxn(
  engine: EngineReader,
  d: RegionDescriptor,
  route: { readonly regionId: number; readonly epoch: RegionEpoch },
  req: TxnReadRequest,
  nowMs: number,
): TxnReadReply | RegionOutcome {
  const keys = req.kind === "get" ? [req.key] : req.kind === "scan" ? [req.range.start] : [];
  const refused = refuseRoute(d, route.regionId, route.epoch, keys);
  if (refused !== undefined) return refused;
  if (req.kind === "scan" && !endInside(d, req.range.end)) {
    return { kind: "key-not-in-region", key: req.range.end, region: d };
  }
  const server = new RegionTxnServer(new ReadOnlyTxnStore(engine), d, () => nowMs);
  try {
    return withoutLockValues(serveTxnRead(server, req));
  } catch (err) {
    if (isBadRequest(err)) return { kind: "invalid", message: errorMessage(err) };
    throw err;
  }
}

/** A read answers with the locks it met but not their uncommitted values (txn_codec.ts). */
function withoutLockValues(reply: TxnReadReply): TxnReadReply {
  const bare = (lock: LockInfo): LockInfo => lock.kind === "put" ? { ...lock, value: EMPTY } : lock;
  switch (reply.kind) {
    case "get":
      return reply.get.kind === "locked"
        ? { kind: "get", get: { kind: "locked", lock: bare(reply.get.lock) } }
        : reply;
    case "scan":
      return reply.scan.lock === undefined
        ? reply
        : { kind: "scan", scan: { entries: reply.scan.entries, lock: bare(reply.scan.lock) } };
    case "locks":
      return { kind: "locks", locks: reply.locks.map(bare) };
  }
}

const EMPTY = new Uint8Array(0);

/** Whether a scan ending at `end` (empty: unbounded) stays inside `d`. */
function endInside(d: RegionDescriptor, end: Uint8Array): boolean {
  if (d.end.length === 0) return true;
  return end.length > 0 && compareBytes(end, d.end) <= 0;
}
