/**
 * The bank invariant of the protobuf clients' transactions (bank_txn_ops.ts): ACCOUNT_KEYS
 * are absent until one transaction opens them all with ACCOUNT_OPENING each, and every
 * transfer after that is one `txn` that moves an amount from one account to another. So
 * every read of all the accounts in one transaction (a snapshot at one revision, across
 * regions when they split) must find either none of them (before the opening) or all of
 * them summing to ACCOUNTS_TOTAL. A transfer applied in one region and not the other, a
 * lost update, or a read that saw two different states breaks it; a transfer of unknown
 * outcome does not, since it applied whole or not at all.
 *
 * The accounts are spread over the key areas between the workload's own prefixes, which
 * grow and split under the workload (docs/simulation.md), so that in a run with regions
 * they end up in several regions.
 */
import { balanceOf, type BankRead } from "./bank_check.ts";

/** Between the workload's prefixes (a/ b/ l/ | n/ | r/ | t/ | x/), none of them scanned. */
export const ACCOUNT_KEYS = [
  "c/bank",
  "m/bank",
  "o/bank",
  "q/bank",
  "s/bank",
  "u/bank",
  "w/bank",
  "z/bank",
] as const;

/** Each account's balance when the opening transaction creates it. */
export const ACCOUNT_OPENING = 100;
export const ACCOUNTS_TOTAL = ACCOUNT_KEYS.length * ACCOUNT_OPENING;

/** What the bank transactions did, for the seed's report. */
export interface BankTxnStats {
  /** Transfers by outcome: committed, compare failed (a lost race), failed, unknown. */
  transfers: number;
  raced: number;
  failed: number;
  unknown: number;
  /** Committed transfers whose two accounts were in different regions when it returned. */
  crossed: number;
  /** Ok reads of every account, and those over two or more regions when they returned. */
  reads: number;
  readsCrossed: number;
  /** Distinct regions holding the accounts after healing (0: not counted). */
  regions: number;
  /** The read after healing was skipped: every node held only some of the accounts' regions. */
  finalSkipped?: boolean;
}

export function emptyBankTxnStats(): BankTxnStats {
  return {
    transfers: 0,
    raced: 0,
    failed: 0,
    unknown: 0,
    crossed: 0,
    reads: 0,
    readsCrossed: 0,
    regions: 0,
  };
}

/** Why a read of every account (values in ACCOUNT_KEYS order, "" absent) is impossible. */
export function accountsReadError(values: readonly string[]): string | undefined {
  if (values.length !== ACCOUNT_KEYS.length) return `read ${values.length} accounts`;
  if (values.every((v) => v === "")) return undefined;
  if (values.some((v) => v === "")) return "some accounts absent, others present";
  const sum = values.reduce((s, v) => s + balanceOf(v), 0);
  return sum === ACCOUNTS_TOTAL ? undefined : `sum ${sum}, not ${ACCOUNTS_TOTAL}`;
}

/** The reads of every account that no sequence of whole transfers explains (the first few). */
export function checkAccountReads(reads: readonly BankRead[]): string[] {
  const bad: string[] = [];
  for (const r of reads) {
    const why = accountsReadError(r.values);
    if (why !== undefined && bad.length < 10) {
      bad.push(`${r.client} read@[${r.call},${r.ret}] ${r.values.join(" ")}: ${why}`);
    }
  }
  return bad;
}

/** The region ids holding `keys`, in one node's view (`regionOf`), undefined left out. */
export function regionsOf(
  keys: readonly string[],
  regionOf: (key: string) => number | undefined,
): Set<number> {
  const out = new Set<number>();
  for (const k of keys) {
    const id = regionOf(k);
    if (id !== undefined) out.add(id);
  }
  return out;
}
