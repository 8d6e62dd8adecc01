/**
 * HINCRBY and HINCRBYFLOAT: read-modify-write of one field, atomic because the
 * command runs whole in one apply step. HINCRBYFLOAT computes in x86-64 long
 * double and stores Redis's text for the result (long_double.ts).
 */
import { utf8 } from "../../../util/bytes.ts";
import { int64Arg, isInt64, type RedisCommandSpec, type RunCommand } from "../command.ts";
import { fail, NOT_FLOAT, OVERFLOW } from "../errors.ts";
import { addLongDouble, formatLongDouble, longDoubleOf, ZERO } from "../long_double.ts";
import { bulkText, int } from "../reply.ts";
import { writeHash } from "./hash_access.ts";

const NOT_INTEGER_VALUE = "ERR hash value is not an integer";
const NOT_FLOAT_VALUE = "ERR hash value is not a float";
const NOT_FINITE = "ERR increment would produce NaN or Infinity";
/** The longest text of a signed 64-bit integer ("-9223372036854775808"). */
const INT64_CHARS_MAX = 20;

/** Redis's order: the increment, then the key's type, then the field's value. */
const hincrby: RunCommand = (c, args) => {
  const [, key, field] = args;
  const delta = int64Arg(args[3]);
  const hash = writeHash(c, key, [[field, new Uint8Array(0)]]);
  const old = c.db.member(hash, field);
  let current = 0n;
  if (old !== undefined) {
    if (old.length > INT64_CHARS_MAX) fail(NOT_INTEGER_VALUE);
    current = int64Arg(old, NOT_INTEGER_VALUE);
  }
  const next = current + delta;
  if (!isInt64(next)) fail(OVERFLOW);
  c.db.putMember(hash, field, utf8(next.toString()));
  c.db.save(hash);
  c.notify("hincrby", key, "h");
  return int(next);
};

const hincrbyfloat: RunCommand = (c, args) => {
  const [, key, field] = args;
  const delta = longDoubleOf(args[3]);
  if (delta === undefined) fail(NOT_FLOAT);
  if (delta.inf) fail("ERR value is NaN or Infinity");
  const hash = writeHash(c, key, [[field, new Uint8Array(0)]]);
  const old = c.db.member(hash, field);
  const current = old === undefined ? ZERO : longDoubleOf(old);
  if (current === undefined) fail(NOT_FLOAT_VALUE);
  if (current.inf) fail(NOT_FINITE);
  const sum = addLongDouble(current, delta);
  if (sum === undefined || sum.inf) fail(NOT_FINITE);
  const text = formatLongDouble(sum);
  c.db.putMember(hash, field, utf8(text));
  c.db.save(hash);
  c.notify("hincrbyfloat", key, "h");
  return bulkText(text);
};

const W = ["write", "denyoom", "fast"];
export const HASH_INCR_COMMANDS: Record<string, RedisCommandSpec> = {
  hincrby: { arity: 4, kind: "write", flags: W, keys: [1, 1, 1], run: hincrby },
  hincrbyfloat: { arity: 4, kind: "write", flags: W, keys: [1, 1, 1], run: hincrbyfloat },
};
