/**
 * Redis SCAN cursors are numbers (redis-cli parses them with strtoull), but
 * TinyKV resumes scans at a key. This table maps numeric cursors to resume
 * keys, bounded, oldest forgotten first. Cursors are local to the node that
 * issued them; an unknown cursor is an error, never a silent restart.
 */
import { RESP_SCAN_CURSORS_MAX } from "../../limits.ts";

export class ScanCursors {
  readonly #keys = new Map<number, Uint8Array>();
  #next = 1;

  constructor(readonly max = RESP_SCAN_CURSORS_MAX) {}

  /** A new cursor number that resumes after `key`. */
  save(key: Uint8Array): number {
    const id = this.#next++;
    this.#keys.set(id, key);
    if (this.#keys.size > this.max) {
      const oldest = this.#keys.keys().next().value;
      if (oldest !== undefined) this.#keys.delete(oldest);
    }
    return id;
  }

  /** The resume key of a cursor (0 starts a scan), or undefined if unknown. */
  lookup(cursor: number): Uint8Array | null | undefined {
    if (cursor === 0) return null;
    return this.#keys.get(cursor);
  }

  get size(): number {
    return this.#keys.size;
  }
}
