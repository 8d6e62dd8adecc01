/**
 * Where the HSCAN pages this node issued ended (resp_hscan.ts). A cursor is
 * tag·2^32 + position: the position alone lets any node resume the scan (by
 * skipping that many fields); the tag names an entry here holding the last
 * field of the page, so this node resumes right after it, at the cost of the
 * page alone. Bounded: the oldest entry is forgotten first, and a forgotten or
 * foreign cursor falls back to its position — never an error.
 */
import { RESP_SCAN_CURSORS_MAX } from "../../limits.ts";
import { equalBytes } from "../../util/bytes.ts";
import { POSITION_BITS, positionOf, type ScanResume } from "../../kv/redis/commands/hash_scan.ts";

/** Tags stay under 2^21, so a cursor stays under 2^53: exact in JavaScript clients too. */
const TAG_LIMIT = 2 ** 21;
const POSITION_SPAN = 2 ** Number(POSITION_BITS);

interface Entry extends ScanResume {
  readonly db: number;
  readonly key: Uint8Array;
}

export class MemberScanResumes {
  readonly #entries = new Map<number, Entry>();
  #next = 1;

  /** `tags`: how many tags exist before they wrap around (smaller only in tests). */
  constructor(readonly max = RESP_SCAN_CURSORS_MAX, readonly tags = TAG_LIMIT) {
    if (max >= tags || tags > TAG_LIMIT) throw new Error("more scan resumes than cursor tags");
  }

  /** A cursor for the next page of `key`'s scan in database `db`. */
  save(db: number, key: Uint8Array, resume: ScanResume): number {
    const tag = this.#next;
    this.#next = tag + 1 === this.tags ? 1 : tag + 1;
    this.#entries.delete(tag);
    this.#entries.set(tag, { db, key, ...resume });
    if (this.#entries.size > this.max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return tag * POSITION_SPAN + resume.position;
  }

  /** The field to resume after, if this node issued `cursor` for this key and remembers it. */
  find(db: number, key: Uint8Array, cursor: bigint): Uint8Array | undefined {
    const e = this.#entries.get(Number(cursor >> POSITION_BITS));
    const same = e !== undefined && e.db === db && e.position === positionOf(cursor) &&
      equalBytes(e.key, key);
    return same ? e.after : undefined;
  }

  get size(): number {
    return this.#entries.size;
  }
}
