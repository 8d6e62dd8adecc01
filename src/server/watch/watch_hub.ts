/**
 * The watches of one node (docs/coordination.md, "Watch"). A watch is either
 * synced — it gets each apply pass's events from `publish` — or catching up: it
 * reads the store's history from its next revision, one bounded batch at a time
 * and only while its buffer is empty (so a backed-up socket stops the reads).
 *
 * No gap, no duplicate across the switch to synced: `publish(events, R)` is only
 * called once the events up to R are in the history, so a read that covers up to
 * `through` >= the last published revision has seen everything published; the
 * switch happens synchronously after that check, and a synced watch takes only
 * events at or after its next revision, so a pass the read already saw (applied
 * but not yet published while the read ran) is not delivered twice. A read that
 * ends below the published revision reads again.
 *
 * After a snapshot replaced the store (`resync`), the history jumps: every watch
 * catches up again from its next revision, and reads begun before are discarded.
 *
 * A split that takes some of a watch's keys out of this hub's region parks the watch at the
 * split's revision (`park`): it takes nothing above it, live or from history, until the node
 * moves it (`release`; node_watches.ts) or finds it whole here again (`unpark`). What it
 * announced never passes the split, so the move goes on from there with no gap and no repeat.
 */
import { inRange, type KvEvent } from "../../kv/key_state.ts";
import { WATCH_HISTORY_BATCH_EVENTS, WATCHES_PER_NODE_MAX } from "../../limits.ts";
import type { Clock, TimerId } from "../../platform/types.ts";
import { errorMessage } from "../../util/errors.ts";
import { Watcher } from "./watcher.ts";
import {
  type WatchHistorySource,
  WatchLimitError,
  type WatchSink,
  type WatchSpec,
} from "./watch_types.ts";

/** How long a watch with progress_notify may be idle before it is told its revision. */
export const WATCH_PROGRESS_INTERVAL_MS_DEFAULT = 5000;

export interface WatchHubOptions {
  readonly source: WatchHistorySource;
  readonly clock: Clock;
  /** Default WATCH_PROGRESS_INTERVAL_MS_DEFAULT; small in tests. */
  readonly progressIntervalMs?: number;
  /** Default WATCHES_PER_NODE_MAX. */
  readonly watchesMax?: number;
  /** Events per history read; default WATCH_HISTORY_BATCH_EVENTS. */
  readonly historyBatchEvents?: number;
}

/** Counters for /metrics. */
export interface WatchCounters {
  eventsSent: number;
  canceledSlow: number;
}

export class WatchHub {
  readonly #watchers = new Set<Watcher>();
  readonly counters: WatchCounters = { eventsSent: 0, canceledSlow: 0 };
  /** The last revision published (or the store's revision at the last resync). */
  #published: number;
  /** Grows at each resync: a history read begun in an older epoch is discarded. */
  #epoch = 0;
  #nextId = 1;
  #progressTimer: TimerId | undefined;
  #closed = false;

  constructor(readonly o: WatchHubOptions) {
    this.#published = o.source.revision;
  }

  get active(): number {
    return this.#watchers.size;
  }

  /** The last revision whose events were published. */
  get revision(): number {
    return this.#published;
  }

  /** Registers a watch; throws WatchLimitError when the node has no room. */
  create(spec: WatchSpec, sink: WatchSink): Watcher {
    if (this.#closed) throw new WatchLimitError("the node is shutting down");
    const max = this.o.watchesMax ?? WATCHES_PER_NODE_MAX;
    if (this.#watchers.size >= max) {
      throw new WatchLimitError(`too many watches on this node (${max})`);
    }
    // A start in the future is allowed: the watch waits for it (as etcd does).
    const next = spec.startRevision === 0 ? this.#published + 1 : spec.startRevision;
    const w = new Watcher(this.#nextId++, spec, sink, next, this.o.clock.nowMs());
    w.hub = this;
    w.onEmpty = () => void this.#catchUp(w);
    w.onSent = (n) => this.counters.eventsSent += n;
    this.#watchers.add(w);
    if (next > this.#published) w.synced = true;
    else void this.#catchUp(w);
    if (spec.progressNotify) this.#armProgress();
    return w;
  }

  /** Ends a watch with `reason` (its port sends the canceled message). */
  cancel(w: Watcher, reason: string, compactRevision?: number, resumeAfter?: number): void {
    this.#watchers.delete(w);
    w.end(reason, compactRevision, resumeAfter);
  }

  /** The watches this hub serves. */
  watchers(): Watcher[] {
    return [...this.#watchers];
  }

  /** The revision a new watch's `created` message reports. */
  revisionOf(_w: Watcher): number {
    return this.#published;
  }

  /** Gives a watch up without ending it (another hub adopts it: a split moved its keys). */
  release(w: Watcher): void {
    this.#watchers.delete(w);
    if (w.hub === this) w.hub = undefined;
    w.parkedAt = undefined;
  }

  /** Stops `w` at `revision` (a split took some of its keys: see the top). */
  park(w: Watcher, revision: number): void {
    w.parkedAt = Math.min(w.parkedAt ?? revision, revision);
  }

  /** A parked watch goes on here: it reads what it skipped from history. */
  unpark(w: Watcher): void {
    if (w.parkedAt === undefined) return;
    w.parkedAt = undefined;
    w.synced = false;
    if (w.empty) void this.#catchUp(w);
  }

  /** Serves a watch another hub released, from revision `next` (catching up from history). */
  adopt(w: Watcher, next: number): void {
    this.#watchers.add(w);
    w.hub = this;
    w.next = next;
    w.synced = false;
    w.catchingUp = false; // the old hub's loop, if one is awaiting a read, stops at its return
    w.onEmpty = () => void this.#catchUp(w);
    if (w.empty) void this.#catchUp(w);
    if (w.spec.progressNotify) this.#armProgress();
  }

  /** Events of one apply pass, durable in the history, the store now at `revision`. */
  publish(events: readonly KvEvent[], revision: number): void {
    if (revision > this.#published) this.#published = revision;
    const now = this.o.clock.nowMs();
    for (const w of this.#watchers) {
      if (!w.synced) continue;
      const top = Math.min(revision, w.parkedAt ?? revision);
      let mine: KvEvent[] | undefined;
      for (const e of events) {
        const r = e.kv.modRevision;
        if (r < w.next || r > top || !inRange(w.spec.range, e.kv.key)) continue;
        (mine ??= []).push(e);
      }
      if (mine !== undefined && !w.push(mine, top, now)) this.#tooSlow(w);
      else if (top >= w.next) w.next = top + 1;
    }
  }

  /** The store was replaced by a snapshot: every watch catches up from history again. */
  resync(): void {
    this.#epoch++;
    this.#published = this.o.source.revision;
    for (const w of this.#watchers) {
      w.synced = false;
      if (w.empty) void this.#catchUp(w);
    }
  }

  #tooSlow(w: Watcher): void {
    this.counters.canceledSlow++;
    this.cancel(
      w,
      `watcher too slow: more than its buffer (events or bytes, docs/limits.md) waiting; ` +
        `resume from revision ${w.delivered + 1}`,
    );
  }

  /** Reads history for `w` while its buffer is empty, until it can switch to synced. */
  async #catchUp(w: Watcher): Promise<void> {
    if (w.catchingUp) return;
    w.catchingUp = true;
    try {
      while (!w.ended && !w.synced && w.empty && w.hub === this) {
        const epoch = this.#epoch;
        const compacted = this.o.source.compactedRevision;
        if (w.next < compacted) return this.#compacted(w, compacted);
        if (w.next > this.#published) {
          w.synced = true;
          return;
        }
        if (w.parkedAt !== undefined && w.next > w.parkedAt) return;
        const page = await this.#read(w);
        if (w.hub !== this) return; // moved to another hub meanwhile: it reads from here on
        if (w.ended || epoch !== this.#epoch) continue;
        if (page === undefined) return;
        if (page.through < w.next) {
          return this.cancel(w, `history read made no progress at revision ${w.next}`);
        }
        const top = Math.min(page.through, w.parkedAt ?? page.through);
        const events = page.events.filter((e) =>
          e.kv.modRevision >= w.next && e.kv.modRevision <= top
        );
        w.next = top + 1;
        if (events.length > 0) w.push(events, top, this.o.clock.nowMs());
        // Checked with no await since the read: a later publish finds the watch synced.
        if (w.next > this.#published) w.synced = true;
      }
    } finally {
      if (w.hub === this) w.catchingUp = false;
    }
  }

  async #read(w: Watcher) {
    const epoch = this.#epoch;
    try {
      return await this.o.source.readHistory(w.next, w.spec.range, {
        maxEvents: this.o.historyBatchEvents ?? WATCH_HISTORY_BATCH_EVENTS,
        prevKv: w.spec.prevKv,
      });
    } catch (err) {
      if (w.ended || epoch !== this.#epoch) return { events: [], through: w.next - 1 };
      const compacted = this.o.source.compactedRevision;
      if (w.next < compacted) this.#compacted(w, compacted);
      else this.cancel(w, `reading history failed: ${errorMessage(err)}`);
      return undefined;
    }
  }

  #compacted(w: Watcher, compacted: number): void {
    this.cancel(
      w,
      `revision ${w.next} was compacted; the oldest readable revision is ${compacted}`,
      compacted,
    );
  }

  /** A timer runs while some watch wants progress notifications. */
  #armProgress(): void {
    if (this.#progressTimer !== undefined || this.#closed) return;
    const every = this.o.progressIntervalMs ?? WATCH_PROGRESS_INTERVAL_MS_DEFAULT;
    this.#progressTimer = this.o.clock.setTimeout(() => {
      this.#progressTimer = undefined;
      this.#progressTick(every);
    }, every);
  }

  #progressTick(every: number): void {
    const now = this.o.clock.nowMs();
    let wanted = false;
    for (const w of this.#watchers) {
      if (!w.spec.progressNotify) continue;
      wanted = true;
      if (!w.synced || !w.empty || now - w.lastActiveMs < every) continue;
      if (w.parkedAt !== undefined) continue; // its progress would pass the split
      w.progress(this.#published, now);
    }
    if (wanted) this.#armProgress();
  }

  /** Ends every watch (the node is closing). */
  close(): void {
    this.#closed = true;
    if (this.#progressTimer !== undefined) this.o.clock.clearTimeout(this.#progressTimer);
    this.#progressTimer = undefined;
    for (const w of [...this.#watchers]) this.cancel(w, "the node is shutting down");
  }
}
