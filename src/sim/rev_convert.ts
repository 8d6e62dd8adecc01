/**
 * The register operations of the workload (put, get, delete, compare-and-set,
 * batches, scans, MSET, MGET) as transactions for the revision checker
 * (rev_txn.ts). One client operation's register operations become one
 * transaction: they happened at one revision.
 */
import type { Outcome } from "./history.ts";
import type { Op } from "./linearizability.ts";
import type { RevCompare, RevOp, RevTxnOp, SeenResult } from "./rev_txn.ts";

export interface RegisterCall {
  readonly client: string;
  readonly name: string;
  readonly call: number;
  readonly ret: number;
  readonly outcome: Outcome;
  /** What happened (ok) or was meant to happen (failed, unknown). */
  readonly ops: readonly Op[];
  /** The store revision an ok write reported. */
  readonly revision?: number;
}

function txnOpOf(o: Op): RevTxnOp {
  if (o.kind === "put" || o.kind === "cas") return { put: { key: o.key, value: o.value } };
  if (o.kind === "delete") return { del: { key: o.key, end: "" } };
  return { range: { key: o.key, end: "" } };
}

function resultOf(o: Op): SeenResult | undefined {
  if (o.kind === "get") {
    return { kvs: o.value === "" ? [] : [{ key: o.key, value: o.value, ...o.entry }] };
  }
  if (o.kind === "delete" && o.existed !== undefined) return { deleted: o.existed ? 1 : 0 };
  return undefined;
}

function compareOf(o: Op): RevCompare {
  const expected = o.expected ?? "";
  return expected === ""
    ? { key: o.key, target: "modRevision", result: "=", operand: 0 }
    : { key: o.key, target: "value", result: "=", operand: expected };
}

/**
 * The transaction a register call was, or undefined when it tells the
 * checker nothing it can use: a failed or unknown read, an increment (its
 * values are not unique), or a delete that removed a key (no value says
 * which revision is its own).
 */
export function revOpOf(c: RegisterCall): RevOp | undefined {
  if (c.ops.length === 0 || c.ops.some((o) => o.kind === "incr")) return undefined;
  const writes = c.ops.some((o) => o.kind !== "get");
  if (!writes && c.outcome !== "ok") return undefined;
  const puts = c.ops.some((o) => o.kind === "put" || o.kind === "cas");
  if (
    c.outcome === "ok" && !puts && c.ops.some((o) => o.kind === "delete" && o.existed !== false)
  ) {
    return undefined;
  }
  const cas = c.ops.find((o) => o.kind === "cas");
  const txn = {
    compare: cas === undefined ? [] : [compareOf(cas)],
    success: c.ops.map(txnOpOf),
    failure: [],
  };
  const base = { client: c.client, name: c.name, call: c.call, outcome: c.outcome, txn };
  if (c.outcome !== "ok") return { ...base, ret: c.outcome === "unknown" ? Infinity : c.ret };
  const succeeded = cas === undefined || cas.applied !== false;
  const result = { succeeded, revision: c.revision, results: c.ops.map(resultOf) };
  return { ...base, ret: c.ret, result: succeeded ? result : { ...result, results: [] } };
}
