/**
 * The public face of the core: a single-threaded, synchronous Raft node. The driver calls
 * `tick`, `step` and the request methods, then drains `ready()`/`advance()` (ready.ts).
 */
import { assert } from "../../util/assert.ts";
import { last } from "./array.ts";
import type { RaftConfig } from "./config.ts";
import { type ConfChange, encodeConfChange } from "./confchange/conf_change.ts";
import {
  type ConfState,
  type Entry,
  EntryType,
  type HardState,
  isLocalMessage,
  isResponseMessage,
  type Message,
  MessageType,
} from "./messages.ts";
import { Raft } from "./raft.ts";
import { resumeAfterQuiet } from "./quiet_wake.ts";
import { ownLogPersisted } from "./self_ack.ts";
import type { Ready, SoftState } from "./ready.ts";
import type { ProposeResult, RequestResult } from "./request_result.ts";
import { StateType, type StepError } from "./state_type.ts";
import { type Status, statusOf } from "./status.ts";

export type { EntryPosition, ProposeResult, Refused, RequestResult } from "./request_result.ts";

const OK: RequestResult = Object.freeze({ ok: true });
const NO_MESSAGES: readonly Message[] = Object.freeze([]);
const NO_ENTRIES: readonly Entry[] = Object.freeze([]);
const FORWARDED: ProposeResult = Object.freeze({ ok: true, forwarded: true });

function result(err: StepError | undefined): RequestResult {
  return err === undefined ? OK : { ok: false, reason: err };
}

export class RawNode {
  /** Sealed: the driver and the server see the core only through this class (docs/raft.md). */
  readonly #raft: Raft;
  #prevSoft: SoftState;
  #prevHard: HardState;
  #pending: Ready | undefined = undefined;
  /** The last entry handed out by `takeCommitted`; it counts as applied at the next `advance`. */
  #taken = 0;

  constructor(config: RaftConfig) {
    this.#raft = new Raft(config);
    this.#prevSoft = this.#softState();
    this.#prevHard = this.#raft.hardState();
  }

  tick(): void {
    this.#raft.tick();
  }

  /** Raft.mayCampaign: off while the node may not vote (it never campaigns then). */
  setMayCampaign(on: boolean): void {
    this.#raft.mayCampaign = on;
  }

  /** Starts an election now (as if the election timeout elapsed). */
  campaign(): void {
    this.#raft.step({ type: MessageType.Hup, from: this.#raft.id, to: this.#raft.id, term: 0 });
  }

  /**
   * Feeds a message received from a peer. Local-only kinds are ignored (a peer cannot inject
   * local events), and so are responses from non-members (stale). Other messages from unknown
   * senders are handled: the sender may be a leader whose configuration we have not learned.
   */
  step(m: Message): boolean {
    if (isLocalMessage(m.type)) return false;
    if (isResponseMessage(m.type) && !this.#raft.trk.progress.has(m.from)) return false;
    this.#raft.step(m);
    return true;
  }

  propose(data: Uint8Array): ProposeResult {
    return this.#propose({ term: 0, index: 0, type: EntryType.Normal, data });
  }

  proposeConfChange(cc: ConfChange): ProposeResult {
    const data = encodeConfChange(cc);
    return this.#propose({ term: 0, index: 0, type: EntryType.ConfChange, data });
  }

  #propose(e: Entry): ProposeResult {
    const r = this.#raft;
    const lastBefore = r.log.lastIndex();
    const err = r.step({ type: MessageType.Prop, from: r.id, to: r.id, term: 0, entries: [e] });
    if (e.type === EntryType.Normal) {
      if (err === undefined) r.counters.proposalsAccepted++;
      else r.counters.proposalsRefused++;
    }
    if (err !== undefined) return { ok: false, reason: err };
    if (r.state !== StateType.Leader) return FORWARDED;
    const index = r.log.lastIndex();
    if (index !== lastBefore + 1) assert(false, `a proposal appended ${index - lastBefore}`);
    return { ok: true, forwarded: false, index, term: r.term };
  }

  /** Applies a committed conf change; returns the resulting configuration. */
  applyConfChange(cc: ConfChange): ConfState {
    return this.#raft.applyConfChange(cc);
  }

  /** A linearizable read, answered as a later Ready's `ReadState`; `context` unique (id first). */
  readIndex(context: Uint8Array): RequestResult {
    const id = this.#raft.id;
    return result(
      this.#raft.step({ type: MessageType.ReadIndex, from: id, to: id, term: 0, context }),
    );
  }

  transferLeader(transferee: number): RequestResult {
    const id = this.#raft.id;
    return result(
      this.#raft.step({ type: MessageType.TransferLeader, from: id, to: id, term: 0, transferee }),
    );
  }

  /** Tells the leader that sending to `id` failed. */
  reportUnreachable(id: number): void {
    this.#raft.step({ type: MessageType.Unreachable, from: id, to: this.#raft.id, term: 0 });
  }

  /** Tells the leader whether a snapshot reached `id`. */
  reportSnapshot(id: number, ok: boolean): void {
    const to = this.#raft.id;
    this.#raft.step({ type: MessageType.SnapStatus, from: id, to, term: 0, reject: !ok });
  }

  /** The driver ticks this node again after a quiet period (quiet_wake.ts). */
  resumeAfterQuiet(leaderLost: boolean): void {
    resumeAfterQuiet(this.#raft, leaderLost);
  }

  #softState(): SoftState {
    return { lead: this.#raft.lead, state: this.#raft.state };
  }

  hasReady(): boolean {
    const r = this.#raft;
    if (r.lead !== this.#prevSoft.lead || r.state !== this.#prevSoft.state) return true;
    if (!sameHard(r.hardState(), this.#prevHard)) return true;
    if (r.log.unstable.snapshot !== undefined) return true;
    return r.msgs.length > 0 || r.log.unstableEntries().length > 0 ||
      r.readStates.length > 0 || r.log.hasNextCommittedEnts();
  }

  /** Collects pending work. Must be followed by `advance` before the next call. */
  ready(): Ready {
    assert(this.#pending === undefined, "ready() called again before advance()");
    const r = this.#raft;
    const soft = this.#softState();
    const hard = r.hardState();
    const hardChanged = !sameHard(hard, this.#prevHard);
    const entries = r.log.unstableEntries().slice();
    const committedEntries = r.log.nextCommittedEnts();
    const rd: Ready = {
      softState: soft.lead !== this.#prevSoft.lead || soft.state !== this.#prevSoft.state
        ? soft
        : undefined,
      hardState: hardChanged ? hard : undefined,
      readStates: r.readStates,
      entries,
      snapshot: r.log.unstable.snapshot,
      committedEntries,
      messages: r.msgs,
      // Only a changed term/vote or new entries need fsync; commit alone can be lost.
      mustSync: entries.length > 0 || hard.term !== this.#prevHard.term ||
        hard.vote !== this.#prevHard.vote || r.log.unstable.snapshot !== undefined,
    };
    r.msgs = [];
    r.readStates = [];
    if (committedEntries.length > 0) r.log.acceptApplying(last(committedEntries).index);
    if (rd.softState !== undefined) this.#prevSoft = soft;
    this.#pending = rd;
    return rd;
  }

  /**
   * Takes the messages produced since the last Ready, for a driver that sends a leader's
   * messages while a Ready is still being persisted (docs/raft.md, the driver). `sendable`
   * decides whether they may leave now; when it says no, they stay and leave with the next Ready.
   */
  takeMessages(sendable: (msgs: readonly Message[]) => boolean): readonly Message[] {
    const r = this.#raft;
    if (r.msgs.length === 0 || !sendable(r.msgs)) return NO_MESSAGES;
    const out = r.msgs;
    r.msgs = [];
    return out;
  }

  /**
   * Hands out the committed entries no Ready carried yet, as the next Ready would (they leave
   * none there), when `applicable` accepts them; else none. For a driver that applies what its
   * followers committed while its own save runs (multi/apply_ahead.ts). They count as applied at
   * the next `advance`, as a Ready's committed entries do.
   */
  takeCommitted(applicable: (ents: readonly Entry[]) => boolean): readonly Entry[] {
    const log = this.#raft.log;
    const ents = log.nextCommittedEnts();
    if (ents.length === 0 || !applicable(ents)) return NO_ENTRIES;
    this.#taken = last(ents).index;
    log.acceptApplying(this.#taken);
    return ents;
  }

  /** Acknowledges that `rd` was persisted, sent and applied. */
  advance(rd: Ready): void {
    assert(this.#pending === rd, "advance() with a Ready that is not the pending one");
    this.#pending = undefined;
    const r = this.#raft;
    if (rd.hardState !== undefined) this.#prevHard = rd.hardState;
    if (rd.snapshot !== undefined) r.log.stableSnapTo(rd.snapshot.metadata.index);
    if (rd.entries.length > 0) {
      const e = last(rd.entries);
      r.log.stableTo(e.index, e.term);
      ownLogPersisted(r);
    }
    if (rd.committedEntries.length > 0) r.log.appliedTo(last(rd.committedEntries).index);
    else if (rd.snapshot !== undefined) {
      r.log.appliedTo(Math.max(r.log.applied, rd.snapshot.metadata.index));
    }
    if (this.#taken > r.log.applied) r.log.appliedTo(this.#taken);
    this.#maybeAutoLeave();
  }

  /** A joint config with auto-leave is left as soon as it has been applied. */
  #maybeAutoLeave(): void {
    const r = this.#raft;
    const c = r.trk.config;
    if (r.state !== StateType.Leader || !c.autoLeave || c.voters[1].size === 0) return;
    if (r.pendingConfIndex > r.log.applied) return;
    this.proposeConfChange({ transition: 0, changes: [] });
  }

  /** A full copy of the node's state, progress of every peer included (status.ts). */
  status(): Status {
    return statusOf(this.#raft);
  }
  // Narrow queries, for per-request paths where a whole `status()` would be wasteful.

  get id(): number {
    return this.#raft.id;
  }

  get term(): number {
    return this.#raft.term;
  }

  /** The leader this node knows of in its term; 0 when none. */
  get lead(): number {
    return this.#raft.lead;
  }

  get isLeader(): boolean {
    return this.#raft.state === StateType.Leader;
  }

  /** Leads as the only voter: no other can be elected without a conf change it commits. */
  get leadsAlone(): boolean {
    return this.isLeader && this.#raft.trk.isSingleton();
  }

  get commitIndex(): number {
    return this.#raft.log.committed;
  }

  get lastIndex(): number {
    return this.#raft.log.lastIndex();
  }

  /** An entry of this term has committed: only then is the commit index known current (§6.4). */
  get commitIsCurrent(): boolean {
    return this.#raft.log.term(this.#raft.log.committed) === this.#raft.term;
  }

  /** The index up to which the driver has acknowledged applying (through `advance`). */
  get appliedIndex(): number {
    return this.#raft.log.applied;
  }

  /** Term and vote as the core holds them now (persisted or about to be, by a Ready). */
  hardState(): HardState {
    return this.#raft.hardState();
  }

  /** Tests and simulation checkers only (tests/raft/raft_api_test.ts checks). */
  static innerRaftForTesting(rn: RawNode): Raft {
    return rn.#raft;
  }
}

function sameHard(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
