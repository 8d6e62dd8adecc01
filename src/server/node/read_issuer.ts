/**
 * The node's side of the read barrier (read_barrier.ts): ReadIndex rounds on the Raft node, and
 * the sole voter's shortcut — a leader that is the only voter answers ReadIndex with its commit
 * index without asking anyone (the core does the same, one Ready later), so its reads need no
 * round and are served in the turn they arrive once that index is applied.
 */
import type { RaftGroup } from "../../raft/group.ts";
import type { ReadIndexIssuer } from "./read_barrier.ts";

export class NodeReadIssuer implements ReadIndexIssuer {
  /** This node is the configuration's only voter (no joint config); undefined: not yet known. */
  #soleVoter: boolean | undefined;
  /**
   * The term in which an entry of this node's own term was seen committed. A leader appends only
   * entries of its term, so every later commit index of that term is current too: reads asked
   * every region this on each GET run, a log lookup each (13 % of the main thread of a node of 25
   * regions under GETs).
   */
  #commitCurrentIn = -1;

  constructor(
    readonly id: number,
    readonly node: () => RaftGroup,
    readonly applied: () => number,
  ) {}

  issue(context: Uint8Array): string | undefined {
    const node = this.node();
    const r = node.readIndex(context);
    if (!r.ok) return r.reason;
    node.kick();
    return undefined;
  }

  appliedIndex(): number {
    return this.applied();
  }

  localReadIndex(): number | undefined {
    const raw = this.node().rawNode;
    // Until an entry of its term commits, even a lone voter's commit index may be behind.
    if (!raw.isLeader) return undefined;
    if (this.#commitCurrentIn !== raw.term) {
      if (!raw.commitIsCurrent) return undefined;
      this.#commitCurrentIn = raw.term;
    }
    this.#soleVoter ??= this.#isSoleVoter();
    return this.#soleVoter ? raw.commitIndex : undefined;
  }

  /** The configuration or leadership may have changed: look again on the next read. */
  reconsider(): void {
    this.#soleVoter = undefined;
  }

  #isSoleVoter(): boolean {
    const cs = this.node().rawNode.status().confState;
    return cs.votersOutgoing.length === 0 && cs.voters.length === 1 && cs.voters[0] === this.id;
  }
}
