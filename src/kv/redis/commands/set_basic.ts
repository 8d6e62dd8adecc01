/**
 * Adding, removing and reading set members: SADD SREM SISMEMBER SMISMEMBER
 * SMEMBERS SCARD SMOVE. A set is a collection with one engine key per member
 * (empty value); SCARD reads the count kept in its meta record, SISMEMBER one
 * member key. A set left empty is deleted, as in Redis.
 */
import { equalBytes } from "../../../util/bytes.ts";
import type { ExecContext, RedisCommandSpec, RunCommand } from "../command.ts";
import type { Collection } from "../database.ts";
import { RedisType } from "../meta_record.ts";
import { array, int } from "../reply.ts";
import {
  allMembers,
  checkMemberLengths,
  checkMemberWrites,
  findSet,
  NO_VALUE,
  setReply,
} from "./set_common.ts";

/** The set at `key`, created empty when absent (nothing is written until it is saved). */
function setForWrite(c: ExecContext, key: Uint8Array): Collection {
  const s = findSet(c.db, key) ?? c.db.collection(key, RedisType.Set, true);
  if (s === undefined) throw new Error("a created collection is never undefined");
  return s;
}

const sadd: RunCommand = (c, args) => {
  const key = args[1], members = args.slice(2);
  findSet(c.db, key); // WRONGTYPE before TinyKV's own checks, as Redis answers it
  checkMemberWrites("SADD", members.length);
  checkMemberLengths(members);
  const s = setForWrite(c, key);
  let added = 0;
  for (const m of members) if (c.db.putMember(s, m, NO_VALUE)) added++;
  // No new member, no change: the key's revision (WATCH) stays, as Redis leaves it.
  if (added === 0) return int(0);
  c.db.save(s);
  c.notify("sadd", key, "s");
  return int(added);
};

/** Saves a set that lost members; announces srem, and del when it is gone. */
function afterRemove(c: ExecContext, s: Collection, event: string): void {
  c.db.save(s);
  c.notify(event, s.key, "s");
  if (s.count === 0) c.notify("del", s.key, "g");
}

const srem: RunCommand = (c, args) => {
  const s = findSet(c.db, args[1]);
  if (s === undefined) return int(0);
  const members = args.slice(2);
  checkMemberWrites("SREM", members.length);
  let removed = 0;
  for (const m of members) if (c.db.deleteMember(s, m)) removed++;
  if (removed > 0) afterRemove(c, s, "srem");
  return int(removed);
};

const sismember: RunCommand = (c, args) => {
  const s = findSet(c.db, args[1]);
  return int(s !== undefined && c.db.member(s, args[2]) !== undefined ? 1 : 0);
};

const smismember: RunCommand = (c, args) => {
  const s = findSet(c.db, args[1]);
  return array(
    args.slice(2).map((m) => int(s !== undefined && c.db.member(s, m) !== undefined ? 1 : 0)),
  );
};

const smembers: RunCommand = (c, args) => setReply(allMembers(c.db, findSet(c.db, args[1])));

const scard: RunCommand = (c, args) => int(findSet(c.db, args[1])?.count ?? 0);

/** SMOVE src dst member: Redis answers 0 for a missing source before it checks dst's type. */
const smove: RunCommand = (c, args) => {
  const [, srcKey, dstKey, member] = args;
  const src = findSet(c.db, srcKey);
  if (src === undefined) return int(0);
  const dst = findSet(c.db, dstKey);
  const present = c.db.member(src, member) !== undefined;
  if (equalBytes(srcKey, dstKey) || !present) return int(present ? 1 : 0);
  const target = dst ?? setForWrite(c, dstKey); // key-length checks before any write
  c.db.deleteMember(src, member);
  afterRemove(c, src, "srem");
  if (c.db.putMember(target, member, NO_VALUE)) {
    c.db.save(target);
    c.notify("sadd", dstKey, "s");
  }
  return int(1);
};

const R = ["readonly", "fast"];
const W = ["write", "fast"];
export const SET_BASIC_COMMANDS: Record<string, RedisCommandSpec> = {
  sadd: { arity: -3, kind: "write", flags: [...W, "denyoom"], keys: [1, 1, 1], run: sadd },
  srem: { arity: -3, kind: "write", flags: W, keys: [1, 1, 1], run: srem },
  sismember: { arity: 3, kind: "read", flags: R, keys: [1, 1, 1], run: sismember },
  smismember: { arity: -3, kind: "read", flags: R, keys: [1, 1, 1], run: smismember },
  smembers: { arity: 2, kind: "read", flags: ["readonly"], keys: [1, 1, 1], run: smembers },
  scard: { arity: 2, kind: "read", flags: R, keys: [1, 1, 1], run: scard },
  smove: { arity: 4, kind: "write", flags: W, keys: [1, 2, 1], run: smove },
};
