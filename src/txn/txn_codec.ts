/**
 * The transactional requests of one region and the answers of its writes, as bytes
 * (docs/formats.md#transactional-region-commands): a write request is the body of a region's
 * `Txn` Raft command, its answer the body of the entry's outcome. Decoding untrusted bytes
 * throws `DecodeError` (never returns a half-read request) and bounds every count and length;
 * the request's meaning (timestamps, TTLs, duplicate keys) is checked when it runs
 * (txn_input.ts), so a bad request is refused with nothing written.
 *
 *   request := 0x01 kind:u8 fields...          (kinds below; keys are varint-length-prefixed)
 *   reply   := 0x01 kind:u8 fields...          (result or status)
 */
import { KV_KEY_BYTES_MAX, KV_VALUE_BYTES_MAX } from "../limits.ts";
import { readOutcome, readSession, writeSession } from "./txn_session_codec.ts";
import { TXN_COMMAND_BYTES_MAX, TXN_REGION_KEYS_MAX } from "../limits_ops.ts";
import { ByteReader, ByteWriter, DecodeError } from "../util/coding.ts";
import { decodeLock, encodeLock, type MutationKind } from "./records.ts";
import {
  type KeyError,
  type LockInfo,
  type Mutation,
  TxnInputError,
  type TxnResult,
  type TxnSession,
  type TxnStatus,
} from "./txn_types.ts";

/** The writes a region applies as Raft commands; `nowMs` is the proposing leader's clock. */
export type TxnWriteRequest =
  | {
    readonly kind: "prewrite";
    readonly mutations: readonly Mutation[];
    readonly primary: Uint8Array;
    readonly startTs: number;
    readonly lockTtlMs: number;
    readonly nowMs: number;
  }
  | {
    readonly kind: "commit";
    readonly keys: readonly Uint8Array[];
    readonly startTs: number;
    readonly commitTs: number;
    /** The primary's commit of a client's request: at most once per session (txn_types.ts). */
    readonly session?: TxnSession;
  }
  | { readonly kind: "rollback"; readonly keys: readonly Uint8Array[]; readonly startTs: number }
  | {
    readonly kind: "resolveLock";
    readonly keys: readonly Uint8Array[];
    readonly startTs: number;
    /** Absent: roll the locks back. */
    readonly commitTs?: number;
  }
  | {
    readonly kind: "checkTxnStatus";
    readonly primary: Uint8Array;
    readonly startTs: number;
    readonly rollbackIfMissing: boolean;
    readonly nowMs: number;
  };

/** What a write request answers. */
export type TxnWriteReply =
  | { readonly kind: "result"; readonly result: TxnResult }
  | { readonly kind: "status"; readonly status: TxnStatus };

const VERSION = 1;
const REQUEST_KINDS = ["prewrite", "commit", "rollback", "resolveLock", "checkTxnStatus"] as const;
const MUTATION_KINDS: readonly MutationKind[] = ["put", "delete", "lock"];
const ERROR_KINDS = [
  "writeConflict",
  "locked",
  "rolledBack",
  "committed",
  "lockNotFound",
  "applied",
] as const;
const STATUS_KINDS = ["committed", "rolledBack", "locked", "missing"] as const;

function writeKeys(w: ByteWriter, keys: readonly Uint8Array[]): void {
  w.varint(keys.length);
  for (const k of keys) w.lengthPrefixed(k);
}

function readCount(r: ByteReader): number {
  const n = r.varint();
  if (n > TXN_REGION_KEYS_MAX) throw new DecodeError(`${n} keys`, r.offset);
  return n;
}

function readKeys(r: ByteReader): Uint8Array[] {
  const n = readCount(r), keys: Uint8Array[] = [];
  for (let i = 0; i < n; i++) keys.push(r.lengthPrefixed(KV_KEY_BYTES_MAX).slice());
  return keys;
}

function head(r: ByteReader, what: string): number {
  if (r.u8() !== VERSION) throw new DecodeError(`${what} version`, 0);
  return r.u8();
}

function finish(w: ByteWriter): Uint8Array {
  const out = w.finish();
  if (out.length > TXN_COMMAND_BYTES_MAX) {
    throw new TxnInputError(`a request of ${out.length} bytes is over ${TXN_COMMAND_BYTES_MAX}`);
  }
  return out;
}

/** Encodes a write request; throws TxnInputError past TXN_COMMAND_BYTES_MAX. */
export function encodeTxnRequest(req: TxnWriteRequest): Uint8Array {
  const w = new ByteWriter(64);
  w.u8(VERSION).u8(REQUEST_KINDS.indexOf(req.kind) + 1);
  switch (req.kind) {
    case "prewrite":
      w.varint(req.startTs).varint(req.lockTtlMs).varint(req.nowMs).lengthPrefixed(req.primary);
      w.varint(req.mutations.length);
      for (const m of req.mutations) {
        w.u8(MUTATION_KINDS.indexOf(m.kind) + 1).lengthPrefixed(m.key);
        if (m.kind === "put") w.lengthPrefixed(m.value ?? new Uint8Array(0));
      }
      break;
    case "commit":
      w.varint(req.startTs).varint(req.commitTs);
      writeKeys(w, req.keys);
      writeSession(w, req.session);
      break;
    case "rollback":
      w.varint(req.startTs);
      writeKeys(w, req.keys);
      break;
    case "resolveLock":
      w.varint(req.startTs).varint(req.commitTs ?? 0);
      writeKeys(w, req.keys);
      break;
    case "checkTxnStatus":
      w.varint(req.startTs).varint(req.nowMs).u8(req.rollbackIfMissing ? 1 : 0);
      w.lengthPrefixed(req.primary);
      break;
  }
  return finish(w);
}

function readMutations(r: ByteReader): Mutation[] {
  const n = readCount(r), out: Mutation[] = [];
  for (let i = 0; i < n; i++) {
    const kind = MUTATION_KINDS[r.u8() - 1];
    if (kind === undefined) throw new DecodeError("mutation kind", r.offset - 1);
    const key = r.lengthPrefixed(KV_KEY_BYTES_MAX).slice();
    out.push(
      kind === "put"
        ? { kind, key, value: r.lengthPrefixed(KV_VALUE_BYTES_MAX).slice() }
        : { kind, key },
    );
  }
  return out;
}

/** Decodes a write request; throws DecodeError when the bytes are not one. */
export function decodeTxnRequest(bytes: Uint8Array): TxnWriteRequest {
  if (bytes.length > TXN_COMMAND_BYTES_MAX) {
    throw new DecodeError(`a request of ${bytes.length} bytes`, 0);
  }
  const r = new ByteReader(bytes);
  const kind = REQUEST_KINDS[head(r, "txn request") - 1];
  let req: TxnWriteRequest;
  switch (kind) {
    case "prewrite": {
      const startTs = r.varint(), lockTtlMs = r.varint(), nowMs = r.varint();
      const primary = r.lengthPrefixed(KV_KEY_BYTES_MAX).slice();
      req = { kind, startTs, lockTtlMs, nowMs, primary, mutations: readMutations(r) };
      break;
    }
    case "commit": {
      const startTs = r.varint(), commitTs = r.varint(), keys = readKeys(r);
      const session = readSession(r);
      req = session
        ? { kind, startTs, commitTs, keys, session }
        : { kind, startTs, commitTs, keys };
      break;
    }
    case "rollback":
      req = { kind, startTs: r.varint(), keys: readKeys(r) };
      break;
    case "resolveLock": {
      const startTs = r.varint(), commitTs = r.varint();
      req = commitTs === 0
        ? { kind, startTs, keys: readKeys(r) }
        : { kind, startTs, commitTs, keys: readKeys(r) };
      break;
    }
    case "checkTxnStatus": {
      const startTs = r.varint(), nowMs = r.varint(), flag = r.u8();
      if (flag > 1) throw new DecodeError(`flag ${flag}`, r.offset - 1);
      const primary = r.lengthPrefixed(KV_KEY_BYTES_MAX).slice();
      req = { kind, startTs, nowMs, rollbackIfMissing: flag === 1, primary };
      break;
    }
    default:
      throw new DecodeError(`txn request kind ${bytes[1]}`, 1);
  }
  if (r.remaining !== 0) throw new DecodeError(`${r.remaining} bytes after the request`, r.offset);
  return req;
}

/**
 * A lock in an answer goes without its value (an empty one for a put): whoever meets a lock needs
 * its transaction, not the value it has not committed yet, which the asker may not be allowed to
 * read.
 */
export function writeLock(w: ByteWriter, lock: LockInfo): void {
  const bare = lock.kind === "put" ? { ...lock, value: EMPTY } : lock;
  w.lengthPrefixed(lock.key).lengthPrefixed(encodeLock(bare));
}

const EMPTY = new Uint8Array(0);

export function readLock(r: ByteReader): LockInfo {
  const key = r.lengthPrefixed(KV_KEY_BYTES_MAX).slice();
  return { key, ...decodeLock(r.lengthPrefixed(KV_VALUE_BYTES_MAX + 2 * KV_KEY_BYTES_MAX)) };
}

function writeError(w: ByteWriter, e: KeyError): void {
  w.u8(ERROR_KINDS.indexOf(e.kind) + 1);
  if (e.kind === "locked") return writeLock(w, e.lock);
  w.lengthPrefixed(e.key);
  if (e.kind === "writeConflict" || e.kind === "committed") w.varint(e.commitTs);
  if (e.kind === "applied") w.lengthPrefixed(e.outcome);
}

function readError(r: ByteReader): KeyError {
  const kind = ERROR_KINDS[r.u8() - 1];
  if (kind === undefined) throw new DecodeError("key error kind", r.offset - 1);
  if (kind === "locked") return { kind, lock: readLock(r) };
  const key = r.lengthPrefixed(KV_KEY_BYTES_MAX).slice();
  if (kind === "writeConflict" || kind === "committed") return { kind, key, commitTs: r.varint() };
  if (kind === "applied") return { kind, key, outcome: readOutcome(r) };
  return { kind, key };
}

export function encodeTxnReply(reply: TxnWriteReply): Uint8Array {
  const w = new ByteWriter(32);
  w.u8(VERSION);
  if (reply.kind === "result") {
    const res = reply.result;
    w.u8(1).u8(res.ok ? 1 : 0);
    if (!res.ok) writeError(w, res.error);
    return w.finish();
  }
  const s = reply.status;
  w.u8(2).u8(STATUS_KINDS.indexOf(s.kind) + 1);
  if (s.kind === "committed") w.varint(s.commitTs);
  if (s.kind === "locked") writeLock(w, s.lock);
  return w.finish();
}

function readStatus(r: ByteReader): TxnStatus {
  const kind = STATUS_KINDS[r.u8() - 1];
  switch (kind) {
    case "committed":
      return { kind, commitTs: r.varint() };
    case "locked":
      return { kind, lock: readLock(r) };
    case "rolledBack":
    case "missing":
      return { kind };
    default:
      throw new DecodeError("status kind", r.offset - 1);
  }
}

export function decodeTxnReply(bytes: Uint8Array): TxnWriteReply {
  const r = new ByteReader(bytes);
  const kind = head(r, "txn reply");
  let reply: TxnWriteReply;
  if (kind === 1) {
    const ok = r.u8();
    if (ok > 1) throw new DecodeError(`ok flag ${ok}`, r.offset - 1);
    reply = {
      kind: "result",
      result: ok === 1 ? { ok: true } : { ok: false, error: readError(r) },
    };
  } else if (kind === 2) {
    reply = { kind: "status", status: readStatus(r) };
  } else {
    throw new DecodeError(`txn reply kind ${kind}`, 1);
  }
  if (r.remaining !== 0) throw new DecodeError(`${r.remaining} bytes after the reply`, r.offset);
  return reply;
}
