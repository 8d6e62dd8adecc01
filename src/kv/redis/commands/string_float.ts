/** INCRBYFLOAT, in Redis's long double arithmetic and format (long_double.ts). */
import { utf8 } from "../../../util/bytes.ts";
import type { RedisCommandSpec, RunCommand } from "../command.ts";
import { fail, NOT_FLOAT } from "../errors.ts";
import { addLongDouble, formatLongDouble, type LongDouble, longDoubleOf } from "../long_double.ts";
import { bulkText } from "../reply.ts";

/** A float argument or stored value, or Redis's error. */
function floatOf(bytes: Uint8Array): LongDouble {
  return longDoubleOf(bytes) ?? fail(NOT_FLOAT);
}

const incrbyfloat: RunCommand = (c, args) => {
  const key = args[1];
  const e = c.db.lookup(key);
  const current = floatOf(c.db.getString(key) ?? utf8("0"));
  const sum = addLongDouble(current, floatOf(args[2]));
  if (sum === undefined || sum.inf) fail("ERR increment would produce NaN or Infinity");
  const text = formatLongDouble(sum);
  c.db.setString(key, utf8(text), e?.expireAtMs ?? 0); // keeps the key's TTL, as Redis
  c.notify("incrbyfloat", key, "$");
  return bulkText(text);
};

export const STRING_FLOAT_COMMANDS: Record<string, RedisCommandSpec> = {
  incrbyfloat: {
    arity: 3,
    kind: "write",
    flags: ["write", "denyoom", "fast"],
    keys: [1, 1, 1],
    run: incrbyfloat,
  },
};
