/**
 * Every client operation as the revision checker sees it: a transaction
 * (compares, then one branch of puts, deletes and ranges). A put is a
 * one-put transaction, a get a one-range one, a compare-and-set a compare
 * and a put. `simulate` runs one on a replayed state as the state machine
 * does (src/kv/txn_apply.ts): the changes it must make and what it must read.
 */
import type { Outcome } from "./history.ts";
import type { RevChange, RevState, TextRange } from "./rev_model.ts";
import { inTextRange } from "./rev_model.ts";

export type CompareTarget = "value" | "version" | "createRevision" | "modRevision" | "lease";

export interface RevCompare {
  readonly key: string;
  readonly target: CompareTarget;
  readonly result: "=" | "!=" | ">" | "<";
  /** The operand: text for "value", a number for the others. */
  readonly operand: string | number;
}

export interface RevPut {
  readonly key: string;
  /** The value written; an increment's: the value it returned ("" when unknown). */
  readonly value: string;
  readonly lease?: number;
  /** An increment (Redis INCR in a MULTI block): the value is the old one plus this. */
  readonly incrBy?: number;
}

export type RevTxnOp =
  | { readonly put: RevPut }
  | { readonly del: TextRange }
  | { readonly range: TextRange };

export interface RevTxn {
  readonly compare: readonly RevCompare[];
  readonly success: readonly RevTxnOp[];
  readonly failure: readonly RevTxnOp[];
}

/** A key a read returned; the revision fields are compared when the client reported them. */
export interface Seen {
  readonly key: string;
  readonly value: string;
  readonly version?: number;
  readonly modRevision?: number;
  readonly createRevision?: number;
  readonly lease?: number;
}

/** What one op of the branch that ran reported (undefined: nothing reported). */
export type SeenResult = { readonly kvs: readonly Seen[] } | { readonly deleted: number };

export interface RevResult {
  readonly succeeded: boolean;
  /** The store revision the response reported, when it is exact (writes and txns). */
  readonly revision?: number;
  readonly results: readonly (SeenResult | undefined)[];
}

export interface RevOp {
  readonly client: string;
  readonly name: string;
  readonly call: number;
  /** Infinity when the outcome is unknown. */
  readonly ret: number;
  readonly outcome: Outcome;
  readonly txn: RevTxn;
  /** What an ok op reported. */
  readonly result?: RevResult;
  /** A read as of a past revision (result.revision): no real-time order applies. */
  readonly asOf?: boolean;
}

export interface Simulated {
  readonly succeeded: boolean;
  readonly changes: readonly Omit<RevChange, "revision">[];
  readonly results: readonly SeenResult[];
}

export type StateOf = (key: string) => RevState | undefined;

function holds(c: RevCompare, s: RevState | undefined): boolean {
  let order: number;
  if (c.target === "value") {
    if (s === undefined) return false; // a missing key has no value to compare
    const v = s.value, o = String(c.operand);
    order = v < o ? -1 : v > o ? 1 : 0;
  } else {
    const have = s === undefined ? 0 : s[c.target];
    order = Math.sign(have - Number(c.operand));
  }
  if (c.result === "=") return order === 0;
  if (c.result === "!=") return order !== 0;
  return c.result === ">" ? order > 0 : order < 0;
}

/**
 * Runs `txn` on the state `stateOf` gives (the state before it), over the keys
 * `keysIn` lists for a range. `revision` is the one its changes would carry.
 */
export function simulate(
  txn: RevTxn,
  stateOf: StateOf,
  keysIn: (r: TextRange) => readonly string[],
  revision: number,
): Simulated {
  const succeeded = txn.compare.every((c) => holds(c, stateOf(c.key)));
  const overlay = new Map<string, RevState | undefined>();
  const now = (k: string) => overlay.has(k) ? overlay.get(k) : stateOf(k);
  const present = (r: TextRange) => {
    const all = new Set([...keysIn(r), ...[...overlay.keys()].filter((k) => inTextRange(r, k))]);
    return [...all].sort().filter((k) => now(k) !== undefined);
  };
  const changes: Omit<RevChange, "revision">[] = [];
  const results: SeenResult[] = [];
  for (const op of succeeded ? txn.success : txn.failure) {
    if ("put" in op) {
      const { key, lease, incrBy } = op.put;
      const prev = now(key);
      const value = incrBy === undefined ? op.put.value : incremented(prev?.value, incrBy);
      if (value === undefined) { // Redis answers an error in that place and writes nothing
        results.push({ kvs: [] });
        continue;
      }
      overlay.set(key, {
        value,
        version: (prev?.version ?? 0) + 1,
        createRevision: prev?.createRevision ?? revision,
        modRevision: revision,
        lease: lease ?? 0,
        expireAtMs: 0,
      });
      changes.push({ type: "put", key, value });
      results.push({ kvs: incrBy === undefined ? [] : [{ key, value }] });
    } else if ("del" in op) {
      const keys = present(op.del);
      for (const key of keys) {
        overlay.set(key, undefined);
        changes.push({ type: "delete", key, value: "" });
      }
      results.push({ deleted: keys.length });
    } else {
      const kvs = present(op.range).map((key) => ({ key, ...now(key) as RevState }));
      results.push({ kvs });
    }
  }
  return { succeeded, changes, results };
}

/** A counter's value after an increment; undefined when it holds no integer. */
function incremented(value: string | undefined, by: number): string | undefined {
  if (value !== undefined && !/^-?\d+$/.test(value)) return undefined;
  return String(BigInt(value ?? "0") + BigInt(by));
}

/** Why `seen` differs from `expected` (undefined when it does not). */
export function resultMismatch(
  seen: SeenResult | undefined,
  expected: SeenResult,
): string | undefined {
  if (seen === undefined) return undefined;
  if ("deleted" in seen) {
    const want = "deleted" in expected ? expected.deleted : -1;
    return seen.deleted === want ? undefined : `deleted ${seen.deleted}, expected ${want}`;
  }
  const want = "kvs" in expected ? expected.kvs : [];
  const show = (l: readonly Seen[]) => `[${l.map((s) => `${s.key}=${s.value}`).join(",")}]`;
  if (seen.kvs.length !== want.length) return `read ${show(seen.kvs)}, expected ${show(want)}`;
  for (let i = 0; i < want.length; i++) {
    const s = seen.kvs[i], w = want[i];
    const fields = ["version", "modRevision", "createRevision", "lease"] as const;
    const bad = s.key !== w.key || s.value !== w.value ||
      fields.some((f) => s[f] !== undefined && s[f] !== w[f]);
    if (bad) {
      const detail = fields.map((f) => `${f} ${s[f] ?? "?"}/${w[f]}`).join(" ");
      return `read ${show(seen.kvs)}, expected ${show(want)} (${s.key}: ${detail})`;
    }
  }
  return undefined;
}

/** Why an ok op's report differs from the simulation (undefined when it matches). */
export function reportMismatch(result: RevResult, sim: Simulated): string | undefined {
  if (result.succeeded !== sim.succeeded) {
    return `reported ${result.succeeded ? "success" : "failure"}, compares say otherwise`;
  }
  for (let i = 0; i < sim.results.length; i++) {
    const why = resultMismatch(result.results[i], sim.results[i]);
    if (why !== undefined) return `op ${i + 1}: ${why}`;
  }
  return undefined;
}

/** Every value `op` could write, with the branch it belongs to. */
export function putValues(op: RevOp): { value: string; key: string; success: boolean }[] {
  const out: { value: string; key: string; success: boolean }[] = [];
  for (const [success, ops] of [[true, op.txn.success], [false, op.txn.failure]] as const) {
    for (const o of ops) {
      // An increment's value is not unique: it names no operation.
      if ("put" in o && o.put.incrBy === undefined) {
        out.push({ value: o.put.value, key: o.put.key, success });
      }
    }
  }
  return out;
}

export function describe(op: RevOp): string {
  const ret = op.ret === Infinity ? "?" : String(Math.round(op.ret));
  return `${op.client} ${op.name}@[${Math.round(op.call)},${ret}]`;
}
