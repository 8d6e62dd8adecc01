/**
 * Closes of regions at a revision shared by concurrent reads (reads_at_timestamp.ts; every current
 * scan over several regions closes each of its regions at a fresh timestamp: snapshot_scan.ts).
 * A close is a ReadIndex round and an apply wait on the region's leader (close_without_entry.ts),
 * so without sharing every such scan paid one per region it spans, however many ran at once.
 * Here at most one close of a region is in flight (per kind: asked of the leader or not); a read
 * at a revision at or below the one in flight shares it (once it is done the region holds every
 * change up to that revision), and a read at a higher one waits for the next close, which starts
 * when the one in flight ends, at the highest revision asked meanwhile. So a region runs about one
 * close per round trip for reads, whatever their rate, and a read waits at most two closes. A
 * close's failure is each sharer's (retryable, as before).
 */
import type { HostedRegion } from "./region_host.ts";
import { finalRevision } from "./close_without_entry.ts";

export type CloseRegionAt = (r: HostedRegion, at: number, ask: boolean) => Promise<unknown>;

interface Next {
  at: number;
  readonly done: Promise<void>;
  readonly settle: (p: Promise<void>) => void;
}

interface Slot {
  /** The close in flight: its revision and its end. */
  current: { readonly at: number; readonly done: Promise<void> };
  next?: Next;
}

export class SharedCloses {
  /** Regions (by replica object and kind) with a close in flight. */
  readonly #slots = new Map<HostedRegion, Map<boolean, Slot>>();
  /** Closes started (for tests and metrics). */
  started = 0;

  constructor(readonly close: CloseRegionAt) {}

  closeAt(r: HostedRegion, at: number, ask: boolean): Promise<void> {
    const kinds = this.#slots.get(r) ?? new Map<boolean, Slot>();
    this.#slots.set(r, kinds);
    const slot = kinds.get(ask);
    if (slot === undefined) return this.#start(r, ask, kinds, at);
    if (at <= slot.current.at) return slot.current.done;
    if (slot.next !== undefined) {
      slot.next.at = Math.max(slot.next.at, at);
      return slot.next.done;
    }
    let settle: (p: Promise<void>) => void = () => {};
    const done = new Promise<void>((resolve) => (settle = resolve));
    slot.next = { at, done, settle };
    return done;
  }

  #start(r: HostedRegion, ask: boolean, kinds: Map<boolean, Slot>, at: number): Promise<void> {
    this.started++;
    const done = this.close(r, at, ask).then(() => {});
    const slot: Slot = { current: { at, done } };
    kinds.set(ask, slot);
    const after = () => {
      const next = slot.next;
      if (next === undefined) {
        kinds.delete(ask);
        if (kinds.size === 0) this.#slots.delete(r);
        return;
      }
      kinds.delete(ask);
      // The close just ended may have taken the region that far already (a write applied since).
      if (finalRevision(r) >= next.at) {
        if (kinds.size === 0) this.#slots.delete(r);
        next.settle(Promise.resolve());
      } else next.settle(this.#start(r, ask, kinds, next.at));
    };
    done.then(after, after);
    return done;
  }
}
