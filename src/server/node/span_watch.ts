/**
 * A watch over several regions on a node holding them all (docs/coordination.md "Watch", "With
 * regions"; decision 0018): one sub-watch per region, in that region's hub (its feed, lineage and
 * catch-up as for any watch), merged in revision order into the watch the port sends from.
 *
 * Revisions are timestamps there, comparable across regions, and a region's next change always
 * gets a revision above the one it applied (`max(ts, last + 1)`). So a region has said everything
 * up to its *resolved* revision: what its sub-watch has handed over (the sub-watch's buffer taken,
 * everything below its next revision), or, for a sub-watch receiving the region's passes, a floor
 * set once a timestamp barrier at that revision was applied (its pass's events were published
 * before the barrier's answer). An event of revision R is sent once every watched region resolved
 * R: in revision order across regions, ties in key order (regions are in key order, and a region's
 * events of one revision keep theirs). While an event waits for an idle region, the node asks that
 * region for a barrier (node_watches.ts: at most one per WATCH_SPAN_BARRIER_INTERVAL_MS a region).
 *
 * A split inside the range: the parent's descriptor shrinks when it applies the split, before its
 * revision passes the split's, and the merge checks the regions before it computes what it may
 * send. A child not hosted yet holds everything back; once hosted it gets a sub-watch from the
 * split's revision + 1 (its keys' changes up to the split come from the parent's sub-watch, whose
 * range still covers them). A region leaving (a merge, a move) ends the watch with a cancel at the
 * last revision delivered, and the client resumes after it.
 */
import type { KvEvent } from "../../kv/key_state.ts";
import { readLineage } from "../../kv/region_lineage.ts";
import { WATCH_BUFFER_EVENTS_MAX } from "../../limits.ts";
import type { Clock, TimerId } from "../../platform/types.ts";
import { WATCH_PROGRESS_INTERVAL_MS_DEFAULT, type WatchHub } from "../watch/watch_hub.ts";
import type { WatchSpec } from "../watch/watch_types.ts";
import type { Watcher } from "../watch/watcher.ts";
import type { EngineHolder } from "./engine_holder.ts";
import { compareBytes } from "../../util/bytes.ts";
import { errorMessage } from "../../util/errors.ts";
import type { HostedRegion, RegionHost } from "./region_host.ts";
import { clipToRegion, WATCH_SPAN_REGIONS_MAX, watchRegion } from "./region_watch_policy.ts";

/** What a watch over several regions needs of the node's watches (node_watches.ts). */
export interface SpanWatchDeps {
  readonly host: RegionHost;
  readonly clock: Clock;
  readonly engine: () => EngineHolder;
  /** The hub of region `r` (made on first use). */
  hub(r: HostedRegion): WatchHub;
  /** The highest revision region `id` is known to have published everything up to. */
  floor(id: number): number;
  /** Asks region `r` for a barrier at `revision` or above (rate-limited by the caller). */
  close(r: HostedRegion, revision: number): void;
  /** Runs the waiting watches' merges again soon (one timer for the node). */
  later(): void;
  /** Marks `w` as a sub-watch (not checked as a watch of its own at splits). */
  own(w: Watcher): void;
  /** The watch ended (the node forgets it). */
  ended(span: SpanWatch): void;
  readonly spanMax?: number;
  /** Default WATCH_PROGRESS_INTERVAL_MS_DEFAULT. */
  readonly progressIntervalMs?: number;
}

/** One region's part of the watch. */
interface Part {
  readonly region: HostedRegion;
  readonly hub: WatchHub;
  readonly watcher: Watcher;
  /** Events taken from the sub-watch, not sent yet, in revision order. */
  held: KvEvent[];
}

export class SpanWatch {
  readonly #parts: Part[] = [];
  #pumpQueued = false;
  #ended = false;
  /** The revision every region resolved at the last merge (what a progress message reports). */
  #bound = 0;
  #progressTimer: TimerId | undefined;

  /**
   * `outer` is the watch the port sends from (new, or a watch of one region whose keys a split
   * spread over two); every sub-watch starts at `start`.
   */
  constructor(
    readonly d: SpanWatchDeps,
    readonly outer: Watcher,
    readonly start: number,
    regions: readonly HostedRegion[],
  ) {
    outer.hub = this;
    outer.synced = false; // its buffer emptying asks for more (onEmpty)
    outer.onEmpty = () => this.schedule();
    try {
      for (const r of regions) this.#add(r, start);
    } catch (err) {
      // A hub with no room (or closing): the sub-watches made so far go too.
      this.cancel(errorMessage(err));
      throw err;
    }
    if (outer.spec.progressNotify) this.#armProgress();
  }

  /** Tells an idle watch with progress_notify how far it has seen, as a hub does. */
  #armProgress(): void {
    const every = this.d.progressIntervalMs ?? WATCH_PROGRESS_INTERVAL_MS_DEFAULT;
    this.#progressTimer = this.d.clock.setTimeout(() => {
      if (this.#ended) return;
      const now = this.d.clock.nowMs();
      const idle = now - this.outer.lastActiveMs >= every;
      if (idle && this.outer.empty && !this.waiting && this.#bound > 0) {
        this.outer.progress(Math.max(this.#bound, this.outer.delivered), now);
      }
      this.#armProgress();
    }, every);
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** The regions watched, by id. */
  regionIds(): number[] {
    return this.#parts.map((p) => p.region.id);
  }

  #add(r: HostedRegion, from: number): void {
    const spec: WatchSpec = {
      range: clipToRegion(this.outer.spec.range, r),
      startRevision: from,
      prevKv: this.outer.spec.prevKv,
      progressNotify: false,
    };
    const hub = this.d.hub(r);
    const w = hub.create(spec, { wake: () => this.schedule() });
    w.onSent = () => {}; // counted once, when the outer watch sends them
    this.d.own(w);
    this.#parts.push({ region: r, hub, watcher: w, held: [] });
    this.#parts.sort((a, b) =>
      compareBytes(a.region.kv.descriptor.start, b.region.kv.descriptor.start)
    );
  }

  /** Runs the merge soon (not inside a hub's publish loop). */
  schedule(): void {
    if (this.#pumpQueued || this.#ended) return;
    this.#pumpQueued = true;
    queueMicrotask(() => {
      this.#pumpQueued = false;
      this.pump();
    });
  }

  /** Whether some event waits for a region to resolve its revision. */
  get waiting(): boolean {
    return this.#parts.some((p) => p.held.length > 0);
  }

  /** Follows the regions, takes what the sub-watches have, sends what every region resolved. */
  pump(): void {
    try {
      this.#merge();
    } catch (err) {
      // Never out of a microtask into the node: the watch ends, and the client resumes.
      this.#resume(`the watch over several regions failed: ${errorMessage(err)}`);
    }
  }

  #merge(): void {
    if (this.#ended || !this.#follow()) return;
    const total = () => this.#parts.reduce((n, p) => n + p.held.length, 0);
    for (const p of this.#parts) {
      // A part holding nothing may always take more: the laggard's events are what let the
      // others' go, so the merge never waits on a part it refused to read.
      if (p.held.length > 0 && total() >= WATCH_BUFFER_EVENTS_MAX) continue;
      if (!this.#drain(p)) return;
    }
    const bound = Math.min(...this.#parts.map((p) => this.#resolved(p)));
    this.#bound = Math.max(this.#bound, bound);
    this.#send(bound);
    this.#askBarriers(bound);
  }

  /** What part `p`'s region has said everything up to. */
  #resolved(p: Part): number {
    const w = p.watcher;
    if (!w.empty) return w.delivered;
    const taken = w.next - 1;
    return w.synced ? Math.max(taken, this.d.floor(p.region.id)) : taken;
  }

  /** Takes the sub-watch's buffer; false when it ended (and so did this watch). */
  #drain(p: Part): boolean {
    for (let i = 0; i < WATCH_BUFFER_EVENTS_MAX + 1; i++) {
      const m = p.watcher.take(Number.MAX_SAFE_INTEGER);
      if (m === undefined) return true;
      if (m.kind === "canceled") {
        const why = `region ${p.region.id}: ${m.reason}`;
        this.cancel(`${why}; resume from revision ${this.outer.delivered + 1}`, m.compactRevision);
        return false;
      }
      if (m.kind === "events") p.held = p.held.concat(m.events); // no spread: a run may be huge
    }
    return true;
  }

  /** Moves the events up to `bound` to the outer buffer, a revision at a time, while room lasts. */
  #send(bound: number): void {
    if (!this.outer.empty) return; // its emptying runs the merge again
    const ready: KvEvent[] = [];
    for (const p of this.#parts) {
      let n = 0;
      while (n < p.held.length && p.held[n].kv.modRevision <= bound) n++;
      for (let i = 0; i < n; i++) ready.push(p.held[i]);
    }
    if (ready.length === 0) return;
    // Stable: ties (two regions at one revision) stay in key order.
    ready.sort((a, b) => a.kv.modRevision - b.kv.modRevision);
    const now = this.d.clock.nowMs();
    let sent = 0;
    while (sent < ready.length) {
      const revision = ready[sent].kv.modRevision;
      let end = sent;
      while (end < ready.length && ready[end].kv.modRevision === revision) end++;
      if (!this.outer.push(ready.slice(sent, end), revision, now)) break;
      sent = end;
    }
    const top = sent > 0 ? ready[sent - 1].kv.modRevision : 0;
    for (const p of this.#parts) {
      let n = 0;
      while (n < p.held.length && p.held[n].kv.modRevision <= top) n++;
      if (n > 0) p.held = p.held.slice(n);
    }
  }

  /** Asks the regions below the newest waiting event for a barrier (the caller bounds the rate). */
  #askBarriers(bound: number): void {
    let want = 0;
    for (const p of this.#parts) {
      const last = p.held[p.held.length - 1];
      if (last !== undefined && last.kv.modRevision > bound) {
        want = Math.max(want, last.kv.modRevision);
      }
    }
    if (want === 0) return;
    for (const p of this.#parts) {
      if (this.#resolved(p) >= want) continue;
      // A sub-watch catching up in a region that applied `want` gets there by reading. One fed
      // by the passes is not told of a pass without events (a barrier someone else asked, or
      // ours, whose revision is above the one we asked for): it needs a barrier of its own.
      const reading = !p.watcher.synced && p.region.kv.kv.revision >= want;
      if (!reading) this.d.close(p.region, want);
    }
    this.d.later(); // a sub-watch that catches up silently is looked at again
  }

  /**
   * Checks the watched regions against the node's: a split's child hosted gets a sub-watch, one
   * not hosted yet holds everything back (false), a region gone ends the watch.
   */
  #follow(): boolean {
    const now = watchRegion(this.d.host, this.outer.spec.range, Number.MAX_SAFE_INTEGER);
    if (now.kind === "absent") return false;
    const regions = now.kind === "one" ? [now.region] : now.kind === "spans" ? now.regions : [];
    const ids = new Set(regions.map((r) => r.id));
    for (const p of this.#parts) {
      if (!ids.has(p.region.id) || this.d.host.region(p.region.id) === undefined) {
        this.#resume(`region ${p.region.id} of the watched keys left this node or merged`);
        return false;
      }
    }
    const known = new Set(this.regionIds());
    for (const r of regions) {
      if (known.has(r.id)) continue;
      const split = readLineage(this.d.engine().db, r.id)[0]?.splitRevision;
      if (split === undefined) {
        this.#resume(`region ${r.id} now holds some of the watched keys`);
        return false;
      }
      if (this.#parts.length >= (this.d.spanMax ?? WATCH_SPAN_REGIONS_MAX)) {
        this.#resume(`the watched keys now lie in more than ${this.#parts.length} regions`);
        return false;
      }
      this.#add(r, Math.max(split + 1, this.start));
    }
    return true;
  }

  #resume(why: string): void {
    this.cancel(`${why}; resume from revision ${this.outer.delivered + 1}`);
  }

  /** Ends the watch and its sub-watches. */
  cancel(reason: string, compactRevision?: number): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#progressTimer !== undefined) this.d.clock.clearTimeout(this.#progressTimer);
    for (const p of this.#parts) {
      p.hub.cancel(p.watcher, reason);
    }
    this.outer.end(reason, compactRevision);
    this.d.ended(this);
  }
}
