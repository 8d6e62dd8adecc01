/**
 * Raft safety checkers (Raft paper Figure 3), run after every simulation step:
 *
 * - Election safety: at most one leader per term.
 * - Log matching: logs that agree on an entry's (index, term) agree on every
 *   entry up to it.
 * - Leader completeness: a leader's log holds every entry committed before.
 * - State machine safety: no two nodes apply different entries at an index
 *   (each applied entry is checked against one canonical committed log).
 * - Monotonic commit: a node's commit index never decreases while it runs.
 */
import type { Entry } from "../../../src/raft/core/messages.ts";
import type { Raft } from "../../../src/raft/core/raft.ts";
import { StateType } from "../../../src/raft/core/raft.ts";
import { equalBytes } from "../../../src/util/bytes.ts";

export class SafetyViolation extends Error {
  override name = "SafetyViolation";
}

export class SafetyChecker {
  /** term -> leader id */
  readonly leaders = new Map<number, number>();
  /** index -> the entry committed (applied) there */
  readonly committed = new Map<number, Entry>();
  #commitSeen = new Map<number, number>();
  #wasLeader = new Map<number, number>();

  /** A node applied `e`: it must be the one entry committed at that index. */
  onApply(node: number, e: Entry): void {
    const c = this.committed.get(e.index);
    if (c === undefined) {
      this.committed.set(e.index, e);
      return;
    }
    if (c.term !== e.term || c.type !== e.type || !equalBytes(c.data, e.data)) {
      throw new SafetyViolation(
        `state machine safety: node ${node} applied ${e.term}/${e.index}, ` +
          `but ${c.term}/${c.index} was applied elsewhere`,
      );
    }
  }

  /** The node restarted: its volatile commit index starts over. */
  onRestart(node: number): void {
    this.#commitSeen.delete(node);
    this.#wasLeader.delete(node);
  }

  check(nodes: ReadonlyMap<number, Raft>): void {
    for (const [id, r] of nodes) {
      this.#checkCommit(id, r);
      if (r.state === StateType.Leader) this.#checkLeader(id, r);
      else this.#wasLeader.delete(id);
    }
  }

  #checkCommit(id: number, r: Raft): void {
    const prev = this.#commitSeen.get(id) ?? 0;
    if (r.log.committed < prev) {
      throw new SafetyViolation(
        `monotonic commit: node ${id} went from ${prev} to ${r.log.committed}`,
      );
    }
    this.#commitSeen.set(id, r.log.committed);
  }

  #checkLeader(id: number, r: Raft): void {
    const other = this.leaders.get(r.term);
    if (other !== undefined && other !== id) {
      throw new SafetyViolation(`election safety: ${other} and ${id} both lead term ${r.term}`);
    }
    this.leaders.set(r.term, id);
    if (this.#wasLeader.get(id) === r.term) return; // checked when it took over
    this.#wasLeader.set(id, r.term);
    // Leader completeness: every entry committed so far is in the new leader's log.
    const first = r.log.firstIndex();
    for (const [index, e] of this.committed) {
      if (index < first) continue; // covered by its snapshot
      const t = r.log.term(index);
      if (t !== e.term) {
        throw new SafetyViolation(
          `leader completeness: leader ${id} (term ${r.term}) has term ${t} at ${index}, ` +
            `committed ${e.term}`,
        );
      }
    }
  }

  /** Log matching across every pair of nodes (quadratic: call it now and then). */
  checkLogMatching(nodes: ReadonlyMap<number, Raft>): void {
    const logs = [...nodes].map(([id, r]) => ({ id, r }));
    for (let i = 0; i < logs.length; i++) {
      for (let j = i + 1; j < logs.length; j++) {
        const a = logs[i];
        const b = logs[j];
        if (a === undefined || b === undefined) continue;
        matchPair(a.id, a.r, b.id, b.r);
      }
    }
  }
}

function matchPair(ida: number, a: Raft, idb: number, b: Raft): void {
  const lo = Math.max(a.log.firstIndex(), b.log.firstIndex());
  const hi = Math.min(a.log.lastIndex(), b.log.lastIndex());
  // Find the highest index where both agree on the term; below it all must match.
  let agree = 0;
  for (let i = hi; i >= lo; i--) {
    if (a.log.term(i) === b.log.term(i)) {
      agree = i;
      break;
    }
  }
  if (agree < lo) return;
  const ea = a.log.slice(lo, agree + 1, Infinity) ?? [];
  const eb = b.log.slice(lo, agree + 1, Infinity) ?? [];
  for (let k = 0; k < ea.length; k++) {
    const x = ea[k];
    const y = eb[k];
    if (x === undefined || y === undefined) continue;
    if (x.term !== y.term || !equalBytes(x.data, y.data)) {
      throw new SafetyViolation(
        `log matching: nodes ${ida} and ${idb} agree at ${agree} but differ at ${x.index}`,
      );
    }
  }
}
