/**
 * How the replicated state machine lays out its data in the storage engine
 * (docs/formats.md#kv-keyspace). One namespace byte leads every engine key.
 *
 *   0x00 "format"                  → varint data format (3: regions)
 *   0x00 "member" id:u64be         → a member's address (members.ts)
 *   0x02 userKey                   → the key's current record (key_record.ts)
 *   0x04 .. 0x06                   → key index, leases (mvcc_keys.ts)
 *   0x10 regionId:u64be kind ...   → what one region's apply writes about itself: applied
 *                                    index, counters, revisions, sessions, history, expiry
 *                                    indexes (region_keys.ts)
 *
 * The applied index is written in the same atomic batch as the data it
 * covers, so after a crash the engine's state and its applied index agree and
 * Raft re-applies the log from there (docs/design.md §2.4).
 */
import { ByteReader, ByteWriter, DecodeError, readFixed64, writeFixed64 } from "../util/coding.ts";

/** Namespace bytes. Written to disk: never renumber, never reuse. */
export const Namespace = {
  Meta: 0x00,
  /** Before regions (format 2): client sessions; now a region-local kind. */
  Session: 0x01,
  Data: 0x02,
} as const;

export function dataKey(userKey: Uint8Array): Uint8Array {
  const k = new Uint8Array(1 + userKey.length);
  k[0] = Namespace.Data;
  k.set(userKey, 1);
  return k;
}

export const DATA_PREFIX: Uint8Array = new Uint8Array([Namespace.Data]);
/** A session record: its floor, last activity and the saved outcomes not yet acknowledged. */
export interface SessionRecord {
  readonly floor: number;
  readonly lastActiveIndex: number;
  readonly results: ReadonlyMap<number, Uint8Array>;
}

/**
 * varint floor, varint lastActiveIndex, varint count, then per saved outcome:
 * varint sequence, varint length, the outcome bytes. One record per client,
 * rewritten once per apply pass that touches it: far fewer engine writes than
 * a key per outcome (each write used to put one and delete another).
 */
export function encodeSession(s: SessionRecord): Uint8Array {
  let bytes = 30;
  for (const o of s.results.values()) bytes += 20 + o.length;
  const w = new ByteWriter(bytes).varint(s.floor).varint(s.lastActiveIndex).varint(s.results.size);
  for (const [seq, outcome] of s.results) w.varint(seq).varint(outcome.length).bytes(outcome);
  return w.finish();
}

export function decodeSession(bytes: Uint8Array): SessionRecord {
  const r = new ByteReader(bytes);
  const floor = r.varint(), lastActiveIndex = r.varint();
  const results = new Map<number, Uint8Array>();
  // Records written before outcomes moved into the session end here.
  const count = r.remaining > 0 ? r.varint() : 0;
  for (let i = 0; i < count; i++) {
    const seq = r.varint();
    results.set(seq, r.lengthPrefixed(bytes.length).slice());
  }
  return { floor, lastActiveIndex, results };
}

/** Fixed64 records (applied index, key count, revisions) share one encoding. */
export function encodeApplied(index: number): Uint8Array {
  const out = new Uint8Array(8);
  writeFixed64(out, 0, index);
  return out;
}

export function decodeApplied(bytes: Uint8Array): number {
  const v = bytes.length === 8 ? readFixed64(bytes, 0) : -1;
  if (v < 0) throw new DecodeError("bad applied index record", 0);
  return v;
}
