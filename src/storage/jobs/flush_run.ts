/**
 * A memtable flush handed to a background worker as one transferable buffer:
 * the entries that survive the flush's shadowing rule, in internal-key order,
 * each as
 *
 *   klen:u32 vlen:u32 seqHigh:u32 seqLow:u32 kind:u8 key value
 *
 * Encoding is a copy pass over the skiplist on the serving thread, done in
 * bounded steps; building the table (blocks, bloom filter, checksums, writes,
 * fsync) is the worker's.
 */
import { COMPACTION_STEP_ENTRIES } from "../../limits.ts";
import { assert } from "../../util/assert.ts";
import type { MergeEnv } from "../compaction/compactor.ts";
import { OutputSet } from "../compaction/output_set.ts";
import type { DbState } from "../db_state.ts";
import type { ValueKind } from "../internal_key.ts";
import type { Memtable } from "../memtable/memtable.ts";
import type { SkipNode } from "../memtable/skiplist.ts";
import type { FileMeta } from "../version/version_edit.ts";

const ENTRY_HEADER_BYTES = 17;
const TWO_32 = 2 ** 32;

export interface FlushRun {
  /** The encoded entries are `buffer[0, length)`. */
  readonly buffer: ArrayBuffer;
  readonly length: number;
  readonly count: number;
}

/**
 * Encodes the entries of `imm` a flush writes (an older version of a key is
 * left out when a newer one is visible to every snapshot). Undefined when the
 * database closed meanwhile.
 */
export async function encodeFlushRun(s: DbState, imm: Memtable): Promise<FlushRun | undefined> {
  // The memtable's byte count charges each entry more than its header: the run fits.
  const buf = new Uint8Array(imm.bytes + ENTRY_HEADER_BYTES);
  const view = new DataView(buf.buffer);
  const smallestSnapshot = s.smallestSnapshot();
  const c = imm.nodeCursor();
  let prev: SkipNode | undefined;
  let newerSeq = Number.MAX_SAFE_INTEGER;
  let pos = 0, count = 0, steps = 0;
  for (c.seekToFirst(); c.valid(); c.next()) {
    // Bytes are copied from the nodes' batch buffers directly: a view per key and value
    // (the cursor's key() and value()) cost more than the copy itself.
    const n = c.node(), seq = n.seq;
    if (prev === undefined || !sameKey(prev, n)) newerSeq = Number.MAX_SAFE_INTEGER;
    prev = n;
    assert(seq < newerSeq, `memtable versions of a key out of order at sequence ${seq}`);
    if (newerSeq > smallestSnapshot) {
      view.setUint32(pos, n.klen);
      view.setUint32(pos + 4, n.vlen);
      view.setUint32(pos + 8, Math.floor(seq / TWO_32));
      view.setUint32(pos + 12, seq >>> 0);
      buf[pos + 16] = n.kind;
      pos += ENTRY_HEADER_BYTES;
      pos = copyBytes(buf, pos, n.buf, n.koff, n.klen);
      pos = copyBytes(buf, pos, n.buf, n.voff, n.vlen);
      count++;
    }
    newerSeq = seq;
    if (++steps % COMPACTION_STEP_ENTRIES === 0) await s.yieldNow();
    if (s.closed && s.options.wal) return undefined; // the WAL still holds it
  }
  return { buffer: buf.buffer, length: pos, count };
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

function sameKey(a: SkipNode, b: SkipNode): boolean {
  if (a.klen !== b.klen) return false;
  const ab = a.buf, bb = b.buf, ao = a.koff, bo = b.koff;
  for (let i = 0; i < a.klen; i++) if (ab[ao + i] !== bb[bo + i]) return false;
  return true;
}

/** Writes an encoded run as one level-0 table (the step a worker runs). */
export async function writeFlushRun(
  env: MergeEnv,
  run: FlushRun,
): Promise<{ outputs: FileMeta[]; bytesWritten: number }> {
  const out = new OutputSet(env.out, Number.MAX_SAFE_INTEGER);
  let done = false;
  try {
    const buf = new Uint8Array(run.buffer, 0, run.length);
    const view = new DataView(run.buffer);
    let pos = 0;
    for (let i = 0; i < run.count; i++) {
      const klen = view.getUint32(pos), vlen = view.getUint32(pos + 4);
      const seq = view.getUint32(pos + 8) * TWO_32 + view.getUint32(pos + 12);
      const kind = buf[pos + 16] as ValueKind;
      const k = pos + ENTRY_HEADER_BYTES;
      await out.add(
        buf.subarray(k, k + klen),
        seq,
        kind,
        buf.subarray(k + klen, k + klen + vlen),
        false,
      );
      pos = k + klen + vlen;
      if ((i + 1) % COMPACTION_STEP_ENTRIES === 0) {
        await env.yieldNow();
        if (env.stopped()) break;
      }
    }
    assert(pos === run.length || env.stopped(), "flush run length does not match its entries");
    const outputs = await out.finish();
    done = true;
    return { outputs, bytesWritten: out.bytesWritten };
  } finally {
    if (!done) out.release();
  }
}
