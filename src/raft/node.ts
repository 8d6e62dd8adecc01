/**
 * The async driver of one Raft node (STYLE §2 item 2): it turns clock time
 * into ticks, drains a bounded inbox of peer messages into the core, and runs
 * the Ready loop — persist (one fsync per Ready: group commit), then send,
 * then apply, then advance. Committed entries that an earlier Ready already
 * made durable here are applied while this Ready's writes are fsynced: they
 * are committed on a quorum and on this disk, so nothing waits for an fsync
 * that does not concern it.
 *
 * Tests and the simulator call `tick()` and `runOnce()` directly; a server
 * calls `start()` to drive them from the platform clock.
 */
import { assert } from "../util/assert.ts";
import type { Clock, TimerId } from "../platform/types.ts";
import { DISK_RETRY_MS_MAX, DISK_RETRY_MS_MIN, RAFT_INBOX_MSGS_MAX } from "../limits.ts";
import { NoSpaceError } from "../util/errors.ts";
import type { RaftConfig } from "./core/config.ts";
import { decodeConfChange } from "./core/confchange/conf_change.ts";
import {
  type Entry,
  EntryType,
  type Message,
  MessageType,
  type Snapshot,
} from "./core/messages.ts";
import { RawNode, type RequestResult } from "./core/raw_node.ts";
import type { ReadState, Ready, SoftState } from "./core/ready.ts";
import type { LogStore } from "./log_store.ts";
import type { Transport } from "./transport.ts";

/** The replicated state machine, as the driver sees it. */
export interface StateMachine {
  /** Applies committed entries in order (conf change entries included, for their index). */
  apply(entries: readonly Entry[]): void | Promise<void>;
  /** Replaces the state with a snapshot's image. */
  restore(snapshot: Snapshot): void | Promise<void>;
  /**
   * The state's image as of the last applied entry, for log compaction. It
   * may be asynchronous (a state machine that must first make its applied
   * state durable, then returns a small marker).
   */
  image?(): Uint8Array | Promise<Uint8Array>;
}

export interface NodeHooks {
  /** ReadIndex results: serve each read once `index` is applied. */
  onReadStates?(states: readonly ReadState[]): void;
  onSoftState?(soft: SoftState): void;
}

export interface RaftNodeOptions {
  /** Core configuration; storage and applied index come from `logStore`. */
  readonly raft: Omit<RaftConfig, "storage" | "applied">;
  readonly logStore: LogStore;
  readonly transport: Transport;
  readonly stateMachine: StateMachine;
  readonly hooks?: NodeHooks;
  /** Needed only for `start()`. */
  readonly clock?: Clock;
  readonly tickMs?: number;
  readonly inboxMax?: number;
  /**
   * Compact the log once this many entries were applied after the last
   * snapshot (needs `stateMachine.image`). Undefined: never compact.
   */
  readonly snapshotEntries?: number;
  /** Compact the log once this many payload bytes were applied after the last snapshot. */
  readonly snapshotBytes?: number;
}

interface CompactionWaiter {
  readonly resolve: (index: number) => void;
  readonly reject: (err: unknown) => void;
}

/** A request for a vote (real or pre-vote), the messages a node that may not vote drops. */
function isVoteRequest(m: Message): boolean {
  return m.type === MessageType.Vote || m.type === MessageType.PreVote;
}

export class RaftNode {
  readonly rawNode: RawNode;
  readonly #o: RaftNodeOptions;
  #inbox: Message[] = [];
  readonly #inboxMax: number;
  /** Messages refused because the inbox was full. */
  droppedMessages = 0;
  #running = false;
  #failed: unknown = undefined;
  #timer: TimerId | undefined = undefined;
  #lastTickMs = 0;
  #started = false;
  /** Payload bytes applied since the last snapshot (size-based compaction). */
  #appliedBytes = 0;
  /** Highest log index written by a completed `logStore.save`. */
  #persistedIndex: number;
  /** Callers of `compactNow()` waiting for the next compaction. */
  #compactionWaiters: CompactionWaiter[] = [];
  /** A Ready whose save failed for lack of space: retried, then handled, before any other. */
  #unsaved: { readonly rd: Ready; readonly appliedEarly: number } | undefined = undefined;
  #diskFull: NoSpaceError | undefined = undefined;
  #retryDelayMs = DISK_RETRY_MS_MIN;
  #retryAtMs = 0;
  #compactRetryAtMs = 0;
  /**
   * While true the node neither grants votes nor campaigns: vote requests from
   * peers and its own are dropped, as if lost (a rebuilt node, docs/operations-disk.md).
   */
  suppressVotes = false;

  constructor(o: RaftNodeOptions) {
    this.#o = o;
    this.#inboxMax = o.inboxMax ?? RAFT_INBOX_MSGS_MAX;
    const storage = o.logStore.storage;
    // The state machine restarts from the snapshot and re-applies the log, so
    // the configuration must be the snapshot's; later changes are re-applied.
    storage.confState = storage.snapshot().metadata.confState;
    this.rawNode = new RawNode({ ...o.raft, storage, applied: storage.snapshot().metadata.index });
    this.#persistedIndex = storage.lastIndex();
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
    return this.#diskFull;
  }

  /** Queues a peer message; false when the inbox is full (the message is dropped). */
  receive(m: Message): boolean {
    if (this.suppressVotes && isVoteRequest(m)) return true; // dropped, as if lost
    if (this.#inbox.length >= this.#inboxMax) {
      this.droppedMessages++;
      return false;
    }
    this.#inbox.push(m);
    return true;
  }

  tick(): void {
    this.rawNode.tick();
  }

  /** Drains the inbox and handles every Ready until none is left. */
  async runOnce(): Promise<void> {
    if (this.#failed !== undefined) return;
    assert(!this.#running, "runOnce is not reentrant");
    if (this.#unsaved !== undefined && this.#o.clock !== undefined) {
      if (this.#o.clock.nowMs() < this.#retryAtMs) return; // disk full: wait for the retry
    }
    this.#running = true;
    try {
      this.#catchUpTicks();
      for (;;) {
        if (this.#failed !== undefined) return; // halted meanwhile (corruption found)
        const unsaved = this.#unsaved;
        if (unsaved !== undefined) {
          if (!(await this.#handleReady(unsaved.rd, unsaved.appliedEarly))) break;
          continue;
        }
        // Messages and proposals that arrive while a Ready is being persisted
        // go into the next Ready: that is the group commit.
        const inbox = this.#inbox;
        this.#inbox = [];
        for (const m of inbox) this.rawNode.step(m);
        if (!this.rawNode.hasReady()) break;
        if (!(await this.#handleReady(this.rawNode.ready()))) break;
      }
      // Asked to compact with nothing else to do (an idle node, not one waiting for space).
      if (this.#compactionWaiters.length > 0 && this.#unsaved === undefined) {
        await this.#maybeCompact();
      }
    } catch (err) {
      this.#failed = err;
      throw err;
    } finally {
      this.#running = false;
    }
  }

  /**
   * Persists, sends, applies and advances one Ready. Returns false when the
   * disk is full: the Ready stays pending (nothing sent, nothing advanced) and
   * is retried later; `appliedEarly` says how many of its committed entries
   * the failed attempt applied already.
   */
  async #handleReady(rd: Ready, appliedEarly = 0): Promise<boolean> {
    const o = this.#o;
    // Committed entries already durable here (persisted by an earlier Ready)
    // are applied while this Ready is persisted; the rest wait for it. Conf
    // changes and snapshots keep the strict order.
    const early = rd.snapshot === undefined && appliedEarly === 0
      ? this.#durablePrefix(rd.committedEntries)
      : [];
    const applying = early.length > 0 ? this.#apply(early) : undefined;
    // 1. Persist: durable before anything that depends on it leaves (DESIGN §2.2).
    if (!(await this.#persist(rd, applying, appliedEarly + early.length))) return false;
    this.#notePersisted(rd);
    // 2. Send.
    const messages = this.suppressVotes
      ? rd.messages.filter((m) => !isVoteRequest(m))
      : rd.messages;
    if (messages.length > 0) o.transport.send(messages);
    if (rd.softState !== undefined) o.hooks?.onSoftState?.(rd.softState);
    // 3. Apply.
    await applying;
    if (rd.snapshot !== undefined) await o.stateMachine.restore(rd.snapshot);
    if (rd.snapshot !== undefined) this.#appliedBytes = 0;
    const late = rd.committedEntries.slice(appliedEarly + early.length);
    if (late.length > 0) await this.#apply(late);
    if (rd.readStates.length > 0) o.hooks?.onReadStates?.(rd.readStates);
    // 4. Advance.
    this.rawNode.advance(rd);
    await this.#maybeCompact();
    return true;
  }

  /**
   * Saves a Ready. A full disk is not fatal: the log store changed nothing,
   * so the same Ready is saved again after a backoff (DISK_RETRY_MS_*); any
   * other failure propagates and stops the node.
   */
  async #persist(rd: Ready, applying: Promise<void> | undefined, applied: number) {
    try {
      await this.#o.logStore.save(rd);
    } catch (err) {
      if (!(err instanceof NoSpaceError)) throw err;
      await applying;
      this.#unsaved = { rd, appliedEarly: applied };
      this.#diskFull = err;
      this.#scheduleRetry();
      return false;
    }
    if (this.#unsaved !== undefined) this.#retryDelayMs = DISK_RETRY_MS_MIN;
    this.#unsaved = undefined;
    this.#diskFull = undefined;
    return true;
  }

  #scheduleRetry(): void {
    const clock = this.#o.clock;
    if (clock === undefined) return; // driven by direct runOnce calls
    this.#retryAtMs = clock.nowMs() + this.#retryDelayMs;
    clock.setTimeout(() => this.kick(), this.#retryDelayMs);
    this.#retryDelayMs = Math.min(DISK_RETRY_MS_MAX, this.#retryDelayMs * 2);
  }

  /** The leading committed entries that are on this disk already, up to a conf change. */
  #durablePrefix(committed: readonly Entry[]): readonly Entry[] {
    let n = 0;
    while (n < committed.length) {
      const e = committed[n];
      if (e.index > this.#persistedIndex || e.type === EntryType.ConfChange) break;
      n++;
    }
    return committed.slice(0, n);
  }

  #notePersisted(rd: Ready): void {
    const last = rd.entries[rd.entries.length - 1];
    // A Ready's entries may replace a conflicting suffix: the new last index is theirs.
    if (last !== undefined) this.#persistedIndex = last.index;
    else if (rd.snapshot !== undefined) {
      this.#persistedIndex = Math.max(this.#persistedIndex, rd.snapshot.metadata.index);
    }
  }

  async #apply(entries: readonly Entry[]): Promise<void> {
    await this.#o.stateMachine.apply(entries);
    for (const e of entries) this.#appliedBytes += e.data.length;
    for (const e of entries) this.#applyConfChange(e);
  }

  /**
   * Compacts the log at the next opportunity in the Ready loop (whatever the
   * thresholds) and resolves with the snapshot index then in effect.
   */
  compactNow(): Promise<number> {
    assert(this.#o.stateMachine.image !== undefined, "compaction needs stateMachine.image");
    const done = new Promise<number>((resolve, reject) => {
      this.#compactionWaiters.push({ resolve, reject });
    });
    this.kick();
    return done;
  }

  /** Log compaction by entry count or bytes: snapshot the state machine, drop covered entries. */
  async #maybeCompact(): Promise<void> {
    const { snapshotEntries, snapshotBytes, stateMachine, logStore } = this.#o;
    if (stateMachine.image === undefined) return;
    const waiters = this.#compactionWaiters;
    const applied = this.rawNode.raft.log.applied;
    const snapIndex = logStore.storage.snapshot().metadata.index;
    const byCount = snapshotEntries !== undefined && applied - snapIndex >= snapshotEntries;
    const byBytes = snapshotBytes !== undefined && this.#appliedBytes >= snapshotBytes;
    const asked = waiters.length > 0;
    const due = this.#o.clock === undefined || this.#o.clock.nowMs() >= this.#compactRetryAtMs;
    if (applied > snapIndex && (byCount || byBytes || asked) && (due || asked)) {
      try {
        const image = await stateMachine.image();
        await logStore.compact(applied, this.rawNode.status().confState, image);
        this.#appliedBytes = 0;
      } catch (err) {
        // Without space the log is simply not compacted yet: retried after a backoff.
        if (!(err instanceof NoSpaceError)) throw err;
        this.#compactRetryAtMs = (this.#o.clock?.nowMs() ?? 0) + DISK_RETRY_MS_MAX;
        this.#compactionWaiters = [];
        for (const w of waiters) w.reject(err);
        return;
      }
    }
    if (asked) {
      this.#compactionWaiters = [];
      const index = logStore.storage.snapshot().metadata.index;
      for (const w of waiters) w.resolve(index);
    }
  }

  #applyConfChange(e: Entry): void {
    if (e.type !== EntryType.ConfChange) return;
    const cc = decodeConfChange(e.data);
    if (cc === undefined) return; // refused at proposal time; every node skips it alike
    this.#o.logStore.setConfState(this.rawNode.applyConfChange(cc));
  }

  /** Drives the node from the clock: one tick per `tickMs`, catching up after pauses. */
  start(): void {
    const { clock, tickMs } = this.#o;
    assert(clock !== undefined && tickMs !== undefined && tickMs > 0, "start() needs a clock");
    this.#lastTickMs = clock.nowMs();
    this.#started = true;
    const loop = (): void => {
      this.#timer = clock.setTimeout(loop, tickMs);
      if (this.#failed !== undefined) return; // a stopped node must not even campaign
      this.#catchUpTicks();
      this.kick();
    };
    this.#timer = clock.setTimeout(loop, tickMs);
  }

  /**
   * Ticks once per `tickMs` elapsed on the clock since the last tick. Called
   * before anything else is handled, so a process that was paused (GC, VM
   * stall) sees its lease expire before it answers a read from it.
   */
  #catchUpTicks(): void {
    const { clock, tickMs } = this.#o;
    if (!this.#started || clock === undefined || tickMs === undefined) return;
    const due = Math.floor((clock.nowMs() - this.#lastTickMs) / tickMs);
    for (let i = 0; i < due; i++) this.tick();
    this.#lastTickMs += due * tickMs;
  }

  /** Proposes `data` (after catching up on ticks). */
  propose(data: Uint8Array): RequestResult {
    this.#catchUpTicks();
    return this.rawNode.propose(data);
  }

  /**
   * Requests a linearizable read (after catching up on ticks, which matters
   * for lease reads). The answer arrives through `hooks.onReadStates`.
   */
  readIndex(context: Uint8Array): RequestResult {
    this.#catchUpTicks();
    return this.rawNode.readIndex(context);
  }

  /** Schedules a `runOnce` unless one is already running. */
  kick(): void {
    if (this.#running || this.#failed !== undefined) return;
    this.runOnce().catch(() => {
      // The failure is kept in `failure`; the node stops (sticky, like the log store).
    });
  }

  stop(): void {
    if (this.#timer !== undefined) this.#o.clock?.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
