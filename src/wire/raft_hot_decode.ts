/**
 * Decoding of the hot Raft messages (raft_hot_codec.ts explains the format):
 * a frame payload straight to the core's message, or undefined when the bytes
 * are anything but the canonical encoding of an append, a heartbeat or their
 * answers from `from` — the caller then decodes them with protobuf-es, whose
 * checks and errors stay the only judges of unusual or malformed input.
 */
import { BAIL, ProtoReader } from "../util/proto_reader.ts";
import { type Entry, EntryType, type Message, MessageType } from "../raft/core/messages.ts";

/** An entry while it is read. */
interface EntryFields {
  term: number;
  index: number;
  type: EntryType;
  data: Uint8Array;
}

function entryOf(r: ProtoReader, end: number): Entry | undefined {
  const e: EntryFields = { term: 0, index: 0, type: EntryType.Normal, data: EMPTY };
  const outerEnd = r.end;
  r.end = end;
  const ok = entryFields(r, e);
  r.end = outerEnd;
  return ok ? { term: e.term, index: e.index, type: e.type, data: e.data } : undefined;
}

function entryFields(inner: ProtoReader, e: EntryFields): boolean {
  const end = inner.end;
  while (inner.pos < end) {
    const tag = inner.varint();
    if (tag === (4 << 3 | 2)) {
      const data = inner.bytes();
      if (data === undefined) return false;
      e.data = data;
      continue;
    }
    const v = tag === BAIL || (tag & 7) !== 0 ? BAIL : inner.varint();
    if (v === BAIL) return false;
    if (tag === (1 << 3)) e.term = v;
    else if (tag === (2 << 3)) e.index = v;
    else if (tag === (3 << 3) && v <= 1) e.type = v === 1 ? EntryType.ConfChange : EntryType.Normal;
    else return false;
  }
  return true;
}

/** The data of an entry without any: entries are never written to, so one array serves all. */
const EMPTY = new Uint8Array(0);

interface Fields {
  type: number;
  to: number;
  from: number;
  term: number;
  logTerm: number;
  index: number;
  entries: Entry[];
  commit: number;
  reject: boolean;
  rejectHint: number;
  context: Uint8Array;
  sentTick: number;
  region: number;
}

const VARINT_FIELDS: Readonly<Record<number, keyof Fields>> = {
  1: "type",
  2: "to",
  3: "from",
  4: "term",
  5: "logTerm",
  6: "index",
  8: "commit",
  10: "rejectHint",
  17: "sentTick",
  20: "region",
};

/** Reads RaftMessage fields in [r.pos, end); false when the fast path does not apply. */
function readFields(r: ProtoReader, end: number, f: Fields): boolean {
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === BAIL) return false;
    const field = Math.floor(tag / 8), wire = tag & 7;
    if (wire === 2 && (field === 7 || field === 11)) {
      const len = r.varint();
      if (len === BAIL || len > end - r.pos) return false;
      if (field === 11) {
        f.context = r.buf.subarray(r.pos, r.pos + len);
        r.pos += len;
        continue;
      }
      const e = entryOf(r, r.pos + len);
      if (e === undefined) return false;
      f.entries.push(e);
      continue;
    }
    if (wire !== 0) return false;
    const v = r.varint();
    if (v === BAIL) return false;
    const name = VARINT_FIELDS[field];
    if (field === 9) f.reject = v !== 0;
    else if (name === undefined) return false;
    else (f as unknown as Record<string, number>)[name] = v;
  }
  return true;
}

/**
 * Decodes a frame payload (without its length prefix) that holds one of the
 * hot messages from peer `from`; undefined for anything else.
 */
export function decodeHotRaftFrame(payload: Uint8Array, from: number): Message | undefined {
  const f = hotFields(payload, from, FRAME_RAFT);
  return f === undefined || f.region !== 0 ? undefined : messageOf(f);
}

/**
 * The same for a region-tagged message (`Frame.region_raft`, docs/formats.md
 * "Peer batches"): the message and its region, or undefined.
 */
export function decodeHotRegionFrame(
  payload: Uint8Array,
  from: number,
): { region: number; message: Message } | undefined {
  const f = hotFields(payload, from, FRAME_REGION_RAFT);
  const message = f === undefined ? undefined : messageOf(f);
  return message === undefined ? undefined : { region: f?.region ?? 0, message };
}

const FRAME_RAFT = 4 << 3 | 2;
const FRAME_REGION_RAFT = 5 << 3 | 2;

function hotFields(payload: Uint8Array, from: number, frameTag: number): Fields | undefined {
  const r = new ProtoReader(payload);
  if (r.varint() !== frameTag) return undefined;
  const len = r.varint();
  if (len === BAIL || r.pos + len !== payload.length) return undefined;
  const f: Fields = {
    type: 0,
    to: 0,
    from: 0,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    context: new Uint8Array(0),
    sentTick: 0,
    region: 0,
  };
  if (!readFields(r, payload.length, f) || f.from !== from) return undefined;
  return f;
}

function messageOf(f: Fields): Message | undefined {
  const base = { from: f.from, to: f.to, term: f.term };
  switch (f.type) {
    case MessageType.App:
      return {
        ...base,
        type: MessageType.App,
        index: f.index,
        logTerm: f.logTerm,
        entries: f.entries,
        commit: f.commit,
      };
    case MessageType.AppResp:
      return {
        ...base,
        type: MessageType.AppResp,
        index: f.index,
        logTerm: f.logTerm,
        reject: f.reject,
        rejectHint: f.rejectHint,
      };
    case MessageType.Heartbeat:
      return {
        ...base,
        type: MessageType.Heartbeat,
        commit: f.commit,
        context: f.context,
        sentTick: f.sentTick,
      };
    case MessageType.HeartbeatResp:
      return { ...base, type: MessageType.HeartbeatResp, context: f.context, sentTick: f.sentTick };
    default:
      return undefined;
  }
}
