/**
 * The watches of a node holding many regions (docs/regions.md "The node holding many regions",
 * docs/coordination.md "Watch"): one watch hub (watch_hub.ts) per region with watches, made on
 * the first, each reading its region's history (its own feed and, below its splits, its
 * ancestors': the lineage) and fed its region's apply passes. A watch within one region is a
 * watch of that region's hub; one over several regions this node holds is a SpanWatch
 * (span_watch.ts): a sub-watch in each region's hub, merged in revision order, which revisions
 * from the timestamp oracle allow (decision 0018).
 *
 * A split moves a watch of one region whose keys all went to the new region into that region's
 * hub, from where it stood: the child's revisions continue above the split's, and the parent wrote
 * none of those keys since, so nothing is lost or repeated. When its keys now span both halves,
 * the same watch goes on as a watch over both (its sub-watches from where it stood). Either holds
 * while the watch has announced no revision above the split's (a pass or progress message that
 * ran past it); otherwise the watch is ended with a cancel message whose revision is the split's,
 * and the client resumes after it (src/client/watch.ts).
 */
import type { KvEvent } from "../../kv/key_state.ts";
import { WATCHES_PER_NODE_MAX } from "../../limits.ts";
import type { Clock } from "../../platform/types.ts";
import { WatchHub } from "../watch/watch_hub.ts";
import {
  type WatchHistorySource,
  WatchLimitError,
  type WatchService,
  type WatchSink,
  type WatchSpec,
  WatchUnsupportedError,
} from "../watch/watch_types.ts";
import { Watcher } from "../watch/watcher.ts";
import type { HostedRegion, RegionHost } from "./region_host.ts";
import { rangeWithin, watchRegion } from "./region_watch_policy.ts";
import type { RegionDescriptor } from "../../region/descriptor.ts";
import { readLineage } from "../../kv/region_lineage.ts";
import type { EngineHolder } from "./engine_holder.ts";
import { type CloseRegion, SpanBarriers } from "./span_barriers.ts";
import { SpanWatch } from "./span_watch.ts";

export interface NodeWatchesDeps {
  readonly host: RegionHost;
  readonly clock: Clock;
  readonly engine: () => EngineHolder;
  /** Region 1's source: the engine holder's state machine (a snapshot swaps it). */
  readonly first: WatchHistorySource;
  readonly watchesMax?: number;
  /**
   * Closes a region at a revision (region_router.ts closeAt) where revisions are timestamps;
   * undefined where they are log indexes (no watch over several regions there).
   */
  readonly close?: () => CloseRegion | undefined;
  /** Least ms between two barriers of one region; default WATCH_SPAN_BARRIER_INTERVAL_MS. */
  readonly barrierIntervalMs?: number;
  /** Regions one watch may span; default WATCH_SPAN_REGIONS_MAX. */
  readonly spanMax?: number;
}

export class NodeWatches implements WatchService {
  readonly #hubs = new Map<number, WatchHub>();
  /** Watches over several regions, by the watcher their port sends from. */
  readonly #spans = new Map<Watcher, SpanWatch>();
  /** Sub-watches of the spans: their span follows splits for them. */
  readonly #owned = new WeakSet<Watcher>();
  readonly barriers: SpanBarriers;
  #spanEventsSent = 0;
  #nextSpanId = 1;
  #closed = false;

  constructor(readonly d: NodeWatchesDeps) {
    const close: CloseRegion = (r, at, ask) => {
      const c = d.close?.();
      return c === undefined ? Promise.reject(new Error("no timestamps")) : c(r, at, ask);
    };
    this.barriers = new SpanBarriers(d.clock, close, () => {
      for (const s of this.#spans.values()) if (s.waiting) s.schedule();
    }, d.barrierIntervalMs);
  }

  get active(): number {
    let n = 0;
    for (const h of this.#hubs.values()) n += h.active;
    return n;
  }

  get counters(): { eventsSent: number; canceledSlow: number } {
    const sum = { eventsSent: this.#spanEventsSent, canceledSlow: 0 };
    for (const h of this.#hubs.values()) {
      sum.eventsSent += h.counters.eventsSent;
      sum.canceledSlow += h.counters.canceledSlow;
    }
    return sum;
  }

  create(spec: WatchSpec, sink: WatchSink): Watcher {
    if (this.#closed) throw new WatchLimitError("the node is shutting down");
    const max = this.d.watchesMax ?? WATCHES_PER_NODE_MAX;
    if (this.active >= max) throw new WatchLimitError(`too many watches on this node (${max})`);
    const region = watchRegion(this.d.host, spec.range, this.d.spanMax);
    if (region.kind === "refused") throw new WatchUnsupportedError(region.reason);
    if (region.kind === "absent") throw new WatchLimitError(region.reason);
    if (region.kind === "one") return this.#hub(region.region).create(spec, sink);
    if (this.d.close?.() === undefined) {
      throw new WatchUnsupportedError(
        "the watched keys lie in more than one region and revisions are not timestamps here",
      );
    }
    if (this.active + region.regions.length > max) {
      throw new WatchLimitError(`too many watches on this node (${max}; one per region watched)`);
    }
    const hubs = region.regions.map((r) => this.#hub(r));
    // Not given: after the newest revision any of the regions published (a read at that
    // revision closes the others at it, so a get there and this watch see each change once).
    const start = spec.startRevision || Math.max(...hubs.map((h) => h.revision)) + 1;
    const outer = new Watcher(this.#nextSpanId++, spec, sink, start, this.d.clock.nowMs());
    this.#span(outer, start, region.regions);
    return outer;
  }

  #span(outer: Watcher, start: number, regions: readonly HostedRegion[]): SpanWatch {
    outer.onSent = (n) => this.#spanEventsSent += n;
    const span = new SpanWatch(
      {
        host: this.d.host,
        clock: this.d.clock,
        engine: this.d.engine,
        hub: (r) => this.#hub(r),
        floor: (id) => this.barriers.floor(id),
        close: (r, at) => this.barriers.ask(r, at),
        later: () => this.barriers.retry(),
        own: (w) => this.#owned.add(w),
        ended: (s) => this.#spans.delete(s.outer),
        spanMax: this.d.spanMax,
      },
      outer,
      start,
      regions,
    );
    this.#spans.set(outer, span);
    span.schedule();
    return span;
  }

  cancel(w: Watcher, reason: string): void {
    const span = this.#spans.get(w);
    if (span !== undefined) return span.cancel(reason);
    for (const h of this.#hubs.values()) if (w.hub === h) return h.cancel(w, reason);
    w.end(reason);
  }

  revisionOf(w: Watcher): number {
    const span = this.#spans.get(w);
    if (span !== undefined) return span.start - 1;
    for (const h of this.#hubs.values()) if (w.hub === h) return h.revisionOf(w);
    return 0;
  }

  /** Events of one apply pass of region `id`, durable in its history. */
  publish(id: number, events: readonly KvEvent[], revision: number): void {
    this.#hubs.get(id)?.publish(events, revision);
    this.#touched(id);
  }

  /** Region `id`'s records were replaced by a snapshot: its watches catch up again. */
  resync(id: number): void {
    this.#hubs.get(id)?.resync();
    this.#touched(id);
  }

  /** The spans over region `id` merge again (its sub-watch may have moved without an event). */
  #touched(id: number): void {
    for (const s of this.#spans.values()) if (s.regionIds().includes(id)) s.schedule();
  }

  /**
   * Region `left.id` applied a split at `revision`, its events not yet published: its watches
   * some of whose keys left stop there until `recheck` moves them (watch_hub.ts, `park`), so
   * that none announces a revision of the parent past the split before the move.
   */
  parkAtSplit(left: RegionDescriptor, revision: number): void {
    const hub = this.#hubs.get(left.id);
    if (hub === undefined) return;
    for (const w of hub.watchers()) {
      if (!this.#owned.has(w) && !rangeWithin(w.spec.range, left)) hub.park(w, revision);
    }
  }

  /** The regions changed (a split): moves or ends the watches whose region no longer holds them. */
  recheck(): void {
    for (const [id, hub] of this.#hubs) {
      for (const w of hub.watchers()) {
        if (this.#owned.has(w)) continue; // a span's sub-watch: the span follows the split
        const now = watchRegion(this.d.host, w.spec.range, this.d.spanMax);
        if (now.kind === "one" && now.region.id === id) {
          hub.unpark(w); // whole here again (a merge came back before the move)
          continue;
        }
        if (now.kind === "absent") continue; // a child not added yet: checked again then
        if (now.kind === "refused") {
          hub.cancel(w, `${now.reason} (after a split)`);
          continue;
        }
        this.#move(id, hub, w, now.kind === "one" ? [now.region] : now.regions);
      }
    }
    for (const s of this.#spans.values()) s.schedule();
  }

  #move(id: number, from: WatchHub, w: Watcher, regions: readonly HostedRegion[]): void {
    // The revision the keys' new region split off at: the watch's history up to it is the same
    // in both regions' views, and the new region's own revisions are all above it.
    const to = regions.find((r) => r.id !== id) ?? regions[0];
    const splits: number[] = [];
    for (const r of regions) {
      if (r.id === id) continue;
      const s = readLineage(this.d.engine().db, r.id)[0]?.splitRevision;
      splits.push(s ?? Number.NaN);
    }
    const least = Math.min(...splits);
    const split = Number.isNaN(least) ? undefined : least;
    if (split !== undefined && w.announced <= split && regions.length === 1) {
      from.release(w);
      this.#hub(to).adopt(w, Math.min(w.next, split + 1));
      return;
    }
    if (split !== undefined && w.announced <= split && this.d.close?.() !== undefined) {
      // Over both halves now: the same watch goes on over both, every part from where it stood.
      from.release(w);
      try {
        this.#span(w, Math.min(w.next, split + 1), regions);
      } catch {
        // No room for the sub-watches: the span ended the watch, for the client to resume.
      }
      return;
    }
    const after = split ?? w.delivered;
    from.cancel(
      w,
      `the watched keys moved to region ${to.id} at a split (revision ${after}) after the watch ` +
        `announced a later revision of the old region; resume from revision ${after + 1}`,
      undefined,
      after,
    );
  }

  #hub(r: HostedRegion): WatchHub {
    const known = this.#hubs.get(r.id);
    if (known !== undefined) return known;
    const engine = this.d.engine;
    // The region as hosted now: one that left this node and came back is a new HostedRegion.
    const kv = () => (this.d.host.region(r.id) ?? r).kv.kv;
    const source: WatchHistorySource = r.id === 1 ? this.d.first : {
      get revision() {
        return kv().revision;
      },
      get compactedRevision() {
        return kv().compactedRevision;
      },
      readHistory: (from, range, o) => engine().read(() => kv().readHistory(from, range, o)),
    };
    const hub = new WatchHub({ source, clock: this.d.clock, watchesMax: this.d.watchesMax });
    this.#hubs.set(r.id, hub);
    return hub;
  }

  close(): void {
    this.#closed = true;
    this.barriers.close();
    for (const s of [...this.#spans.values()]) s.cancel("the node is shutting down");
    for (const h of this.#hubs.values()) h.close();
  }
}
