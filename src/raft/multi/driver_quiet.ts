/**
 * The driver's side of quiescence (quiescence.ts keeps the sets): which
 * regions a tick reaches, when a calm leader goes quiet, the liveness beats
 * sent and received, and waking a region — its core's tick bookkeeping is
 * reset then (core/quiet_wake.ts), so a woken leader does not step down at
 * its next CheckQuorum nor serve a lease read on acknowledgements from before
 * the quiet period, and a woken follower does not campaign at once. Without
 * quiescence (`quiesce: false`) every region ticks and nothing is quiet.
 */
import type { MultiRaftOptions } from "./driver_options.ts";
import { Quiescence } from "./quiescence.ts";
import type { RegionReplica } from "./region_replica.ts";
import type { LivenessBeat } from "./transport.ts";

export class QuietRegions {
  readonly #q: Quiescence;
  readonly #on: boolean;
  /** Changes at every start: peers wake what they shared with the previous one. */
  readonly incarnation: number;
  readonly #incarnations = new Map<number, number>();
  #sinceBeat = 0;
  #targets: ReadonlySet<number> | undefined;

  constructor(
    readonly o: MultiRaftOptions,
    readonly regions: ReadonlyMap<number, RegionReplica>,
    /** Wakes a region and marks it for the next round. */
    readonly touch: (r: RegionReplica, leaderLost: boolean) => void,
  ) {
    this.#q = new Quiescence(o.raft.electionTicks);
    this.#on = o.quiesce !== false;
    this.incarnation = o.incarnation ?? crypto.getRandomValues(new Uint32Array(1))[0];
  }

  get count(): number {
    return this.#on ? this.#q.quietCount : 0;
  }

  add(r: RegionReplica): void {
    this.#q.add(r.id);
    r.onMembers = () => this.#targets = undefined;
    r.nodeBeats = (node) => !this.#on || this.#q.alive(node);
    this.#targets = undefined;
  }

  delete(id: number): void {
    this.#q.delete(id);
    this.#targets = undefined;
  }

  /**
   * Who gets this node's liveness beats: `peers` and every other member of the regions it
   * holds, so a member added after startup hears them too (recomputed after a change).
   */
  #beatTargets(): ReadonlySet<number> {
    if (this.#targets === undefined) {
      const all = new Set(this.o.peers ?? []);
      for (const r of this.regions.values()) for (const p of r.peers()) all.add(p);
      this.#targets = all;
    }
    return this.#targets;
  }

  /** `leaderLost`: its leader's node stopped beating or restarted. */
  wake(r: RegionReplica, leaderLost: boolean): void {
    if (!r.quiet) return;
    r.quiet = false;
    r.calmTicks = 0;
    this.#q.wake(r.id);
    r.rawNode.resumeAfterQuiet(leaderLost);
  }

  /**
   * Ticks every awake region (every region without quiescence); returns those ticked. A `stalled`
   * tick (ticker.ts) ticks only the awake leaders.
   */
  tick(stalled = false): RegionReplica[] {
    if (stalled) return this.#tickLeaders();
    const ticked: RegionReplica[] = [];
    if (!this.#on) {
      for (const r of this.regions.values()) {
        r.rawNode.tick();
        ticked.push(r);
      }
      return ticked;
    }
    for (const id of this.#q.tick()) {
      const r = this.regions.get(id);
      if (r !== undefined) this.touch(r, true);
    }
    for (const id of this.#q.awake) {
      const r = this.regions.get(id);
      if (r === undefined) continue;
      r.rawNode.tick();
      ticked.push(r);
      this.#maybeQuiet(r);
    }
    if (++this.#sinceBeat >= (this.o.livenessTicks ?? this.o.raft.heartbeatTicks)) {
      this.#sinceBeat = 0;
      this.#sendBeats();
    }
    return ticked;
  }

  /**
   * A stalled tick (ticker.ts): the awake leaders' time passes (leases, CheckQuorum), not the
   * followers' nor the liveness beats' (a peer's beat unread during the stall is not a death).
   */
  #tickLeaders(): RegionReplica[] {
    const ticked: RegionReplica[] = [];
    for (const id of this.#on ? this.#q.awake : this.regions.keys()) {
      const r = this.regions.get(id);
      if (r === undefined || !r.rawNode.isLeader) continue;
      r.rawNode.tick();
      ticked.push(r);
    }
    return ticked;
  }

  /** A leader calm for a few heartbeat intervals (its followers know the commit) goes quiet. */
  #maybeQuiet(r: RegionReplica): void {
    if (!r.leaderIsCalm((node) => this.#q.alive(node))) {
      r.calmTicks = 0;
      return;
    }
    if (++r.calmTicks <= 2 * this.o.raft.heartbeatTicks) return;
    r.quiet = true;
    const rn = r.rawNode;
    this.#q.quietLeader({ region: r.id, term: rn.term, commit: rn.commitIndex, peers: r.peers() });
  }

  #sendBeats(): void {
    const lists = this.#q.beatListsDue();
    const to = new Set([...this.#beatTargets(), ...lists.keys()]);
    for (const peer of to) {
      const beat = { incarnation: this.incarnation, quiet: lists.get(peer) ?? [] };
      this.o.transport.send({ from: this.o.nodeId, to: peer, messages: [], beat });
    }
  }

  /**
   * A peer's beat: wake what a restart made stale; quiet the followers it lists. A peer that
   * restarted may have lost its log (a wiped node): the regions led here probe it again, so the
   * append it rejects tells the leader to send it a snapshot, even in a region without writes.
   */
  onBeat(from: number, beat: LivenessBeat): void {
    const before = this.#incarnations.get(from);
    this.#incarnations.set(from, beat.incarnation);
    if (before !== undefined && before !== beat.incarnation) this.#probeAgain(from);
    if (!this.#on) return;
    for (const id of this.#q.beat(from, beat.incarnation)) {
      const r = this.regions.get(id);
      if (r !== undefined) this.touch(r, true);
    }
    for (const item of beat.quiet) {
      const r = this.regions.get(item.region);
      if (r === undefined || r.quiet || r.pendingReads > 0) continue;
      const rn = r.rawNode;
      if (rn.isLeader || rn.term !== item.term || rn.lead !== from) continue;
      if (rn.commitIndex < item.commit) continue; // it still has to learn the commit
      r.quiet = true;
      this.#q.quietFollower(r.id, from);
    }
  }

  #probeAgain(peer: number): void {
    for (const r of this.regions.values()) {
      if (!r.rawNode.isLeader || !r.peers().includes(peer)) continue;
      r.rawNode.reportUnreachable(peer);
      this.touch(r, false);
    }
  }
}
