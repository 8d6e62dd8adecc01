/**
 * SET and its relatives that store a whole string: SET (NX XX GET EX PX EXAT
 * PXAT KEEPTTL), SETNX, SETEX, PSETEX, GETSET, MSET, MSETNX. Every expiry is
 * turned into Unix ms against the command's replicated time (string_options.ts).
 */
import { fromUtf8 } from "../../../util/bytes.ts";
import type { ExecContext, RedisCommandSpec, RunCommand } from "../command.ts";
import { fail, wrongArity, WRONGTYPE } from "../errors.ts";
import { bulk, int, NULL, OK, type RedisReply } from "../reply.ts";
import { RedisType } from "../meta_record.ts";
import { expireAtOf, stringOptions } from "./string_options.ts";

/**
 * Stores a string with an expiry (0: none). `timed`: the command gave an
 * expiry, so Redis announces "expire" after "set". An absolute expiry already
 * past leaves no key: Redis stores it and expires it on the next access
 * ("expired"); TinyKV removes it at once and announces the same three events.
 */
export function storeString(
  c: ExecContext,
  key: Uint8Array,
  value: Uint8Array,
  at: number,
  timed = at !== 0,
): void {
  const past = at !== 0 && at <= c.db.now;
  if (past) c.db.remove(key);
  else c.db.setString(key, value, at);
  c.notify("set", key, "$");
  if (timed) c.notify("expire", key, "g");
  if (past) c.notify("expired", key, "x");
}

const set: RunCommand = (c, args) => {
  const o = stringOptions(args, 3, true);
  const at = o.expiry === undefined ? 0 : expireAtOf(c, o.expiry, "set");
  const key = args[1];
  const old = c.db.lookup(key);
  if (o.get && old !== undefined && old.type !== RedisType.String) fail(WRONGTYPE);
  const previous = o.get ? bulk(old?.value) : undefined;
  if ((o.nx && old !== undefined) || (o.xx && old === undefined)) return previous ?? NULL;
  const timed = o.expiry !== undefined;
  storeString(c, key, args[2], o.keepTtl ? old?.expireAtMs ?? 0 : at, timed);
  return previous ?? OK;
};

const setnx: RunCommand = (c, args) => {
  if (c.db.lookup(args[1]) !== undefined) return int(0);
  storeString(c, args[1], args[2], 0);
  return int(1);
};

function setWithTtl(unit: number, name: string): RunCommand {
  return (c, args) => {
    const at = expireAtOf(c, { kind: unit === 1 ? "PX" : "EX", arg: args[2] }, name);
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
