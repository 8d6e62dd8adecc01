/**
 * Frames for Raft messages that carry large entries (a 100 MiB value), built
 * as parts that reference the entries' data instead of copying it: the same
 * entry goes to every follower, and encoding it per follower made the
 * leader's memory grow by one value per follower (docs/limits.md).
 *
 * The bytes are exactly a `tinykv.v1.Frame { raft: RaftMessage }`: protobuf
 * lets a repeated field's elements follow the other fields, so the message
 * without its entries is encoded by protobuf-es and each entry is appended as
 * field 7 (`Entry { term, index, type, data }`) with its data as its own part.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { EntrySchema, RaftMessageSchema } from "../gen/tinykv/v1/tinykv_pb.ts";
import { type AppMsg, type Entry, EntryType, type PropMsg } from "../raft/core/messages.ts";
import { EntryType as WireEntryType } from "../gen/tinykv/v1/tinykv_pb.ts";
import { assert } from "../util/assert.ts";
import { raftMessageToWire } from "./raft_codec.ts";

/** Below this much entry data a message is encoded the ordinary way (one copy is cheap). */
export const ZERO_COPY_ENTRY_BYTES = 64 * 1024;

const FRAME_RAFT_FIELD = 4; // Frame.raft
const FRAME_REGION_RAFT_FIELD = 5; // Frame.region_raft (docs/formats.md, "Peer batches")
const RAFT_ENTRIES_FIELD = 7; // RaftMessage.entries
const ENTRY_DATA_FIELD = 4; // Entry.data
const LENGTH_DELIMITED = 2;
const FRAME_PREFIX_MAX = 0xffff_ffff;

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

function tag(field: number): number {
  return (field << 3) | LENGTH_DELIMITED;
}

/** Total entry data bytes of an append or proposal. */
export function entryDataBytes(m: AppMsg | PropMsg): number {
  let n = 0;
  for (const e of m.entries) n += e.data.length;
  return n;
}

/** One entry as field 7 of RaftMessage: [tag, length, term/index/type, data tag+length], data. */
function entryParts(e: Entry): Uint8Array[] {
  const head = toBinary(
    EntrySchema,
    create(EntrySchema, {
      term: BigInt(e.term),
      index: BigInt(e.index),
      type: e.type === EntryType.ConfChange
        ? WireEntryType.CONF_CHANGE
        : WireEntryType.NORMAL_UNSPECIFIED,
    }),
  );
  const dataHead = e.data.length > 0 ? [tag(ENTRY_DATA_FIELD), ...varint(e.data.length)] : [];
  const entryLength = head.length + dataHead.length + e.data.length;
  const prefix = new Uint8Array([tag(RAFT_ENTRIES_FIELD), ...varint(entryLength)]);
  const first = new Uint8Array(prefix.length + head.length + dataHead.length);
  first.set(prefix);
  first.set(head, prefix.length);
  first.set(dataHead, prefix.length + head.length);
  return e.data.length > 0 ? [first, e.data] : [first];
}

/**
 * The length-prefixed frame of `m` as parts to write in order; the entries'
 * data arrays are referenced, not copied (they are immutable once in the log).
 * With `region`, a `Frame.region_raft` carrying it.
 */
export function raftFrameParts(m: AppMsg | PropMsg, region?: number): Uint8Array[] {
  const wire = raftMessageToWire({ ...m, entries: [] });
  if (region !== undefined) wire.region = BigInt(region);
  const header = toBinary(RaftMessageSchema, wire);
  const parts: Uint8Array[] = [];
  let raftLength = header.length;
  for (const e of m.entries) {
    for (const p of entryParts(e)) {
      parts.push(p);
      raftLength += p.length;
    }
  }
  const field = region === undefined ? FRAME_RAFT_FIELD : FRAME_REGION_RAFT_FIELD;
  const frameHead = [tag(field), ...varint(raftLength)];
  const payloadLength = frameHead.length + raftLength;
  if (payloadLength > FRAME_PREFIX_MAX) {
    assert(false, `frame payload of ${payloadLength} bytes too large`);
  }
  const first = new Uint8Array(4 + frameHead.length + header.length);
  new DataView(first.buffer).setUint32(0, payloadLength, false);
  first.set(frameHead, 4);
  first.set(header, 4 + frameHead.length);
  return [first, ...parts];
}
