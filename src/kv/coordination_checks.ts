/**
 * The gateway checks of the coordination commands (transactions, compaction,
 * leases): run by the ports before proposing, and again at apply, so a bad
 * entry gets an error outcome instead of changing the store.
 */
import {
  type Compare,
  CompareResult,
  CompareTarget,
  ExpireCondition,
  type ExpireKeysCommand,
  type ExpireRequest,
  type LeaseGrantRequest,
  type TxnOp,
  type TxnRequest,
} from "../gen/tinykv/v1/tinykv_pb.ts";
import {
  EXPIRE_KEYS_PER_COMMAND_MAX,
  KEY_EXPIRE_AT_MS_MAX,
  LEASE_TTL_SECONDS_MAX,
  REDIS_DATABASES,
  TXN_COMPARES_MAX,
  TXN_OPS_MAX,
  WRITE_BATCH_BYTES_MAX,
} from "../limits.ts";
import { inRange, isSingleKey, rangeProblem } from "./key_state.ts";

/** Why a command cannot be applied: a size limit (TOO_LARGE) or a malformed request. */
export interface Problem {
  readonly tooLarge: boolean;
  readonly message: string;
}

const invalid = (message: string): Problem => ({ tooLarge: false, message });
const tooLarge = (message: string): Problem => ({ tooLarge: true, message });

type KeyCheck = (key: Uint8Array) => string | undefined;

export function checkTxn(
  txn: TxnRequest,
  checkKey: KeyCheck,
  checkValue: KeyCheck,
): Problem | undefined {
  if (txn.compare.length > TXN_COMPARES_MAX) {
    return tooLarge(
      `transaction has ${txn.compare.length} compares; the limit is ${TXN_COMPARES_MAX}`,
    );
  }
  for (const [name, ops] of [["success", txn.success], ["failure", txn.failure]] as const) {
    if (ops.length > TXN_OPS_MAX) {
      return tooLarge(
        `transaction ${name} branch has ${ops.length} operations; the limit is ${TXN_OPS_MAX}`,
      );
    }
  }
  let bytes = 0;
  for (const c of txn.compare) {
    const why = checkCompare(c, checkKey, checkValue);
    if (why !== undefined) return why;
    bytes += c.key.length + (c.operand.case === "value" ? c.operand.value.length : 0);
  }
  for (const ops of [txn.success, txn.failure]) {
    const why = checkBranch(ops, checkKey, checkValue);
    if (why !== undefined) return why;
    for (const op of ops) bytes += opBytes(op);
  }
  const max = WRITE_BATCH_BYTES_MAX / 2 - 1024;
  return bytes > max
    ? tooLarge(`transaction of ${bytes} bytes exceeds the ${max}-byte limit`)
    : undefined;
}

function checkCompare(c: Compare, checkKey: KeyCheck, checkValue: KeyCheck): Problem | undefined {
  const keyWhy = checkKey(c.key);
  if (keyWhy !== undefined) return tooLarge(keyWhy);
  if (c.target === CompareTarget.UNSPECIFIED || !(c.target in CompareTarget)) {
    return invalid("compare needs a target (value, version, createRevision, modRevision, lease)");
  }
  if (c.result === CompareResult.UNSPECIFIED || !(c.result in CompareResult)) {
    return invalid("compare needs a result (equal, not equal, greater, less)");
  }
  const want = {
    [CompareTarget.VALUE]: "value",
    [CompareTarget.VERSION]: "version",
    [CompareTarget.CREATE_REVISION]: "createRevision",
    [CompareTarget.MOD_REVISION]: "modRevision",
    [CompareTarget.LEASE]: "lease",
  }[c.target];
  if (c.operand.case !== want) return invalid(`a ${want} compare needs a ${want} operand`);
  if (c.operand.case === "value") {
    const why = checkValue(c.operand.value);
    if (why !== undefined) return tooLarge(why);
  } else if (c.operand.value > BigInt(Number.MAX_SAFE_INTEGER)) {
    return invalid(`compare operand ${c.operand.value} is past 2^53`);
  }
  return undefined;
}

/** Each op well formed; no key written twice in a branch (etcd's rule: one event per key). */
function checkBranch(ops: readonly TxnOp[], checkKey: KeyCheck, checkValue: KeyCheck) {
  const puts: Uint8Array[] = [];
  const deletes: { key: Uint8Array; rangeEnd: Uint8Array }[] = [];
  for (const op of ops) {
    const o = op.op;
    if (o.case === undefined) return invalid("transaction operation has no body");
    const keyWhy = checkKey(o.value.key);
    if (keyWhy !== undefined) return tooLarge(keyWhy);
    if (o.case === "put") {
      const why = checkValue(o.value.value);
      if (why !== undefined) return tooLarge(why);
      if (o.value.condition !== 0 || o.value.returnPrevious) {
        return invalid("a put in a transaction takes no condition (use compares)");
      }
      if (o.value.lease > BigInt(Number.MAX_SAFE_INTEGER)) return invalid("lease id past 2^53");
      const expiryWhy = checkPutExpiry(o.value);
      if (expiryWhy !== undefined) return expiryWhy;
      puts.push(o.value.key);
      continue;
    }
    const range = { key: o.value.key, rangeEnd: o.value.rangeEnd };
    const why = rangeProblem(range) ?? checkKey(o.value.rangeEnd);
    if (why !== undefined) return invalid(why);
    if (o.case === "deleteRange") deletes.push(range);
  }
  const written = [...puts.map((key) => ({ key, rangeEnd: new Uint8Array(0) })), ...deletes];
  for (const [i, a] of written.entries()) {
    for (const b of written.slice(i + 1)) {
      const overlap = isSingleKey(a) ? inRange(b, a.key) : isSingleKey(b) && inRange(a, b.key);
      if (overlap) return invalid("duplicate key given in transaction request");
    }
  }
  return undefined;
}

function opBytes(op: TxnOp): number {
  const o = op.op;
  if (o.case === undefined) return 0;
  if (o.case === "put") return o.value.key.length + o.value.value.length;
  return o.value.key.length + o.value.rangeEnd.length;
}

export function checkLeaseGrant(g: LeaseGrantRequest): Problem | undefined {
  if (g.ttlSeconds < 1 || g.ttlSeconds > LEASE_TTL_SECONDS_MAX) {
    return invalid(`lease TTL must be 1 to ${LEASE_TTL_SECONDS_MAX} seconds`);
  }
  if (g.id > BigInt(Number.MAX_SAFE_INTEGER)) return invalid("lease id past 2^53");
  return undefined;
}

const EXPIRY_MAX = BigInt(KEY_EXPIRE_AT_MS_MAX);

/** A put sets at most one of ttl_ms, expire_at_ms and keep_ttl, each in bounds. */
export function checkPutExpiry(
  p: { ttlMs: bigint; expireAtMs: bigint; keepTtl: boolean },
): Problem | undefined {
  const given = (p.ttlMs > 0n ? 1 : 0) + (p.expireAtMs > 0n ? 1 : 0) + (p.keepTtl ? 1 : 0);
  if (given > 1) return invalid("a put takes at most one of ttl, expire-at and keep-ttl");
  if (p.ttlMs > EXPIRY_MAX || p.expireAtMs > EXPIRY_MAX) {
    return invalid(`an expiry or TTL is at most ${KEY_EXPIRE_AT_MS_MAX} ms`);
  }
  return undefined;
}

export function checkExpire(e: ExpireRequest, checkKey: KeyCheck): Problem | undefined {
  const keyWhy = checkKey(e.key);
  if (keyWhy !== undefined) return tooLarge(keyWhy);
  const w = e.when;
  if (w.case === undefined) return invalid("expire needs a ttl, an expire-at time or persist");
  if (w.case === "persist") {
    if (!w.value) return invalid("expire needs a ttl, an expire-at time or persist");
    if (e.condition !== ExpireCondition.UNSPECIFIED) return invalid("persist takes no condition");
  } else if (w.value > EXPIRY_MAX) {
    return invalid(`an expiry or TTL is at most ${KEY_EXPIRE_AT_MS_MAX} ms`);
  }
  if (!(e.condition in ExpireCondition)) return invalid(`unknown expire condition ${e.condition}`);
  return undefined;
}

/** Both lists together within EXPIRE_KEYS_PER_COMMAND_MAX; each Redis key in a database. */
export function checkExpireKeys(c: ExpireKeysCommand, checkKey: KeyCheck): Problem | undefined {
  if (c.keys.length + c.redisKeys.length > EXPIRE_KEYS_PER_COMMAND_MAX) {
    return tooLarge(`expire_keys lists more than ${EXPIRE_KEYS_PER_COMMAND_MAX} keys`);
  }
  for (const ref of c.redisKeys) {
    if (ref.db >= REDIS_DATABASES) return invalid(`database ${ref.db} is out of range`);
  }
  for (const key of [...c.keys, ...c.redisKeys.map((r) => r.key)]) {
    const why = checkKey(key);
    if (why !== undefined) return tooLarge(why);
  }
  return undefined;
}
