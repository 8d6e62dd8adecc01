/** Reading a string and changing its key in one step: GETDEL, GETEX. */
import type { RedisCommandSpec, RunCommand } from "../command.ts";
import { fail, WRONGTYPE } from "../errors.ts";
import { RedisType } from "../meta_record.ts";
import { bulk, NULL } from "../reply.ts";
import { expireAtOf, isAbsolute, stringOptions } from "./string_options.ts";

const getdel: RunCommand = (c, args) => {
  const value = c.db.getString(args[1]);
  if (value === undefined) return NULL;
  c.db.remove(args[1]);
  c.notify("del", args[1], "g");
  return bulk(value);
};

/**
 * Redis's order: a syntax error first, then a missing key answers nil (even
 * with a bad expiry), then WRONGTYPE, then the expiry's value.
 */
const getex: RunCommand = (c, args) => {
  const o = stringOptions(args, 2, false);
  const key = args[1];
  const e = c.db.lookup(key);
  if (e === undefined) return NULL;
  if (e.type !== RedisType.String) fail(WRONGTYPE);
  if (o.expiry !== undefined) {
    const at = expireAtOf(c, o.expiry, "getex");
    if (isAbsolute(o.expiry) && at <= c.db.now) {
      c.db.remove(key);
      c.notify("del", key, "g");
    } else {
      c.db.setExpiry(e, at);
      c.notify("expire", key, "g");
    }
  } else if (o.persist && e.expireAtMs !== 0) {
    c.db.setExpiry(e, 0);
    c.notify("persist", key, "g");
  }
  return bulk(e.value);
};

const W = ["write", "fast"];
export const STRING_GETEX_COMMANDS: Record<string, RedisCommandSpec> = {
  getdel: { arity: 2, kind: "write", flags: W, keys: [1, 1, 1], run: getdel },
  getex: { arity: -2, kind: "write", flags: W, keys: [1, 1, 1], run: getex },
};
