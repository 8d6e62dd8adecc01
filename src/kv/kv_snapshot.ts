/**
 * A region's snapshot stream: the engine entries of the region (its local
 * records, and the user-keyed records of its key range: snapshot_ranges.ts)
 * from a consistent engine snapshot, in key order. A follower too far behind
 * receives it and rebuilds its engine from it.
 * Byte layout (docs/formats.md#kv-snapshot-stream):
 *
 *   stream  := magic:"TKVSNAP1" entry* trailer
 *   entry   := 0x01 varint keyLength key varint valueLength value
 *   trailer := 0x02 fixed64 entryCount fixed32 maskedCrc32c(every byte before the crc)
 *
 * The importer accepts the stream split anywhere, keeps at most one entry
 * buffered, checks every length against the limits before allocating, and
 * verifies the count and checksum before anything may use the result.
 */
import { KEY_BYTES_MAX, SNAPSHOT_CHUNK_BYTES, VALUE_BYTES_MAX } from "../limits.ts";
import type { Db, WriteOp } from "../storage/db.ts";
import { ByteWriter, readFixed32, readFixed64 } from "../util/coding.ts";
import { crc32cExtend, maskCrc } from "../util/crc32c.ts";
import { CorruptionError } from "../util/errors.ts";
import { compareBytes } from "../util/bytes.ts";
import { type EntryRange, ownRangesWithHistory } from "./region_ancestor_history.ts";
import { type RegionKeys, regionKeys } from "./region_keys.ts";
import { type KeySpan, snapshotRanges, WHOLE_KEYSPACE } from "./snapshot_ranges.ts";

const MAGIC = new TextEncoder().encode("TKVSNAP1");
/** Entry tags. Written to disk and wire: never renumber, never reuse. */
const Tag = { Entry: 0x01, Trailer: 0x02 } as const;
const TRAILER_BYTES = 1 + 8 + 4;

/** Which region, and which of its user keys, a snapshot holds. */
export interface SnapshotScope {
  /** Default: region 1, the one region of phase 1. */
  readonly region?: RegionKeys;
  /** Default: the whole keyspace (phase 1's one region covers it all). */
  readonly span?: KeySpan;
}

/** Yields the stream in pieces of about `chunkBytes` (one entry may make a piece larger). */
export async function* exportSnapshot(
  db: Db,
  chunkBytes = SNAPSHOT_CHUNK_BYTES,
  scope: SnapshotScope = {},
): AsyncGenerator<Uint8Array> {
  const region = scope.region ?? regionKeys(), span = scope.span ?? WHOLE_KEYSPACE;
  // A split child's own records come with its keys' older changes from its ancestors' feeds
  // (region_ancestor_history.ts); the lineage never changes once written, so reading it here,
  // before the engine snapshot, reads what the snapshot holds.
  const ranges: EntryRange[] = snapshotRanges(region, span).flatMap((r) =>
    compareBytes(r.start, region.start) === 0 ? ownRangesWithHistory(db, region, span) : [r]
  );
  const snap = db.snapshot();
  try {
    const out = new ByteWriter(Math.min(chunkBytes, 1 << 20));
    let crc = 0;
    let count = 0;
    const take = () => {
      const piece = out.finish();
      out.reset();
      crc = crc32cExtend(crc, piece);
      return piece;
    };
    out.bytes(MAGIC);
    for (const { start, end, keep, keepEntry, rename } of ranges) {
      for await (const entries of snap.scanChunks({ start, end })) {
        for (const [key, value] of entries) {
          if (keep !== undefined && !keep(key)) continue;
          if (keepEntry !== undefined && !keepEntry(key, value)) continue;
          out.u8(Tag.Entry).lengthPrefixed(rename?.(key) ?? key).lengthPrefixed(value);
          count++;
          if (out.length >= chunkBytes) yield take();
        }
      }
    }
    out.u8(Tag.Trailer).fixed64(count);
    const body = take();
    const trailer = new ByteWriter(4).fixed32(maskCrc(crc)).finish();
    const last = new Uint8Array(body.length + 4);
    last.set(body);
    last.set(trailer, body.length);
    yield last;
  } finally {
    snap.release();
  }
}

/** Where an importer writes the entries: an engine, or a filter in front of one. */
export type SnapshotSink = Pick<Db, "write" | "flush">;

/** Rebuilds an (empty) engine, or feeds a sink, from a snapshot stream. */
export class SnapshotImporter {
  #buf: Uint8Array = new Uint8Array(0);
  #crc = 0;
  #offset = 0;
  #sawMagic = false;
  #count = 0;
  #done = false;
  #batch: WriteOp[] = [];
  #batchBytes = 0;

  constructor(readonly db: SnapshotSink, readonly name = "snapshot stream") {}

  get entries(): number {
    return this.#count;
  }

  /** Adds the next piece of the stream (any split). */
  async push(piece: Uint8Array): Promise<void> {
    if (this.#done) throw this.#corrupt("data after the trailer");
    const buf = this.#buf.length === 0 ? piece : concat(this.#buf, piece);
    let at = 0;
    if (!this.#sawMagic) {
      if (buf.length < MAGIC.length) return void (this.#buf = buf.slice());
      for (let i = 0; i < MAGIC.length; i++) {
        if (buf[i] !== MAGIC[i]) throw this.#corrupt("bad magic");
      }
      this.#sawMagic = true;
      at = this.#consume(buf, 0, MAGIC.length);
    }
    for (;;) {
      const used = this.#entry(buf, at);
      if (used === 0) break;
      at = this.#consume(buf, at, used);
      if (this.#batchBytes >= 1 << 20 || this.#batch.length >= 1000) await this.#write();
      if (this.#done) break;
    }
    this.#buf = at === buf.length ? new Uint8Array(0) : buf.slice(at);
  }

  /** Bytes of one whole entry or trailer at `at` (recorded), or 0 when more input is needed. */
  #entry(buf: Uint8Array, at: number): number {
    if (at >= buf.length) return 0;
    const tag = buf[at];
    if (tag === Tag.Trailer) {
      if (buf.length - at < TRAILER_BYTES) return 0;
      const count = readFixed64(buf, at + 1);
      const crc = readFixed32(buf, at + 9);
      const want = maskCrc(crc32cExtend(this.#crc, buf, at, at + 9));
      if (count !== this.#count) throw this.#corrupt(`trailer counts ${count}, saw ${this.#count}`);
      if (crc !== want) throw this.#corrupt("checksum mismatch");
      this.#done = true;
      return TRAILER_BYTES;
    }
    if (tag !== Tag.Entry) throw this.#corrupt(`unknown tag ${tag}`);
    const k = readVarint(buf, at + 1);
    if (k === undefined) return 0;
    if (k.value > KEY_BYTES_MAX) throw this.#corrupt(`key of ${k.value} bytes`);
    const v = readVarint(buf, k.next + k.value);
    if (v === undefined) return 0;
    if (v.value > VALUE_BYTES_MAX) throw this.#corrupt(`value of ${v.value} bytes`);
    const end = v.next + v.value;
    if (end > buf.length) return 0;
    const key = buf.slice(k.next, k.next + k.value);
    this.#batch.push({ type: "put", key, value: buf.slice(v.next, end) });
    this.#batchBytes += end - at;
    this.#count++;
    return end - at;
  }

  #consume(buf: Uint8Array, at: number, n: number): number {
    // The trailer's own crc field is not covered by the crc.
    const crcEnd = this.#done ? at + n - 4 : at + n;
    this.#crc = crc32cExtend(this.#crc, buf, at, crcEnd);
    this.#offset += n;
    return at + n;
  }

  async #write(): Promise<void> {
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    this.#batchBytes = 0;
    await this.db.write(batch);
  }

  /** Writes what is left and checks the stream was complete; flushes the engine. */
  async finish(): Promise<void> {
    if (!this.#done || this.#buf.length > 0) throw this.#corrupt("stream ended early");
    await this.#write();
    await this.db.flush();
  }

  #corrupt(reason: string): CorruptionError {
    return new CorruptionError(this.name, this.#offset, reason);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A varint at `at`, or undefined if the buffer ends first (callers check the value). */
function readVarint(buf: Uint8Array, at: number): { value: number; next: number } | undefined {
  let value = 0, scale = 1;
  for (let i = 0; i < 8; i++) {
    if (at + i >= buf.length) return undefined;
    const b = buf[at + i];
    value += (b & 0x7f) * scale;
    if (b < 0x80) return { value, next: at + i + 1 };
    scale *= 128;
  }
  return { value: Number.MAX_SAFE_INTEGER, next: at + 8 };
}
