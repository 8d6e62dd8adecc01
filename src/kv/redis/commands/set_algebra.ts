/**
 * Set algebra: SINTER SUNION SDIFF, their *STORE forms, and SINTERCARD. Every
 * key's type is checked before anything is computed (Redis answers WRONGTYPE
 * even when an earlier key is missing). Results come in byte order. A *STORE
 * computes its result first, so the destination may be one of the sources;
 * it then replaces the destination whatever it held, and an empty result
 * deletes it.
 */
import { compareBytes, equalBytes } from "../../../util/bytes.ts";
import { REDIS_COLLECTION_KEY_BYTES_MAX } from "../../../limits.ts";
import { int64Arg, type RedisCommandSpec, type RunCommand, upper } from "../command.ts";
import type { Collection, RedisDb } from "../database.ts";
import { fail, SYNTAX } from "../errors.ts";
import { RedisType } from "../meta_record.ts";
import { int } from "../reply.ts";
import { checkMemberWrites, findSet, NO_VALUE, setReply } from "./set_common.ts";

type Sets = readonly (Collection | undefined)[];
type SetOp = (db: RedisDb, sets: Sets) => Uint8Array[];

/**
 * Calls `visit` with each member common to all `sets`, in byte order, until
 * it returns false. Walks the smallest set and looks members up in the others.
 */
function eachCommon(db: RedisDb, sets: Sets, visit: (m: Uint8Array) => boolean): void {
  const present = sets.filter((s) => s !== undefined);
  if (present.length < sets.length || present.length === 0) return; // a missing set is empty
  const [smallest, ...others] = [...present].sort((a, b) => a.count - b.count);
  for (const [m] of db.members(smallest)) {
    if (others.every((s) => db.member(s, m) !== undefined) && !visit(m)) return;
  }
}

const inter: SetOp = (db, sets) => {
  const out: Uint8Array[] = [];
  eachCommon(db, sets, (m) => out.push(m) > 0);
  return out;
};

const union: SetOp = (db, sets) => {
  const all: Uint8Array[] = [];
  for (const s of sets) if (s !== undefined) { for (const [m] of db.members(s)) all.push(m); }
  all.sort(compareBytes);
  return all.filter((m, i) => i === 0 || !equalBytes(m, all[i - 1]));
};

const diff: SetOp = (db, sets) => {
  const [first, ...others] = sets;
  if (first === undefined) return [];
  const rest = others.filter((s) => s !== undefined);
  const out: Uint8Array[] = [];
  for (const [m] of db.members(first)) {
    if (rest.every((s) => db.member(s, m) === undefined)) out.push(m);
  }
  return out;
};

/** The sets named by `keys`: every key's type is checked first. */
const setsOf = (db: RedisDb, keys: readonly Uint8Array[]): Sets => keys.map((k) => findSet(db, k));

function read(op: SetOp): RunCommand {
  return (c, args) => setReply(op(c.db, setsOf(c.db, args.slice(1))));
}

function store(op: SetOp, name: string, event: string): RunCommand {
  return (c, args) => {
    const dest = args[1];
    const result = op(c.db, setsOf(c.db, args.slice(2)));
    if (result.length === 0) {
      if (c.db.remove(dest)) c.notify("del", dest, "g");
      return int(0);
    }
    checkMemberWrites(name, result.length);
    if (dest.length > REDIS_COLLECTION_KEY_BYTES_MAX) {
      fail(
        `ERR key of a set of ${dest.length} bytes is over TinyKV's limit of ` +
          `${REDIS_COLLECTION_KEY_BYTES_MAX} bytes`,
      );
    }
    c.db.remove(dest); // whatever it held, of any type, with its expiry
    const s = c.db.collection(dest, RedisType.Set, true);
    if (s === undefined) throw new Error("a created collection is never undefined");
    for (const m of result) c.db.putMember(s, m, NO_VALUE);
    c.db.save(s);
    c.notify(event, dest, "s");
    return int(result.length);
  };
}

const NUMKEYS = "ERR numkeys should be greater than 0";
const LIMIT = "ERR LIMIT can't be negative";

/** SINTERCARD numkeys key... [LIMIT n]: counts, stopping at the limit (0: none). */
const sintercard: RunCommand = (c, args) => {
  const numkeys = int64Arg(args[1], NUMKEYS);
  if (numkeys < 1n) fail(NUMKEYS);
  if (numkeys > BigInt(args.length - 2)) {
    fail("ERR Number of keys can't be greater than number of args");
  }
  const n = Number(numkeys);
  let limit = 0n;
  for (let i = 2 + n; i < args.length; i++) {
    if (upper(args[i]) !== "LIMIT" || i + 1 === args.length) fail(SYNTAX);
    limit = int64Arg(args[++i], LIMIT);
    if (limit < 0n) fail(LIMIT);
  }
  let count = 0n;
  eachCommon(c.db, setsOf(c.db, args.slice(2, 2 + n)), () => ++count !== limit);
  return int(count);
};

const R = ["readonly"];
const W = ["write", "denyoom"];
export const SET_ALGEBRA_COMMANDS: Record<string, RedisCommandSpec> = {
  sinter: { arity: -2, kind: "read", flags: R, keys: [1, -1, 1], run: read(inter) },
  sunion: { arity: -2, kind: "read", flags: R, keys: [1, -1, 1], run: read(union) },
  sdiff: { arity: -2, kind: "read", flags: R, keys: [1, -1, 1], run: read(diff) },
  sinterstore: {
    arity: -3,
    kind: "write",
    flags: W,
    keys: [1, -1, 1],
    run: store(inter, "SINTERSTORE", "sinterstore"),
  },
  sunionstore: {
    arity: -3,
    kind: "write",
    flags: W,
    keys: [1, -1, 1],
    run: store(union, "SUNIONSTORE", "sunionstore"),
  },
  sdiffstore: {
    arity: -3,
    kind: "write",
    flags: W,
    keys: [1, -1, 1],
    run: store(diff, "SDIFFSTORE", "sdiffstore"),
  },
  sintercard: { arity: -3, kind: "read", flags: R, keys: [0, 0, 0], run: sintercard },
};
