/**
 * Which regions of a node tick (decision 0014 §4). A region whose leader has
 * nothing in flight goes quiet: neither it nor its followers tick, so it
 * sends no heartbeats. Instead each node sends every peer node one liveness
 * beat per interval listing its quiet leader regions; a follower region goes
 * quiet when it sees itself listed, and every quiet follower of a node wakes
 * when that node's beats stop for an election timeout or its incarnation
 * changes (it restarted). Any message, proposal or read wakes a region.
 *
 * Costs: a tick touches the awake regions and the peer nodes, not the quiet
 * regions; a beat carries the quiet regions the two nodes share.
 */
import type { QuietRegion } from "./transport.ts";

/** Beats between two that list every shared quiet region even if nothing changed. */
const BEAT_REFRESH = 10;

interface QuietLeader extends QuietRegion {
  readonly peers: readonly number[];
}

export class Quiescence {
  /** Regions that tick. */
  readonly awake = new Set<number>();
  readonly #leaders = new Map<number, QuietLeader>();
  /** Quiet follower regions by the node that leads them. */
  readonly #followers = new Map<number, Set<number>>();
  readonly #leaderOf = new Map<number, number>();
  /** Per peer node: the tick of its last beat and its incarnation. */
  readonly #beats = new Map<number, { tick: number; incarnation: number }>();
  #ticks = 0;
  /** Bumped when the set of quiet leaders changes (beats then carry the lists again). */
  #generation = 0;
  #listedGeneration = -1;
  #beatsSinceLists = 0;

  constructor(readonly electionTicks: number) {}

  get quietCount(): number {
    return this.#leaders.size + this.#leaderOf.size;
  }

  add(region: number): void {
    this.awake.add(region);
  }

  /** Forgets a region (removed from this node). */
  delete(region: number): void {
    this.wake(region);
    this.awake.delete(region);
  }

  /** True when the region was quiet. */
  wake(region: number): boolean {
    if (this.awake.has(region)) return false;
    if (this.#leaders.delete(region)) this.#generation++;
    const lead = this.#leaderOf.get(region);
    if (lead !== undefined) {
      this.#leaderOf.delete(region);
      this.#followers.get(lead)?.delete(region);
    }
    this.awake.add(region);
    return true;
  }

  quietLeader(q: QuietLeader): void {
    this.awake.delete(q.region);
    this.#leaders.set(q.region, q);
    this.#generation++;
  }

  quietFollower(region: number, lead: number): void {
    this.awake.delete(region);
    this.#leaderOf.set(region, lead);
    let set = this.#followers.get(lead);
    if (set === undefined) this.#followers.set(lead, set = new Set());
    set.add(region);
  }

  /**
   * The lists for this beat: beats list the quiet leaders only when that set
   * changed since the last listing, and every BEAT_REFRESH beats (what a lost
   * beat withheld); a beat with an empty list costs its receiver nothing per
   * region.
   */
  beatListsDue(): Map<number, QuietRegion[]> {
    const due = this.#generation !== this.#listedGeneration ||
      ++this.#beatsSinceLists >= BEAT_REFRESH;
    if (!due) return new Map();
    this.#listedGeneration = this.#generation;
    this.#beatsSinceLists = 0;
    return this.beatLists();
  }

  /** The quiet leader regions each peer node shares with this one. */
  beatLists(): Map<number, QuietRegion[]> {
    const out = new Map<number, QuietRegion[]>();
    for (const q of this.#leaders.values()) {
      const item = { region: q.region, term: q.term, commit: q.commit };
      for (const p of q.peers) {
        const list = out.get(p);
        if (list === undefined) out.set(p, [item]);
        else list.push(item);
      }
    }
    return out;
  }

  /**
   * Records a beat from `from`; returns the regions to wake because the
   * sender restarted (the quiet state shared with it is stale).
   */
  beat(from: number, incarnation: number): number[] {
    const before = this.#beats.get(from);
    this.#beats.set(from, { tick: this.#ticks, incarnation });
    if (before === undefined || before.incarnation === incarnation) return [];
    // Its followers wake to elect; its followers' leaders here wake to heartbeat the
    // restarted replicas before they time out and campaign.
    const out = [...(this.#followers.get(from) ?? [])];
    for (const q of this.#leaders.values()) if (q.peers.includes(from)) out.push(q.region);
    return out;
  }

  /** Whether `from` beat recently enough for a follower of it to go quiet. */
  alive(from: number): boolean {
    const b = this.#beats.get(from);
    return b !== undefined && this.#ticks - b.tick < this.electionTicks;
  }

  /** Advances the clock; returns quiet followers whose leader node stopped beating. */
  tick(): number[] {
    this.#ticks++;
    const out: number[] = [];
    for (const [lead, set] of this.#followers) {
      if (set.size > 0 && !this.alive(lead)) out.push(...set);
    }
    return out;
  }
}
