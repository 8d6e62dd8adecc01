/**
 * SET and its relatives that store a whole string: SET (NX XX GET EX PX EXAT
 * PXAT KEEPTTL), SETNX, SETEX, PSETEX, GETSET, MSET, MSETNX. Every expiry is
 * turned into Unix ms against the command's replicated time.
 */
import { fromUtf8 } from "../../../util/bytes.ts";
import {
  type ExecContext,
  int64Arg,
  type RedisCommandSpec,
  type RunCommand,
  upper,
} from "../command.ts";
import { fail, SYNTAX, wrongArity } from "../errors.ts";
import { bulk, int, NULL, OK, type RedisReply } from "../reply.ts";
import { RedisType } from "../meta_record.ts";

/** The latest Unix ms Redis accepts as an expiry (its long long ms, kept to a safe integer). */
const EXPIRE_AT_MAX = Number.MAX_SAFE_INTEGER;

/**
 * Unix ms for an expiry argument: `unit` 1000 for seconds, 1 for ms;
 * `absolute` for EXAT/PXAT. Redis's errors for zero, negative and overflow.
 */
export function expiryAt(
  c: ExecContext,
  arg: Uint8Array,
  unit: number,
  absolute: boolean,
  command: string,
): number {
  const n = int64Arg(arg);
  const invalid = `ERR invalid expire time in '${command}' command`;
  if (n <= 0n) fail(invalid);
  const ms = n * BigInt(unit) + (absolute ? 0n : BigInt(c.db.now));
  if (ms > BigInt(EXPIRE_AT_MAX)) fail(invalid);
  return Number(ms);
}

/** Stores a string with an expiry (0: none); an expiry already past deletes the key. */
export function storeString(c: ExecContext, key: Uint8Array, value: Uint8Array, at: number): void {
  if (at !== 0 && at <= c.db.now) {
    c.db.remove(key);
    c.notify("del", key, "g");
    return;
  }
  c.db.setString(key, value, at);
  c.notify("set", key, "$");
  if (at !== 0) c.notify("expire", key, "g");
}

interface SetOptions {
  condition?: "NX" | "XX";
  get: boolean;
  keepTtl: boolean;
  expireAt: number;
}

function setOptions(c: ExecContext, args: readonly Uint8Array[]): SetOptions {
  const o: SetOptions = { get: false, keepTtl: false, expireAt: 0 };
  let expiry: string | undefined;
  for (let i = 3; i < args.length; i++) {
    const opt = upper(args[i]);
    if ((opt === "NX" || opt === "XX") && o.condition === undefined) o.condition = opt;
    else if (opt === "GET" && !o.get) o.get = true;
    else if (opt === "KEEPTTL" && expiry === undefined) {
      expiry = opt;
      o.keepTtl = true;
    } else if (["EX", "PX", "EXAT", "PXAT"].includes(opt) && expiry === undefined) {
      const arg = args[++i];
      if (arg === undefined) fail(SYNTAX);
      expiry = opt;
      o.expireAt = expiryAt(c, arg, opt.startsWith("E") ? 1000 : 1, opt.endsWith("AT"), "set");
    } else fail(SYNTAX);
  }
  return o;
}

const set: RunCommand = (c, args) => {
  const o = setOptions(c, args);
  const key = args[1];
  const old = c.db.lookup(key);
  if (o.get && old !== undefined && old.type !== RedisType.String) {
    return { k: "error", s: "WRONGTYPE Operation against a key holding the wrong kind of value" };
  }
  const previous = old?.type === RedisType.String ? old.value : undefined;
  const blocked = (o.condition === "NX" && old !== undefined) ||
    (o.condition === "XX" && old === undefined);
  if (!blocked) storeString(c, key, args[2], o.keepTtl ? old?.expireAtMs ?? 0 : o.expireAt);
  if (o.get) return bulk(previous);
  return blocked ? NULL : OK;
};

const setnx: RunCommand = (c, args) => {
  if (c.db.lookup(args[1]) !== undefined) return int(0);
  storeString(c, args[1], args[2], 0);
  return int(1);
};

function setWithTtl(unit: number, name: string): RunCommand {
  return (c, args) => {
    const at = expiryAt(c, args[2], unit, false, name);
    storeString(c, args[1], args[3], at);
    return OK;
  };
}

const getset: RunCommand = (c, args) => {
  const previous = c.db.getString(args[1]);
  storeString(c, args[1], args[2], 0);
  return bulk(previous);
};

const mset: RunCommand = (c, args) => {
  if (args.length % 2 !== 1) fail(wrongArity(fromUtf8(args[0])));
  for (let i = 1; i < args.length; i += 2) storeString(c, args[i], args[i + 1], 0);
  return OK;
};

const msetnx: RunCommand = (c, args): RedisReply => {
  if (args.length % 2 !== 1) fail(wrongArity(fromUtf8(args[0])));
  for (let i = 1; i < args.length; i += 2) if (c.db.lookup(args[i]) !== undefined) return int(0);
  for (let i = 1; i < args.length; i += 2) storeString(c, args[i], args[i + 1], 0);
  return int(1);
};

const W = ["write", "denyoom"];
export const STRING_SET_COMMANDS: Record<string, RedisCommandSpec> = {
  set: { arity: -3, kind: "write", flags: W, keys: [1, 1, 1], run: set },
  setnx: { arity: 3, kind: "write", flags: [...W, "fast"], keys: [1, 1, 1], run: setnx },
  setex: { arity: 4, kind: "write", flags: W, keys: [1, 1, 1], run: setWithTtl(1000, "setex") },
  psetex: { arity: 4, kind: "write", flags: W, keys: [1, 1, 1], run: setWithTtl(1, "psetex") },
  getset: { arity: 3, kind: "write", flags: [...W, "fast"], keys: [1, 1, 1], run: getset },
  mset: { arity: -3, kind: "write", flags: W, keys: [1, -1, 2], run: mset },
  msetnx: { arity: -3, kind: "write", flags: W, keys: [1, -1, 2], run: msetnx },
};
