/**
 * The transactional reads of one region and their answers as bytes, as a node carries them to
 * the region's leader (`RegionTxnRequest` with `read`, docs/transactions.md#on-nodes). Decoding
 * untrusted bytes throws `DecodeError` and bounds every count and length; a read's meaning
 * (timestamps, limits, range) is checked when it runs (region_txn.ts). Locks in answers go
 * without their values, as in write answers (txn_codec.ts).
 *
 *   request := 0x01 kind:u8 fields...     1 get: ts key; 2 scan: ts limit start end; 3 locks: limit
 *   reply   := 0x01 kind:u8 fields...     1 get, 2 scan, 3 locks
 */
import { KV_KEY_BYTES_MAX, KV_VALUE_BYTES_MAX } from "../limits.ts";
import { TXN_SCAN_ENTRIES_MAX, TXN_SCAN_LOCKS_MAX } from "../limits_ops.ts";
import { ByteReader, ByteWriter, DecodeError } from "../util/coding.ts";
import type { MvccEntry, MvccGet, MvccScan } from "./mvcc_read.ts";
import type { TxnReadReply, TxnReadRequest } from "./region_txn.ts";
import { readLock, writeLock } from "./txn_codec.ts";
import type { LockInfo } from "./txn_types.ts";

const VERSION = 1;

function head(r: ByteReader, what: string): number {
  if (r.u8() !== VERSION) throw new DecodeError(`${what} version`, 0);
  return r.u8();
}

function done<T>(r: ByteReader, value: T): T {
  if (r.remaining !== 0) throw new DecodeError(`${r.remaining} bytes left over`, r.offset);
  return value;
}

function key(r: ByteReader): Uint8Array {
  return r.lengthPrefixed(KV_KEY_BYTES_MAX).slice();
}

export function encodeTxnRead(req: TxnReadRequest): Uint8Array {
  const w = new ByteWriter(32).u8(VERSION);
  switch (req.kind) {
    case "get":
      w.u8(1).varint(req.ts).lengthPrefixed(req.key);
      break;
    case "scan":
      w.u8(2).varint(req.ts).varint(req.limit);
      w.lengthPrefixed(req.range.start).lengthPrefixed(req.range.end);
      break;
    case "scanExpiredLocks":
      w.u8(3).varint(req.limit);
      break;
  }
  return w.finish();
}

export function decodeTxnRead(bytes: Uint8Array): TxnReadRequest {
  const r = new ByteReader(bytes);
  const kind = head(r, "txn read");
  if (kind === 1) {
    const ts = r.varint();
    return done(r, { kind: "get", ts, key: key(r) });
  }
  if (kind === 2) {
    const ts = r.varint(), limit = r.varint();
    const start = key(r), end = key(r);
    return done(r, { kind: "scan", ts, limit, range: { start, end } });
  }
  if (kind === 3) return done(r, { kind: "scanExpiredLocks", limit: r.varint() });
  throw new DecodeError(`txn read kind ${kind}`, 1);
}

function writeLocks(w: ByteWriter, locks: readonly LockInfo[]): void {
  w.varint(locks.length);
  for (const lock of locks) writeLock(w, lock);
}

function readLocks(r: ByteReader, max: number): LockInfo[] {
  const n = r.varint();
  if (n > max) throw new DecodeError(`${n} locks`, r.offset);
  const locks: LockInfo[] = [];
  for (let i = 0; i < n; i++) locks.push(readLock(r));
  return locks;
}

function writeGet(w: ByteWriter, get: MvccGet): void {
  if (get.kind === "locked") {
    w.u8(2);
    writeLock(w, get.lock);
    return;
  }
  if (get.value === undefined) {
    w.u8(0);
    return;
  }
  w.u8(1).varint(get.commitTs ?? 0).lengthPrefixed(get.value);
}

function readGet(r: ByteReader): MvccGet {
  const tag = r.u8();
  if (tag === 0) return { kind: "value" };
  if (tag === 2) return { kind: "locked", lock: readLock(r) };
  if (tag !== 1) throw new DecodeError(`get tag ${tag}`, r.offset - 1);
  const commitTs = r.varint();
  return { kind: "value", commitTs, value: r.lengthPrefixed(KV_VALUE_BYTES_MAX).slice() };
}

function writeScan(w: ByteWriter, scan: MvccScan): void {
  w.varint(scan.entries.length);
  for (const e of scan.entries) w.lengthPrefixed(e.key).varint(e.commitTs).lengthPrefixed(e.value);
  writeLocks(w, scan.lock === undefined ? [] : [scan.lock]);
}

function readScan(r: ByteReader): MvccScan {
  const n = r.varint();
  if (n > TXN_SCAN_ENTRIES_MAX) throw new DecodeError(`${n} entries`, r.offset);
  const entries: MvccEntry[] = [];
  for (let i = 0; i < n; i++) {
    const k = key(r), commitTs = r.varint();
    entries.push({ key: k, commitTs, value: r.lengthPrefixed(KV_VALUE_BYTES_MAX).slice() });
  }
  const [lock] = readLocks(r, 1);
  return lock === undefined ? { entries } : { entries, lock };
}

export function encodeTxnReadReply(reply: TxnReadReply): Uint8Array {
  const w = new ByteWriter(64).u8(VERSION);
  switch (reply.kind) {
    case "get":
      writeGet(w.u8(1), reply.get);
      break;
    case "scan":
      writeScan(w.u8(2), reply.scan);
      break;
    case "locks":
      writeLocks(w.u8(3), reply.locks);
      break;
  }
  return w.finish();
}

export function decodeTxnReadReply(bytes: Uint8Array): TxnReadReply {
  const r = new ByteReader(bytes);
  const kind = head(r, "txn read reply");
  if (kind === 1) return done(r, { kind: "get", get: readGet(r) });
  if (kind === 2) return done(r, { kind: "scan", scan: readScan(r) });
  if (kind === 3) return done(r, { kind: "locks", locks: readLocks(r, TXN_SCAN_LOCKS_MAX) });
  throw new DecodeError(`txn read reply kind ${kind}`, 1);
}
