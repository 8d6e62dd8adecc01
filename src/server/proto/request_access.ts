/**
 * What a request on the protobuf port needs of its caller's permissions (docs/protocol.md,
 * "Authentication"): keys read need read, keys written need write, a range needs ONE
 * permission covering all of it (Principal.canReadRange), cluster operations need admin.
 * Pure and synchronous: the port asks it once per request after resolving the caller.
 */
import type { Principal } from "../../auth/principal.ts";
import type { ClientRequest, ScanRequest, TxnOp } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { isOpenEnded, isSingleKey, type KeyRange } from "../../kv/key_state.ts";
import { compareBytes, prefixEnd } from "../../util/bytes.ts";

const EMPTY = new Uint8Array(0);

/** Why `p` may not run `req`, or undefined when it may. */
export function accessDenial(p: Principal, req: ClientRequest): string | undefined {
  if (p.admin) return undefined;
  const b = req.body;
  switch (b.case) {
    case "get":
      return p.canRead(b.value.key) ? undefined : "no read permission on the key";
    case "put":
      return putDenial(p, b.value.key, b.value.returnPrevious);
    case "delete":
    case "expire":
      return p.canWrite(b.value.key) ? undefined : "no write permission on the key";
    case "compareAndSet":
    case "increment":
      // Both read the key's current state and write it.
      return p.canRead(b.value.key) && p.canWrite(b.value.key)
        ? undefined
        : "no read-write permission on the key";
    case "batch":
      return b.value.ops.every((o) => o.op.value === undefined || p.canWrite(o.op.value.key))
        ? undefined
        : "no write permission on a key of the batch";
    case "scan":
      return scanAllowed(p, b.value) ? undefined : "no read permission covering the whole range";
    case "txn":
      return txnDenial(p, b.value.compare.map((c) => c.key), [
        ...b.value.success,
        ...b.value.failure,
      ]);
    case "watchCreate":
      return rangeAllowed(p, b.value, "read")
        ? undefined
        : "no read permission on the watched keys";
    case "compact":
      // Compaction forgets history of every key: only who may write every key (or an admin).
      return p.canWriteRange(EMPTY, EMPTY) ? undefined : "compaction needs the admin right";
    case "memberAdd":
    case "memberRemove":
    case "transferLeader":
    case "snapshot":
      return "this request needs the admin right";
    case "redis":
      return "Redis commands on this port come from peers only";
    case "placement":
      return "placement requests come from peers and admins";
    case "redisKeys":
      // A Redis database's keys, whatever their permissions: nodes' requests only.
      return "Redis key reads on this port come from peers only";
    case "regionTxn":
      // Its keys travel encoded, unchecked against the user's rights: nodes' requests only.
      return "region transaction requests come from peers and admins";
    default:
      // status, watch cancels and leases: every logged-in user (lease_handler checks revokes).
      return undefined;
  }
}

function putDenial(p: Principal, key: Uint8Array, returnsPrevious: boolean): string | undefined {
  if (!p.canWrite(key)) return "no write permission on the key";
  if (returnsPrevious && !p.canRead(key)) return "no read permission on the key (previous value)";
  return undefined;
}

/** A scan's keys: the prefix's range narrowed by start and end (the cursor only narrows more). */
function scanAllowed(p: Principal, s: ScanRequest): boolean {
  let lower = s.prefix;
  let upper = prefixEnd(s.prefix) ?? EMPTY;
  if (compareBytes(s.start, lower) > 0) lower = s.start;
  if (s.end.length > 0 && (upper.length === 0 || compareBytes(s.end, upper) < 0)) upper = s.end;
  return p.canReadRange(lower, upper);
}

/** Keys [key, rangeEnd) in etcd's form: empty end = the key alone, "\0" = no upper bound. */
export function rangeAllowed(p: Principal, r: KeyRange, access: "read" | "write"): boolean {
  if (isSingleKey(r)) return access === "read" ? p.canRead(r.key) : p.canWrite(r.key);
  const end = isOpenEnded(r) ? EMPTY : r.rangeEnd;
  return access === "read" ? p.canReadRange(r.key, end) : p.canWriteRange(r.key, end);
}

function txnDenial(
  p: Principal,
  compared: readonly Uint8Array[],
  ops: readonly TxnOp[],
): string | undefined {
  if (!compared.every((k) => p.canRead(k))) return "no read permission on a compared key";
  for (const o of ops) {
    const op = o.op;
    if (op.case === "range" && !rangeAllowed(p, op.value, "read")) {
      return "no read permission covering a range of the transaction";
    }
    if (op.case === "put") {
      // A transaction's put always answers with the key's previous state: read it too.
      const why = putDenial(p, op.value.key, true);
      if (why !== undefined) return `${why} (in the transaction)`;
    }
    if (op.case === "deleteRange") {
      const r = { key: op.value.key, rangeEnd: op.value.rangeEnd };
      if (!rangeAllowed(p, r, "write") || (op.value.prevKv && !rangeAllowed(p, r, "read"))) {
        return "no write permission covering a delete range of the transaction";
      }
    }
  }
  return undefined;
}
