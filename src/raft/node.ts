/**
 * The async driver of one Raft node (docs/style.md §2.2): it turns clock time
 * into ticks, drains a bounded inbox of peer messages into the core, and runs
 * the Ready loop — persist (one fsync per Ready: group commit), send, apply,
 * advance — pipelined where the Ready contract allows it (docs/raft.md, the
 * driver):
 *
 * - A leader sends its appends and heartbeats before its own fsync, and steps
 *   its followers' acknowledgements while that fsync runs (Raft thesis
 *   §10.2.1, acks_while_saving.ts). Safe because the core counts the leader's
 *   own log toward a commit only once `advance` reports it durable.
 * - Entries are applied in order on one apply pipeline that runs while the
 *   next Ready is persisted, and only once they are durable here. At most one
 *   Ready's apply is outstanding when the next Ready is taken. A Ready that
 *   carries a snapshot or a conf change drains the pipeline and runs strictly
 *   in order.
 *
 * Tests and the simulator call `tick()` and `runOnce()` directly (it returns
 * once everything is applied); a server calls `start()` to drive them from
 * the platform clock.
 */
import { assert } from "../util/assert.ts";
import { NoSpaceError } from "../util/errors.ts";
import {
  type Entry,
  EntryType,
  isVoteRequest,
  type Message,
  type Snapshot,
} from "./core/messages.ts";
import { type ConfChange, decodeConfChange } from "./core/confchange/conf_change.ts";
import { type ProposeResult, RawNode, type RequestResult } from "./core/raw_node.ts";
import type { Ready } from "./core/ready.ts";
import { AcksWhileSaving } from "./acks_while_saving.ts";
import { ApplyPipeline } from "./apply_pipeline.ts";
import { Compaction } from "./compaction.ts";
import { DiskRetry, type UnsavedReady } from "./disk_retry.ts";
import { isConfChange, PersistedState } from "./persisted_state.ts";
import type { RaftGroup } from "./group.ts";
import { Ticker } from "./ticker.ts";
import {
  type RaftNodeOptions,
  type ResolvedRaftNodeOptions,
  resolveRaftNodeOptions,
} from "./node_options.ts";

export type { NodeHooks, RaftNodeOptions, StateMachine } from "./node_options.ts";

export class RaftNode implements RaftGroup {
  readonly rawNode: RawNode;
  readonly #o: ResolvedRaftNodeOptions;
  #inbox: Message[] = [];
  /** Messages refused because the inbox was full. */
  droppedMessages = 0;
  #running = false;
  #kickedWhileRunning = false;
  #failed: unknown = undefined;
  readonly #ticker: Ticker;
  /** Index of the last entry (or snapshot) handed to the state machine. */
  #handedToApply: number;
  /** What this node's disk holds, as of the last completed save. */
  readonly #persisted: PersistedState;
  readonly #compaction: Compaction;
  /** Committed entries, applied in order while the next Ready is persisted. */
  readonly #applies: ApplyPipeline;
  /** A Ready whose save failed for lack of space: saved again, then finished, before any other. */
  readonly #disk: DiskRetry;
  /** Steps followers' acknowledgements while the leader's own save runs. */
  readonly #acks = new AcksWhileSaving();
  /** While true the node neither grants votes (peers' requests are dropped) nor campaigns, not
   * even on TimeoutNow (RawNode.setMayCampaign; a rebuilt node, docs/operations-disk.md). */
  get suppressVotes(): boolean {
    return this.#suppressVotes;
  }
  set suppressVotes(on: boolean) {
    this.#suppressVotes = on;
    this.rawNode.setMayCampaign(!on);
  }

  #suppressVotes = false;

  constructor(options: RaftNodeOptions) {
    const o = resolveRaftNodeOptions(options);
    this.#o = o;
    this.#applies = new ApplyPipeline((entries) => this.#apply(entries));
    this.#disk = new DiskRetry(o.clock, () => this.kick());
    this.#ticker = new Ticker(o.clock, o.tickMs, (stalled) => this.tick(stalled));
    this.#compaction = new Compaction(
      {
        logStore: o.logStore,
        image: () => {
          assert(o.stateMachine.image !== undefined, "compaction needs stateMachine.image");
          return o.stateMachine.image();
        },
        drainApplies: () => this.#applies.drain(),
        appliedIndex: () => this.rawNode.appliedIndex,
        confState: () => this.rawNode.status().confState,
        kick: () => this.kick(),
        nowMs: o.clock === undefined ? undefined : () => o.clock?.nowMs() ?? 0,
      },
      o.snapshotEntries,
      o.snapshotBytes,
    );
    const storage = o.logStore.storage;
    // The state machine restarts from the snapshot and re-applies the log, so
    // the configuration must be the snapshot's; later changes are re-applied.
    storage.confState = storage.snapshot().metadata.confState;
    const applied = storage.snapshot().metadata.index;
    // The leader counts its own log only once persisted: acks are stepped mid-save.
    this.rawNode = new RawNode({ ...o.raft, storage, applied, selfAckAfterPersist: true });
    this.#persisted = new PersistedState(storage.lastIndex(), this.rawNode.hardState());
    this.#handedToApply = storage.snapshot().metadata.index;
  }

  /** The error that stopped the node (a failed fsync is fatal), if any. */
  get failure(): unknown {
    return this.#failed;
  }

  /**
   * Stops the node for good (its state is corrupted): no more Readys, ticks,
   * votes or campaigns. What it already sent stays valid.
   */
  halt(reason: unknown): void {
    this.#failed ??= reason;
  }

  /** Set while the log cannot be written for lack of space (retried with backoff). */
  get diskFull(): NoSpaceError | undefined {
    return this.#disk.full;
  }

  /** Queues a peer message; false when the inbox is full (the message is dropped). */
  receive(m: Message): boolean {
    if (this.suppressVotes && isVoteRequest(m)) return true; // dropped, as if lost
    if (this.#inbox.length >= this.#o.inboxMax) {
      this.droppedMessages++;
      return false;
    }
    this.#inbox.push(m);
    this.#acks.notify();
    return true;
  }

  tick(stalled = false): void {
    if (!stalled || this.rawNode.isLeader) this.rawNode.tick(); // stalled: leaders only (ticker.ts)
  }

  /** Drains the inbox and handles every Ready until none is left and all is applied. */
  async runOnce(): Promise<void> {
    if (this.#failed !== undefined) return;
    assert(!this.#running, "runOnce is not reentrant");
    if (this.#disk.waiting) return; // disk full: wait for the retry
    this.#running = true;
    try {
      this.#ticker.catchUp(); // missed ticks first (ticker.ts)
      for (;;) {
        if (this.#failed !== undefined) return; // halted meanwhile (corruption found)
        const unsaved = this.#disk.unsaved;
        if (unsaved !== undefined) {
          const done = unsaved.strict
            ? await this.#handleReadyStrictly(unsaved.rd)
            : await this.#handleReadyPipelined(unsaved.rd, unsaved);
          if (!done) break;
          continue;
        }
        // Messages and proposals that arrive while a Ready is being persisted go
        // into the next Ready (group commit); a leader's acks are stepped mid-save.
        const inbox = this.#inbox;
        this.#inbox = [];
        for (const m of inbox) this.rawNode.step(m);
        if (this.rawNode.hasReady()) {
          if (!(await this.#handleReady(this.rawNode.ready()))) break;
        } else if (this.#applies.busy) {
          await this.#applies.drain(); // then look again
        } else break;
      }
      // A compaction to start (asked when idle) or whose image is ready; not while a Ready waits.
      if (this.#compaction.actionable && this.#disk.unsaved === undefined) {
        await this.#maybeCompact();
      }
    } catch (err) {
      this.#failed = err;
      await this.#applies.settled; // let an apply in flight finish before the node stops
      throw err;
    } finally {
      this.#running = false;
    }
    // Kicked while finishing (e.g. a compaction's image became ready): go round again.
    if (this.#kickedWhileRunning) this.kick();
  }

  /** Handles one Ready; false when the disk is full (it stays pending, retried later). */
  #handleReady(rd: Ready): Promise<boolean> {
    if (rd.snapshot !== undefined || rd.committedEntries.some(isConfChange)) {
      return this.#handleReadyStrictly(rd);
    }
    return this.#handleReadyPipelined(rd);
  }

  /**
   * `retry` is set when this Ready's save failed for lack of space before:
   * what that attempt sent and queued for apply is not done again.
   */
  async #handleReadyPipelined(rd: Ready, retry?: UnsavedReady): Promise<boolean> {
    const o = this.#o;
    const previousApply = this.#applies.settled;
    const sendFirst = retry?.sentFirst ??
      this.#persisted.maySendBeforePersist(rd, this.rawNode.isLeader);
    if (sendFirst && retry === undefined) this.#send(rd.messages);
    // Persist: durable before anything that depends on it leaves (docs/design.md §2.2).
    // The write and the fsync request are issued synchronously by save().
    const saving = this.#save(rd);
    // While the fsync runs: apply what the previous Ready made durable, then
    // the entries of this one that earlier Readys persisted.
    let early = retry?.appliedEarly ?? 0;
    if (retry === undefined) {
      this.#applies.queueDeferred();
      const prefix = this.#persisted.durablePrefix(rd.committedEntries);
      if (prefix.length > 0) this.#applies.queue(prefix);
      early = prefix.length;
    }
    // A leader that sent first steps its followers' acknowledgements meanwhile.
    const stepAcks = () =>
      this.#inbox = this.#acks.stepAcks(this.rawNode, this.#inbox, (out) => this.#send(out));
    const saved = sendFirst ? this.#acks.wait(saving, stepAcks) : saving;
    if (!(await saved)) {
      this.#disk.unsaved = { rd, strict: false, sentFirst: sendFirst, appliedEarly: early };
      return false;
    }
    this.#persisted.saved(rd);
    if (!sendFirst) this.#send(rd.messages);
    if (rd.softState !== undefined) o.hooks?.onSoftState?.(rd.softState);
    // Entries this Ready persisted apply while the next Ready is persisted.
    this.#applies.defer(rd.committedEntries.slice(early));
    // Reads wait for the state machine's own applied index (read_barrier.ts).
    if (rd.readStates.length > 0) o.hooks?.onReadStates?.(rd.readStates);
    // Back-pressure: what was queued before this Ready finishes before the next one.
    await previousApply;
    this.#applies.throwIfFailed();
    this.rawNode.advance(rd);
    await this.#maybeCompact();
    return true;
  }

  /** Snapshots and conf changes: drain the pipeline, then the contract's order exactly. */
  async #handleReadyStrictly(rd: Ready): Promise<boolean> {
    const o = this.#o;
    await this.#applies.drain();
    if (!(await this.#save(rd))) {
      this.#disk.unsaved = { rd, strict: true, sentFirst: false, appliedEarly: 0 };
      return false;
    }
    this.#persisted.saved(rd);
    this.#send(rd.messages);
    if (rd.softState !== undefined) o.hooks?.onSoftState?.(rd.softState);
    if (rd.snapshot !== undefined) await this.#restore(rd.snapshot);
    if (rd.committedEntries.length > 0) await this.#apply(rd.committedEntries);
    if (rd.readStates.length > 0) o.hooks?.onReadStates?.(rd.readStates);
    this.rawNode.advance(rd);
    await this.#maybeCompact();
    return true;
  }

  /**
   * Saves a Ready. A full disk is not fatal: the log store changed nothing,
   * so the same Ready is saved again after a backoff (DISK_RETRY_MS_*); any
   * other failure propagates and stops the node.
   */
  async #save(rd: Ready): Promise<boolean> {
    try {
      await this.#o.logStore.save(rd);
    } catch (err) {
      if (!(err instanceof NoSpaceError)) throw err;
      this.#disk.failed(err);
      return false;
    }
    this.#disk.saved();
    return true;
  }

  /** A node that may not vote makes no vote requests (it does not campaign): nothing to filter. */
  #send(messages: readonly Message[]): void {
    if (messages.length > 0) this.#o.transport.send(messages);
  }

  /** The core installs a snapshot only past its commit index, so past everything applied. */
  async #restore(snapshot: Snapshot): Promise<void> {
    const index = snapshot.metadata.index;
    assert(
      index > this.#handedToApply,
      `snapshot ${index} not after applied ${this.#handedToApply}`,
    );
    this.#handedToApply = index;
    await this.#o.stateMachine.restore(snapshot);
    this.#compaction.appliedBytes = 0;
  }

  async #apply(entries: readonly Entry[]): Promise<void> {
    this.#checkApplyOrder(entries);
    await this.#o.stateMachine.apply(entries);
    for (const e of entries) this.#compaction.appliedBytes += e.data.length;
    for (const e of entries) this.#applyConfChange(e);
  }

  /** Compacts the log soon (whatever the thresholds); resolves with the snapshot index then. */
  compactNow(): Promise<number> {
    assert(this.#o.stateMachine.image !== undefined, "compaction needs stateMachine.image");
    const done = this.#compaction.request();
    this.kick();
    return done;
  }

  async #maybeCompact(): Promise<void> {
    if (this.#o.stateMachine.image !== undefined) await this.#compaction.step();
  }

  #applyConfChange(e: Entry): void {
    if (e.type !== EntryType.ConfChange) return;
    const cc = decodeConfChange(e.data);
    if (cc === undefined) return; // refused at proposal time; every node skips it alike
    const cs = this.rawNode.applyConfChange(cc);
    this.#o.logStore.setConfState(cs);
    this.#o.hooks?.onConfChange?.(cc, cs, e.index);
  }

  /**
   * Entries reach the state machine once each, in log order, and only once
   * they are durable here (a commit never needs entries this disk lacks).
   */
  #checkApplyOrder(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    assert(
      first.index === this.#handedToApply + 1,
      `apply ${first.index} after ${this.#handedToApply}`,
    );
    const lastIndex = first.index + entries.length - 1;
    assert(
      entries[entries.length - 1].index === lastIndex,
      `apply batch from ${first.index} has gaps`,
    );
    assert(
      lastIndex <= this.#persisted.index,
      `apply ${lastIndex} beyond persisted ${this.#persisted.index}`,
    );
    this.#handedToApply = lastIndex;
  }

  /** Drives the node from the clock: one tick per `tickMs`, catching up after pauses. */
  start(): void {
    this.#ticker.start(() => this.kick(), () => this.#failed !== undefined);
  }

  /** Proposes `data` (after catching up on ticks); says where it was appended. */
  propose(data: Uint8Array): ProposeResult {
    this.#ticker.catchUp();
    return this.rawNode.propose(data);
  }

  /** Proposes a configuration change (after catching up on ticks); says where it was appended. */
  proposeConfChange(cc: ConfChange): ProposeResult {
    this.#ticker.catchUp();
    return this.rawNode.proposeConfChange(cc);
  }

  /**
   * Requests a linearizable read (after catching up on ticks, which matters
   * for lease reads). The answer arrives through `hooks.onReadStates`.
   */
  readIndex(context: Uint8Array): RequestResult {
    this.#ticker.catchUp();
    return this.rawNode.readIndex(context);
  }

  /** Schedules a `runOnce` unless one is already running. */
  kick(): void {
    if (this.#failed !== undefined) return;
    if (this.#running) {
      this.#kickedWhileRunning = true;
      return;
    }
    this.#kickedWhileRunning = false;
    this.runOnce().catch(() => {
      // The failure is kept in `failure`; the node stops (sticky, like the log store).
    });
  }

  stop(): void {
    this.#ticker.stop();
  }
}
