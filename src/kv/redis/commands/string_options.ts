/**
 * The options SET and GETEX share (NX XX GET KEEPTTL PERSIST EX PX EXAT PXAT),
 * parsed by Redis 7's rules: an option may repeat (the last expiry wins), two
 * different expiry kinds conflict, and every conflict is a syntax error. The
 * expiry's number is checked only after the whole line parsed, as Redis does.
 */
import { KEY_EXPIRE_AT_MS_MAX } from "../../../limits.ts";
import { type ExecContext, int64Arg, upper } from "../command.ts";
import { fail, SYNTAX } from "../errors.ts";

export type ExpiryKind = "EX" | "PX" | "EXAT" | "PXAT";
const EXPIRY_KINDS: readonly string[] = ["EX", "PX", "EXAT", "PXAT"];

export interface Expiry {
  readonly kind: ExpiryKind;
  readonly arg: Uint8Array;
}

export interface StringOptions {
  nx: boolean;
  xx: boolean;
  get: boolean;
  keepTtl: boolean;
  persist: boolean;
  expiry?: Expiry;
}

/** Options from `args[from]` on; `forSet` false parses GETEX's (EX PX EXAT PXAT PERSIST). */
export function stringOptions(
  args: readonly Uint8Array[],
  from: number,
  forSet: boolean,
): StringOptions {
  const o: StringOptions = { nx: false, xx: false, get: false, keepTtl: false, persist: false };
  for (let i = from; i < args.length; i++) {
    const opt = upper(args[i]);
    const timed = o.expiry !== undefined;
    if (forSet && opt === "NX" && !o.xx) o.nx = true;
    else if (forSet && opt === "XX" && !o.nx) o.xx = true;
    else if (forSet && opt === "GET") o.get = true;
    else if (forSet && opt === "KEEPTTL" && !timed) o.keepTtl = true;
    else if (!forSet && opt === "PERSIST" && !timed) o.persist = true;
    else if (
      EXPIRY_KINDS.includes(opt) && !o.keepTtl && !o.persist &&
      (o.expiry === undefined || o.expiry.kind === opt) && i + 1 < args.length
    ) {
      o.expiry = { kind: opt as ExpiryKind, arg: args[++i] };
    } else fail(SYNTAX);
  }
  return o;
}

export const invalidExpireTime = (command: string): string =>
  `ERR invalid expire time in '${command}' command`;

/**
 * Unix ms for SET/GETEX/SETEX's expiry: Redis refuses zero, negatives and
 * overflow; TinyKV also refuses anything past KEY_EXPIRE_AT_MS_MAX (year 9999).
 */
export function expireAtOf(c: ExecContext, e: Expiry, command: string): number {
  const n = int64Arg(e.arg);
  if (n <= 0n) fail(invalidExpireTime(command));
  const unit = e.kind.startsWith("E") ? 1000n : 1n;
  const base = e.kind.endsWith("AT") ? 0n : BigInt(c.db.now);
  const ms = n * unit + base;
  if (ms > BigInt(KEY_EXPIRE_AT_MS_MAX)) fail(invalidExpireTime(command));
  return Number(ms);
}

/** Whether an expiry is absolute (EXAT/PXAT): only those can already be past. */
export const isAbsolute = (e: Expiry): boolean => e.kind.endsWith("AT");
