/**
 * A memtable flush handed to a background worker as a few transferable
 * buffers (chunks): the entries that survive the flush's shadowing rule, in
 * internal-key order, each as
 *
 *   klen:u32 vlen:u32 seqHigh:u32 seqLow:u32 kind:u8 key value
 *
 * An entry never spans two chunks. Encoding is a copy pass over the skiplist
 * on the serving thread, in bounded steps; building the table (blocks, bloom
 * filter, checksums, writes, fsync) is the worker's. Chunks, not one buffer
 * the memtable's size: allocating (and zeroing) 64 MiB at once held the
 * serving thread about 200 ms.
 */
import { COMPACTION_STEP_ENTRIES, LARGE_APPLY_GC_BYTES } from "../../limits.ts";
import { assert } from "../../util/assert.ts";
import type { JobOutputs, MergeEnv } from "../compaction/compactor.ts";
import { type BlobPolicy, OutputSet } from "../compaction/output_set.ts";
import type { DbState } from "../db_state.ts";
import type { ValueKind } from "../internal_key.ts";
import type { Memtable } from "../memtable/memtable.ts";
import type { SkipNode } from "../memtable/skiplist.ts";

const ENTRY_HEADER_BYTES = 17;
const TWO_32 = 2 ** 32;
/** What a consumed large chunk is replaced with in the run (so that it can be collected). */
const EMPTY_CHUNK = new ArrayBuffer(0);
/** Size of a chunk (larger only for an entry that does not fit in one). */
const CHUNK_BYTES = 1 << 20;

export interface FlushRun {
  /** Chunk i holds its entries in `chunks[i][0, lengths[i])`. */
  readonly chunks: ArrayBuffer[];
  readonly lengths: number[];
  readonly count: number;
}

/** Appends entries to chunks, starting a new chunk when the next entry does not fit. */
class RunWriter {
  readonly chunks: ArrayBuffer[] = [];
  readonly lengths: number[] = [];
  #buf = new Uint8Array(0);
  #view = new DataView(this.#buf.buffer);
  #pos = 0;

  add(n: SkipNode): void {
    const size = ENTRY_HEADER_BYTES + n.klen + n.vlen;
    if (this.#pos + size > this.#buf.length) this.#next(size);
    const buf = this.#buf, view = this.#view, at = this.#pos;
    view.setUint32(at, n.klen);
    view.setUint32(at + 4, n.vlen);
    view.setUint32(at + 8, Math.floor(n.seq / TWO_32));
    view.setUint32(at + 12, n.seq >>> 0);
    buf[at + 16] = n.kind;
    const k = copyBytes(buf, at + ENTRY_HEADER_BYTES, n.buf, n.koff, n.klen);
    this.#pos = copyBytes(buf, k, n.buf, n.voff, n.vlen);
  }

  #next(size: number): void {
    this.#close();
    this.#buf = new Uint8Array(Math.max(CHUNK_BYTES, size));
    this.#view = new DataView(this.#buf.buffer);
    this.#pos = 0;
  }

  #close(): void {
    if (this.#pos === 0) return;
    this.chunks.push(this.#buf.buffer);
    this.lengths.push(this.#pos);
  }

  finish(count: number): FlushRun {
    this.#close();
    this.#pos = 0;
    return { chunks: this.chunks, lengths: this.lengths, count };
  }
}

/**
 * Encodes the entries of `imm` a flush writes (an older version of a key is
 * left out when a newer one is visible to every snapshot). Undefined when the
 * database closed meanwhile.
 */
export async function encodeFlushRun(s: DbState, imm: Memtable): Promise<FlushRun | undefined> {
  const w = new RunWriter();
  const smallestSnapshot = s.smallestSnapshot();
  const c = imm.nodeCursor();
  let prev: SkipNode | undefined;
  let newerSeq = Number.MAX_SAFE_INTEGER;
  let count = 0, steps = 0;
  for (c.seekToFirst(); c.valid(); c.next()) {
    // Bytes are copied from the nodes' batch buffers directly: a view per key and value
    // (the cursor's key() and value()) cost more than the copy itself.
    const n = c.node(), seq = n.seq;
    if (!c.sameKeyAsPrevious(prev)) newerSeq = Number.MAX_SAFE_INTEGER;
    prev = n;
    if (seq >= newerSeq) {
      assert(false, `memtable versions of a key out of order at sequence ${seq}`);
    }
    if (newerSeq > smallestSnapshot) {
      w.add(n);
      count++;
    }
    newerSeq = seq;
    if (++steps % COMPACTION_STEP_ENTRIES === 0) await s.yieldNow();
    if (s.closed && s.options.wal) return undefined; // the WAL still holds it
  }
  return w.finish(count);
}

/** Below this many bytes a loop beats making a view for `set`. */
const COPY_LOOP_MAX = 64;

function copyBytes(dst: Uint8Array, at: number, src: Uint8Array, off: number, len: number): number {
  if (len < COPY_LOOP_MAX) {
    for (let i = 0; i < len; i++) dst[at + i] = src[off + i];
  } else {
    dst.set(src.subarray(off, off + len), at);
  }
  return at + len;
}

/** Writes an encoded run as one level-0 table (the step a worker runs). */
export async function writeFlushRun(
  env: MergeEnv,
  run: FlushRun,
  blobs: BlobPolicy,
): Promise<JobOutputs> {
  const out = new OutputSet(env.out, Number.MAX_SAFE_INTEGER, "none", blobs);
  let done = false;
  try {
    let entries = 0;
    for (let ci = 0; ci < run.chunks.length && !env.stopped(); ci++) {
      const buf = new Uint8Array(run.chunks[ci], 0, run.lengths[ci]);
      const view = new DataView(run.chunks[ci]);
      let pos = 0;
      while (pos < buf.length) {
        const klen = view.getUint32(pos), vlen = view.getUint32(pos + 4);
        const seq = view.getUint32(pos + 8) * TWO_32 + view.getUint32(pos + 12);
        const kind = buf[pos + 16] as ValueKind;
        const k = pos + ENTRY_HEADER_BYTES, v = k + klen;
        if (!out.tryAddFrom(buf, k, klen, seq, kind, buf, v, vlen, false)) {
          await out.add(buf.subarray(k, v), seq, kind, buf.subarray(v, v + vlen), false);
        }
        pos = v + vlen;
        if (++entries % COMPACTION_STEP_ENTRIES === 0) await env.yieldNow();
      }
      assert(pos === buf.length, "a flush run chunk ends inside an entry");
      if (buf.length >= LARGE_APPLY_GC_BYTES && env.collectGarbage !== undefined) {
        // A large entry's chunk, and the block the table builder copied it into (written and
        // dropped by now), are garbage: collected before the next large entry adds its own.
        run.chunks[ci] = EMPTY_CHUNK;
        env.collectGarbage();
      }
    }
    assert(entries === run.count || env.stopped(), "flush run count does not match its entries");
    const outputs = await out.finish();
    done = true;
    return out.result(outputs);
  } finally {
    if (!done) out.release();
  }
}
