/**
 * The segment files of the multi-region log (multi_log_store.ts): the one
 * being appended to, rolling to a new one, copying forward the live records
 * of the regions that pin the oldest one, and deleting files no region needs
 * (multi_log_index.ts explains the pins). Why each step is crash-safe:
 *
 * - A roll cuts the old segment's zeros, fsyncs it, then creates the new,
 *   empty segment and fsyncs the directory: only the last segment can ever
 *   be torn or end in zeros. A new segment needs no checkpoint: regions whose
 *   state stays in older segments pin them.
 * - Copying forward writes a region's snapshot marker, conf state, hard state
 *   and live entries into the current segment; they replay to the same state
 *   whether or not the older copies still exist (a marker at or below the
 *   current one is skipped; an Entries record replaces what it overlaps). The
 *   region's pin moves only after the fsync.
 * - A file is deleted only when no region pins it, oldest first, and the
 *   directory is fsynced after.
 */
import { ByteWriter } from "../util/coding.ts";
import {
  MULTI_LOG_RECORD_BYTES_MAX,
  MULTI_LOG_REGIONS_MAX,
  MULTI_LOG_SEGMENT_BYTES,
  MULTI_LOG_SEGMENTS_KEPT,
} from "../limits_ops.ts";
import type { File, FileSystem } from "../platform/types.ts";
import { type LogRecord, LogRecordKind } from "./log_codec.ts";
import { segmentName } from "./log_segments.ts";
import { encodeRegionRecords, encodeRegionRemoved } from "./multi_log_codec.ts";
import { NOT_NEEDED, type SegmentPins } from "./multi_log_index.ts";
import type { RegionState } from "./multi_log_region.ts";
import { SegmentTail } from "./segment_tail.ts";

const NONE: readonly number[] = [];

export interface MultiLogOptions {
  /** Segment size at which a new segment is started (default MULTI_LOG_SEGMENT_BYTES). */
  readonly segmentBytes?: number;
  /** Step of the zeros written ahead of the records (default 1 MiB; 0: none). */
  readonly preallocateBytes?: number;
  /** Files kept before the oldest one's live records are copied forward. */
  readonly segmentsKept?: number;
  /** Most regions (default MULTI_LOG_REGIONS_MAX; tests lower it). */
  readonly regionsMax?: number;
}

const PREALLOCATE_BYTES_DEFAULT = 1024 * 1024;

export class MultiLogUpkeep {
  tail: SegmentTail;
  /** A write or fsync failed for lack of space: the tail must be cut back before the next one. */
  tailDirty = false;
  /** Segment fsyncs completed. */
  syncs = 0;
  /** Regions with records written since the last fsync (recorded again after a rewind). */
  readonly unsynced = new Set<number>();
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #opts: Required<MultiLogOptions>;
  /** Sequence numbers of the segment files, oldest first; the last is `tail`'s. */
  readonly #seqs: number[];
  readonly #regions: ReadonlyMap<number, RegionState>;
  readonly #pins: SegmentPins;
  readonly #scratch = new ByteWriter(4096);
  /** A roll failed for lack of space: retried before the next write. */
  #rollPending = false;

  private constructor(
    fs: FileSystem,
    dir: string,
    opts: Required<MultiLogOptions>,
    seqs: number[],
    tail: SegmentTail,
    regions: ReadonlyMap<number, RegionState>,
    pins: SegmentPins,
  ) {
    this.#fs = fs;
    this.#dir = dir;
    this.#opts = opts;
    this.#seqs = seqs;
    this.tail = tail;
    this.#regions = regions;
    this.#pins = pins;
  }

  static async open(
    fs: FileSystem,
    dir: string,
    o: MultiLogOptions,
    seqs: number[],
    regions: ReadonlyMap<number, RegionState>,
    pins: SegmentPins,
  ): Promise<MultiLogUpkeep> {
    const opts: Required<MultiLogOptions> = {
      segmentBytes: o.segmentBytes ?? MULTI_LOG_SEGMENT_BYTES,
      preallocateBytes: o.preallocateBytes ?? PREALLOCATE_BYTES_DEFAULT,
      segmentsKept: Math.max(1, o.segmentsKept ?? MULTI_LOG_SEGMENTS_KEPT),
      regionsMax: Math.min(o.regionsMax ?? MULTI_LOG_REGIONS_MAX, MULTI_LOG_REGIONS_MAX),
    };
    const last = seqs[seqs.length - 1];
    let file: File;
    if (last === undefined) {
      seqs.push(1);
      file = fs.open(`${dir}/${segmentName(1)}`, { create: true });
      await fs.syncDir(dir);
    } else {
      file = fs.open(`${dir}/${segmentName(last)}`);
    }
    const tail = new SegmentTail(file, opts.preallocateBytes);
    return new MultiLogUpkeep(fs, dir, opts, seqs, tail, regions, pins);
  }

  /** The segment being appended to. */
  get currentSeq(): number {
    return this.#seqs[this.#seqs.length - 1] ?? 0;
  }

  get regionsMax(): number {
    return this.#opts.regionsMax;
  }

  get segmentCount(): number {
    return this.#seqs.length;
  }

  async sync(blocking = false): Promise<void> {
    await this.tail.sync(blocking);
    this.syncs++;
    this.unsynced.clear();
  }

  /** Frames a region's records for the current segment; they reach the file with `write`. */
  record(region: number, recs: readonly LogRecord[]): void {
    const w = this.#scratch;
    encodeRegionRecords(w, region, recs, MULTI_LOG_RECORD_BYTES_MAX, (p, data) => {
      if (data === undefined) this.tail.append(p);
      else this.tail.appendParts([p, data]);
    });
    w.reset(); // drops the buffer a large entry grew (ByteWriter.reset)
  }

  /** Frames a region's removal. */
  recordRemoved(region: number): void {
    this.tail.append(encodeRegionRemoved(this.#scratch, region));
  }

  /** Writes the framed records, and fsyncs them if `sync` (on this thread if `blocking`). */
  async write(sync: boolean, blocking: boolean): Promise<void> {
    this.tail.flush();
    if (sync) await this.sync(blocking);
  }

  /**
   * Cuts the segment back to its last fsync (decisions/0005) and records again
   * what memory holds that the cut dropped: only conf states and hard states
   * saved without an fsync (everything else is written with one).
   */
  async rewind(): Promise<void> {
    await this.tail.rewind();
    for (const region of this.unsynced) {
      const st = this.#regions.get(region);
      if (st === undefined) continue;
      const { confState, hardState } = st.storage;
      this.record(region, [
        { kind: LogRecordKind.ConfState, confState },
        { kind: LogRecordKind.HardState, hardState },
      ]);
      st.index.confStateSeq = st.index.hardStateSeq = this.currentSeq;
      this.#pins.update(region, st.index);
    }
    this.tailDirty = false;
  }

  /**
   * The regions whose entries pin the oldest segment once the log holds `segmentsKept` files:
   * the next roll would copy them forward. Copying is for what an idle region keeps (hard state,
   * conf state, a few entries). A region holding tens of MiB of applied entries there should
   * compact instead (the driver's `compaction.soon`): each copy filled segments the next copy
   * then had to free, and a node whose regions held more uncompacted entries than the kept
   * segments rewrote them without end (the growth run, session 27).
   */
  crowding(): readonly number[] {
    if (this.#seqs.length < this.#opts.segmentsKept) return NONE; // every driver turn asks
    const out: number[] = [];
    for (const id of this.#pins.pinnedBy(this.#seqs[0])) {
      const s = this.#regions.get(id)?.storage;
      if (s !== undefined && s.lastIndex() >= s.firstIndex()) out.push(id);
    }
    return out;
  }

  /** A roll was asked for (callers skip the await, so a save's fsync starts in the same turn). */
  get rollPending(): boolean {
    return this.#rollPending;
  }

  async rollIfPending(): Promise<void> {
    if (this.#rollPending) await this.#roll();
  }

  /** After a durable write: roll when the segment is full, copy forward, delete unneeded files. */
  async maintain(): Promise<void> {
    if (this.tail.recordBytes >= this.#opts.segmentBytes) await this.#roll();
    if (this.#seqs.length > this.#opts.segmentsKept) await this.#copyForward();
    await this.#collectGarbage();
  }

  /**
   * Starts a new, empty segment. Until it is durable the old one stays
   * current; a roll that failed is retried before anything else is written.
   */
  async #roll(): Promise<void> {
    this.#rollPending = true;
    this.tail.flush();
    this.tail.cutZeros();
    await this.sync();
    const seq = this.currentSeq + 1;
    const path = `${this.#dir}/${segmentName(seq)}`;
    const file = this.#fs.open(path, { create: true, truncate: true });
    try {
      await file.sync();
      await this.#fs.syncDir(this.#dir);
    } catch (err) {
      file.close();
      removeQuietly(this.#fs, path);
      throw err;
    }
    this.tail.close();
    this.tail = new SegmentTail(file, this.#opts.preallocateBytes);
    this.#seqs.push(seq);
    this.#rollPending = false;
  }

  /** Copies the live records of the regions pinning the oldest segment into the current one. */
  async #copyForward(): Promise<void> {
    const oldest = this.#seqs[0];
    if (oldest === undefined || oldest === this.currentSeq) return;
    const moved: [number, RegionState][] = [];
    for (const id of this.#pins.pinnedBy(oldest)) {
      const st = this.#regions.get(id);
      if (st === undefined) continue;
      this.#checkpoint(id, st);
      moved.push([id, st]);
    }
    if (moved.length === 0) return;
    await this.write(true, false);
    const seq = this.currentSeq;
    for (const [id, st] of moved) {
      st.index.moveAllTo(seq, st.storage.lastIndex(), st.snapIndex);
      this.#pins.update(id, st.index);
    }
  }

  #checkpoint(region: number, st: RegionState): void {
    const s = st.storage;
    const idx = st.index;
    const recs: LogRecord[] = [];
    if (idx.markerSeq !== NOT_NEEDED) {
      // Our own kind of marker: it keeps the entries after it (an install would drop them).
      recs.push({ kind: LogRecordKind.Snapshot, metadata: s.snapshot().metadata });
    }
    if (idx.confStateSeq !== NOT_NEEDED) {
      recs.push({ kind: LogRecordKind.ConfState, confState: s.confState });
    }
    if (idx.hardStateSeq !== NOT_NEEDED) {
      recs.push({ kind: LogRecordKind.HardState, hardState: s.hardState });
    }
    if (s.lastIndex() >= s.firstIndex()) {
      const entries = s.entries(s.firstIndex(), s.lastIndex() + 1, Infinity);
      recs.push({ kind: LogRecordKind.Entries, entries });
    }
    this.record(region, recs);
  }

  /** Deletes the oldest segments while no region pins them (never the current one). */
  async #collectGarbage(): Promise<void> {
    let removed = false;
    while (this.#seqs.length > 1 && this.#pins.pinnedBy(this.#seqs[0]).size === 0) {
      this.#fs.remove(`${this.#dir}/${segmentName(this.#seqs[0])}`);
      this.#seqs.shift();
      removed = true;
    }
    if (removed) await this.#fs.syncDir(this.#dir);
  }
}

/** Frees the space of a file that was never made part of the log; failures are harmless. */
function removeQuietly(fs: FileSystem, path: string): void {
  try {
    fs.remove(path);
  } catch {
    // A leftover empty or torn file at the end is cut or read as empty by recovery.
  }
}
