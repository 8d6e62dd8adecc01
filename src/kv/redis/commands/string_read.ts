/** Reading and counting strings: GET MGET STRLEN INCR DECR INCRBY DECRBY APPEND. */
import { utf8 } from "../../../util/bytes.ts";
import { int64Arg, isInt64, type RunCommand } from "../command.ts";
import type { RedisCommandSpec } from "../command.ts";
import { fail, NOT_INTEGER, OVERFLOW } from "../errors.ts";
import { RedisType } from "../meta_record.ts";
import { bulk, int, type RedisReply } from "../reply.ts";
import { checkStringLength } from "./string_range.ts";

const get: RunCommand = (c, args) => bulk(c.db.getString(args[1]));

const mget: RunCommand = (c, args): RedisReply => ({
  k: "array",
  items: args.slice(1).map((k) => {
    const e = c.db.lookup(k);
    return bulk(e?.type === RedisType.String ? e.value : undefined);
  }),
});

const strlen: RunCommand = (c, args) => int(c.db.getString(args[1])?.length ?? 0);

/** INCRBY and friends: `delta` fixed, or read from the argument (negated for DECRBY). */
function increment(sign: 1n | -1n, fixed?: bigint): RunCommand {
  return (c, args) => {
    let delta = fixed ?? int64Arg(args[2]);
    if (sign < 0n) {
      if (-delta > 2n ** 63n - 1n) fail("ERR decrement would overflow");
      delta = -delta;
    }
    const key = args[1];
    const e = c.db.lookup(key);
    if (e !== undefined && e.type !== RedisType.String) c.db.getString(key);
    const current = e === undefined ? 0n : int64Arg(e.value, NOT_INTEGER);
    const next = current + delta;
    if (!isInt64(next)) fail(OVERFLOW);
    c.db.setString(key, utf8(next.toString()), e?.expireAtMs ?? 0);
    c.notify("incrby", key, "$");
    return int(next);
  };
}

const append: RunCommand = (c, args) => {
  const key = args[1];
  const e = c.db.lookup(key);
  const old = e === undefined ? new Uint8Array(0) : c.db.getString(key) ?? new Uint8Array(0);
  if (e !== undefined) checkStringLength(BigInt(old.length + args[2].length));
  const next = new Uint8Array(old.length + args[2].length);
  next.set(old);
  next.set(args[2], old.length);
  c.db.setString(key, next, e?.expireAtMs ?? 0);
  c.notify("append", key, "$");
  return int(next.length);
};

const R = ["readonly", "fast"];
const W = ["write", "denyoom", "fast"];
export const STRING_READ_COMMANDS: Record<string, RedisCommandSpec> = {
  get: { arity: 2, kind: "read", flags: R, keys: [1, 1, 1], run: get },
  mget: { arity: -2, kind: "read", flags: R, keys: [1, -1, 1], run: mget },
  strlen: { arity: 2, kind: "read", flags: R, keys: [1, 1, 1], run: strlen },
  incr: { arity: 2, kind: "write", flags: W, keys: [1, 1, 1], run: increment(1n, 1n) },
  decr: { arity: 2, kind: "write", flags: W, keys: [1, 1, 1], run: increment(-1n, 1n) },
  incrby: { arity: 3, kind: "write", flags: W, keys: [1, 1, 1], run: increment(1n) },
  decrby: { arity: 3, kind: "write", flags: W, keys: [1, 1, 1], run: increment(-1n) },
  append: { arity: 3, kind: "write", flags: W, keys: [1, 1, 1], run: append },
};
