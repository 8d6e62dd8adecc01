/**
 * A leader's append without entries only tells a follower the new commit
 * index (the core broadcasts one whenever its commit moves). With one write
 * in flight that notice costs a socket write per follower, a follower round
 * and an acknowledgement back, for nothing the next append would not carry.
 * The driver holds such notices instead: the region's next append to that
 * follower carries a commit at least as new and replaces it, and what is
 * still held COMMIT_NOTICE_HOLD_MS later (or at the driver's next tick,
 * without a clock) is sent then. A held notice is a message delayed by a
 * few milliseconds, which Raft tolerates like any network delay (docs/raft.md
 * "Held commit notices"); a client writing one value at a time sends its next
 * write well within that, and an idle follower learns a commit at most that
 * much later (Raft never promised a follower current).
 */
import { type Message, MessageType } from "../core/messages.ts";
import type { RegionReplica } from "./region_replica.ts";

/** How long a notice waits for the next append before it is sent alone. */
export const COMMIT_NOTICE_HOLD_MS = 2;

export class HeldCommitNotices {
  /** Per region, per follower: the newest notice not sent yet. */
  readonly #held = new Map<RegionReplica, Map<number, Message>>();
  /** Notices held, and held ones replaced by a later append (never sent). */
  readonly counts = { held: 0, replaced: 0 };

  /** Something is held (the driver sends it after COMMIT_NOTICE_HOLD_MS or at the tick). */
  get any(): boolean {
    return this.#held.size > 0;
  }

  /** True when `m` is a notice now held; an append with entries replaces a held one. */
  hold(r: RegionReplica, m: Message): boolean {
    if (m.type !== MessageType.App) return false;
    let perPeer = this.#held.get(r);
    if (m.entries.length > 0) {
      if (perPeer?.delete(m.to) === true) this.counts.replaced++;
      return false;
    }
    const rn = r.rawNode;
    if (!rn.isLeader || m.term !== rn.term) return false;
    if (perPeer === undefined) this.#held.set(r, perPeer = new Map());
    if (perPeer.has(m.to)) this.counts.replaced++;
    perPeer.set(m.to, m);
    this.counts.held++;
    return true;
  }

  /** Takes the held notices of regions still led in their term (a stale one is dropped). */
  release(): [RegionReplica, Message[]][] {
    const out: [RegionReplica, Message[]][] = [];
    for (const [r, perPeer] of this.#held) {
      const rn = r.rawNode;
      const msgs = [...perPeer.values()].filter((m) => rn.isLeader && m.term === rn.term);
      if (msgs.length > 0) out.push([r, msgs]);
    }
    this.#held.clear();
    return out;
  }
}
