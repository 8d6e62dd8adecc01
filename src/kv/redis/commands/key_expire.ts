/**
 * Expiry of any key: EXPIRE PEXPIRE EXPIREAT PEXPIREAT (NX XX GT LT), TTL PTTL
 * EXPIRETIME PEXPIRETIME, PERSIST. Writes run at the command's replicated time;
 * TTL and friends on the read path use the node's read time (storage.now).
 */
import { KEY_EXPIRE_AT_MS_MAX } from "../../../limits.ts";
import { fromUtf8 } from "../../../util/bytes.ts";
import { int64Arg, type RedisCommandSpec, type RunCommand, upper } from "../command.ts";
import { fail } from "../errors.ts";
import { int } from "../reply.ts";
import { invalidExpireTime } from "./string_options.ts";

const INT64_MAX = 2n ** 63n - 1n;

interface Conditions {
  nx: boolean;
  xx: boolean;
  gt: boolean;
  lt: boolean;
}

function conditions(args: readonly Uint8Array[]): Conditions {
  const f: Conditions = { nx: false, xx: false, gt: false, lt: false };
  for (const arg of args.slice(3)) {
    const opt = upper(arg);
    if (opt === "NX") f.nx = true;
    else if (opt === "XX") f.xx = true;
    else if (opt === "GT") f.gt = true;
    else if (opt === "LT") f.lt = true;
    else fail(`ERR Unsupported option ${fromUtf8(arg)}`);
  }
  if (f.nx && (f.xx || f.gt || f.lt)) {
    fail("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (f.gt && f.lt) fail("ERR GT and LT options at the same time are not compatible");
  return f;
}

/** Whether the conditions let a key with expiry `current` (0: none) take `when`. */
function allowed(f: Conditions, current: number, when: bigint): boolean {
  if (f.nx && current !== 0) return false;
  if (f.xx && current === 0) return false;
  // No expiry counts as an infinite one: GT never beats it, LT always does.
  if (f.gt && (current === 0 || when <= BigInt(current))) return false;
  if (f.lt && current !== 0 && when >= BigInt(current)) return false;
  return true;
}

/**
 * `unit`: 1000 for seconds; `relative`: from now. Redis's order of checks:
 * options, the number, overflow, then the key. TinyKV also refuses times past
 * KEY_EXPIRE_AT_MS_MAX (year 9999) where Redis takes any 64-bit ms.
 */
function expire(unit: bigint, relative: boolean): RunCommand {
  return (c, args) => {
    const f = conditions(args);
    const name = fromUtf8(args[0]).toLowerCase();
    let when = int64Arg(args[2]);
    if (unit !== 1n && (when > INT64_MAX / unit || when < -INT64_MAX / unit)) {
      fail(invalidExpireTime(name));
    }
    when = when * unit + (relative ? BigInt(c.db.now) : 0n);
    if (when > BigInt(KEY_EXPIRE_AT_MS_MAX)) fail(invalidExpireTime(name));
    const e = c.db.lookup(args[1]);
    if (e === undefined || !allowed(f, e.expireAtMs, when)) return int(0);
    if (when <= BigInt(c.db.now)) {
      c.db.remove(args[1]);
      c.notify("del", args[1], "g");
    } else {
      c.db.setExpiry(e, Number(when));
      c.notify("expire", args[1], "g");
    }
    return int(1);
  };
}

/** -2 for no key, -1 for no expiry; TTL rounds to the nearest second, as Redis. */
function ttl(ms: boolean, absolute: boolean): RunCommand {
  return (c, args) => {
    const e = c.db.lookup(args[1]);
    if (e === undefined) return int(-2);
    if (e.expireAtMs === 0) return int(-1);
    const left = Math.max(absolute ? e.expireAtMs : e.expireAtMs - c.db.now, 0);
    return int(ms ? left : Math.floor((left + 500) / 1000));
  };
}

const persist: RunCommand = (c, args) => {
  const e = c.db.lookup(args[1]);
  if (e === undefined || e.expireAtMs === 0) return int(0);
  c.db.setExpiry(e, 0);
  c.notify("persist", args[1], "g");
  return int(1);
};

const W = ["write", "fast"];
const R = ["readonly", "fast"];
const write = (run: RunCommand): RedisCommandSpec => ({
  arity: -3,
  kind: "write",
  flags: W,
  keys: [1, 1, 1],
  run,
});
const read = (run: RunCommand): RedisCommandSpec => ({
  arity: 2,
  kind: "read",
  flags: R,
  keys: [1, 1, 1],
  run,
});
export const KEY_EXPIRE_COMMANDS: Record<string, RedisCommandSpec> = {
  expire: write(expire(1000n, true)),
  pexpire: write(expire(1n, true)),
  expireat: write(expire(1000n, false)),
  pexpireat: write(expire(1n, false)),
  ttl: read(ttl(false, false)),
  pttl: read(ttl(true, false)),
  expiretime: read(ttl(false, true)),
  pexpiretime: read(ttl(true, true)),
  persist: { arity: 2, kind: "write", flags: W, keys: [1, 1, 1], run: persist },
};
