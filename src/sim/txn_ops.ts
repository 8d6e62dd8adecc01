/**
 * Transactions of the protobuf clients (the client library's `txn`): compares
 * on the value, version or mod revision of a few keys, and branches of puts,
 * ranges and delete-ranges over 2–3 keys of a small key set, so transactions
 * overlap each other. Only the revision checker (revision_check.ts) sees
 * them: it checks each is atomic, at one revision, with the reads and the
 * branch the replayed history says. Every put writes a value no other write
 * uses, so a transaction whose outcome is unknown is found by its values.
 */
import { TinyKvError } from "../client/errors.ts";
import type { KeyEntry, TxnCompare, TxnOp, TxnResult } from "../client/tinykv_client.ts";
import { fromUtf8 } from "../util/bytes.ts";
import type { Prng } from "../util/prng.ts";
import type { Outcome } from "./history.ts";
import { inTextRange, prefixRange, type TextRange } from "./rev_model.ts";
import type { RevCompare, RevOp, RevResult, RevTxnOp, Seen } from "./rev_txn.ts";
import type { OpContext } from "./proto_ops.ts";

export const TXN_PREFIX = "t/";
/** Two groups, so a delete-range or range over one prefix meets several keys. */
export const TXN_KEYS = ["t/a/0", "t/a/1", "t/a/2", "t/b/0", "t/b/1"];
const GROUPS = ["t/a/", "t/b/"];

const pick = <T>(prng: Prng, list: readonly T[]): T => list[prng.int(list.length)];

function planCompare(x: OpContext, key: string): RevCompare {
  const seen = x.keys.txnSeen(key);
  const roll = x.prng.nextFloat();
  const result = pick(x.prng, ["=", "=", "=", "=", "!=", ">", "<"] as const);
  if (roll < 0.4) {
    const operand = seen === undefined || x.prng.chance(0.2) ? x.freshValue() : seen.value;
    return { key, target: "value", result, operand };
  }
  const target = roll < 0.7 ? "version" : "modRevision";
  return { key, target, result, operand: seen?.[target] ?? 0 };
}

function planBranchOp(x: OpContext, keys: readonly string[]): RevTxnOp {
  const roll = x.prng.nextFloat();
  if (roll < 0.5) return { put: { key: pick(x.prng, keys), value: x.freshValue() } };
  const wide: TextRange = x.prng.chance(0.3)
    ? prefixRange(x.prng.chance(0.2) ? TXN_PREFIX : pick(x.prng, GROUPS))
    : { key: pick(x.prng, keys), end: "" };
  return roll < 0.8 ? { range: wide } : { del: wide };
}

/** Whether `op` writes a key another write of `ops` writes (the port refuses that). */
function clashes(op: RevTxnOp, ops: readonly RevTxnOp[]): boolean {
  const written = (o: RevTxnOp): TextRange | undefined =>
    "put" in o ? { key: o.put.key, end: "" } : "del" in o ? o.del : undefined;
  const a = written(op);
  if (a === undefined) return false;
  return ops.some((o) => {
    const b = written(o);
    if (b === undefined) return false;
    return a.end === "" ? inTextRange(b, a.key) : b.end === "" && inTextRange(a, b.key);
  });
}

/** A branch of 1–3 operations on `keys`, no key written twice; `put` forces a put first. */
function planBranch(x: OpContext, keys: readonly string[], put: boolean): RevTxnOp[] {
  const ops: RevTxnOp[] = [];
  if (put) ops.push({ put: { key: pick(x.prng, keys), value: x.freshValue() } });
  const n = 1 + x.prng.int(3) - ops.length;
  for (let i = 0; i < n; i++) {
    const op = planBranchOp(x, keys);
    if (!clashes(op, ops)) ops.push(op);
    else if ("put" in op) ops.push({ range: { key: op.put.key, end: "" } });
    else if ("del" in op) ops.push({ range: op.del });
  }
  return ops;
}

/** A transaction over 2–3 of the keys. */
export function planTxn(x: OpContext): RevOp["txn"] {
  const keys = [
    ...new Set([0, 1, 2].slice(0, 2 + x.prng.int(2)).map(() => pick(x.prng, TXN_KEYS))),
  ];
  const compare = Array.from({ length: x.prng.int(3) }, () => planCompare(x, pick(x.prng, keys)));
  return {
    compare,
    success: planBranch(x, keys, x.prng.chance(0.7)),
    failure: x.prng.chance(0.3) ? [] : planBranch(x, keys, x.prng.chance(0.5)),
  };
}

export function compareToSpec(c: RevCompare): TxnCompare {
  if (c.target === "value") {
    return { key: c.key, target: "value", result: c.result, value: String(c.operand) };
  }
  return { key: c.key, target: c.target, result: c.result, number: Number(c.operand) };
}

export function opToSpec(op: RevTxnOp): TxnOp {
  if ("put" in op) return { put: { key: op.put.key, value: op.put.value } };
  if ("del" in op) {
    const d = op.del;
    return { delete: d.end === "" ? { key: d.key } : { key: d.key, rangeEnd: d.end } };
  }
  const r = op.range;
  return { range: r.end === "" ? { key: r.key } : { key: r.key, rangeEnd: r.end } };
}

export function resultOf(r: TxnResult): RevResult {
  const results = r.results.map((x) => {
    if ("put" in x) return undefined;
    if ("delete" in x) return { deleted: x.delete.deleted };
    const kvs: Seen[] = x.range.kvs.map((e) => ({
      key: fromUtf8(e.key),
      value: fromUtf8(e.value),
      version: e.version,
      modRevision: e.modRevision,
      createRevision: e.createRevision,
      lease: e.lease,
    }));
    return { kvs };
  });
  return { succeeded: r.succeeded, revision: r.revision, results };
}

function describeTxn(t: RevOp["txn"]): string {
  const op = (o: RevTxnOp) =>
    "put" in o
      ? `${o.put.key}=${o.put.value}`
      : "del" in o
      ? `-${o.del.key}${o.del.end === "" ? "" : "*"}`
      : `?${o.range.key}${o.range.end === "" ? "" : "*"}`;
  const cmp = t.compare.map((c) => `${c.key}.${c.target}${c.result}${c.operand}`).join("&");
  return `[${cmp}] ${t.success.map(op).join(",")} | ${t.failure.map(op).join(",")}`;
}

/** Runs one transaction and records it for the revision checker. */
export async function runTxnOp(x: OpContext): Promise<void> {
  const txn = planTxn(x);
  const call = x.now();
  let outcome: Outcome = "ok", result: RevResult | undefined, detail = describeTxn(txn);
  try {
    const r = await x.api.txn({
      compare: txn.compare.map(compareToSpec),
      success: txn.success.map(opToSpec),
      failure: txn.failure.map(opToSpec),
    });
    result = resultOf(r);
    x.keys.observeTxn(result.results);
    x.keys.sawRevision(r.revision);
    detail += ` -> ${result.succeeded ? "success" : "failure"}@${result.revision}`;
  } catch (err) {
    outcome = err instanceof TinyKvError && !err.outcomeUnknown ? "fail" : "unknown";
    detail += err instanceof TinyKvError ? ` ${err.code}` : ` ${String(err)}`;
  }
  const ret = x.now();
  x.history.revision({
    client: x.client,
    name: "txn",
    call,
    ret: outcome === "unknown" ? Infinity : ret,
    outcome,
    txn,
    result,
  });
  x.history.complete({ client: x.client, name: "txn", call, ret, outcome, detail });
}

function seenOf(e: KeyEntry): Seen {
  const { version, modRevision, createRevision, lease } = e;
  return {
    key: fromUtf8(e.key),
    value: fromUtf8(e.value),
    version,
    modRevision,
    createRevision,
    lease,
  };
}

/**
 * A scan of every transaction key as of a revision some response reported:
 * it must equal the replayed history there. COMPACTED (the simulation never
 * compacts) or FUTURE_REVISION (the read waits for the node to catch up with
 * the leader first) are wrong answers. With regions a revision is its region's: the one drawn
 * may be another region's, so refusals are expected and what a scan read is not checked.
 */
export async function runPastRead(x: OpContext): Promise<void> {
  const revision = x.keys.pastRevision(x.prng);
  if (revision === 0) return;
  const call = x.now();
  const range = prefixRange(TXN_PREFIX);
  let outcome: Outcome = "ok", detail = `${TXN_PREFIX}@${revision}`;
  let kvs: Seen[] = [];
  try {
    const page = await x.api.scan({ prefix: TXN_PREFIX, revision, limit: 1000 });
    kvs = page.items.map(seenOf);
    detail += ` ${kvs.length} keys`;
  } catch (err) {
    outcome = "fail";
    detail += err instanceof TinyKvError ? ` ${err.code}` : ` ${String(err)}`;
    if (
      err instanceof TinyKvError && (err.code === "COMPACTED" || err.code === "FUTURE_REVISION") &&
      !x.history.regions
    ) {
      x.history.problems.push(`${x.client} scan ${detail}`);
    }
  }
  const ret = x.now();
  // With regions the revision may be another region's: what the scan read is not checked.
  if (outcome === "ok" && !x.history.regions) {
    x.history.revision({
      client: x.client,
      name: `scan@${revision}`,
      call,
      ret,
      outcome,
      txn: { compare: [], success: [{ range }], failure: [] },
      result: { succeeded: true, revision, results: [{ kvs }] },
      asOf: true,
    });
  }
  x.history.complete({ client: x.client, name: "scan@", call, ret, outcome, detail });
}
