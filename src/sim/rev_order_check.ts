/**
 * The revision check while regions split (docs/simulation.md "With regions"). Revisions are
 * each region's own Raft index until the timestamp oracle runs in nodes, so one history of
 * the whole store does not exist; what still holds, key by key, is that a key's revisions
 * increase in real time, across every split of its region (a child's revision counter starts
 * at the parent's). For every key, over the acknowledged operations:
 *
 * - two writes, the first returned before the second was called: the second's revision is
 *   higher;
 * - a write returned before a read was called: a read that finds the key reports it at that
 *   write's revision or a higher one (a read that finds it absent is the linearizability
 *   check's);
 * - a read returned before a write was called: the read's revision is lower than the write's;
 * - two reads, the first returned before the second was called: the second's revision is not
 *   lower.
 *
 * Reads as of a past revision, unknown and failed operations are not checked; `exempt` keys
 * (counters, keys with an expiry) neither, as in revision_check.ts.
 */
import type { RevOp } from "./rev_txn.ts";

interface Stamp {
  readonly op: RevOp;
  readonly revision: number;
  readonly write: boolean;
}

const VIOLATIONS_MAX = 10;

/** Every exact-key revision an acknowledged op reported, by key. */
function stampsByKey(ops: readonly RevOp[], exempt: (key: string) => boolean) {
  const byKey = new Map<string, Stamp[]>();
  const add = (key: string, s: Stamp) => {
    if (exempt(key)) return;
    const list = byKey.get(key) ?? [];
    list.push(s);
    byKey.set(key, list);
  };
  for (const op of ops) {
    const r = op.result;
    if (op.outcome !== "ok" || op.asOf === true || r === undefined) continue;
    const branch = r.succeeded ? op.txn.success : op.txn.failure;
    branch.forEach((t, i) => {
      if ("put" in t && r.revision !== undefined && t.put.incrBy === undefined) {
        add(t.put.key, { op, revision: r.revision, write: true });
      }
      const seen = r.results[i];
      if (!("range" in t) || seen === undefined || !("kvs" in seen)) return;
      for (const kv of seen.kvs) {
        if (kv.modRevision !== undefined) {
          add(kv.key, { op, revision: kv.modRevision, write: false });
        }
      }
    });
  }
  return byKey;
}

function orderError(key: string, a: Stamp, b: Stamp): string | undefined {
  const name = (s: Stamp) =>
    `${s.op.client} ${s.op.name}@[${s.op.call},${s.op.ret}] rev ${s.revision}`;
  // a returned before b was called.
  const ok = b.write ? b.revision > a.revision : b.revision >= a.revision;
  return ok ? undefined : `${key}: ${name(a)} returned before ${name(b)}`;
}

/** The violations (at most VIOLATIONS_MAX) and how many stamps were placed. */
export function checkKeyRevisionOrder(
  ops: readonly RevOp[],
  exempt: (key: string) => boolean,
): { ok: boolean; violations: string[]; placed: number } {
  const violations: string[] = [];
  let placed = 0;
  for (const [key, stamps] of stampsByKey(ops, exempt)) {
    placed += stamps.length;
    const byRet = [...stamps].sort((x, y) => x.op.ret - y.op.ret);
    for (const b of stamps) {
      for (const a of byRet) {
        if (a.op.ret >= b.op.call) break;
        const e = orderError(key, a, b);
        if (e !== undefined && violations.length < VIOLATIONS_MAX) violations.push(e);
      }
    }
  }
  return { ok: violations.length === 0, violations, placed };
}
