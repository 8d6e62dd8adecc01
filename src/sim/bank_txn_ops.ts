/**
 * The protobuf clients' bank (bank_txn_check.ts): accounts spread over the keyspace, so that
 * with regions they lie in different regions, and every operation one `txn` — across
 * regions a Percolator transaction the receiving node coordinates (docs/transactions.md
 * "On nodes"):
 *
 * - opening: compare every account's version with 0; success puts each ACCOUNT_OPENING;
 *   failure reads every account (another client opened them);
 * - transfer: compare two accounts' values with the ones last seen; success puts both new
 *   balances (an amount moved from one to the other); failure reads both (a lost race:
 *   the next transfer compares with what it read);
 * - full read: no compare, a read of every account at one revision.
 *
 * Balances are stored as `<amount>:<unique tag>`, so every write is unique for the other
 * checks. Each operation enters the revision checker as the transaction it is, and the
 * per-key linearizability check as one operation per account (a compare-and-set from the
 * value compared, or a read) with the transaction's call and return times.
 */
import { TinyKvError } from "../client/errors.ts";
import { balanceOf, balanceValue } from "./bank_check.ts";
import { ACCOUNT_KEYS, ACCOUNT_OPENING, regionsOf } from "./bank_txn_check.ts";
import type { Outcome } from "./history.ts";
import type { Op } from "./linearizability.ts";
import type { OpContext } from "./proto_ops.ts";
import type { RevCompare, RevResult, RevTxn, RevTxnOp } from "./rev_txn.ts";
import { compareToSpec, opToSpec, resultOf } from "./txn_ops.ts";

/** The share of bank operations (once opened) that read every account. */
const READ_SHARE = 0.3;

/** What the bank's clients last read or wrote at each account, shared by all of them. */
export class TxnBank {
  readonly #seen = new Map<string, string>();

  /** `regionOf`: the region holding a key now, in one node's view (for the report only). */
  constructor(readonly regionOf: (key: string) => number | undefined = () => undefined) {}

  /** The value last seen at `key` ("" absent, undefined never seen). */
  seen(key: string): string | undefined {
    return this.#seen.get(key);
  }

  observe(key: string, value: string): void {
    this.#seen.set(key, value);
  }
}

type Kind = "open" | "transfer" | "read";

interface BankPlan {
  readonly kind: Kind;
  readonly txn: RevTxn;
  /** The accounts it touches. */
  readonly keys: readonly string[];
}

const range = (key: string): RevTxnOp => ({ range: { key, end: "" } });

function openPlan(x: OpContext): BankPlan {
  const keys = [...ACCOUNT_KEYS];
  return {
    kind: "open",
    keys,
    txn: {
      compare: keys.map((key) => ({ key, target: "version", result: "=", operand: 0 })),
      success: keys.map((key) => ({
        put: { key, value: balanceValue(ACCOUNT_OPENING, x.freshValue()) },
      })),
      failure: keys.map(range),
    },
  };
}

function readPlan(): BankPlan {
  const keys = [...ACCOUNT_KEYS];
  return { kind: "read", keys, txn: { compare: [], success: keys.map(range), failure: [] } };
}

function transferPlan(x: OpContext): BankPlan {
  const from = ACCOUNT_KEYS[x.prng.int(ACCOUNT_KEYS.length)];
  const others = ACCOUNT_KEYS.filter((k) => k !== from);
  const to = others[x.prng.int(others.length)];
  const amount = 1 + x.prng.int(9);
  const keys = [from, to];
  const seen = keys.map((k) => x.bank.seen(k) ?? "");
  const after = [balanceOf(seen[0]) - amount, balanceOf(seen[1]) + amount];
  return {
    kind: "transfer",
    keys,
    txn: {
      compare: keys.map((key, i) => ({ key, target: "value", result: "=", operand: seen[i] })),
      success: keys.map((key, i) => ({
        put: { key, value: balanceValue(after[i], x.freshValue()) },
      })),
      failure: keys.map(range),
    },
  };
}

function planBankOp(x: OpContext): BankPlan {
  // Both draws are made every time, so the stream of draws does not depend on what was seen.
  const read = x.prng.chance(READ_SHARE);
  const transfer = transferPlan(x);
  if (ACCOUNT_KEYS.some((k) => (x.bank.seen(k) ?? "") === "")) return openPlan(x);
  return read ? readPlan() : transfer;
}

/** The value a compare asks a key to hold before the put ("" for absent: version 0). */
function expectedOf(c: RevCompare): string {
  return c.target === "value" ? String(c.operand) : "";
}

/** The per-key operations for the linearizability check (call and return set later). */
function registerOps(p: BankPlan, outcome: Outcome, result: RevResult | undefined): Op[] {
  const expected = new Map(p.txn.compare.map((c) => [c.key, expectedOf(c)]));
  const puts = (applied: boolean): Op[] =>
    p.txn.success.flatMap((o): Op[] => {
      if (!("put" in o)) return [];
      const { key, value } = o.put;
      return [{
        kind: "cas",
        key,
        value,
        expected: expected.get(key) ?? "",
        applied,
        call: 0,
        ret: 0,
      }];
    });
  if (outcome !== "ok" || result === undefined) return outcome === "unknown" ? puts(true) : [];
  const branch = result.succeeded ? p.txn.success : p.txn.failure;
  const ops: Op[] = result.succeeded ? puts(true) : [];
  branch.forEach((o, i) => {
    const r = result.results[i];
    if (!("range" in o) || r === undefined || !("kvs" in r)) return;
    const value = r.kvs.find((kv) => kv.key === o.range.key)?.value ?? "";
    ops.push({ kind: "get", key: o.range.key, value, call: 0, ret: 0 });
  });
  return ops;
}

function describePlan(p: BankPlan): string {
  const cmp = p.txn.compare.map((c) => `${c.key}=${c.operand}`).join("&");
  const puts = p.txn.success.flatMap((o) => "put" in o ? [`${o.put.key}=${o.put.value}`] : []);
  return `[${cmp}] ${puts.join(",") || p.keys.map((k) => `?${k}`).join(",")}`;
}

/** Runs one bank transaction and records it. */
export async function runBankOp(x: OpContext): Promise<void> {
  const p = planBankOp(x);
  const name = `bank ${p.kind}`;
  const call = x.now();
  let outcome: Outcome = "ok", result: RevResult | undefined, detail = describePlan(p);
  try {
    const r = await x.api.txn({
      compare: p.txn.compare.map(compareToSpec),
      success: p.txn.success.map(opToSpec),
      failure: p.txn.failure.map(opToSpec),
    });
    result = resultOf(r);
    detail += ` -> ${result.succeeded ? "success" : "failure"}@${result.revision}`;
  } catch (err) {
    const known = err instanceof TinyKvError && !err.outcomeUnknown;
    outcome = known || p.kind === "read" ? "fail" : "unknown";
    detail += err instanceof TinyKvError
      ? ` ${err.code} ${err.message.slice(0, 100)}`
      : ` ${String(err)}`;
  }
  const ret = x.now();
  const ops = registerOps(p, outcome, result).map((o) => ({ ...o, call, ret }));
  for (const o of ops) {
    x.history.check(o, outcome);
    if (outcome === "ok") x.bank.observe(o.key, o.value);
  }
  if (outcome === "fail") { for (const key of p.keys) x.history.registerKeys.add(key); }
  x.history.revision({
    client: x.client,
    name,
    call,
    ret: outcome === "unknown" ? Infinity : ret,
    outcome,
    txn: p.txn,
    result,
  });
  const regions = regionsOf(p.keys, x.bank.regionOf).size;
  detail += regions > 1 ? ` (${regions} regions)` : "";
  record(x, p, outcome, result, ops, { call, ret, regions });
  x.history.complete({ client: x.client, name, call, ret, outcome, detail });
}

/** Counts the operation and keeps a read of every account for the check. */
function record(
  x: OpContext,
  p: BankPlan,
  outcome: Outcome,
  result: RevResult | undefined,
  ops: readonly Op[],
  at: { call: number; ret: number; regions: number },
): void {
  const s = x.history.bankTxn;
  if (p.kind === "transfer") {
    if (outcome !== "ok") s[outcome === "fail" ? "failed" : "unknown"]++;
    else if (result?.succeeded !== true) s.raced++;
    else {
      s.transfers++;
      if (at.regions > 1) s.crossed++;
    }
  }
  const read = new Map(ops.filter((o) => o.kind === "get").map((o) => [o.key, o.value]));
  if (outcome !== "ok" || !ACCOUNT_KEYS.every((k) => read.has(k))) return;
  x.history.accountReads.push({
    client: x.client,
    call: at.call,
    ret: at.ret,
    values: ACCOUNT_KEYS.map((k) => read.get(k) ?? ""),
  });
  if (p.kind !== "read") return;
  s.reads++;
  if (at.regions > 1) s.readsCrossed++;
}
