/**
 * The leader's bookkeeping for the whole group: the current configuration,
 * one `Progress` per member and the votes of an ongoing election.
 */
import type { ConfState } from "../messages.ts";
import { jointCommitted, type JointConfig, jointIds, jointVoteResult } from "../quorum/joint.ts";
import { VoteResult } from "../quorum/majority.ts";
import type { Progress } from "./progress.ts";

export interface TrackerConfig {
  readonly voters: JointConfig;
  readonly learners: ReadonlySet<number>;
  /** Voters being demoted: they become learners when the joint config is left. */
  readonly learnersNext: ReadonlySet<number>;
  readonly autoLeave: boolean;
}

export const EMPTY_TRACKER_CONFIG: TrackerConfig = {
  voters: [new Set(), new Set()],
  learners: new Set(),
  learnersNext: new Set(),
  autoLeave: false,
};

export function isJoint(c: TrackerConfig): boolean {
  return c.voters[1].size > 0;
}

function sorted(s: Iterable<number>): number[] {
  return [...s].sort((a, b) => a - b);
}

export function configToConfState(c: TrackerConfig): ConfState {
  return {
    voters: sorted(c.voters[0]),
    votersOutgoing: sorted(c.voters[1]),
    learners: sorted(c.learners),
    learnersNext: sorted(c.learnersNext),
    autoLeave: c.autoLeave,
  };
}

export function describeConfig(c: TrackerConfig): string {
  let s = `voters=(${sorted(c.voters[0]).join(" ")})`;
  if (isJoint(c)) s += `&&(${sorted(c.voters[1]).join(" ")})`;
  if (c.learners.size > 0) s += ` learners=(${sorted(c.learners).join(" ")})`;
  if (c.learnersNext.size > 0) s += ` learners_next=(${sorted(c.learnersNext).join(" ")})`;
  if (c.autoLeave) s += " autoleave";
  return s;
}

export class ProgressTracker {
  config: TrackerConfig = EMPTY_TRACKER_CONFIG;
  progress: Map<number, Progress> = new Map();
  votes: Map<number, boolean> = new Map();

  /** Commit index reached by a (joint) quorum of voters. */
  committed(): number {
    return jointCommitted(this.config.voters, (id) => this.progress.get(id)?.match);
  }

  /** Member ids in ascending order: iteration order shapes message order. */
  ids(): number[] {
    return sorted(this.progress.keys());
  }

  voterIds(): number[] {
    return sorted(jointIds(this.config.voters));
  }

  isVoter(id: number): boolean {
    return this.config.voters[0].has(id) || this.config.voters[1].has(id);
  }

  /** A single voter and no one else to replicate to: commits need no round trip. */
  isSingleton(): boolean {
    return this.config.voters[0].size === 1 && this.config.voters[1].size === 0;
  }

  resetVotes(): void {
    this.votes = new Map();
  }

  recordVote(id: number, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const id of this.progress.keys()) {
      if (!this.isVoter(id)) continue;
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    return { granted, rejected, result: jointVoteResult(this.config.voters, this.votes) };
  }

  /** True when a quorum of voters was recently active (self is always active). */
  quorumActive(selfId: number): boolean {
    const votes = new Map<number, boolean>();
    for (const [id, pr] of this.progress) {
      if (pr.isLearner) continue;
      votes.set(id, id === selfId || pr.recentActive);
    }
    return jointVoteResult(this.config.voters, votes) === VoteResult.Won;
  }

  /**
   * The leader tick from which a quorum has acknowledged heartbeats: the lease
   * is counted from there. `selfTick` stands for the leader itself.
   */
  quorumAckedTick(selfId: number, selfTick: number): number {
    return jointCommitted(this.config.voters, (id) => {
      if (id === selfId) return selfTick;
      // Never acknowledged: counts as infinitely old, not as tick 0.
      return this.progress.get(id)?.ackedTick ?? Number.MIN_SAFE_INTEGER;
    });
  }
}
