/**
 * The Raft state machine of one node: role transitions, ticks, the term rules
 * that apply to every message, and voting. Role-specific message handling is
 * in step_leader.ts, step_candidate.ts and step_follower.ts; sending appends,
 * heartbeats and snapshots is in replication.ts.
 *
 * Everything is synchronous. Outgoing messages accumulate in `msgs` and leave
 * through `RawNode.ready()`, after the state they depend on is persisted.
 */
import { assert } from "../../util/assert.ts";
import { type RaftConfig, ReadOnlyOption, type ResolvedConfig, validateConfig } from "./config.ts";
import { changeConfig, configFromConfState } from "./confchange/changer.ts";
import type { ConfChange } from "./confchange/conf_change.ts";
import { RaftLog } from "./log.ts";
import {
  type ConfState,
  type Entry,
  EntryType,
  type HardState,
  type Message,
  MessageType,
  payloadBytes,
  type ReadIndexMsg,
  type Snapshot,
} from "./messages.ts";
import { ReadOnly, type ReadState } from "./read_only.ts";
import { Progress } from "./tracker/progress.ts";
import { applyConfig } from "./conf_apply.ts";
import { configToConfState, ProgressTracker } from "./tracker/tracker.ts";
import { VoteResult } from "./quorum/majority.ts";
import { releasePendingReads, stepLeader } from "./step_leader.ts";
import { handleVote, hup } from "./election.ts";
import { stepCandidate } from "./step_candidate.ts";
import { stepFollower } from "./step_follower.ts";
import { bcastAppend, maybeSendAppend } from "./replication.ts";
import { RaftCounters } from "./counters.ts";
import { StateType, type StepError } from "./state_type.ts";
import { tickElection, tickHeartbeat } from "./ticks.ts";
import { ownMatchBaseline, selfAckWaitsForPersist } from "./self_ack.ts";

export { STATE_NAMES, StateType, type StepError } from "./state_type.ts";

export class Raft {
  readonly id: number;
  readonly cfg: ResolvedConfig;
  term = 0;
  vote = 0;
  lead = 0;
  state: StateType = StateType.Follower;
  isLearner = false;
  readonly log: RaftLog;
  trk = new ProgressTracker();
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  readOnly: ReadOnly;
  /** Reads that arrived before the leader committed an entry of its term. */
  pendingReads: ReadIndexMsg[] = [];
  leadTransferee = 0;
  /** The leader sent TimeoutNow in this term: its lease can no longer be trusted. */
  transferIssued = false;
  /** Index of the latest conf change in the log; only one may be pending. */
  pendingConfIndex = 0;
  /** Payload bytes of uncommitted entries (leader only). */
  uncommittedBytes = 0;
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  /** Ticks since this node started: leases and the restart vote guard count them. */
  tickCount = 0;
  /** Why the last refused conf change proposal was refused. */
  lastRefusal = "";
  readonly counters = new RaftCounters();

  constructor(config: RaftConfig) {
    this.cfg = validateConfig(config);
    this.id = this.cfg.id;
    this.log = new RaftLog(this.cfg.storage);
    this.readOnly = new ReadOnly(this.cfg.maxPendingReads);
    const { hardState, confState } = this.cfg.storage.initialState();
    applyConfig(this, configFromConfState(confState));
    if (hardState.term !== 0 || hardState.vote !== 0 || hardState.commit !== 0) {
      this.#loadState(hardState);
    }
    if (this.cfg.applied > 0) this.log.appliedTo(this.cfg.applied);
    this.becomeFollower(this.term, 0);
  }

  #loadState(hs: HardState): void {
    const lastIndex = this.log.lastIndex();
    // Storage must hold every entry it acknowledged as committed.
    assert(hs.commit >= this.log.committed && hs.commit <= lastIndex, `bad commit ${hs.commit}`);
    this.log.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  /** Off while the node may not vote: no campaign, not even on TimeoutNow (docs/regions.md). */
  mayCampaign = true;
  /** True when this node can become leader: a voter of the current config that may campaign. */
  promotable(): boolean {
    const pr = this.trk.progress.get(this.id);
    return this.mayCampaign && pr !== undefined && !pr.isLearner && this.trk.isVoter(this.id);
  }

  send(m: Message): void {
    assert(m.to !== this.id || m.type === MessageType.ReadIndexResp, "send to self");
    this.msgs.push(m);
  }

  // ---- role transitions ----

  #reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = 0;
    }
    this.lead = 0;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.electionTicks +
      this.cfg.prng.int(this.cfg.electionTicks);
    this.leadTransferee = 0;
    this.transferIssued = false;
    this.trk.resetVotes();
    const lastIndex = this.log.lastIndex();
    for (const [id, pr] of this.trk.progress) {
      const fresh = new Progress(lastIndex + 1, this.cfg.maxInflightMsgs, pr.isLearner);
      if (id === this.id) {
        fresh.match = ownMatchBaseline(this);
        fresh.recentActive = true;
      }
      this.trk.progress.set(id, fresh);
    }
    this.pendingConfIndex = 0;
    this.uncommittedBytes = 0;
    this.readOnly = new ReadOnly(this.cfg.maxPendingReads);
    this.pendingReads = [];
  }

  becomeFollower(term: number, lead: number): void {
    this.#reset(term);
    this.lead = lead;
    this.state = StateType.Follower;
  }

  becomeCandidate(): void {
    assert(this.state !== StateType.Leader, "leader cannot become candidate");
    this.#reset(this.term + 1);
    this.vote = this.id;
    this.state = StateType.Candidate;
    this.counters.electionsStarted++;
  }

  becomePreCandidate(): void {
    assert(this.state !== StateType.Leader, "leader cannot become pre-candidate");
    // A pre-election changes neither term nor vote: it only asks whether a
    // real election could win, so a partitioned node does not inflate terms.
    this.trk.resetVotes();
    this.lead = 0;
    this.state = StateType.PreCandidate;
    this.counters.preVotesStarted++;
  }

  becomeLeader(): void {
    assert(this.state !== StateType.Follower, "follower cannot become leader directly");
    this.#reset(this.term);
    this.lead = this.id;
    this.state = StateType.Leader;
    this.counters.electionsWon++;
    const self = this.trk.progress.get(this.id);
    if (self !== undefined) self.becomeReplicate();
    self?.maybeUpdate(ownMatchBaseline(this));
    // Conservatively treat every entry up to here as possibly a conf change.
    this.pendingConfIndex = this.log.lastIndex();
    // An empty entry of the new term lets the leader commit earlier entries (§5.4.2).
    const ok = this.appendEntry([{ term: 0, index: 0, type: EntryType.Normal, data: EMPTY }]);
    assert(ok, "the empty leader entry is always admissible");
  }

  // ---- ticks ----

  tick(): void {
    this.tickCount++;
    if (this.state === StateType.Leader) tickHeartbeat(this);
    else tickElection(this);
  }

  /** A follower in its lease ignores (pre-)votes: its leader is alive (§6 / thesis §4.2.3). */
  inLease(): boolean {
    if (!this.cfg.checkQuorum) return false;
    if (this.lead !== 0 && this.electionElapsed < this.cfg.electionTicks) return true;
    // After a restart the node may have acknowledged a leader's lease just before it
    // crashed: with lease reads on, it waits one election timeout before voting.
    return this.cfg.readOnlyOption === ReadOnlyOption.LeaseBased &&
      this.tickCount < this.cfg.electionTicks;
  }

  poll(id: number, granted: boolean): VoteResult {
    this.trk.recordVote(id, granted);
    return this.trk.tallyVotes().result;
  }

  // ---- step ----

  /** Processes one message. Returns why it was refused, for local requests. */
  step(m: Message): StepError | undefined {
    if (m.term > this.term) {
      if (this.#ignoreHigherTerm(m)) return undefined;
    } else if (m.term !== 0 && m.term < this.term) {
      this.#handleStaleTerm(m);
      return undefined;
    }
    switch (m.type) {
      case MessageType.Hup:
        hup(this, m.transfer === true);
        return undefined;
      case MessageType.Vote:
      case MessageType.PreVote:
        handleVote(this, m);
        return undefined;
      default:
        break;
    }
    if (this.state === StateType.Leader) return stepLeader(this, m);
    if (this.state === StateType.Follower) return stepFollower(this, m);
    return stepCandidate(this, m);
  }

  /** Applies the higher-term rule (§5.1); true if the message is to be dropped. */
  #ignoreHigherTerm(m: Message): boolean {
    if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
      if (!m.transfer && this.inLease()) return true;
    }
    if (m.type === MessageType.PreVote) return false; // never changes our term
    if (m.type === MessageType.PreVoteResp && !m.reject) return false;
    const fromLeader = m.type === MessageType.App || m.type === MessageType.Heartbeat ||
      m.type === MessageType.Snap;
    this.becomeFollower(m.term, fromLeader ? m.from : 0);
    return false;
  }

  #handleStaleTerm(m: Message): void {
    if (
      (this.cfg.checkQuorum || this.cfg.preVote) &&
      (m.type === MessageType.Heartbeat || m.type === MessageType.App)
    ) {
      // A deposed leader whose heartbeats we ignore would never learn of the new
      // term while we refuse its votes in-lease: tell it.
      this.send({
        type: MessageType.AppResp,
        from: this.id,
        to: m.from,
        term: this.term,
        index: 0,
        reject: false,
        rejectHint: 0,
        logTerm: 0,
      });
    } else if (m.type === MessageType.PreVote) {
      this.send({
        type: MessageType.PreVoteResp,
        from: this.id,
        to: m.from,
        term: this.term,
        reject: true,
      });
    }
  }

  // ---- proposals ----

  /** Leader: appends entries of the current term; false if over the uncommitted budget. */
  appendEntry(ents: readonly Entry[]): boolean {
    const bytes = payloadBytes(ents);
    if (
      this.uncommittedBytes > 0 && bytes > 0 &&
      this.uncommittedBytes + bytes > this.cfg.maxUncommittedBytes
    ) {
      return false;
    }
    this.uncommittedBytes += bytes;
    let index = this.log.lastIndex();
    const stamped = ents.map((e) => ({
      term: this.term,
      index: ++index,
      type: e.type,
      data: e.data,
    }));
    const li = this.log.append(stamped);
    if (selfAckWaitsForPersist(this)) return true; // counted in ownLogPersisted
    this.trk.progress.get(this.id)?.maybeUpdate(li);
    this.maybeCommit();
    return true;
  }

  /** Leader: advances the commit index to what a quorum has; true if it moved. */
  maybeCommit(): boolean {
    const before = this.log.committed;
    if (!this.log.maybeCommit(this.trk.committed(), this.term)) return false;
    this.#reduceUncommitted(before);
    releasePendingReads(this);
    return true;
  }

  #reduceUncommitted(before: number): void {
    if (this.uncommittedBytes === 0) return;
    const ents = this.log.slice(before + 1, this.log.committed + 1, Infinity) ?? [];
    this.uncommittedBytes = Math.max(0, this.uncommittedBytes - payloadBytes(ents));
  }

  // ---- snapshots and configuration ----

  /** Follower: installs a snapshot; false when it is not newer than our log. */
  restore(s: Snapshot): boolean {
    const m = s.metadata;
    if (m.index <= this.log.committed) return false;
    // A snapshot whose configuration lacks us is still installed: a node added by
    // a later entry catches up this way, and without membership it cannot campaign.
    if (this.log.matchTerm(m.index, m.term)) {
      // We already have the entries: just fast-forward the commit index.
      this.log.commitTo(m.index);
      return false;
    }
    this.log.restore(s);
    this.trk = new ProgressTracker();
    applyConfig(this, configFromConfState(m.confState));
    return true;
  }

  /** Applies a committed conf change. Invalid ones are no-ops on every node. */
  applyConfChange(cc: ConfChange): ConfState {
    const res = changeConfig(this.trk.config, cc);
    if (!res.ok) return configToConfState(this.trk.config);
    applyConfig(this, res.config);
    const cs = configToConfState(this.trk.config);
    if (this.state !== StateType.Leader) return cs;
    if (this.trk.progress.get(this.id) === undefined || this.isLearner) {
      // Removed or demoted, and the change is committed: step down (§6).
      this.becomeFollower(this.term, 0);
      return cs;
    }
    if (this.maybeCommit()) bcastAppend(this);
    else for (const id of this.trk.ids()) if (id !== this.id) maybeSendAppend(this, id, false);
    if (this.leadTransferee !== 0 && !this.trk.isVoter(this.leadTransferee)) {
      this.leadTransferee = 0;
    }
    return cs;
  }
}

const EMPTY = new Uint8Array(0);
