/**
 * What the simulated clients did: every operation with its call and return
 * time (virtual ms) and outcome, and the per-key register operations the
 * linearizability checker reads. A multi-key operation (a batch, MSET, MGET, a
 * scan) is checked as one operation per key with the same call and return
 * times: each key's part must be linearizable on its own, a necessary
 * condition of the whole being atomic (docs/simulation.md).
 */
import type { Op } from "./linearizability.ts";
import type { RevOp } from "./rev_txn.ts";
import type { TtlOp } from "./ttl_ops.ts";
import type { BankRead } from "./bank_check.ts";
import { type BankTxnStats, emptyBankTxnStats } from "./bank_txn_check.ts";
import type { SimTrace } from "../platform/sim/sim_trace.ts";

/** ok: it happened as reported; fail: it did not happen; unknown: it may have. */
export type Outcome = "ok" | "fail" | "unknown";

export const OUTCOMES: readonly Outcome[] = ["ok", "fail", "unknown"];

/** One client operation as it completed. */
export interface Completed {
  readonly client: string;
  /** e.g. "put", "resp SET", "batch", "member remove". */
  readonly name: string;
  readonly call: number;
  readonly ret: number;
  readonly outcome: Outcome;
  /** What it did and saw, for the trace. */
  readonly detail: string;
}

/** A key written once with a unique value; acknowledged ones must survive everything. */
export interface Insert {
  readonly key: string;
  readonly value: string;
  readonly outcome: Outcome;
}

export class History {
  readonly ops: Op[] = [];
  readonly inserts: Insert[] = [];
  /** Answers no correct cluster gives (e.g. FUTURE_REVISION for a revision one reported). */
  readonly problems: string[] = [];
  /** Every operation as a transaction, for the revision checker (revision_check.ts). */
  readonly revOps: RevOp[] = [];
  /** Operations on keys with an expiry, for the expiry check (ttl_check.ts). */
  readonly ttlOps: TtlOp[] = [];
  readonly counts: Record<Outcome, number> = { ok: 0, fail: 0, unknown: 0 };
  /** Keys of the register and counter workload: the final reads check each of them. */
  readonly registerKeys = new Set<string>();
  /** Ok reads of both accounts of the WATCH transfers, for the bank check (bank_check.ts). */
  readonly bankReads: BankRead[] = [];
  /** Ok reads of every account of the protobuf clients' bank (bank_txn_check.ts). */
  readonly accountReads: BankRead[] = [];
  /** What the bank transactions did (bank_txn_ops.ts). */
  readonly bankTxn: BankTxnStats = emptyBankTxnStats();
  /** What the Redis operations did (resp_multi_ops.ts, resp_ttl_ops.ts, resp_db_ops.ts). */
  readonly redis = { execOk: 0, execNull: 0, execUnknown: 0, ttl: 0, db1: 0 };

  /**
   * The nodes split regions: revisions are each region's own, so a revision one response
   * reported may be refused by another region (docs/simulation.md "With regions").
   */
  regions = false;

  constructor(readonly trace: SimTrace) {}

  /** Records a completed operation (counts it and writes one trace line). */
  complete(op: Completed): void {
    this.counts[op.outcome]++;
    this.trace.record(op.ret, `op ${op.client} ${op.name} ${op.detail} -> ${op.outcome}`);
  }

  /**
   * Adds a register operation for the checker. Definitely failed operations
   * are left out; an unknown one may take effect any time after its call.
   * `readAtEnd`: the final reads read the key (false for keys they cannot reach).
   */
  check(op: Op, outcome: Outcome, readAtEnd = true): void {
    // Keys of Redis database 1 are not read at the end: the final reads go to database 0.
    if (readAtEnd) this.registerKeys.add(op.key);
    if (outcome === "fail") return;
    if (outcome === "unknown") {
      if (op.kind === "get") return; // a read that did not return tells nothing
      this.ops.push({ ...op, ret: Infinity, existed: undefined, value: unknownValue(op) });
      return;
    }
    this.ops.push(op);
  }

  /** Adds an operation for the revision checker (undefined: nothing to add). */
  revision(op: RevOp | undefined): void {
    if (op !== undefined) this.revOps.push(op);
  }

  insert(key: string, value: string, outcome: Outcome): void {
    this.inserts.push({ key, value, outcome });
  }
}

/** An incr of unknown outcome returned nothing; other writes keep the value they wrote. */
function unknownValue(op: Op): string {
  return op.kind === "incr" ? "" : op.value;
}
