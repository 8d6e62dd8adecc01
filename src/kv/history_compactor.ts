/**
 * Removes history the store no longer serves after `compact(C)`: for each key,
 * every change older than the newest one at or below C, and that one too when
 * it is a delete. Reads at revisions >= C and watches from >= C still find all
 * they need. The compacted revision itself is replicated; this removal is
 * local, in the background, in bounded batches, and idempotent: after a crash
 * or an engine swap it simply runs again.
 */
import { HISTORY_COMPACT_BATCH } from "../limits.ts";
import type { Db, WriteOp } from "../storage/db.ts";
import { equalBytes } from "../util/bytes.ts";
import { ClosedError } from "../util/errors.ts";
import { ChangeType, decodeIndexEntry } from "./key_record.ts";
import { historyKey, INDEX_END, MvccNamespace, parseIndexKey } from "./mvcc_keys.ts";

const INDEX_START = new Uint8Array([MvccNamespace.KeyIndex]);

/**
 * One batch: examines up to `batch` index entries from `from` and deletes the
 * compacted ones. Returns where the next batch starts, or undefined when done.
 */
export async function compactBatch(
  db: Db,
  compacted: number,
  from: Uint8Array = INDEX_START,
  batch = HISTORY_COMPACT_BATCH,
): Promise<{ next: Uint8Array | undefined; removed: number }> {
  const ops: WriteOp[] = [];
  let examined = 0, current: Uint8Array | undefined, settled = false;
  let next: Uint8Array | undefined;
  for await (const [k, v] of db.scan({ start: from, end: INDEX_END })) {
    const { key, revision } = parseIndexKey(k);
    const sameKey = current !== undefined && equalBytes(current, key);
    if (!sameKey) {
      // Only stop between keys: a key's entries are judged together.
      if (examined >= batch) {
        next = k;
        break;
      }
      current = key;
      settled = false;
    }
    examined++;
    if (revision > compacted) continue;
    const entry = decodeIndexEntry(v);
    // The newest change at or below C stays when it is a put: it is the key's state at C.
    const keep = !settled && entry.type === ChangeType.Put;
    settled = true;
    if (keep) continue;
    ops.push({ type: "del", key: k }, { type: "del", key: historyKey(revision, entry.sub) });
  }
  if (ops.length > 0) await db.write(ops);
  return { next, removed: ops.length / 2 };
}

/** Runs compaction batches in the background; a new request restarts it at the start. */
export class HistoryCompactor {
  #wanted = 0;
  #running: Promise<void> | undefined;
  /** History changes removed so far (for metrics). */
  removed = 0;

  constructor(readonly db: Db, readonly onError: (err: unknown) => void = () => {}) {}

  /** Compacts up to `revision` (a later request supersedes an earlier one). */
  request(revision: number): void {
    if (revision <= this.#wanted) return;
    this.#wanted = revision;
    this.#running ??= this.#run().finally(() => (this.#running = undefined));
  }

  /** Resolves when the current work (if any) is done. */
  idle(): Promise<void> {
    return this.#running ?? Promise.resolve();
  }

  async #run(): Promise<void> {
    let done = 0;
    while (done < this.#wanted) {
      const target = this.#wanted;
      let from: Uint8Array | undefined = INDEX_START;
      try {
        while (from !== undefined && target === this.#wanted) {
          const r = await compactBatch(this.db, target, from);
          this.removed += r.removed;
          from = r.next;
        }
      } catch (err) {
        if (!(err instanceof ClosedError)) this.onError(err);
        return; // the engine closed (shutdown or swap): the next open runs it again
      }
      if (from === undefined) done = target;
    }
  }
}
