/**
 * What a RawNode reports about itself (`RawNode.status()`): a copy, so that
 * callers outside the core never hold on to, or change, its live state. It
 * is built per call (progress of every peer included): use the narrow
 * queries on RawNode on a per-request path.
 */
import type { ConfState } from "./messages.ts";
import type { Raft } from "./raft.ts";
import { StateType } from "./state_type.ts";
import { type Progress, ProgressState } from "./tracker/progress.ts";
import { configToConfState } from "./tracker/tracker.ts";

/** A node's role in its current term. A learner is a follower that cannot vote. */
export type Role = "follower" | "pre-candidate" | "candidate" | "leader";

const ROLES: Readonly<Record<StateType, Role>> = {
  [StateType.Follower]: "follower",
  [StateType.PreCandidate]: "pre-candidate",
  [StateType.Candidate]: "candidate",
  [StateType.Leader]: "leader",
};

export function roleOf(state: StateType): Role {
  return ROLES[state];
}

/** How the leader is replicating to one peer (tracker/progress.ts). */
export type ReplicationState = "probe" | "replicate" | "snapshot";

const REPLICATION_STATES: Readonly<Record<ProgressState, ReplicationState>> = {
  [ProgressState.Probe]: "probe",
  [ProgressState.Replicate]: "replicate",
  [ProgressState.Snapshot]: "snapshot",
};

/** The leader's view of one peer (itself included). */
export interface PeerProgress {
  /** Highest index known to match the leader's log. */
  readonly match: number;
  /** Next index the leader sends. */
  readonly next: number;
  readonly state: ReplicationState;
  /** Heard from since the last CheckQuorum round. */
  readonly recentActive: boolean;
  /**
   * Heard from within the last election timeout (a fresher test than
   * `recentActive`, which is reset only once per election timeout).
   */
  readonly heardRecently: boolean;
  /** Append messages sent and not yet acknowledged. */
  readonly inflight: number;
  readonly isLearner: boolean;
}

/** Event counts since the process started (counters.ts), copied. */
export interface RaftCounts {
  readonly electionsStarted: number;
  readonly preVotesStarted: number;
  readonly electionsWon: number;
  readonly electionTimeouts: number;
  readonly transferElections: number;
  readonly checkQuorumStepDowns: number;
  readonly timeoutNowSent: number;
  readonly lastWinVotes: { readonly granted: number; readonly voters: number };
  readonly proposalsAccepted: number;
  readonly proposalsRefused: number;
}

export interface Status {
  readonly id: number;
  readonly term: number;
  readonly vote: number;
  /** The leader this node knows of in its term; 0 when none. */
  readonly lead: number;
  readonly role: Role;
  /** This node is a learner of the current configuration (it never votes or campaigns). */
  readonly isLearner: boolean;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly confState: ConfState;
  /** Leader only (empty otherwise): every member's progress, by id. */
  readonly progress: ReadonlyMap<number, PeerProgress>;
  /** Leader only: the voter leadership is being transferred to; 0 when none. */
  readonly leadTransferee: number;
  readonly counts: RaftCounts;
  /** Why the last refused conf change proposal was refused ("" if none was). */
  readonly lastRefusal: string;
}

/** A peer was heard from within the last election timeout (the conf change guard's test). */
export function heardRecently(r: Raft, pr: Progress): boolean {
  return r.tickCount - pr.lastHeardTick <= r.cfg.electionTicks;
}

function progressOf(r: Raft): ReadonlyMap<number, PeerProgress> {
  const out = new Map<number, PeerProgress>();
  if (r.state !== StateType.Leader) return out;
  for (const [id, pr] of r.trk.progress) {
    out.set(id, {
      match: pr.match,
      next: pr.next,
      state: REPLICATION_STATES[pr.state],
      recentActive: pr.recentActive,
      heardRecently: id === r.id || heardRecently(r, pr),
      inflight: pr.inflights.count,
      isLearner: pr.isLearner,
    });
  }
  return out;
}

export function statusOf(r: Raft): Status {
  const c = r.counters;
  return {
    id: r.id,
    term: r.term,
    vote: r.vote,
    lead: r.lead,
    role: roleOf(r.state),
    isLearner: r.isLearner,
    commit: r.log.committed,
    applied: r.log.applied,
    lastIndex: r.log.lastIndex(),
    confState: configToConfState(r.trk.config),
    progress: progressOf(r),
    leadTransferee: r.leadTransferee,
    counts: {
      electionsStarted: c.electionsStarted,
      preVotesStarted: c.preVotesStarted,
      electionsWon: c.electionsWon,
      electionTimeouts: c.electionTimeouts,
      transferElections: c.transferElections,
      checkQuorumStepDowns: c.checkQuorumStepDowns,
      timeoutNowSent: c.timeoutNowSent,
      lastWinVotes: c.lastWinVotes,
      proposalsAccepted: c.proposalsAccepted,
      proposalsRefused: c.proposalsRefused,
    },
    lastRefusal: r.lastRefusal,
  };
}
