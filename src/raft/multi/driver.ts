/**
 * The multi-region driver (decision 0014 §4; docs/raft.md "Multi-region
 * driver"): one RawNode per region on this node, one ticker, one shared log
 * (MultiLogStore), one transport. A round collects the Ready of every region
 * that had something happen, persists all of them with one `save` (one
 * fsync), sends every message in one batch per destination node, applies each
 * region's committed entries to its state machine and advances. Quiescent
 * regions do not tick (quiescence.ts).
 *
 * Phase 1 keeps the contract's strict order (persist, send, apply, advance)
 * for every region; the single-group driver's pipelining (node.ts) is not
 * carried over yet. Raft ids are node ids (transport.ts).
 */
import { MULTI_RAFT_INBOX_BATCHES_MAX } from "../../limits_ops.ts";
import { assert } from "../../util/assert.ts";
import { createPrng } from "../../util/prng.ts";
import type { ProposeResult, RequestResult } from "../core/raw_node.ts";
import type { Ready } from "../core/ready.ts";
import type { PersistRequest } from "../log_store.ts";
import type { MultiRaftOptions, RegionSpec } from "./driver_options.ts";
import { bootstrapRequest, isHeartbeat, sendRound } from "./round_io.ts";
import type { CompactionMark } from "../multi_log_store.ts";
import { Quiescence } from "./quiescence.ts";
import { RegionReplica } from "./region_replica.ts";
import type { NodeBatch } from "./transport.ts";

export type { MultiRaftOptions, RegionSpec };

/** Rounds a `runOnce` runs at most before returning (new work waits for the next). */
const ROUNDS_MAX = 64;

export class MultiRaftDriver {
  readonly #o: MultiRaftOptions;
  readonly #regions = new Map<number, RegionReplica>();
  readonly #q: Quiescence;
  /** Regions that may have a Ready (ticked, stepped, proposed to, or advanced). */
  readonly #dirty = new Set<number>();
  readonly #compactable = new Set<number>();
  #inbox: NodeBatch[] = [];
  #running = false;
  #sinceBeat = 0;
  readonly #incarnation: number;
  /** Rounds that saved at least one region; messages of unknown regions; batches refused. */
  rounds = 0;
  droppedMessages = 0;
  droppedBatches = 0;

  constructor(o: MultiRaftOptions) {
    this.#o = o;
    this.#q = new Quiescence(o.raft.electionTicks);
    this.#incarnation = o.incarnation ?? crypto.getRandomValues(new Uint32Array(1))[0];
  }

  get nodeId(): number {
    return this.#o.nodeId;
  }

  /** The region's replica on this node, if any. */
  region(id: number): RegionReplica | undefined {
    return this.#regions.get(id);
  }

  regionIds(): number[] {
    return [...this.#regions.keys()];
  }

  /** Quiescent regions on this node (leaders and followers). */
  get quietCount(): number {
    return this.#o.quiesce === false ? 0 : this.#q.quietCount;
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
      const prng = createPrng((this.#o.seed ?? this.#incarnation) * 65_537 + s.id);
      const r = new RegionReplica(
        s.id,
        s.sm,
        this.#o.log.group(s.id),
        this.nodeId,
        this.#o.raft,
        prng,
      );
      this.#regions.set(s.id, r);
      this.#q.add(s.id);
      this.#dirty.add(s.id);
    }
  }

  /** Removes regions from this node (merged away or moved off); durable in the log. */
  async removeRegions(ids: readonly number[]): Promise<void> {
    assert(!this.#running, "removeRegions during a round");
    await this.#o.log.remove(ids);
    for (const id of ids) {
      this.#regions.delete(id);
      this.#q.delete(id);
      this.#dirty.delete(id);
      this.#compactable.delete(id);
    }
  }

  /** Queues a batch from a peer node; false when the inbox is full (dropped). */
  receive(batch: NodeBatch): boolean {
    if (this.#inbox.length >= (this.#o.inboxMax ?? MULTI_RAFT_INBOX_BATCHES_MAX)) {
      this.droppedBatches++;
      return false;
    }
    this.#inbox.push(batch);
    return true;
  }

  propose(region: number, data: Uint8Array): ProposeResult | undefined {
    const r = this.#touch(region);
    return r?.rawNode.propose(data);
  }

  /** A linearizable read of `region`; the answer arrives through `sm.onReadStates`. */
  readIndex(region: number, context: Uint8Array): RequestResult | undefined {
    const r = this.#touch(region);
    if (r === undefined) return undefined;
    const res = r.rawNode.readIndex(context);
    if (res.ok) r.pendingReads++;
    return res;
  }

  /** Wakes a region and marks it for the next round. */
  #touch(id: number): RegionReplica | undefined {
    const r = this.#regions.get(id);
    if (r === undefined) return undefined;
    this.#wake(r);
    this.#dirty.add(id);
    return r;
  }

  #wake(r: RegionReplica): void {
    if (!r.quiet) return;
    r.quiet = false;
    r.calmTicks = 0;
    this.#q.wake(r.id);
  }

  /** One tick of every awake region (every region without quiescence), then maybe a beat. */
  tick(): void {
    if (this.#o.quiesce === false) {
      for (const [id, r] of this.#regions) {
        r.rawNode.tick();
        this.#dirty.add(id);
      }
      return;
    }
    for (const id of this.#q.tick()) this.#touch(id);
    for (const id of this.#q.awake) {
      const r = this.#regions.get(id);
      if (r === undefined) continue;
      r.rawNode.tick();
      this.#dirty.add(id);
      this.#maybeQuiet(r);
    }
    if (++this.#sinceBeat >= (this.#o.livenessTicks ?? this.#o.raft.heartbeatTicks)) {
      this.#sinceBeat = 0;
      this.#sendBeats();
    }
  }

  /** A leader calm for a few heartbeat intervals (its followers know the commit) goes quiet. */
  #maybeQuiet(r: RegionReplica): void {
    if (!r.leaderIsCalm()) {
      r.calmTicks = 0;
      return;
    }
    if (++r.calmTicks <= 2 * this.#o.raft.heartbeatTicks) return;
    r.quiet = true;
    const rn = r.rawNode;
    this.#q.quietLeader({ region: r.id, term: rn.term, commit: rn.commitIndex, peers: r.peers() });
  }

  #sendBeats(): void {
    const lists = this.#q.beatListsDue();
    const to = new Set([...(this.#o.peers ?? []), ...lists.keys()]);
    for (const peer of to) {
      const beat = { incarnation: this.#incarnation, quiet: lists.get(peer) ?? [] };
      this.#o.transport.send({ from: this.nodeId, to: peer, messages: [], beat });
    }
  }

  #drainInbox(): void {
    const inbox = this.#inbox;
    this.#inbox = [];
    for (const b of inbox) {
      if (b.beat !== undefined && this.#o.quiesce !== false) this.#onBeat(b);
      for (const { region, message } of b.messages) {
        const r = this.#regions.get(region);
        if (r === undefined) {
          this.droppedMessages++;
          continue;
        }
        // Heartbeats of the current term in flight when the region went quiet do not wake it.
        if (!isHeartbeat(message) || message.term !== r.rawNode.term) this.#wake(r);
        this.#dirty.add(region);
        r.rawNode.step(message);
      }
    }
  }

  #onBeat(b: NodeBatch): void {
    const beat = b.beat;
    if (beat === undefined) return;
    for (const id of this.#q.beat(b.from, beat.incarnation)) this.#touch(id);
    for (const item of beat.quiet) {
      const r = this.#regions.get(item.region);
      if (r === undefined || r.quiet || r.pendingReads > 0) continue;
      const rn = r.rawNode;
      if (rn.isLeader || rn.term !== item.term || rn.lead !== b.from) continue;
      if (rn.commitIndex < item.commit) continue; // it still has to learn the commit
      r.quiet = true;
      this.#q.quietFollower(r.id, b.from);
    }
  }

  /**
   * Handles inbound batches and every region's Readys, round after round,
   * until nothing is left (or ROUNDS_MAX), then compacts what is due.
   */
  async runOnce(): Promise<void> {
    assert(!this.#running, "runOnce is not reentrant");
    this.#running = true;
    try {
      for (let i = 0; i < ROUNDS_MAX; i++) {
        this.#drainInbox();
        if (!(await this.#round())) break;
      }
      await this.#compact();
    } finally {
      this.#running = false;
    }
  }

  async #round(): Promise<boolean> {
    const readys = new Map<number, Ready>();
    for (const id of this.#dirty) {
      const rn = this.#regions.get(id)?.rawNode;
      if (rn?.hasReady()) readys.set(id, rn.ready());
    }
    this.#dirty.clear();
    if (readys.size === 0) return false;
    // A received snapshot's image is in the state machine before its marker is saved.
    for (const [id, rd] of readys) {
      if (rd.snapshot !== undefined) await this.#regions.get(id)?.sm.restore(rd.snapshot);
    }
    await this.#o.log.save(readys);
    this.rounds++;
    sendRound(readys, this.#regions, this.nodeId, this.#o.transport);
    for (const [id, rd] of readys) {
      const r = this.#regions.get(id);
      assert(r !== undefined, "a region is removed only between rounds");
      await r.apply(rd.committedEntries);
      // Reads pending across a leader change may never be answered: stop counting them.
      if (rd.softState !== undefined) r.pendingReads = 0;
      if (rd.readStates.length > 0) {
        r.pendingReads = Math.max(0, r.pendingReads - rd.readStates.length);
        r.sm.onReadStates?.(rd.readStates);
      }
      r.rawNode.advance(rd);
      this.#dirty.add(id);
      const every = this.#o.snapshotEntries;
      if (every !== undefined && r.appliedSinceCompaction >= every) this.#compactable.add(id);
    }
    return true;
  }

  /** Compacts the logs of regions past `snapshotEntries`, one fsync for all. */
  async #compact(): Promise<void> {
    if (this.#compactable.size === 0) return;
    const marks = new Map<number, CompactionMark>();
    for (const id of this.#compactable) {
      const r = this.#regions.get(id);
      if (r?.sm.flush === undefined) continue;
      await r.sm.flush();
      const rn = r.rawNode;
      marks.set(id, { index: rn.appliedIndex, confState: rn.status().confState });
      r.appliedSinceCompaction = 0;
    }
    this.#compactable.clear();
    await this.#o.log.compact(marks);
  }
}
