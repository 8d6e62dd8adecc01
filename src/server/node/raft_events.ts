/**
 * Turns what the Raft core reports (its soft state and event counters) into
 * the node's election and leader-change log lines (docs/logging.md). The core
 * stays pure: it only counts, and this reads the counts whenever the driver
 * hands over a new soft state. It also feeds the leader history (dashboard).
 */
import { type ConfChange, ConfChangeType } from "../../raft/core/confchange/conf_change.ts";
import type { ConfState } from "../../raft/core/messages.ts";
import type { RaftCounts, SoftState } from "../../raft/api.ts";
import type { Logger } from "../log/logger.ts";
import type { LeaderHistory } from "./leader_history.ts";

/** What the observer reads from the Raft node (its RawNode). */
export interface RaftView {
  status(): {
    readonly term: number;
    readonly commit: number;
    readonly counts: RaftCounts;
    readonly confState: ConfState;
  };
}

/** Why the leader this node knows changed (docs/logging.md, `leader.changed`). */
export type LeaderChangeReason =
  | "elected"
  | "transfer"
  | "check-quorum"
  | "higher-term"
  | "timeout";

type Counts = RaftCounts;

export class RaftEvents {
  #lead = 0;
  #term: number;
  #seen: Counts;
  /** The configuration is joint (membership lines say when it is entered and left). */
  #joint = false;
  /** Learners of the last configuration applied here (an AddNode of one is a promotion). */
  #learners = new Set<number>();
  /** Conf changes up to here were logged before a restart: their replay is not logged again. */
  #replayedUpTo = 0;
  /** Why this node last campaigned: its election timer, or asked to by the node (at start). */
  #campaign: "timeout" | "campaign" = "timeout";
  /** How this node's last real election started. */
  #lastElection: "timeout" | "campaign" | "transfer" = "timeout";

  constructor(
    readonly id: number,
    readonly logger: Logger,
    readonly raft: () => RaftView,
    readonly history: LeaderHistory,
  ) {
    const s = raft().status();
    this.#term = s.term;
    this.#seen = s.counts;
    this.#replayedUpTo = s.commit;
    this.#joint = s.confState.votersOutgoing.length > 0;
    this.#learners = new Set([...s.confState.learners, ...s.confState.learnersNext]);
  }

  /** Called with every new soft state (RaftNode's onSoftState hook). */
  observe(soft: SoftState): void {
    const { term, counts: now } = this.raft().status();
    const was = this.#seen;
    const node = this.id;
    // With pre-vote every campaign starts as one; it comes from a timeout or was asked for.
    if (now.electionTimeouts > was.electionTimeouts) this.#campaign = "timeout";
    else if (now.preVotesStarted > was.preVotesStarted) this.#campaign = "campaign";
    if (now.preVotesStarted > was.preVotesStarted) {
      this.logger.debug("election.prevote", { node, reason: this.#campaign });
    }
    if (now.electionsStarted > was.electionsStarted) {
      this.#lastElection = now.transferElections > was.transferElections
        ? "transfer"
        : this.#campaign;
      this.logger.info("election.started", { node, term, reason: this.#lastElection });
    }
    if (now.electionsWon > was.electionsWon) {
      const v = now.lastWinVotes;
      this.logger.info("election.won", { node, term, votes: `${v.granted}/${v.voters}` });
    }
    if (soft.lead !== this.#lead) {
      const reason = this.#reason(soft.lead, term, was, now);
      this.logger.info("leader.changed", {
        node,
        old: this.#lead === 0 ? "none" : this.#lead,
        new: soft.lead === 0 ? "none" : soft.lead,
        term,
        reason,
      });
      this.#lead = soft.lead;
    }
    this.history.observe(soft.lead, term);
    this.#seen = now;
    this.#term = term;
  }

  #reason(lead: number, term: number, was: Counts, now: Counts): LeaderChangeReason {
    if (this.#lead === this.id) {
      // This node stepped down.
      if (now.checkQuorumStepDowns > was.checkQuorumStepDowns) return "check-quorum";
      if (now.timeoutNowSent > was.timeoutNowSent) return "transfer";
      return "higher-term";
    }
    if (lead === this.id) return this.#lastElection === "transfer" ? "transfer" : "elected";
    if (lead !== 0) return "elected";
    if (now.transferElections > was.transferElections) return "transfer";
    // No leader known any more: a higher term came (someone else campaigns), or this
    // node heard nothing from its leader for an election timeout and campaigns itself.
    return term > this.#term ? "higher-term" : "timeout";
  }

  /**
   * A conf change applied on this node: one line per step (`membership.learner_added`,
   * `.promoted`, `.voter_added`, `.removed`), then `.joint_entered` or `.joint_left`.
   */
  confChanged(cc: ConfChange, cs: ConfState, index: number): void {
    const node = this.id;
    const replayed = index <= this.#replayedUpTo;
    const config = {
      voters: cs.voters.join(",") || "none",
      outgoing: cs.votersOutgoing.length > 0 ? cs.votersOutgoing.join(",") : undefined,
      learners: cs.learners.length > 0 ? cs.learners.join(",") : undefined,
    };
    for (const c of replayed ? [] : cc.changes) {
      const step = c.type === ConfChangeType.AddLearner
        ? "learner_added"
        : c.type === ConfChangeType.RemoveNode
        ? "removed"
        : this.#learners.has(c.nodeId)
        ? "promoted"
        : "voter_added";
      this.logger.info(`membership.${step}`, { node, member: c.nodeId, ...config });
    }
    const joint = cs.votersOutgoing.length > 0;
    if (joint && !this.#joint && !replayed) {
      this.logger.info("membership.joint_entered", { node, ...config });
    }
    if (!joint && this.#joint && !replayed) {
      this.logger.info("membership.joint_left", { node, ...config });
    }
    this.#joint = joint;
    this.#learners = new Set([...cs.learners, ...cs.learnersNext]);
  }
}
