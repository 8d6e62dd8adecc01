/** A point-in-time view of a `Db` (db.ts): reads at one sequence number until released. */
import { SNAPSHOTS_MAX } from "../limits.ts";
import { TooLargeError } from "../util/errors.ts";
import type { Db } from "./db.ts";
import type { ScanOptions } from "./scan.ts";
import type { KeyLike } from "./write_batch.ts";

/** A consistent point-in-time view; release it when done so compaction can drop old data. */
export class Snapshot {
  #released = false;
  constructor(readonly seq: number, readonly db: Db, readonly onRelease: (seq: number) => void) {}

  get released(): boolean {
    return this.#released;
  }
  get(key: KeyLike): Uint8Array | undefined {
    return this.db.get(key, { snapshot: this });
  }
  scan(options: ScanOptions = {}): AsyncIterable<[Uint8Array, Uint8Array]> {
    return this.db.scan({ ...options, snapshot: this });
  }
  scanSync(options: ScanOptions = {}): Iterable<[Uint8Array, Uint8Array]> {
    return this.db.scanSync({ ...options, snapshot: this });
  }
  scanChunks(
    options: ScanOptions = {},
    chunkEntries?: number,
  ): AsyncIterable<[Uint8Array, Uint8Array][]> {
    return this.db.scanChunks({ ...options, snapshot: this }, chunkEntries);
  }
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.onRelease(this.seq);
  }
}

export interface ReadOptions {
  readonly snapshot?: Snapshot;
}

/** A new snapshot at `seq`, counted in `live` (seq → count) until released. */
export function takeSnapshot(live: Map<number, number>, seq: number, db: Db): Snapshot {
  let total = 0;
  for (const c of live.values()) total += c;
  if (total >= SNAPSHOTS_MAX) throw new TooLargeError("snapshot count", total + 1, SNAPSHOTS_MAX);
  live.set(seq, (live.get(seq) ?? 0) + 1);
  return new Snapshot(seq, db, (q) => {
    const c = (live.get(q) ?? 1) - 1;
    if (c <= 0) live.delete(q);
    else live.set(q, c);
  });
}
