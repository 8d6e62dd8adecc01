/**
 * A coordinator's read of keys at a start timestamp from a region it does not hold, and its
 * answer, as bytes inside a `RegionTxnRequest` with `read` (keys_at.ts, docs/transactions.md
 * "On a node holding some regions"). It shares the txn read codec's head (version 1) with a kind
 * of its own, 4, so that the region's leader tells it from a Percolator read
 * (txn_read_codec.ts) by its first two bytes. Decoding untrusted bytes throws `DecodeError` and
 * bounds every count and length.
 *
 *   request := 0x01 0x04 ts:varint db:varint n:varint (key)*n
 *   reply   := 0x01 0x04 n:varint (state? meta? indexTop? token:varint)*n
 *
 * where each optional part is a tag byte (0 absent, 1 present) and then the part.
 */
import { KV_KEY_BYTES_MAX, KV_VALUE_BYTES_MAX } from "../../limits.ts";
import { TXN_CROSS_REGION_KEYS_MAX } from "../../limits_ops.ts";
import type { KeyState } from "../../kv/key_state.ts";
import { ByteReader, ByteWriter, DecodeError } from "../../util/coding.ts";

const VERSION = 1;
const KIND = 4;
/** An engine key of the key index: the user key and a few bytes of framing. */
const ENGINE_KEY_BYTES_MAX = KV_KEY_BYTES_MAX + 64;

/** Keys of one region to read at `ts` (and, for WATCH, their tokens in database `db`). */
export interface KeysAtRequest {
  readonly ts: number;
  readonly db: number;
  readonly keys: readonly Uint8Array[];
}

/**
 * A key as a transaction across regions reads it: its string in database 0 as of the start
 * timestamp, and, read just after (so at least as new), what a Redis run looks at besides —
 * its meta record in database 0 (a hash or set: WRONGTYPE), the newest entry of its key index
 * (an absent key's WATCH token) and its WATCH token in the request's database.
 */
export interface KeyAt {
  readonly state: KeyState | undefined;
  readonly meta: Uint8Array | undefined;
  readonly indexTop: readonly [Uint8Array, Uint8Array] | undefined;
  readonly token: number;
}

/** Whether `bytes` are a keys-at read (else a Percolator read). */
export function isKeysAt(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === VERSION && bytes[1] === KIND;
}

export function encodeKeysAt(req: KeysAtRequest): Uint8Array {
  const w = new ByteWriter(32).u8(VERSION).u8(KIND).varint(req.ts).varint(req.db);
  w.varint(req.keys.length);
  for (const k of req.keys) w.lengthPrefixed(k);
  return w.finish();
}

function head(r: ByteReader, what: string): void {
  if (r.u8() !== VERSION || r.u8() !== KIND) throw new DecodeError(`${what} head`, 0);
}

function count(r: ByteReader): number {
  const n = r.varint();
  if (n > TXN_CROSS_REGION_KEYS_MAX) throw new DecodeError(`${n} keys`, r.offset);
  return n;
}

function done<T>(r: ByteReader, value: T): T {
  if (r.remaining !== 0) throw new DecodeError(`${r.remaining} bytes left over`, r.offset);
  return value;
}

export function decodeKeysAt(bytes: Uint8Array): KeysAtRequest {
  const r = new ByteReader(bytes);
  head(r, "keys-at read");
  const ts = r.varint(), db = r.varint();
  const keys: Uint8Array[] = [];
  for (let i = count(r); i > 0; i--) keys.push(r.lengthPrefixed(KV_KEY_BYTES_MAX).slice());
  return done(r, { ts, db, keys });
}

function writeState(w: ByteWriter, s: KeyState | undefined): void {
  if (s === undefined) {
    w.u8(0);
    return;
  }
  w.u8(1).lengthPrefixed(s.key).lengthPrefixed(s.value);
  w.varint(s.createRevision).varint(s.modRevision).varint(s.version);
  w.varint(s.lease).varint(s.expireAtMs);
}

function readState(r: ByteReader): KeyState | undefined {
  if (!present(r)) return undefined;
  const key = r.lengthPrefixed(KV_KEY_BYTES_MAX).slice();
  const value = r.lengthPrefixed(KV_VALUE_BYTES_MAX).slice();
  const createRevision = r.varint(), modRevision = r.varint(), version = r.varint();
  return {
    key,
    value,
    createRevision,
    modRevision,
    version,
    lease: r.varint(),
    expireAtMs: r.varint(),
  };
}

function present(r: ByteReader): boolean {
  const tag = r.u8();
  if (tag > 1) throw new DecodeError(`tag ${tag}`, r.offset - 1);
  return tag === 1;
}

export function encodeKeysAtReply(keys: readonly KeyAt[]): Uint8Array {
  const w = new ByteWriter(64).u8(VERSION).u8(KIND).varint(keys.length);
  for (const k of keys) {
    writeState(w, k.state);
    if (k.meta === undefined) w.u8(0);
    else w.u8(1).lengthPrefixed(k.meta);
    if (k.indexTop === undefined) w.u8(0);
    else w.u8(1).lengthPrefixed(k.indexTop[0]).lengthPrefixed(k.indexTop[1]);
    w.varint(k.token);
  }
  return w.finish();
}

export function decodeKeysAtReply(bytes: Uint8Array): KeyAt[] {
  const r = new ByteReader(bytes);
  head(r, "keys-at reply");
  const out: KeyAt[] = [];
  for (let i = count(r); i > 0; i--) {
    const state = readState(r);
    const meta = present(r) ? r.lengthPrefixed(KV_VALUE_BYTES_MAX).slice() : undefined;
    const indexTop: [Uint8Array, Uint8Array] | undefined = present(r)
      ? [
        r.lengthPrefixed(ENGINE_KEY_BYTES_MAX).slice(),
        r.lengthPrefixed(KV_VALUE_BYTES_MAX).slice(),
      ]
      : undefined;
    out.push({ state, meta, indexTop, token: r.varint() });
  }
  return done(r, out);
}
