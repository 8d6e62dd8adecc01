/**
 * The merge's region commands (docs/formats.md#region-commands, docs/regions.md "Merge"), in
 * the layout of every region command: 0x00, the kind, regionId:u64be, epoch version:u64be and
 * confVer:u64be, then the body.
 *
 * - `PrepareMerge` (0x05) of the source {target descriptor}: the source stops serving and is
 *   fenced at this entry's index; the epoch is the source's.
 * - `CommitMerge` (0x06) of the target {fence:u64be, source descriptor (after its prepare),
 *   entries: count:u32be then index:u64be length:u32be data}: the target takes the source in
 *   once the source's replica on this node has applied up to the fence; the entries are the
 *   source's log up to the fence, applied to a local source replica that lags. A length of
 *   2^32 - 1 is an empty entry; 2^32 - 2 a membership change, whose encoded change follows as
 *   length:u32be bytes (the lagging replica's descriptor takes it: its conf version is part of
 *   the epoch a later PrepareMerge or RollbackMerge in the tail checks).
 * - `RollbackMerge` (0x07) of the source {fence:u64be}: the merge will never commit (the target's
 *   epoch moved past the prepare's); the source serves again.
 */
import type { RegionDescriptor, RegionEpoch, Replica } from "../region/descriptor.ts";
import { MERGE_ENTRIES_BYTES_MAX, MERGE_ENTRIES_MAX } from "../limits_ops.ts";
import { DecodeError, readU32BE, readU64BE, writeU32BE, writeU64BE } from "../util/coding.ts";
import { decodeDescriptor, encodeDescriptor } from "./region_descriptor_record.ts";

export const PREPARE_MERGE = 0x05, COMMIT_MERGE = 0x06, ROLLBACK_MERGE = 0x07;
const HEAD = 26;

export interface PrepareMergeCommand {
  readonly kind: "prepare-merge";
  readonly regionId: number;
  readonly epoch: RegionEpoch;
  readonly target: RegionDescriptor;
}

/** One entry of the source's log, carried by the commit. */
export interface CarriedEntry {
  readonly index: number;
  /** A command's bytes; null: an entry with none (empty, or a membership change). */
  readonly data: Uint8Array | null;
  /** A membership change's encoded ConfChange (`data` is then null). */
  readonly confChange?: Uint8Array;
}

/** What a membership change does to a region's descriptor: its replicas and conf version. */
export interface MemberChangeOf {
  /** The change entry's Raft index. */
  readonly confVer: number;
  readonly replicas: readonly Replica[];
}

/**
 * The descriptor change each membership change among `tail` makes (by index) to source replica
 * `id`, applied up to `applied`, as its host plans its own (server/node/region_members.ts).
 */
export type SourceMembers = (
  id: number,
  tail: readonly CarriedEntry[],
  applied: number,
) => ReadonlyMap<number, MemberChangeOf>;

/** The length field of a carried entry with no data, and of a membership change. */
const EMPTY_ENTRY = 0xffffffff, CONF_CHANGE_ENTRY = 0xfffffffe;

/** The bytes a carried entry takes in the command. */
function carriedSize(e: CarriedEntry): number {
  if (e.confChange !== undefined) return 16 + e.confChange.length;
  return 12 + (e.data?.length ?? 0);
}

export interface CommitMergeCommand {
  readonly kind: "commit-merge";
  readonly regionId: number;
  readonly epoch: RegionEpoch;
  readonly fence: number;
  readonly source: RegionDescriptor;
  readonly entries: readonly CarriedEntry[];
}

export interface RollbackMergeCommand {
  readonly kind: "rollback-merge";
  readonly regionId: number;
  readonly epoch: RegionEpoch;
  readonly fence: number;
}

export type MergeCommand = PrepareMergeCommand | CommitMergeCommand | RollbackMergeCommand;

function head(kind: number, c: MergeCommand, body: number): Uint8Array {
  const out = new Uint8Array(HEAD + body);
  out[1] = kind;
  writeU64BE(out, 2, c.regionId);
  writeU64BE(out, 10, c.epoch.version);
  writeU64BE(out, 18, c.epoch.confVer);
  return out;
}

export function encodeMergeCommand(c: MergeCommand): Uint8Array {
  if (c.kind === "prepare-merge") {
    const target = encodeDescriptor(c.target);
    const out = head(PREPARE_MERGE, c, target.length);
    out.set(target, HEAD);
    return out;
  }
  if (c.kind === "rollback-merge") {
    const out = head(ROLLBACK_MERGE, c, 8);
    writeU64BE(out, HEAD, c.fence);
    return out;
  }
  const source = encodeDescriptor(c.source);
  const sizes = c.entries.reduce((n, e) => n + 1 + carriedSize(e), 0);
  const out = head(COMMIT_MERGE, c, 16 + source.length + sizes);
  writeU64BE(out, HEAD, c.fence);
  writeU32BE(out, HEAD + 8, source.length);
  out.set(source, HEAD + 12);
  let at = HEAD + 12 + source.length;
  writeU32BE(out, at, c.entries.length);
  at += 4;
  for (const e of c.entries) {
    writeU64BE(out, at, e.index);
    if (e.confChange !== undefined) {
      writeU32BE(out, at + 8, CONF_CHANGE_ENTRY);
      writeU32BE(out, at + 12, e.confChange.length);
      out.set(e.confChange, at + 16);
    } else {
      // A null entry (an empty one of a new term) is written with a length of 2^32 - 1.
      writeU32BE(out, at + 8, e.data === null ? EMPTY_ENTRY : e.data.length);
      if (e.data !== null) out.set(e.data, at + 12);
    }
    at += carriedSize(e);
  }
  return out.subarray(0, at);
}

/** Decodes a merge command (kind byte `kind`); throws DecodeError when it is malformed. */
export function decodeMergeCommand(data: Uint8Array): MergeCommand {
  const regionId = readU64BE(data, 2);
  const epoch = { version: readU64BE(data, 10), confVer: readU64BE(data, 18) };
  const u64 = (at: number) => {
    if (at + 8 > data.length) throw new DecodeError("truncated merge command", at);
    const n = readU64BE(data, at);
    if (!Number.isSafeInteger(n)) throw new DecodeError("number past 2^53", at);
    return n;
  };
  const u32 = (at: number) => {
    if (at + 4 > data.length) throw new DecodeError("truncated merge command", at);
    return readU32BE(data, at);
  };
  if (data[1] === PREPARE_MERGE) {
    return { kind: "prepare-merge", regionId, epoch, target: decodeDescriptor(data.slice(HEAD)) };
  }
  const fence = u64(HEAD);
  if (data[1] === ROLLBACK_MERGE) return { kind: "rollback-merge", regionId, epoch, fence };
  if (data[1] !== COMMIT_MERGE) throw new DecodeError(`region command kind ${data[1]}`, 1);
  const n = u32(HEAD + 8);
  if (HEAD + 12 + n > data.length) throw new DecodeError("truncated merge source", HEAD + 8);
  const source = decodeDescriptor(data.slice(HEAD + 12, HEAD + 12 + n));
  let at = HEAD + 12 + n;
  const count = u32(at);
  at += 4;
  if (count > MERGE_ENTRIES_MAX) throw new DecodeError(`merge carrying ${count} entries`, at - 4);
  const entries: CarriedEntry[] = [];
  let changes = 0;
  for (let i = 0; i < count; i++) {
    const index = u64(at), length = u32(at + 8);
    at += 12;
    if (length === EMPTY_ENTRY) {
      entries.push({ index, data: null });
      continue;
    }
    if (length === CONF_CHANGE_ENTRY) {
      const n = u32(at);
      at += 4;
      if (at + n > data.length) throw new DecodeError("truncated carried change", at);
      entries.push({ index, data: null, confChange: data.slice(at, at + n) });
      at += n;
      changes++;
      continue;
    }
    if (at + length > data.length) throw new DecodeError("truncated carried entry", at);
    entries.push({ index, data: data.slice(at, at + length) });
    at += length;
  }
  if (at !== data.length) throw new DecodeError("trailing bytes in merge command", at);
  if (at > MERGE_ENTRIES_BYTES_MAX + HEAD + 16 + n + 12 * count + 4 * changes) {
    throw new DecodeError("merge carrying too many bytes", at);
  }
  return { kind: "commit-merge", regionId, epoch, fence, source, entries };
}
