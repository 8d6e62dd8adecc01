/**
 * One round of the multi-region driver (driver.ts): the Readys of every
 * region that had work, persisted with one `save` (one fsync), pipelined per
 * region as the single-group driver does (node.ts, docs/raft.md "the
 * driver"):
 *
 * - A leader region's appends and heartbeats leave before the save, and its
 *   followers' acknowledgements are stepped while the save runs; when they
 *   move its commit, the appends announcing it leave at once, or are held
 *   like every other commit notice (commit_notices.ts; acks_while_saving.ts). Safe
 *   because each region's core counts the leader's own log only once
 *   `advance` says it is durable.
 * - Committed entries are applied in order on one apply pipeline for the
 *   node, while the next round is persisted, and only once they are durable
 *   here (or, on a leader, committed by its followers mid-save:
 *   apply_ahead.ts); at most one round's applies are outstanding when the
 *   next round saves. A round in which any region has a snapshot or a conf change
 *   drains the pipeline and runs in the contract's strict order.
 * - A round without a leader sending first (followers' work only) fsyncs on
 *   this thread and queues its applies after its acknowledgements leave
 *   (round_state.ts `blocking`).
 * - A save that fails for lack of space keeps the round (no Ready is lost):
 *   it is saved again after a backoff before anything else (disk_retry.ts).
 *   Any other failure propagates: the driver halts.
 */
import { NoSpaceError } from "../../util/errors.ts";
import type { Clock } from "../../platform/types.ts";
import type { Message } from "../core/messages.ts";
import type { Ready } from "../core/ready.ts";
import { AcksWhileSaving } from "../acks_while_saving.ts";
import { ApplyPipeline } from "../apply_pipeline.ts";
import { DiskRetry } from "../disk_retry.ts";
import type { MultiLogStore } from "../multi_log_store.ts";
import { isConfChange, LEADER_MESSAGES } from "../persisted_state.ts";
import type { RegionInbox, StepRegion } from "./inbox.ts";
import type { RegionReplica } from "./region_replica.ts";
import { COMMIT_NOTICE_HOLD_MS, HeldCommitNotices } from "./commit_notices.ts";
import { sendRegions } from "./round_io.ts";
import {
  type ApplyBatch,
  pipelinedRound,
  type RegionReady,
  type Round,
  strictRound,
} from "./round_state.ts";
import { applyAll, type ApplyPassBracket } from "./apply_pass.ts";
import { entriesToApplyAhead, lastEntrySent, midSaveSendable } from "./apply_ahead.ts";
import type { MultiTransport } from "./transport.ts";

export interface RoundHost {
  readonly nodeId: number;
  readonly log: MultiLogStore;
  readonly transport: MultiTransport;
  readonly inbox: RegionInbox;
  readonly clock?: Clock;
  region(id: number): RegionReplica | undefined;
  /** Steps a peer message into a region (waking it as a message between rounds would). */
  step: StepRegion;
  /** A region's leader or role changed (a quiet region must tick again). */
  roleChanged(r: RegionReplica): void;
  /** A region's Ready was advanced. */
  advanced(r: RegionReplica): void;
  /** Runs the driver soon (a disk retry is due). */
  kick(): void;
  /** What is told around each group of applies (the driver's option). */
  readonly applyPass?: ApplyPassBracket;
}

export class RoundPipeline {
  readonly applies = new ApplyPipeline<ApplyBatch>((b) => applyAll(this.host.applyPass, b));
  readonly disk: DiskRetry<Round>;
  readonly #acks = new AcksWhileSaving();
  /** Leaders' commit-only appends, sent with the next append or at the next tick (or at once). */
  readonly held: HeldCommitNotices | undefined;
  #heldTimer = false;
  /** Rounds saved. */
  rounds = 0;

  constructor(readonly host: RoundHost, holdCommitNotices = false) {
    this.held = holdCommitNotices ? new HeldCommitNotices() : undefined;
    this.disk = new DiskRetry<Round>(host.clock, () => host.kick());
  }

  /** A peer batch arrived: a save in progress looks at the inbox for acknowledgements. */
  notify(): void {
    this.#acks.notify();
  }

  /** Runs a round of `readys`; false when its save failed for lack of space (kept for retry). */
  run(readys: ReadonlyMap<number, Ready>): Promise<boolean> {
    const work: RegionReady[] = [];
    for (const [id, rd] of readys) {
      const r = this.host.region(id);
      if (r !== undefined) work.push({ r, rd });
    }
    const strict = work.some(({ rd }) =>
      rd.snapshot !== undefined || rd.committedEntries.some(isConfChange)
    );
    return strict ? this.#strict(work) : this.#pipelined(work);
  }

  /** Saves the round whose save failed, and finishes it; false when the disk is still full. */
  retry(): Promise<boolean> {
    const round = this.disk.unsaved;
    if (round === undefined) return Promise.resolve(true);
    return round.strict ? this.#strict(round.work, round) : this.#pipelined(round.work, round);
  }

  async #pipelined(work: readonly RegionReady[], retried?: Round): Promise<boolean> {
    const previousApply = this.applies.settled;
    const round = retried ?? this.#beforeSave(work);
    const saving = this.#save(round);
    const saved = round.sentFirst.size > 0
      ? this.#acks.wait(saving, () => this.#stepAcks(round))
      : saving;
    if (!(await saved)) return false;
    for (const { r, rd } of work) r.persisted.saved(rd);
    this.#send(work.filter(({ r }) => !round.sentFirst.has(r.id)));
    if (round.blocking) this.#queueEarly(round);
    this.#roles(work);
    // Entries this round persisted apply while the next round is persisted.
    const later: ApplyBatch[] = [];
    for (const { r, rd } of work) {
      const entries = rd.committedEntries.slice(round.early.get(r.id) ?? 0);
      if (entries.length > 0) later.push({ r, entries });
    }
    this.applies.defer(later);
    this.#reads(work);
    // Back-pressure: what was queued before this round finishes before the next one.
    await previousApply;
    this.applies.throwIfFailed();
    this.#advance(work);
    return true;
  }

  /** Leaders' messages first; then, while the fsync runs, what earlier rounds made durable. */
  #beforeSave(work: readonly RegionReady[]): Round {
    const sentFirst = new Set<number>();
    for (const { r, rd } of work) {
      if (r.persisted.maySendBeforePersist(rd, r.rawNode.isLeader)) sentFirst.add(r.id);
    }
    if (sentFirst.size > 0) {
      this.#send(work.filter(({ r }) => sentFirst.has(r.id)));
      // On the wire before the save's write and fsync hand-off, not after them at the turn's end.
      this.host.transport.flushNow?.();
    }
    const early = new Map<number, number>();
    const batches: ApplyBatch[] = [];
    for (const { r, rd } of work) {
      const prefix = r.persisted.durablePrefix(rd.committedEntries);
      if (prefix.length === 0) continue;
      batches.push({ r, entries: prefix });
      early.set(r.id, prefix.length);
    }
    const round = pipelinedRound(work, sentFirst, early, batches);
    if (!round.blocking) this.#queueEarly(round);
    return round;
  }

  /** Queues what earlier rounds made durable and this round's durable prefix (`postponed`). */
  #queueEarly(round: Round): void {
    if (round.postponed === undefined) return;
    this.applies.queueDeferred();
    if (round.postponed.length > 0) this.applies.queue(round.postponed);
    round.postponed = undefined;
  }

  /** Snapshots and conf changes: drain the pipeline, then the contract's order exactly. */
  async #strict(work: readonly RegionReady[], retried?: Round): Promise<boolean> {
    if (retried === undefined) {
      await this.applies.drain();
      // A received snapshot's image is in the state machine before its marker is saved.
      // (Installed beside the rounds already, as the driver does: restoring.ts.)
      for (const { r, rd } of work) {
        const snap = rd.snapshot;
        if (snap !== undefined && snap.metadata.index > r.handedToApply) await r.restore(snap);
      }
    }
    const round = retried ?? strictRound(work);
    if (!(await this.#save(round))) return false;
    for (const { r, rd } of work) r.persisted.saved(rd);
    this.#send(work);
    this.#roles(work);
    await applyAll(
      this.host.applyPass,
      work.map(({ r, rd }) => ({ r, entries: rd.committedEntries })),
    );
    this.#reads(work);
    this.#advance(work);
    return true;
  }

  /** One save for every region (on this thread if `blocking`); a full disk keeps the round. */
  async #save(round: Round): Promise<boolean> {
    const requests = new Map<number, Ready>();
    for (const { r, rd } of round.work) requests.set(r.id, rd);
    try {
      await this.host.log.save(requests, round.blocking);
    } catch (err) {
      if (!(err instanceof NoSpaceError)) throw err;
      this.disk.failed(err);
      this.disk.unsaved = round;
      return false;
    }
    this.disk.saved();
    this.rounds++;
    return true;
  }

  /**
   * Steps the followers' acknowledgements of the leaders that sent first;
   * where they moved a commit, the entries it committed are queued for apply
   * (apply_ahead.ts) and the appends announcing it leave at once (held commit
   * notices excepted). A leader whose followers hold everything it sent also
   * sends what was proposed since at once (midSaveSendable).
   */
  #stepAcks(round: Round): void {
    const leaders = round.sentFirst;
    const before = new Map<number, { term: number; commit: number }>();
    for (const id of leaders) {
      const rn = this.host.region(id)?.rawNode;
      if (rn !== undefined) before.set(id, { term: rn.term, commit: rn.commitIndex });
    }
    this.host.inbox.stepAcks(leaders, (id) => this.host.region(id), this.host.step);
    const out: [RegionReplica, readonly Message[]][] = [];
    const ahead: ApplyBatch[] = [];
    for (const { r, rd } of round.work) {
      const b = before.get(r.id);
      const rn = r.rawNode;
      if (b === undefined || !rn.isLeader || rn.term !== b.term) continue;
      const moved = rn.commitIndex !== b.commit;
      if (moved) {
        const entries = entriesToApplyAhead(r, rd, round.early.get(r.id) ?? 0);
        if (entries.length > 0) ahead.push({ r, entries, ahead: true });
      } else if (!midSaveSendable(rn.commitIndex, rd, round.sentMidSave.get(r.id))) continue;
      const msgs = rn.takeMessages((ms) => ms.every((m) => LEADER_MESSAGES.has(m.type)));
      if (msgs.length === 0) continue;
      out.push([r, msgs]);
      const sent = lastEntrySent(msgs);
      if (sent > 0) round.sentMidSave.set(r.id, sent);
    }
    if (ahead.length > 0) this.applies.queue(ahead);
    if (out.length === 0) return;
    // Commit-only appends are held here too: with one write in flight the
    // acknowledgements usually arrive mid-save, and a notice sent now costs each
    // follower a round and an acknowledgement that the next append makes moot.
    sendRegions(out, this.host.nodeId, this.host.transport, this.held);
    this.#timeHeld();
  }

  /** Sends the commit notices still held (their timer, or the driver's tick). */
  releaseHeld(): void {
    const out = this.held?.release() ?? [];
    if (out.length > 0) sendRegions(out, this.host.nodeId, this.host.transport);
  }

  /** With a clock, what is held leaves COMMIT_NOTICE_HOLD_MS later unless an append took it. */
  #timeHeld(): void {
    const clock = this.host.clock;
    if (this.#heldTimer || clock === undefined || this.held?.any !== true) return;
    this.#heldTimer = true;
    clock.setTimeout(() => {
      this.#heldTimer = false;
      this.releaseHeld();
    }, COMMIT_NOTICE_HOLD_MS);
  }

  #send(work: readonly RegionReady[]): void {
    if (work.length === 0) return;
    const out = work.map(({ r, rd }) => [r, rd.messages] as const);
    sendRegions(out, this.host.nodeId, this.host.transport, this.held);
    this.#timeHeld();
  }

  #roles(work: readonly RegionReady[]): void {
    for (const { r, rd } of work) {
      if (rd.softState === undefined) continue;
      r.pendingReads = 0; // reads pending across a leader change may never be answered
      r.hooks.onSoftState?.(rd.softState);
      this.host.roleChanged(r);
    }
  }

  #reads(work: readonly RegionReady[]): void {
    for (const { r, rd } of work) if (rd.readStates.length > 0) r.onReadStates(rd.readStates);
  }

  #advance(work: readonly RegionReady[]): void {
    for (const { r, rd } of work) {
      r.rawNode.advance(rd);
      this.host.advanced(r);
    }
  }
}
