/**
 * Moving and copying keys: RENAME, RENAMENX, COPY (DB n, REPLACE). A key keeps
 * its expiry. A hash or set is copied member by member under a new generation
 * (its members' engine keys carry its name, keys.ts), so TinyKV bounds what one
 * command copies: REDIS_COPY_MEMBERS_MAX members, REDIS_COPY_BYTES_MAX bytes.
 */
import {
  REDIS_COLLECTION_KEY_BYTES_MAX,
  REDIS_COPY_BYTES_MAX,
  REDIS_COPY_MEMBERS_MAX,
  REDIS_DATABASES,
} from "../../../limits.ts";
import { equalBytes } from "../../../util/bytes.ts";
import { int64Arg, type RedisCommandSpec, type RunCommand, upper } from "../command.ts";
import { type KeyEntry, RedisDb } from "../database.ts";
import { DB_OUT_OF_RANGE, fail, NO_SUCH_KEY, SYNTAX } from "../errors.ts";
import { RedisType, TYPE_NAMES } from "../meta_record.ts";
import { int, OK } from "../reply.ts";

/** A collection's members, read whole before anything is written (and bounded). */
function membersToCopy(db: RedisDb, e: KeyEntry): [Uint8Array, Uint8Array][] {
  const what = TYPE_NAMES[e.type];
  if (e.meta !== undefined && e.meta.count > REDIS_COPY_MEMBERS_MAX) {
    fail(
      `ERR a ${what} of ${e.meta.count} members is over TinyKV's limit of ` +
        `${REDIS_COPY_MEMBERS_MAX} members for RENAME and COPY`,
    );
  }
  const c = db.collection(e.key, e.type);
  const members = c === undefined ? [] : [...db.members(c)];
  const bytes = members.reduce((n, [m, v]) => n + m.length + v.length, 0);
  if (bytes > REDIS_COPY_BYTES_MAX) {
    fail(
      `ERR a ${what} of ${bytes} bytes is over TinyKV's limit of ` +
        `${REDIS_COPY_BYTES_MAX} bytes for RENAME and COPY`,
    );
  }
  return members;
}

/** Stores `e` (of `src`) as `key` of `dst`, replacing whatever `key` holds. */
function copyTo(src: RedisDb, e: KeyEntry, dst: RedisDb, key: Uint8Array): void {
  if (e.type === RedisType.String) {
    dst.setString(key, e.value, e.expireAtMs);
    return;
  }
  const max = REDIS_COLLECTION_KEY_BYTES_MAX;
  if (key.length > max) {
    fail(
      `ERR key of a ${TYPE_NAMES[e.type]} of ${key.length} bytes is over ` +
        `TinyKV's limit of ${max} bytes`,
    );
  }
  const members = membersToCopy(src, e);
  dst.remove(key);
  const copy = dst.collection(key, e.type, true);
  if (copy === undefined) return;
  for (const [member, value] of members) dst.putMember(copy, member, value);
  copy.expireAtMs = e.expireAtMs;
  dst.save(copy);
}

function rename(nx: boolean): RunCommand {
  return (c, args) => {
    const [, from, to] = args;
    const e = c.db.lookup(from) ?? fail(NO_SUCH_KEY);
    if (equalBytes(from, to)) return nx ? int(0) : OK;
    const taken = c.db.lookup(to) !== undefined; // also refuses a key over TinyKV's limit
    if (nx && taken) return int(0);
    copyTo(c.db, e, c.db, to);
    c.db.remove(from);
    c.notify("rename_from", from, "g");
    c.notify("rename_to", to, "g");
    return nx ? int(1) : OK;
  };
}

/** COPY's DB argument: a C int (Redis's getIntFromObjectOrReply), then a database index. */
function targetDb(arg: Uint8Array): number {
  const n = int64Arg(arg);
  if (n < -(2n ** 31n) || n >= 2n ** 31n) {
    fail("ERR value is out of range, value must between -2147483648 and 2147483647");
  }
  if (n < 0n || n >= BigInt(REDIS_DATABASES)) fail(DB_OUT_OF_RANGE);
  return Number(n);
}

const copy: RunCommand = (c, args) => {
  const [, from, to] = args;
  const source = c.db.index;
  let target = source;
  let replace = false;
  for (let i = 3; i < args.length; i++) {
    const opt = upper(args[i]);
    if (opt === "REPLACE") replace = true;
    else if (opt === "DB" && i + 1 < args.length) target = targetDb(args[++i]);
    else fail(SYNTAX);
  }
  if (target === source && equalBytes(from, to)) {
    fail("ERR source and destination objects are the same");
  }
  const e = c.db.lookup(from);
  if (e === undefined) return int(0);
  const dst = target === source ? c.db : new RedisDb(c.storage, target);
  if (dst.lookup(to) !== undefined && !replace) return int(0);
  copyTo(c.db, e, dst, to);
  c.select(target);
  c.notify("copy_to", to, "g");
  c.select(source);
  return int(1);
};

/** MOVE key db: to another database, keeping the expiry; 0 when the target has the key. */
const move: RunCommand = (c, args) => {
  const [, key, dbArg] = args;
  const target = targetDb(dbArg);
  if (target === c.db.index) fail("ERR source and destination objects are the same");
  const e = c.db.lookup(key);
  if (e === undefined) return int(0);
  const dst = new RedisDb(c.storage, target);
  if (dst.lookup(key) !== undefined) return int(0);
  const source = c.db.index;
  copyTo(c.db, e, dst, key);
  c.db.remove(key);
  c.notify("move_from", key, "g");
  c.select(target);
  c.notify("move_to", key, "g");
  c.select(source);
  return int(1);
};

export const KEY_RENAME_COMMANDS: Record<string, RedisCommandSpec> = {
  rename: { arity: 3, kind: "write", flags: ["write"], keys: [1, 2, 1], run: rename(false) },
  move: { arity: 3, kind: "write", flags: ["write", "fast"], keys: [1, 1, 1], run: move },
  renamenx: {
    arity: 3,
    kind: "write",
    flags: ["write", "fast"],
    keys: [1, 2, 1],
    run: rename(true),
  },
  copy: { arity: -3, kind: "write", flags: ["write", "denyoom"], keys: [1, 2, 1], run: copy },
};
