/**
 * The four Raft messages of every write — append, heartbeat and their answers —
 * encoded and decoded by hand, without building protobuf-es objects (bigints,
 * a message object per entry, reflection): they were a fifth of a follower's
 * CPU per write (bench/RESULTS.md). The bytes are exactly the protobuf
 * encoding of `tinykv.v1.Frame { raft: RaftMessage }` that protobuf-es writes
 * (fields in number order, zero values left out), so peers of either kind
 * interoperate; tests/wire/raft_hot_codec_test.ts checks both directions.
 *
 * Decoding is a gateway for peer bytes: it handles only the canonical form of
 * those four types and returns undefined for anything else (another type, an
 * unknown field, a number past 2^53, truncation), which then takes the
 * protobuf-es path (raft_codec.ts) and its checks and errors, unchanged.
 */
import { type Entry, EntryType, type Message, MessageType } from "../raft/core/messages.ts";
import { bytesFieldSize, ProtoWriter, uintFieldSize } from "../util/proto_writer.ts";
import { varintLength } from "../util/coding.ts";

const FRAME_RAFT = 4; // Frame.raft
const FRAME_REGION_RAFT = 5; // Frame.region_raft (docs/formats.md, "Peer batches")
const BYTES = 2;
const F = {
  type: 1,
  to: 2,
  from: 3,
  term: 4,
  logTerm: 5,
  index: 6,
  entries: 7,
  commit: 8,
  reject: 9,
  rejectHint: 10,
  context: 11,
  sentTick: 17,
  region: 20,
} as const;
const E = { term: 1, index: 2, type: 3, data: 4 } as const;
const CONF_CHANGE = 1; // tinykv.v1.EntryType.CONF_CHANGE

/** The message types handled here. */
export type HotMessage = Extract<
  Message,
  { type: 3 | 4 | 8 | 9 } // App, AppResp, Heartbeat, HeartbeatResp
>;

export function isHot(m: Message): m is HotMessage {
  const t = m.type;
  return t === MessageType.App || t === MessageType.AppResp || t === MessageType.Heartbeat ||
    t === MessageType.HeartbeatResp;
}

// ---- encoding ----

function entrySize(e: Entry): number {
  return uintFieldSize(E.term, e.term) + uintFieldSize(E.index, e.index) +
    uintFieldSize(E.type, e.type === EntryType.ConfChange ? CONF_CHANGE : 0) +
    bytesFieldSize(E.data, e.data.length);
}

/** The fields of `m` in number order, sized (`w` undefined) or written. */
function fields(
  m: HotMessage,
  w: ProtoWriter | undefined,
  sizes: number[],
  region: number,
): number {
  let n = 0;
  const uint = (f: number, v: number) => w === undefined ? n += uintFieldSize(f, v) : w.uint(f, v);
  const bytes = (f: number, v: Uint8Array) =>
    w === undefined ? n += bytesFieldSize(f, v.length) : w.bytes(f, v);
  uint(F.type, m.type);
  uint(F.to, m.to);
  uint(F.from, m.from);
  uint(F.term, m.term);
  if (m.type === MessageType.App || m.type === MessageType.AppResp) uint(F.logTerm, m.logTerm);
  if (m.type === MessageType.App || m.type === MessageType.AppResp) uint(F.index, m.index);
  if (m.type === MessageType.App) {
    for (let i = 0; i < m.entries.length; i++) {
      const e = m.entries[i];
      if (w === undefined) {
        const size = entrySize(e);
        sizes.push(size);
        n += varintLength(F.entries << 3 | BYTES) + varintLength(size) + size;
        continue;
      }
      w.varint(F.entries << 3 | BYTES);
      w.varint(sizes[i]);
      w.uint(E.term, e.term);
      w.uint(E.index, e.index);
      w.uint(E.type, e.type === EntryType.ConfChange ? CONF_CHANGE : 0);
      w.bytes(E.data, e.data);
    }
  }
  if (m.type === MessageType.App || m.type === MessageType.Heartbeat) uint(F.commit, m.commit);
  if (m.type === MessageType.AppResp) {
    uint(F.reject, m.reject ? 1 : 0);
    uint(F.rejectHint, m.rejectHint);
  }
  if (m.type === MessageType.Heartbeat || m.type === MessageType.HeartbeatResp) {
    bytes(F.context, m.context);
    uint(F.sentTick, m.sentTick);
  }
  uint(F.region, region);
  return n;
}

/**
 * The length-prefixed frame of `m`, byte for byte what protobuf-es writes:
 * `Frame.raft`, or with `region` given `Frame.region_raft` with the region.
 */
export function encodeHotFrame(m: HotMessage, region?: number): Uint8Array {
  return encodeHotFrames([m], region === undefined ? undefined : [region]);
}

/**
 * The frames of several messages back to back in one buffer (one allocation
 * instead of one per message: the multi-region transport sends a heartbeat or
 * an append per busy region). `regions[i]` tags message i (`Frame.region_raft`).
 */
export function encodeHotFrames(
  ms: readonly HotMessage[],
  regions?: readonly number[],
): Uint8Array {
  const field = regions === undefined ? FRAME_RAFT : FRAME_REGION_RAFT;
  const sizes: number[][] = [];
  const lens: number[] = [];
  let total = 0;
  for (let i = 0; i < ms.length; i++) {
    const entrySizes: number[] = [];
    const raftLen = fields(ms[i], undefined, entrySizes, regions?.[i] ?? 0);
    sizes.push(entrySizes);
    lens.push(raftLen);
    total += 4 + varintLength(field << 3 | BYTES) + varintLength(raftLen) + raftLen;
  }
  const w = new ProtoWriter(new Uint8Array(total));
  const out = w.buf;
  for (let i = 0; i < ms.length; i++) {
    const payloadLen = varintLength(field << 3 | BYTES) + varintLength(lens[i]) + lens[i];
    // The u32 big-endian length by hand: a DataView per message showed in profiles.
    out[w.pos++] = payloadLen >>> 24;
    out[w.pos++] = payloadLen >>> 16;
    out[w.pos++] = payloadLen >>> 8;
    out[w.pos++] = payloadLen & 0xff;
    w.varint(field << 3 | BYTES);
    w.varint(lens[i]);
    fields(ms[i], w, sizes[i], regions?.[i] ?? 0);
  }
  return out;
}
