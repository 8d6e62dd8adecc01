/**
 * Transactions (docs/coordination.md#transactions): every compare is checked
 * against the state before the transaction, then one branch's operations run
 * in order at one revision. Ranges and delete-ranges over many keys read the
 * engine first (`planTxn`, asynchronous, with nothing of this pass pending);
 * then the branch runs synchronously (`runTxn`), seeing its own earlier writes.
 */
import {
  type Compare,
  CompareResult,
  CompareTarget,
  ErrorCode,
  type TxnOp,
  type TxnRequest,
} from "../gen/tinykv/v1/tinykv_pb.ts";
import { DELETE_RANGE_KEYS_MAX, TXN_RANGE_KEYS_MAX } from "../limits.ts";
import type { Db } from "../storage/db.ts";
import { compareBytes } from "../util/bytes.ts";
import { u64ToNumber } from "../util/ids.ts";
import type { Outcome } from "./apply.ts";
import { failure } from "./apply.ts";
import { isSingleKey, type KeyRange, type KeyState } from "./key_state.ts";
import { readCurrentRange } from "./current_range.ts";
import { type OpResult, runOp, TxnOverlay } from "./txn_ops.ts";
import type { RevisionWriter } from "./revision_writer.ts";

export interface TxnPlan {
  readonly succeeded: boolean;
  readonly ops: readonly TxnOp[];
  /** For each multi-key range or delete-range op (by position): the engine's keys in it. */
  readonly ranges: ReadonlyMap<number, readonly KeyState[]>;
}

/** The range a multi-key op covers, or undefined for single-key ops and puts. */
export function multiKeyRange(op: TxnOp): KeyRange | undefined {
  const o = op.op;
  if (o.case !== "range" && o.case !== "deleteRange") return undefined;
  const r = { key: o.value.key, rangeEnd: o.value.rangeEnd };
  return isSingleKey(r) ? undefined : r;
}

/** Whether the transaction reads the engine asynchronously first (then apply commits before it). */
export function needsPlan(txn: TxnRequest): boolean {
  return [...txn.success, ...txn.failure].some((op) => multiKeyRange(op) !== undefined);
}

export function comparesHold(compares: readonly Compare[], w: RevisionWriter): boolean {
  return compares.every((c) => compareHolds(c, w.current(c.key)));
}

/** Whether compare `c` holds on the key's state `s` (undefined: the key does not exist). */
export function compareHolds(c: Compare, s: KeyState | undefined): boolean {
  let order: number;
  const o = c.operand;
  if (c.target === CompareTarget.VALUE) {
    // A missing key has no value to compare (etcd: such a compare never holds).
    if (s === undefined || o.case !== "value") return false;
    order = compareBytes(s.value, o.value);
  } else {
    const have = numberOf(c.target, s);
    const want = o.case === undefined || o.case === "value" ? 0 : u64ToNumber(o.value, o.case);
    order = Math.sign(have - want);
  }
  switch (c.result) {
    case CompareResult.EQUAL:
      return order === 0;
    case CompareResult.NOT_EQUAL:
      return order !== 0;
    case CompareResult.GREATER:
      return order > 0;
    case CompareResult.LESS:
      return order < 0;
    default:
      return false; // validateCommand refuses it before it reaches the log
  }
}

function numberOf(target: CompareTarget, s: KeyState | undefined): number {
  if (s === undefined) return 0;
  if (target === CompareTarget.VERSION) return s.version;
  if (target === CompareTarget.CREATE_REVISION) return s.createRevision;
  if (target === CompareTarget.MOD_REVISION) return s.modRevision;
  return s.lease;
}

/** Decides the branch and reads the engine for its multi-key ops; or the error that stops it. */
export async function planTxn(
  txn: TxnRequest,
  w: RevisionWriter,
  db: Db,
): Promise<TxnPlan | Outcome> {
  const succeeded = comparesHold(txn.compare, w);
  const ops = succeeded ? txn.success : txn.failure;
  const ranges = new Map<number, KeyState[]>();
  for (const [i, op] of ops.entries()) {
    const range = multiKeyRange(op);
    if (range === undefined) continue;
    const max = op.op.case === "deleteRange" ? DELETE_RANGE_KEYS_MAX : TXN_RANGE_KEYS_MAX;
    const states = await readCurrentRange(db, range, max + 1, w.now);
    if (states.length > max) {
      const what = op.op.case === "deleteRange" ? "delete-range" : "range in a transaction";
      return failure(ErrorCode.TOO_LARGE, `${what} matches more than ${max} keys`);
    }
    ranges.set(i, states);
  }
  return { succeeded, ops, ranges };
}

/** A plan for a transaction without multi-key ops (no engine reads needed). */
export function planWithoutReads(txn: TxnRequest, w: RevisionWriter): TxnPlan {
  const succeeded = comparesHold(txn.compare, w);
  return { succeeded, ops: succeeded ? txn.success : txn.failure, ranges: new Map() };
}

/** Runs the planned branch; nothing is written when it fails (checks come first). */
export function runTxn(plan: TxnPlan, w: RevisionWriter, index: number): Outcome {
  const problem = leaseProblem(plan.ops, w);
  if (problem !== undefined) return problem;
  const overlay = new TxnOverlay();
  const results: OpResult[] = [];
  for (const [i, op] of plan.ops.entries()) {
    results.push(runOp(op, plan.ranges.get(i), w, overlay));
  }
  return {
    body: {
      case: "txn",
      value: { succeeded: plan.succeeded, results, index: BigInt(index), revision: 0n },
    },
  };
}

/** Why a put's lease cannot take the key (checked for the whole branch before any write). */
function leaseProblem(ops: readonly TxnOp[], w: RevisionWriter): Outcome | undefined {
  const adding = new Map<number, number>();
  for (const op of ops) {
    if (op.op.case !== "put" || op.op.value.lease === 0n) continue;
    const id = u64ToNumber(op.op.value.lease, "lease");
    if (w.current(op.op.value.key)?.lease !== id) adding.set(id, (adding.get(id) ?? 0) + 1);
  }
  for (const [id, more] of adding) {
    const why = w.leases.attachProblem(id, more);
    if (why !== undefined) return failure(why.code, why.message);
  }
  return undefined;
}
