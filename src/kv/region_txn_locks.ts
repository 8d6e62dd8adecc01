/**
 * Ordinary commands and the locks of transactions across regions
 * (docs/transactions.md#the-keyspace): a command that reads or writes a key locked by a
 * transaction is not applied; it answers UNAVAILABLE ("locked by a transaction; retry"), so the
 * transaction's commit, which writes the key at its commit timestamp, never lands under a change
 * the command made or above a value it read. The check reads replicated state only (locks are
 * engine records written by `Txn` entries, each applied in a batch of its own before the
 * commands after it are checked), so every replica decides alike. Keys: a command's own
 * (`commandKeys`, a Redis command's key arguments in database 0 included: those are the
 * keyspace's keys) and an etcd txn's compares and operations, ranges included.
 */
import { type Command, ErrorCode, type TxnRequest } from "../gen/tinykv/v1/tinykv_pb.ts";
import { decodeLock } from "../txn/records.ts";
import { lockKey, lockRange, parseLockKey } from "../txn/txn_keys.ts";
import { failure, type Outcome } from "./apply.ts";
import { commandKeys } from "./region_command_keys.ts";
import type { EngineReader } from "./write_set.ts";
import { decodeCommand } from "./command_codec.ts";
import { isBarrier } from "./entry_revision.ts";
import type { RoutedCommand } from "./region_command.ts";

const EMPTY: Uint8Array = new Uint8Array(0);

interface Span {
  readonly key: Uint8Array;
  readonly rangeEnd: Uint8Array;
}

/** An etcd span [key, rangeEnd): empty end = the key alone, "\0" = every key from it. */
function spansOf(txn: TxnRequest): Span[] {
  const spans: Span[] = txn.compare.map((c) => ({ key: c.key, rangeEnd: EMPTY }));
  for (const op of [...txn.success, ...txn.failure]) {
    const o = op.op;
    if (o.case === "put") spans.push({ key: o.value.key, rangeEnd: EMPTY });
    else if (o.case !== undefined) spans.push({ key: o.value.key, rangeEnd: o.value.rangeEnd });
  }
  return spans;
}

/** The first locked key among the spans, if any. */
function lockedSpan(
  db: EngineReader,
  spans: readonly Span[],
): Uint8Array | undefined {
  for (const s of spans) {
    if (s.rangeEnd.length === 0) {
      if (db.get(lockKey(s.key)) !== undefined) return s.key;
      continue;
    }
    const end = s.rangeEnd.length === 1 && s.rangeEnd[0] === 0 ? EMPTY : s.rangeEnd;
    const [start, stop] = lockRange(s.key, end);
    for (const [k] of db.scanSync({ start, end: stop })) return parseLockKey(k);
  }
  return undefined;
}

/** The refusal of a command touching a locked key, or undefined to apply it. */
export function lockedRefusal(db: EngineReader, command: Command): Outcome | undefined {
  const b = command.body;
  // Only database 0's Redis strings are the keyspace's keys, which transactions lock.
  if (b.case === "redis" && b.value.db !== 0) return undefined;
  const spans = b.case === "txn"
    ? spansOf(b.value)
    : (commandKeys(command) ?? []).map((key): Span => ({ key, rangeEnd: EMPTY }));
  const key = lockedSpan(db, spans);
  if (key === undefined) return undefined;
  const raw = db.get(lockKey(key));
  const startTs = raw === undefined ? 0 : decodeLock(raw).startTs;
  const shown = new TextDecoder().decode(key.subarray(0, 64));
  return failure(
    ErrorCode.UNAVAILABLE,
    `key '${shown}' is locked by the transaction started at ${startTs}; retry`,
  );
}

/** Whether a lock record falls in the region's range: one seek, no key decoded. */
export function regionHoldsLocks(
  db: EngineReader,
  region: { readonly start: Uint8Array; readonly end: Uint8Array },
): boolean {
  const [start, end] = lockRange(region.start, region.end);
  for (const _ of db.scanSync({ start, end })) return true;
  return false;
}

/** The refusal of a routed command touching a key a transaction locked (a barrier has none). */
export function routedLockRefusal(db: EngineReader, c: RoutedCommand): Outcome | undefined {
  if (isBarrier(c)) return undefined;
  const command = decodeCommand(c.command);
  return "body" in command ? lockedRefusal(db, command) : undefined;
}
