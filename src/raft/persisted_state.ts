/**
 * What the driver (node.ts) knows is on this node's disk: the last index and
 * the term and vote of the last completed save. It decides the two overlaps
 * the Ready contract allows (core/ready.ts): which committed entries may be
 * applied while a Ready is still being persisted, and whether a leader may
 * send a Ready's messages before its own fsync.
 */
import { type Entry, EntryType, type HardState, MessageType } from "./core/messages.ts";
import type { Ready } from "./core/ready.ts";

/** What a leader sends that promises nothing about its own disk. */
export const LEADER_MESSAGES: ReadonlySet<MessageType> = new Set<MessageType>([
  MessageType.App,
  MessageType.Heartbeat,
  MessageType.Snap,
  MessageType.TimeoutNow,
  MessageType.ReadIndexResp,
]);

export class PersistedState {
  #index: number;
  #term: number;
  #vote: number;

  constructor(lastIndex: number, hardState: HardState) {
    this.#index = lastIndex;
    this.#term = hardState.term;
    this.#vote = hardState.vote;
  }

  /** Highest log index written by a completed save. */
  get index(): number {
    return this.#index;
  }

  /** Records a completed save of `rd`. */
  saved(rd: Ready): void {
    if (rd.hardState !== undefined) {
      this.#term = rd.hardState.term;
      this.#vote = rd.hardState.vote;
    }
    const last = rd.entries[rd.entries.length - 1];
    // A Ready's entries may replace a conflicting suffix: the new last index is theirs.
    if (last !== undefined) this.#index = last.index;
    else if (rd.snapshot !== undefined) {
      this.#index = Math.max(this.#index, rd.snapshot.metadata.index);
    }
  }

  /**
   * A leader's appends, heartbeats, snapshots and leadership transfers carry
   * no promise about its own disk, so they may leave before its fsync. Votes,
   * acknowledgements and anything sent with a new term or vote wait for it.
   */
  maySendBeforePersist(rd: Ready, isLeader: boolean): boolean {
    if (!isLeader) return false;
    const hs = rd.hardState;
    if (hs !== undefined && (hs.term !== this.#term || hs.vote !== this.#vote)) return false;
    return rd.messages.every((m) => LEADER_MESSAGES.has(m.type));
  }

  /** The leading committed entries that are on this disk already, up to a conf change. */
  durablePrefix(committed: readonly Entry[]): readonly Entry[] {
    let n = 0;
    while (n < committed.length) {
      const e = committed[n];
      if (e.index > this.#index || isConfChange(e)) break;
      n++;
    }
    return committed.slice(0, n);
  }
}

export function isConfChange(e: Entry): boolean {
  return e.type === EntryType.ConfChange;
}
