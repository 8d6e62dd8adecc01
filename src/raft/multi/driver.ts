/**
 * The multi-region driver (decision 0014 §4; docs/raft.md "Multi-region driver"): one RawNode
 * per region on this node, one ticker, one shared log, one transport. A round runs the Ready of
 * every region that had something happen together (round.ts): one `save` (one fsync), one batch
 * per node, node.ts's pipelining per region. Quiescent regions do not tick (driver_quiet.ts).
 * `regionNode(id)` is a region's RaftNode-shaped handle.
 */
import { MULTI_RAFT_INBOX_BATCHES_MAX } from "../../limits_ops.ts";
import { assert } from "../../util/assert.ts";
import { NoSpaceError } from "../../util/errors.ts";
import { createPrng } from "../../util/prng.ts";
import type { ConfChange } from "../core/confchange/conf_change.ts";
import { isVoteRequest, type Message } from "../core/messages.ts";
import type { ProposeResult, RequestResult } from "../core/raw_node.ts";
import type { PersistRequest } from "../log_store.ts";
import { RegionCompaction } from "./compaction.ts";
import type { DriverLoop, MultiRaftOptions, RegionSpec } from "./driver_options.ts";
import { QuietRegions } from "./driver_quiet.ts";
import { RegionInbox } from "./inbox.ts";
import { RegionNode } from "./region_node.ts";
import { RegionReplica } from "./region_replica.ts";
import { RestoringRegions } from "./restoring.ts";
import { RoundPipeline } from "./round.ts";
import { bootstrapRequest, isHeartbeat } from "./round_io.ts";
import type { NodeBatch } from "./transport.ts";

export type { DriverLoop, MultiRaftOptions, RegionSpec };

/** Rounds a `runOnce` runs at most before returning (new work waits for the next). */
const ROUNDS_MAX = 64;

export class MultiRaftDriver {
  readonly #o: MultiRaftOptions;
  readonly #regions = new Map<number, RegionReplica>();
  readonly #handles = new Map<number, RegionNode>();
  readonly #quiet: QuietRegions;
  /** Regions that may have a Ready (ticked, stepped, proposed to, or advanced). */
  readonly #dirty = new Set<number>();
  readonly #inbox: RegionInbox;
  readonly #pipe: RoundPipeline;
  readonly #compaction: RegionCompaction;
  /** Regions whose snapshot's image is being installed beside the rounds (restoring.ts). */
  readonly #restoring: RestoringRegions;
  #running = false;
  #failed: unknown = undefined;
  loop: DriverLoop | undefined = undefined;
  /** Messages of unknown regions (each seen by `onUnknownRegion`); batches refused (inbox full). */
  droppedMessages = 0;
  droppedBatches = 0;
  onUnknownRegion: ((region: number, message: Message) => void) | undefined;

  constructor(o: MultiRaftOptions) {
    this.#o = o;
    this.#inbox = new RegionInbox(o.inboxMax ?? MULTI_RAFT_INBOX_BATCHES_MAX);
    this.#compaction = RegionCompaction.of(o);
    this.#restoring = new RestoringRegions(o.clock);
    this.#compaction.flushed = () => this.loop?.kick();
    this.#quiet = new QuietRegions(o, this.#regions, (r, lost) => this.#touch(r.id, lost));
    this.#pipe = new RoundPipeline({
      nodeId: o.nodeId,
      log: o.log,
      transport: o.transport,
      inbox: this.#inbox,
      clock: o.clock,
      region: (id) => this.#regions.get(id),
      step: (region, m) => this.#step(region, m),
      roleChanged: (r) => this.#quiet.wake(r, false),
      advanced: (r) => {
        this.#dirty.add(r.id);
        this.#compaction.check(r);
      },
      kick: () => this.loop?.kick(),
      applyPass: o.applyPass,
    }, o.holdCommitNotices);
  }

  get nodeId(): number {
    return this.#o.nodeId;
  }

  /** Rounds saved (each one fsync at most, for all its regions). */
  get rounds(): number {
    return this.#pipe.rounds;
  }

  /** The error that stopped the driver (a failed save is fatal), if any. */
  get failure(): unknown {
    return this.#failed;
  }

  /** Stops the driver for good (its log or engine is corrupted): no more rounds or ticks. */
  halt(reason: unknown): void {
    this.#failed ??= reason;
    this.#compaction.failAll(reason);
  }

  /** Set while the log cannot be written for lack of space (the round is retried). */
  get diskFull(): NoSpaceError | undefined {
    return this.#pipe.disk.full;
  }

  /** The region's replica on this node, if any. */
  region(id: number): RegionReplica | undefined {
    return this.#regions.get(id);
  }

  /** The RaftNode-shaped handle of a region on this node (region_node.ts). */
  regionNode(id: number): RegionNode | undefined {
    const r = this.#regions.get(id);
    if (r === undefined) return undefined;
    const h = this.#handles.get(id) ?? new RegionNode(this, r);
    this.#handles.set(id, h);
    return h;
  }
  regionIds(): number[] {
    return [...this.#regions.keys()];
  }

  /** Regions installing a received snapshot's image (beside the rounds). */
  get restoringCount(): number {
    return this.#restoring.size;
  }

  /** Quiescent regions on this node (leaders and followers). */
  get quietCount(): number {
    return this.#quiet.count;
  }

  /** Adds regions at runtime (bootstrapping new ones with one save); restart re-adds them. */
  async addRegions(specs: readonly RegionSpec[]): Promise<void> {
    assert(!this.#running, "addRegions during a round");
    const boot = new Map<number, PersistRequest>();
    for (const s of specs) {
      assert(!this.#regions.has(s.id), `region ${s.id} added twice`);
      const view = this.#o.log.group(s.id);
      if (s.voters !== undefined && view.snapshotMarker.index === 0 && view.lastIndex() === 0) {
        boot.set(s.id, bootstrapRequest(s.voters));
      }
    }
    if (boot.size > 0) await this.#o.log.save(boot);
    for (const s of specs) {
      const prng = createPrng((this.#o.seed ?? this.#quiet.incarnation) * 65_537 + s.id);
      const log = this.#o.log.group(s.id);
      const r = new RegionReplica(s.id, s.sm, log, this.nodeId, this.#o.raft, prng, s.hooks);
      this.#regions.set(s.id, r);
      this.#quiet.add(r);
      this.#dirty.add(s.id);
    }
  }

  /** Removes regions from this node (merged away or moved off); durable in the log. */
  async removeRegions(ids: readonly number[]): Promise<void> {
    assert(!this.#running, "removeRegions during a round");
    // A round waiting for space may hold their Readys: saved first (retried: region_removal.ts).
    if (this.#pipe.disk.unsaved !== undefined) throw new NoSpaceError("a save awaits disk space");
    for (const id of ids) await this.#restoring.forget(id); // an image install finishes first
    await this.#pipe.applies.drain();
    await this.#o.log.remove(ids);
    for (const id of ids) {
      this.#regions.delete(id);
      this.#handles.delete(id);
      this.#quiet.delete(id);
      this.#dirty.delete(id);
      this.#compaction.forget(id);
    }
  }

  /** Queues a batch from a peer node; false when the inbox is full (dropped). */
  receive(batch: NodeBatch): boolean {
    if (this.#inbox.full) {
      this.droppedBatches++;
      for (const m of batch.messages) {
        const r = this.#regions.get(m.region);
        if (r !== undefined) r.droppedMessages++;
      }
      return false;
    }
    this.#inbox.push(batch);
    this.#pipe.notify();
    return true;
  }

  propose(region: number, data: Uint8Array): ProposeResult | undefined {
    return this.#touch(region)?.rawNode.propose(data);
  }

  proposeConfChange(region: number, cc: ConfChange): ProposeResult | undefined {
    return this.#touch(region)?.rawNode.proposeConfChange(cc);
  }

  transferLeader(region: number, transferee: number): RequestResult | undefined {
    return this.#touch(region)?.rawNode.transferLeader(transferee);
  }

  /** A linearizable read of `region`; the answer arrives through `onReadStates`. */
  readIndex(region: number, context: Uint8Array): RequestResult | undefined {
    const r = this.#touch(region);
    if (r === undefined) return undefined;
    const res = r.rawNode.readIndex(context);
    if (res.ok) r.pendingReads++;
    return res;
  }

  /** Compacts a region's log at the end of the next `runOnce` (needs `sm.flush`). */
  compactNow(region: number): Promise<number> {
    const r = this.#regions.get(region);
    if (r === undefined) return Promise.reject(new Error(`region ${region} is not here`));
    return this.#compaction.request(r);
  }

  /** Something changed a region's core (a handle's call): collect its Ready next round. */
  markDirty(region: number): void {
    if (this.#regions.has(region)) this.#dirty.add(region);
  }

  /** Wakes a region and marks it for the next round. */
  #touch(id: number, leaderLost = false): RegionReplica | undefined {
    const r = this.#regions.get(id);
    if (r === undefined) return undefined;
    this.#quiet.wake(r, leaderLost);
    this.#dirty.add(id);
    this.#pipe.notify(); // a save in progress may send what this produces (round.ts)
    return r;
  }

  /** Held notices leave; a tick of every awake region and a beat, or, `stalled`, of its leaders. */
  tick(stalled = false): void {
    if (this.#failed !== undefined) return;
    this.#pipe.releaseHeld();
    for (const r of this.#quiet.tick(stalled)) this.#dirty.add(r.id);
  }

  /** Steps a peer message into its region. */
  #step(region: number, message: Message): void {
    const r = this.#regions.get(region);
    if (r === undefined) {
      this.droppedMessages++;
      return this.onUnknownRegion?.(region, message);
    }
    r.messagesIn++;
    if (r.suppressVotes && isVoteRequest(message)) return; // dropped, as if lost
    // Heartbeats of the current term in flight when the region went quiet do not wake it.
    if (!isHeartbeat(message) || message.term !== r.rawNode.term) this.#quiet.wake(r, false);
    this.#dirty.add(region);
    r.rawNode.step(message);
  }

  #drainInbox(): void {
    for (const b of this.#inbox.take()) {
      if (b.beat !== undefined) this.#quiet.onBeat(b.from, b.beat);
      for (const { region, message } of b.messages) this.#step(region, message);
    }
  }

  /** Rounds until nothing is left (or ROUNDS_MAX) and all is applied, then compacts what is due
   * or crowds the log (`relieve`). A full disk ends it early (retried later). */
  async runOnce(): Promise<void> {
    if (this.#failed !== undefined) return;
    assert(!this.#running, "runOnce is not reentrant");
    if (this.#pipe.disk.waiting) return; // disk full: wait for the retry
    this.#running = true;
    try {
      await this.#rounds();
      await this.#pipe.applies.drain();
      this.#compaction.relieve(this.#o.log, (id) => this.#regions.get(id));
      if (this.#compaction.due && this.#pipe.disk.unsaved === undefined) {
        // A region installing an image is compacted after: its snapshot's marker comes first.
        const settled = (id: number) => this.#restoring.has(id) ? undefined : this.#regions.get(id);
        await this.#compaction.run(this.#o.log, settled);
      }
    } catch (err) {
      this.halt(err);
      await this.#pipe.applies.settled; // an apply in flight finishes before the driver stops
      throw err;
    } finally {
      this.#running = false;
    }
  }

  async #rounds(): Promise<void> {
    for (let i = 0; i < ROUNDS_MAX; i++) {
      if (this.#failed !== undefined) return; // halted meanwhile
      if (this.#pipe.disk.unsaved !== undefined) {
        if (!(await this.#pipe.retry())) return;
        continue;
      }
      this.#drainInbox();
      const readys = this.#restoring.collect(this.#dirty, this.#regions);
      if (this.#restoring.wanted(readys)) {
        await this.#pipe.applies.drain(); // the regions' earlier entries go in before an image
        this.#restoring.hold(readys, (id) => this.#regions.get(id), () => this.loop?.kick());
      }
      if (readys.size > 0) {
        if (!(await this.#pipe.run(readys))) return;
      } else if (this.#pipe.applies.busy) await this.#pipe.applies.drain();
      else return;
    }
  }
}
