/**
 * Parts of a string: GETRANGE (and its old name SUBSTR) and SETRANGE, with
 * Redis 7.0's index rules, including its quirks (an end far below zero still
 * clamps to the first byte).
 */
import { KV_VALUE_BYTES_MAX } from "../../../limits.ts";
import { int64Arg, type RedisCommandSpec, type RunCommand } from "../command.ts";
import { fail } from "../errors.ts";
import { bulk, int } from "../reply.ts";

const EMPTY = new Uint8Array(0);

/**
 * Redis's checkStringLength, against TinyKV's value limit (KV_VALUE_BYTES_MAX)
 * where Redis has proto-max-bulk-len (512 MB): same words, smaller number.
 */
export function checkStringLength(total: bigint): void {
  if (total > BigInt(KV_VALUE_BYTES_MAX)) {
    fail("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  }
}

const getrange: RunCommand = (c, args) => {
  let start = int64Arg(args[2]);
  let end = int64Arg(args[3]);
  const value = c.db.getString(args[1]) ?? EMPTY;
  const length = BigInt(value.length);
  if (start < 0n && end < 0n && start > end) return bulk(EMPTY);
  if (start < 0n) start += length;
  if (end < 0n) end += length;
  if (start < 0n) start = 0n;
  if (end < 0n) end = 0n;
  if (end >= length) end = length - 1n;
  if (start > end || length === 0n) return bulk(EMPTY);
  return bulk(value.slice(Number(start), Number(end) + 1));
};

const setrange: RunCommand = (c, args) => {
  const offset = int64Arg(args[2]);
  if (offset < 0n) fail("ERR offset is out of range");
  const key = args[1];
  const part = args[3];
  const e = c.db.lookup(key);
  const old = e === undefined ? undefined : c.db.getString(key) ?? EMPTY;
  if (part.length === 0) return int(old?.length ?? 0);
  checkStringLength(offset + BigInt(part.length));
  const at = Number(offset);
  const current = old ?? EMPTY;
  const next = new Uint8Array(Math.max(current.length, at + part.length)); // zero-padded
  next.set(current);
  next.set(part, at);
  c.db.setString(key, next, e?.expireAtMs ?? 0);
  c.notify("setrange", key, "$");
  return int(next.length);
};

const R = ["readonly"];
export const STRING_RANGE_COMMANDS: Record<string, RedisCommandSpec> = {
  getrange: { arity: 4, kind: "read", flags: R, keys: [1, 1, 1], run: getrange },
  substr: { arity: 4, kind: "read", flags: R, keys: [1, 1, 1], run: getrange },
  setrange: {
    arity: 4,
    kind: "write",
    flags: ["write", "denyoom"],
    keys: [1, 1, 1],
    run: setrange,
  },
};
