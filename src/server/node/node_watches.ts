/**
 * The watches of a node holding many regions (docs/regions.md "The node holding many regions",
 * docs/coordination.md "Watch"): one watch hub (watch_hub.ts) per region with watches, made on
 * the first, each reading its region's history (its own feed and, below its splits, its
 * ancestors': the lineage) and fed its region's apply passes. Revisions are each region's own
 * until the timestamp oracle runs in nodes, so a watch must lie within one region
 * (region_watch_policy.ts); one over several is refused with FAILED_PRECONDITION.
 *
 * A split moves a watch whose keys all went to the new region into that region's hub, from
 * where it stood: the child's revisions continue above the split's, and the parent wrote none
 * of those keys since, so nothing is lost or repeated. That holds while the watch has announced
 * no revision above the split's (a pass or progress message that ran past it); otherwise, or
 * when its keys now span both halves, the watch is ended with a cancel message whose revision
 * is the split's, and the client resumes after it (src/client/watch.ts) — in the child, or, for
 * a range over both halves, to be refused.
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
import type { Watcher } from "../watch/watcher.ts";
import type { HostedRegion, RegionHost } from "./region_host.ts";
import { watchRegion } from "./region_watch_policy.ts";
import { readLineage } from "../../kv/region_lineage.ts";
import type { EngineHolder } from "./engine_holder.ts";

export interface NodeWatchesDeps {
  readonly host: RegionHost;
  readonly clock: Clock;
  readonly engine: () => EngineHolder;
  /** Region 1's source: the engine holder's state machine (a snapshot swaps it). */
  readonly first: WatchHistorySource;
  readonly watchesMax?: number;
}

export class NodeWatches implements WatchService {
  readonly #hubs = new Map<number, WatchHub>();
  #closed = false;

  constructor(readonly d: NodeWatchesDeps) {}

  get active(): number {
    let n = 0;
    for (const h of this.#hubs.values()) n += h.active;
    return n;
  }

  get counters(): { eventsSent: number; canceledSlow: number } {
    const sum = { eventsSent: 0, canceledSlow: 0 };
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
    const region = watchRegion(this.d.host, spec.range);
    if (region.kind === "spans") throw new WatchUnsupportedError(region.reason);
    if (region.kind === "absent") throw new WatchLimitError(region.reason);
    return this.#hub(region.region).create(spec, sink);
  }

  cancel(w: Watcher, reason: string): void {
    for (const h of this.#hubs.values()) if (w.hub === h) return h.cancel(w, reason);
    w.end(reason);
  }

  revisionOf(w: Watcher): number {
    for (const h of this.#hubs.values()) if (w.hub === h) return h.revisionOf(w);
    return 0;
  }

  /** Events of one apply pass of region `id`, durable in its history. */
  publish(id: number, events: readonly KvEvent[], revision: number): void {
    this.#hubs.get(id)?.publish(events, revision);
  }

  /** Region `id`'s records were replaced by a snapshot: its watches catch up again. */
  resync(id: number): void {
    this.#hubs.get(id)?.resync();
  }

  /** The regions changed (a split): moves or ends the watches whose region no longer holds them. */
  recheck(): void {
    for (const [id, hub] of this.#hubs) {
      for (const w of hub.watchers()) {
        const now = watchRegion(this.d.host, w.spec.range);
        if (now.kind === "one" && now.region.id === id) continue;
        if (now.kind === "absent") continue; // a child not added yet: checked again then
        this.#move(
          hub,
          w,
          now.kind === "one" ? now.region : undefined,
          now.kind === "spans" ? now.reason : "",
        );
      }
    }
  }

  #move(from: WatchHub, w: Watcher, to: HostedRegion | undefined, spans: string): void {
    if (to === undefined) {
      // Over both halves now: ended; the client's resumed watch is refused (FAILED_PRECONDITION).
      return from.cancel(w, `${spans} (after a split)`);
    }
    // The revision the keys' new region split off at: the watch's history up to it is the same
    // in both regions' views, and the new region's own revisions are all above it.
    const split = readLineage(this.d.engine().db, to.id)[0]?.splitRevision;
    if (split !== undefined && w.announced <= split) {
      from.release(w);
      this.#hub(to).adopt(w, Math.min(w.next, split + 1));
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
    for (const h of this.#hubs.values()) h.close();
  }
}
