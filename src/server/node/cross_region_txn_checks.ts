/**
 * What a node refuses of a `txn` or `batch` across regions before (or, for the bytes, just
 * before the prewrite of) the transaction (cross_region_txn.ts): ranges over several keys,
 * puts with a lease, an expiry or a condition, writes of leased keys (FAILED_PRECONDITION), and
 * more than TXN_CROSS_REGION_KEYS_MAX keys or TXN_CROSS_REGION_BYTES_MAX bytes (TOO_LARGE).
 */
import {
  type BatchOp,
  ErrorCode,
  type PutRequest,
  type TxnOp,
} from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { KeyState } from "../../kv/key_state.ts";
import { TXN_CROSS_REGION_BYTES_MAX, TXN_CROSS_REGION_KEYS_MAX } from "../../limits_ops.ts";
import { toHex } from "../../util/bytes.ts";
import { ServiceError } from "../kv_service.ts";

function unsupported(what: string): ServiceError {
  return new ServiceError(
    ErrorCode.FAILED_PRECONDITION,
    `${what} is not supported in a transaction whose keys lie in more than one region`,
  );
}

function checkPut(p: PutRequest): void {
  if (p.lease !== 0n) throw unsupported("a put with a lease (leases are region 1's)");
  if (p.ttlMs !== 0n || p.expireAtMs !== 0n || p.keepTtl) throw unsupported("a put with expiry");
  if (p.condition !== 0 || p.returnPrevious) throw unsupported("a conditional put");
}

/** The key of a single-key op; refuses multi-key ranges and unsupported puts. */
export function opKey(op: TxnOp): Uint8Array {
  const o = op.op;
  if (o.case === "put") {
    checkPut(o.value);
    return o.value.key;
  }
  if (o.case === undefined) throw new ServiceError(ErrorCode.INVALID_ARGUMENT, "an empty op");
  if (o.value.rangeEnd.length > 0) throw unsupported("a range or delete-range over several keys");
  return o.value.key;
}

/** Refuses more than TXN_CROSS_REGION_KEYS_MAX distinct keys, before anything is done. */
export function checkKeys(keys: readonly Uint8Array[]): void {
  const n = new Set(keys.map(toHex)).size;
  if (n <= TXN_CROSS_REGION_KEYS_MAX) return;
  throw new ServiceError(
    ErrorCode.TOO_LARGE,
    `${n} keys in a transaction across regions: at most ${TXN_CROSS_REGION_KEYS_MAX}`,
  );
}

/** Refuses a transaction writing and answering more than TXN_CROSS_REGION_BYTES_MAX bytes. */
export function checkBytes(bytes: number): void {
  if (bytes <= TXN_CROSS_REGION_BYTES_MAX) return;
  throw new ServiceError(
    ErrorCode.TOO_LARGE,
    `a transaction across regions of ${bytes} bytes written and answered: at most ` +
      `${TXN_CROSS_REGION_BYTES_MAX}`,
  );
}

/** Bytes of the keys and values `ops` write. */
export function writtenBytes(ops: readonly { op: TxnOp["op"] | BatchOp["op"] }[]): number {
  let n = 0;
  for (const { op } of ops) {
    if (op.case === "put") n += op.value.key.length + op.value.value.length;
    else if (op.case === "deleteRange" || op.case === "delete") n += op.value.key.length;
  }
  return n;
}

/**
 * Refuses writing a key attached to a lease: a lease's revoke deletes its keys without looking at
 * locks, so it could land between this transaction's prewrite and its commit. (A lease is attached
 * only by a write, which the lock or the prewrite's conflict check keeps out.)
 */
export function checkUnleased(
  writes: readonly Uint8Array[],
  seen: Map<string, KeyState | undefined>,
) {
  for (const key of writes) {
    if ((seen.get(toHex(key))?.lease ?? 0) !== 0) throw unsupported("writing a key with a lease");
  }
}
