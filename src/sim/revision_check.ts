/**
 * The revision checker (docs/simulation.md): every client operation against
 * the committed history read back from a node. Values are unique per write,
 * so each change names the operation that made it. It checks
 *
 * (a) attribution: each write appears once, at one revision, with exactly the
 *     changes its transaction makes on the state before that revision (so a
 *     transaction applied in part, a lost acknowledged write, a failed write
 *     that applied or a write applied twice are all caught), at the revision
 *     its response reported;
 * (b) real time: an operation that returned before another was called has a
 *     lower revision (lower or equal when the later one changes nothing);
 * (c) reads: everything an operation read (gets, scans, transaction ranges,
 *     the branch its compares chose) equals the state replayed from the
 *     history at its revision.
 *
 * Writes and transactions have exact revisions (their responses, or where
 * their values appear). A get or scan is given the lowest revision its
 * real-time predecessors allow at which the replayed state equals what it
 * read: the revision a read response reports is not used, since a node can
 * answer a read from engine data a moment before its revision counter moves.
 * Choosing the lowest one is never worse for later operations, whose only
 * constraints from it are lower bounds.
 */
import type { RevChange, RevHistory } from "./rev_model.ts";
import {
  describe,
  putValues,
  reportMismatch,
  type RevOp,
  simulate,
  type Simulated,
} from "./rev_txn.ts";

export interface RevCheckReport {
  readonly ok: boolean;
  /** What is wrong (the first few). */
  readonly violations: string[];
  /** Operations checked at an exact revision, and reads placed by the search. */
  readonly fixed: number;
  readonly placed: number;
}

export interface RevCheckOptions {
  /** Keys whose writes carry no unique values (counters): not attributed. */
  readonly exempt?: (key: string) => boolean;
}

interface Pointed {
  readonly op: RevOp;
  point: number;
  readonly changing: boolean;
  readonly fixed: boolean;
}

const VIOLATIONS_MAX = 10;

class Checker {
  readonly violations: string[] = [];
  /** Revisions a changing operation accounts for. */
  readonly #claimed = new Map<number, RevOp>();
  /** Changes of the RESP writes sharing each revision (one batch entry), checked together. */
  readonly #shared = new Map<number, { ops: RevOp[]; changes: RevChangeText[] }>();
  /** Revisions at which each unique value was written. */
  readonly #written = new Map<string, number[]>();

  constructor(readonly h: RevHistory, readonly o: RevCheckOptions) {}

  fail(text: string): void {
    if (this.violations.length < VIOLATIONS_MAX) this.violations.push(text);
  }

  indexValues(ops: readonly RevOp[]): void {
    const owners = new Set<string>();
    for (const op of ops) for (const p of putValues(op)) owners.add(`${p.key}\0${p.value}`);
    for (const r of this.h.revisions) {
      for (const c of this.h.changesAt(r)) {
        if (c.type !== "put" || this.o.exempt?.(c.key)) continue;
        const id = `${c.key}\0${c.value}`;
        const at = this.#written.get(id) ?? [];
        at.push(r);
        this.#written.set(id, at);
        if (at.length === 2) this.fail(`${c.key}=${c.value} written twice: at ${at.join(" and ")}`);
        if (!owners.has(id)) this.fail(`${c.key}=${c.value} at ${r}: no operation wrote it`);
      }
    }
  }

  /** The operation's exact revision and whether it changed anything; undefined: none. */
  locate(op: RevOp): Pointed | undefined {
    const found = putValues(op).flatMap((p) =>
      (this.#written.get(`${p.key}\0${p.value}`) ?? []).map((r) => ({ ...p, r }))
    );
    if (op.outcome === "fail") {
      if (found.length > 0) this.fail(`${describe(op)} failed, but wrote at ${found[0].r}`);
      return undefined;
    }
    if (found.length > 0) {
      const r = found[0].r;
      if (found.some((f) => f.r !== r || f.success !== found[0].success)) {
        const where = found.map((f) => `${f.key}=${f.value}@${f.r}`).join(" ");
        this.fail(`${describe(op)} applied in parts: ${where}`);
      }
      const reported = op.result?.revision;
      if (reported !== undefined && reported !== r) {
        this.fail(`${describe(op)} reported revision ${reported}, its writes are at ${r}`);
      }
      return { op, point: r, changing: true, fixed: true };
    }
    if (op.outcome === "unknown") return undefined;
    const result = op.result;
    if (result === undefined) return undefined;
    const branch = result.succeeded ? op.txn.success : op.txn.failure;
    if (branch.some((o) => "put" in o)) {
      this.fail(`${describe(op)} acknowledged, but its writes are not in the history`);
      return undefined;
    }
    if (result.revision === undefined) return { op, point: 0, changing: false, fixed: false };
    const changing = result.results.some((x) => x !== undefined && "deleted" in x && x.deleted > 0);
    return { op, point: result.revision, changing, fixed: true };
  }

  #simulateAt(op: RevOp, before: number, revision: number): Simulated {
    const h = this.h;
    return simulate(op.txn, (k) => h.stateAt(k, before), (r) => h.keysIn(r), revision);
  }

  /** Checks an operation at its exact revision. */
  verifyFixed(p: Pointed): void {
    const { op, point } = p;
    const sim = this.#simulateAt(op, p.changing ? point - 1 : point, point);
    const report = op.result === undefined ? undefined : reportMismatch(op.result, sim);
    if (report !== undefined) this.fail(`${describe(op)} at ${point}: ${report}`);
    if (!p.changing) {
      if (sim.changes.length > 0) this.fail(`${describe(op)} at ${point} should have changed keys`);
      return;
    }
    const other = this.#claimed.get(point);
    if (other !== undefined && !(batchable(op) && batchable(other))) {
      this.fail(`${describe(op)} and ${describe(other)} both at ${point}`);
    }
    this.#claimed.set(point, op);
    if (batchable(op)) {
      const s = this.#shared.get(point) ?? { ops: [], changes: [] };
      s.ops.push(op);
      s.changes.push(...sim.changes);
      this.#shared.set(point, s);
      return;
    }
    const want = changeList(sim.changes), got = changeList(this.h.changesAt(point));
    if (want !== got) this.fail(`${describe(op)} at ${point} should change ${want}, did ${got}`);
  }

  /**
   * The RESP writes of one batch entry together made that revision's changes. Writes the
   * checker cannot place (an INCR, a DEL that removed a key) may share it: a delete, or a put
   * of an exempt key (a counter), on a key no placed write changed is theirs.
   */
  verifyShared(): void {
    for (const [point, s] of this.#shared) {
      const placed = new Set(s.changes.map((c) => c.key));
      const theirs = (c: RevChangeText) =>
        !placed.has(c.key) && (c.type !== "put" || this.o.exempt?.(c.key) === true);
      const all = this.h.changesAt(point);
      const want = changeList(s.changes), got = changeList(all.filter((c) => !theirs(c)));
      const who = s.ops.map(describe).join(" and ");
      if (want !== got) this.fail(`${who} at ${point} should change ${want}, did ${got}`);
    }
  }

  /** The lowest revision >= `low` at which the read matches the replayed state, if any. */
  place(op: RevOp, low: number): number | undefined {
    const keys = new Set(op.txn.compare.map((c) => c.key));
    for (const o of [...op.txn.success, ...op.txn.failure]) {
      const r = "put" in o ? { key: o.put.key, end: "" } : "del" in o ? o.del : o.range;
      for (const k of this.h.keysIn(r)) keys.add(k);
    }
    for (const at of [low, ...this.h.changeRevisions([...keys], low)]) {
      const sim = this.#simulateAt(op, at, at);
      if (sim.changes.length > 0) continue;
      if (op.result === undefined || reportMismatch(op.result, sim) === undefined) return at;
    }
    return undefined;
  }
}

type RevChangeText = Omit<RevChange, "revision">;

/**
 * A single-command RESP write: the port may propose several in one log entry (a batch), so
 * they share its revision, as the writes of one transaction do (docs/server.md).
 */
function batchable(op: RevOp): boolean {
  return /^resp [A-Z]+$/.test(op.name) && !/^resp (MULTI|EXEC|WATCH)$/.test(op.name);
}

function changeList(changes: readonly RevChangeText[]): string {
  const list = changes.map((c) => c.type === "put" ? `${c.key}=${c.value}` : `-${c.key}`);
  return `{${list.sort().join(",")}}`;
}

/** (b) and (c) for reads: one pass over the operations in call order. */
function realTime(c: Checker, pointed: Pointed[]): number {
  const byCall = [...pointed].sort((a, b) => a.op.call - b.op.call);
  const byRet = pointed.filter((p) => p.op.ret !== Infinity).sort((a, b) => a.op.ret - b.op.ret);
  let j = 0, placed = 0;
  let low = 0, lowBy: RevOp | undefined;
  for (const p of byCall) {
    for (; j < byRet.length && byRet[j].op.ret < p.op.call; j++) {
      if (byRet[j].point >= low) [low, lowBy] = [byRet[j].point, byRet[j].op];
    }
    const after = lowBy === undefined ? "" : ` (${describe(lowBy)} at ${low} returned before)`;
    if (p.fixed) {
      if (p.point < low || (p.changing && p.point === low && lowBy !== p.op)) {
        c.fail(`${describe(p.op)} at revision ${p.point}, too early${after}`);
      }
      continue;
    }
    const at = c.place(p.op, low);
    placed++;
    if (at === undefined) c.fail(`${describe(p.op)}: no state at or after ${low} matches${after}`);
    p.point = at ?? low;
  }
  return placed;
}

export function checkRevisions(
  ops: readonly RevOp[],
  h: RevHistory,
  o: RevCheckOptions = {},
): RevCheckReport {
  const c = new Checker(h, o);
  for (const p of h.problems) c.fail(`history: ${p}`);
  c.indexValues(ops);
  const pointed: Pointed[] = [];
  for (const op of ops) {
    const p = c.locate(op);
    if (p === undefined) continue;
    if (p.fixed) c.verifyFixed(p);
    if (op.asOf !== true) pointed.push(p);
  }
  c.verifyShared();
  const placed = realTime(c, pointed);
  return {
    ok: c.violations.length === 0,
    violations: c.violations,
    fixed: pointed.length - placed,
    placed,
  };
}
