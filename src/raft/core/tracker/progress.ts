/**
 * The leader's view of one follower. In `Probe` the leader sends one append
 * per heartbeat interval until it finds where the logs match; in `Replicate`
 * it streams appends optimistically, bounded by the inflight window; in
 * `Snapshot` it waits for a snapshot to be installed.
 */
import { Inflights } from "./inflights.ts";

export const ProgressState = {
  Probe: 0,
  Replicate: 1,
  Snapshot: 2,
} as const;
export type ProgressState = typeof ProgressState[keyof typeof ProgressState];

const STATE_NAMES = ["StateProbe", "StateReplicate", "StateSnapshot"] as const;

export class Progress {
  /** Highest index known to match the leader's log. */
  match = 0;
  /** Next index to send. */
  next: number;
  state: ProgressState = ProgressState.Probe;
  /** Index of the snapshot being sent, in `Snapshot` state. */
  pendingSnapshot = 0;
  /** Heard from since the last CheckQuorum round. */
  recentActive = false;
  /** In `Probe`: an append is outstanding, so wait for a reply or a heartbeat. */
  probeSent = false;
  readonly inflights: Inflights;
  isLearner: boolean;
  /** Election timeouts spent in `Snapshot` state (a lost snapshot is resent). */
  snapshotRounds = 0;
  /** The leader's tick when this follower last answered (membership-change guard). */
  lastHeardTick: number = Number.MIN_SAFE_INTEGER;
  /** Largest leader tick echoed by this follower's heartbeat responses (leases). */
  ackedTick: number = Number.MIN_SAFE_INTEGER;

  constructor(next: number, maxInflight: number, isLearner: boolean) {
    this.next = next;
    this.inflights = new Inflights(maxInflight, 0);
    this.isLearner = isLearner;
  }

  #reset(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === ProgressState.Snapshot) {
      // Resume after the snapshot (or where the follower matched, if further).
      const pending = this.pendingSnapshot;
      this.#reset(ProgressState.Probe);
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.#reset(ProgressState.Probe);
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.#reset(ProgressState.Replicate);
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.#reset(ProgressState.Snapshot);
    this.pendingSnapshot = snapshotIndex;
    this.snapshotRounds = 0;
  }

  /** The follower acknowledged `n`; returns false if that is old news. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /** An append with entries up to `lastIndex` (and `bytes`) was just sent. */
  sentEntries(entries: number, lastIndex: number, bytes: number): void {
    if (this.state === ProgressState.Replicate) {
      if (entries > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex, bytes);
      }
    } else if (this.state === ProgressState.Probe) {
      this.probeSent = true;
    }
  }

  /**
   * The follower rejected an append at `rejected`, hinting its log matches at
   * most up to `matchHint`. Returns false when the rejection is stale.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (matchHint === 0 && this.match > 0 && rejected >= this.match) {
      // An empty log answering at or above what it acknowledged: the follower lost its state
      // (a wiped node, a replica created again from a message). It starts over, from a
      // snapshot, and no longer counts toward a quorum (or a merge's fence) at its old index.
      this.match = 0;
      this.next = 1;
      this.probeSent = false;
      return true;
    }
    if (this.state === ProgressState.Replicate) {
      if (rejected === this.match && matchHint < this.match) {
        // A shorter log than it acknowledged answering at its match: how a follower that lost
        // its state answers a heartbeat (handleHeartbeat) while its leader replicates nothing
        // (its match is the last index, so no append goes out to be rejected). It starts over
        // from its hint, as a probe rejected so does below.
        this.match = 0;
        this.next = matchHint + 1;
        this.probeSent = false;
        return true;
      }
      if (rejected <= this.match) return false; // stale
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false; // not the probe we sent: stale
    if (matchHint < this.match && rejected >= this.match) {
      // Its log ends (or differs) below what it acknowledged, answering the probe at or above
      // it: a healthy follower's hint never falls below its match. It lost its state and came
      // back with a shorter log (a wiped node whose replica a split made again at the split's
      // index). Never backing off below the match probed it at the same index forever, and it
      // never caught up; it starts over from its hint and counts at its old index no more.
      this.match = 0;
    }
    const next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    // A follower rejecting at or below what it acknowledged lost durable state
    // (a broken disk or driver): resending the same probe at once would only
    // ping-pong, so wait for the next heartbeat response instead.
    if (next === this.next) return false;
    this.next = next;
    this.probeSent = false;
    return true;
  }

  /** True when the leader should not send appends to this follower now. */
  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.probeSent;
      case ProgressState.Replicate:
        return this.inflights.full();
      case ProgressState.Snapshot:
        return true;
    }
  }

  describe(): string {
    let s = `${STATE_NAMES[this.state]} match=${this.match} next=${this.next}`;
    if (this.isLearner) s += " learner";
    if (this.isPaused()) s += " paused";
    if (this.pendingSnapshot > 0) s += ` pendingSnap=${this.pendingSnapshot}`;
    if (!this.recentActive) s += " inactive";
    const n = this.inflights.count;
    if (n > 0) s += ` inflight=${n}`;
    if (this.inflights.full()) s += "[full]";
    return s;
  }
}
