/**
 * Removes history the store no longer serves after `compact(C)`: for each key,
 * every change older than the newest one at or below C, and that one too when
 * it is a delete below C. Reads at revisions >= C and watches from >= C still find all
 * they need.
 *
 * The work follows the history, not the whole key index: only keys changed
 * since the last physical compaction (revisions [done, C)) can hold anything
 * newly removable, so each compaction costs what was written since the last
 * one. The compacted revision is replicated; this removal is local, in the
 * background, in bounded batches, and idempotent: after a crash or an engine
 * swap it runs again from the last finished compaction (COMPACTED_DONE_KEY).
 */
import { HISTORY_COMPACT_BATCH } from "../limits.ts";
import type { Db, WriteOp } from "../storage/db.ts";
import { ByteReader, ByteWriter } from "../util/coding.ts";
import { ClosedError } from "../util/errors.ts";
import { ChangeType, decodeHistory, decodeIndexEntry } from "./key_record.ts";
import { Namespace } from "./keyspace.ts";
import {
  historyKey,
  historyStart,
  indexKey,
  indexKeyEnd,
  parseHistoryKey,
  parseIndexKey,
} from "./mvcc_keys.ts";

/** Local record: history below this revision is physically compacted in this engine. */
export const COMPACTED_DONE_KEY: Uint8Array = new Uint8Array([
  Namespace.Meta,
  ...new TextEncoder().encode("compacted-done"),
]);

function textOf(key: Uint8Array): string {
  let s = "";
  for (let i = 0; i < key.length; i++) s += String.fromCharCode(key[i]);
  return s;
}

/** Removes what compaction to `upTo` makes unreachable for one key. */
async function compactKey(db: Db, key: Uint8Array, upTo: number, ops: WriteOp[]): Promise<void> {
  let settled = false;
  for await (const [k, v] of db.scan({ start: indexKey(key, upTo), end: indexKeyEnd(key) })) {
    const entry = decodeIndexEntry(v);
    const revision = parseIndexKey(k).revision;
    // The newest change at or below C stays: a change at C is an event a watch from C
    // delivers; an older put is the key's state at C (an older delete says nothing).
    const keep = !settled && (revision === upTo || entry.type === ChangeType.Put);
    settled = true;
    if (keep) continue;
    ops.push({ type: "del", key: k }, { type: "del", key: historyKey(revision, entry.sub) });
  }
}

/**
 * One batch: the keys of up to `batch` history records from revision `from`
 * (below `upTo`). Returns the revision the next batch starts at, or undefined
 * when every record below `upTo` was covered.
 */
export async function compactBatch(
  db: Db,
  from: number,
  upTo: number,
  batch = HISTORY_COMPACT_BATCH,
): Promise<{ next: number | undefined; removed: number }> {
  const keys = new Map<string, Uint8Array>();
  let next: number | undefined, open = -1;
  for await (const [k, v] of db.scan({ start: historyStart(from), end: historyStart(upTo) })) {
    const revision = parseHistoryKey(k).revision;
    // Stop only between revisions, so a revision is never half examined.
    if (revision !== open && keys.size >= batch) {
      next = revision;
      break;
    }
    open = revision;
    const key = decodeHistory(revision, v).state.key;
    keys.set(textOf(key), key.slice());
  }
  const ops: WriteOp[] = [];
  for (const key of keys.values()) await compactKey(db, key, upTo, ops);
  if (ops.length > 0) await db.write(ops);
  return { next, removed: ops.length / 2 };
}

export function readCompactedDone(db: Db): number {
  const raw = db.get(COMPACTED_DONE_KEY);
  return raw === undefined ? 0 : new ByteReader(raw).varint();
}

/** Runs compaction batches in the background; a newer request is taken up after the current. */
export class HistoryCompactor {
  #wanted = 0;
  #done: number;
  #running: Promise<void> | undefined;
  /** History changes removed so far (for metrics). */
  removed = 0;

  constructor(readonly db: Db, readonly onError: (err: unknown) => void = () => {}) {
    this.#done = readCompactedDone(db);
  }

  /** Compacts up to `revision` (idempotent; a later request supersedes an earlier one). */
  request(revision: number): void {
    if (revision <= this.#wanted) return;
    this.#wanted = revision;
    this.#running ??= this.#run().finally(() => (this.#running = undefined));
  }

  /** Resolves when the current work (if any) is done. */
  async idle(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  async #run(): Promise<void> {
    try {
      while (this.#done < this.#wanted) {
        const target = this.#wanted;
        let from: number | undefined = this.#done;
        while (from !== undefined) {
          const r = await compactBatch(this.db, from, target);
          this.removed += r.removed;
          from = r.next;
        }
        const done = new ByteWriter(10).varint(target).finish();
        await this.db.write([{ type: "put", key: COMPACTED_DONE_KEY, value: done }]);
        this.#done = target;
      }
    } catch (err) {
      // The engine closed (shutdown or swap): the next open runs it again.
      if (!(err instanceof ClosedError)) this.onError(err);
    }
  }
}
