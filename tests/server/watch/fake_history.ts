/**
 * A store history for watch hub tests: revisions appended by the test (durable,
 * not yet published), and history reads the test completes when it chooses, seeing
 * the history as it was when they began or as it is when they end.
 */
import type { KeyRange, KvEvent } from "../../../src/kv/key_state.ts";
import { deletedState, inRange } from "../../../src/kv/key_state.ts";
import type { HistoryPage, WatchHistorySource } from "../../../src/server/watch/watch_types.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";

interface PendingRead {
  readonly from: number;
  readonly range: KeyRange;
  readonly maxEvents: number;
  /** The history's length when the read began. */
  readonly seenRevision: number;
  finish(lateView: boolean): void;
  fail(err: Error): void;
}

export class FakeHistory implements WatchHistorySource {
  readonly events: KvEvent[] = [];
  revision = 0;
  compactedRevision = 0;
  /** Reads wait for `finishRead` when true; otherwise they answer at once. */
  manual = false;
  readonly pending: PendingRead[] = [];
  reads = 0;

  /** Appends one revision writing `keys` (a key prefixed "-" is deleted). */
  append(revision: number, keys: readonly string[]): KvEvent[] {
    if (revision <= this.revision) throw new Error(`revision ${revision} after ${this.revision}`);
    const out = keys.map((k): KvEvent => {
      if (k.startsWith("-")) {
        return { type: "delete", kv: deletedState(utf8(k.slice(1)), revision) };
      }
      const kv = {
        key: utf8(k),
        value: utf8(`${k}@${revision}`),
        createRevision: revision,
        modRevision: revision,
        version: 1,
        lease: 0,
        expireAtMs: 0,
      };
      return { type: "put", kv };
    });
    this.events.push(...out);
    this.revision = revision;
    return out;
  }

  readHistory(
    from: number,
    range: KeyRange,
    o: { maxEvents: number; prevKv: boolean },
  ): Promise<HistoryPage> {
    this.reads++;
    if (from < this.compactedRevision) {
      return Promise.reject(new Error(`compacted: ${from} < ${this.compactedRevision}`));
    }
    return new Promise((resolve, reject) => {
      const read: PendingRead = {
        from,
        range,
        maxEvents: o.maxEvents,
        seenRevision: this.revision,
        finish: (late) => resolve(this.#page(read, late ? this.revision : read.seenRevision)),
        fail: reject,
      };
      if (this.manual) this.pending.push(read);
      else read.finish(false);
    });
  }

  /** Completes the oldest pending read; `lateView`: it sees revisions appended meanwhile. */
  finishRead(lateView: boolean): boolean {
    const r = this.pending.shift();
    r?.finish(lateView);
    return r !== undefined;
  }

  #page(r: PendingRead, upTo: number): HistoryPage {
    const events: KvEvent[] = [];
    let through = upTo;
    for (const e of this.events) {
      const rev = e.kv.modRevision;
      if (rev < r.from || rev > upTo) continue;
      // Whole revisions only: stop before a revision once the batch is full.
      if (events.length >= r.maxEvents && rev !== events[events.length - 1].kv.modRevision) {
        through = rev - 1;
        break;
      }
      if (inRange(r.range, e.kv.key)) events.push(e);
    }
    return { events, through: Math.max(through, r.from - 1) };
  }
}

/** "key@revision" for puts, "-key@revision" for deletes. */
export function describe(e: KvEvent): string {
  return `${e.type === "delete" ? "-" : ""}${fromUtf8(e.kv.key)}@${e.kv.modRevision}`;
}
