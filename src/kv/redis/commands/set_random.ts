/**
 * Random members: SPOP (a write) and SRANDMEMBER (a read). SPOP draws from the
 * command's generator, seeded from the revision when the entry is applied, so
 * every replica pops the same members. Both pick random ranks and walk the set
 * in byte order to them, so memory follows the count, not the set's size.
 */
import { REDIS_RANDOM_MEMBERS_MAX } from "../../../limits.ts";
import { type ExecContext, int64Arg, type RedisCommandSpec, type RunCommand } from "../command.ts";
import type { Collection } from "../database.ts";
import { fail, SYNTAX } from "../errors.ts";
import { bulk, bulks, EMPTY_ARRAY, NULL, type RedisReply } from "../reply.ts";
import {
  allMembers,
  checkMemberWrites,
  distinctRanks,
  findSet,
  membersAtRanks,
  randomBelow,
  ranksWithRepeats,
  setReply,
  shuffle,
} from "./set_common.ts";

const NOT_POSITIVE = "ERR value is out of range, must be positive";
const INT64_MIN = -(2n ** 63n);
const NOT_IN_RANGE =
  "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";

/** One member at a random rank of a non-empty set. */
function oneMember(c: ExecContext, s: Collection): Uint8Array {
  const [member] = membersAtRanks(c.db, s, [randomBelow(c, s.count)]);
  if (member === undefined) throw new Error(`set of ${s.count} members has no member`);
  return member;
}

/** Saves a set that lost members; announces spop, and del when it is gone. */
function popped(c: ExecContext, s: Collection): void {
  c.db.save(s);
  c.notify("spop", s.key, "s");
  if (s.count === 0) c.notify("del", s.key, "g");
}

function spopCount(c: ExecContext, key: Uint8Array, count: bigint): RedisReply {
  const s = findSet(c.db, key);
  if (s === undefined || count === 0n) return setReply([]);
  if (count >= BigInt(s.count)) {
    // Everything goes: the set is dropped whole (its members are collected in the background).
    const members = allMembers(c.db, s);
    c.db.remove(key);
    c.notify("spop", key, "s");
    c.notify("del", key, "g");
    return setReply(members);
  }
  const n = Number(count);
  checkMemberWrites("SPOP", n);
  const picked = membersAtRanks(c.db, s, distinctRanks(c, s.count, n));
  for (const m of picked) c.db.deleteMember(s, m);
  popped(c, s);
  return setReply(shuffle(c, picked));
}

const spop: RunCommand = (c, args) => {
  if (args.length > 3) fail(SYNTAX);
  if (args.length === 3) {
    const count = int64Arg(args[2], NOT_POSITIVE);
    if (count < 0n) fail(NOT_POSITIVE);
    return spopCount(c, args[1], count);
  }
  const s = findSet(c.db, args[1]);
  if (s === undefined) return NULL;
  const member = oneMember(c, s);
  c.db.deleteMember(s, member);
  popped(c, s);
  return bulk(member);
};

/** SRANDMEMBER key count: distinct members for count > 0, repeats allowed for count < 0. */
function randomMembers(c: ExecContext, s: Collection, count: bigint): RedisReply {
  if (count >= BigInt(s.count)) return bulks(allMembers(c.db, s));
  if (count > 0n) {
    return bulks(shuffle(c, membersAtRanks(c.db, s, distinctRanks(c, s.count, Number(count)))));
  }
  if (-count > BigInt(REDIS_RANDOM_MEMBERS_MAX)) {
    fail(
      `ERR SRANDMEMBER count of ${-count} members is over TinyKV's limit of ` +
        `${REDIS_RANDOM_MEMBERS_MAX}`,
    );
  }
  const ranks = ranksWithRepeats(c, s.count, Number(-count));
  return bulks(shuffle(c, membersAtRanks(c.db, s, ranks)));
}

const srandmember: RunCommand = (c, args) => {
  if (args.length > 3) fail(SYNTAX);
  if (args.length === 2) {
    const s = findSet(c.db, args[1]);
    return s === undefined ? NULL : bulk(oneMember(c, s));
  }
  const count = int64Arg(args[2]);
  if (count === INT64_MIN) fail(NOT_IN_RANGE);
  const s = findSet(c.db, args[1]);
  if (s === undefined || count === 0n) return EMPTY_ARRAY;
  return randomMembers(c, s, count);
};

export const SET_RANDOM_COMMANDS: Record<string, RedisCommandSpec> = {
  spop: { arity: -2, kind: "write", flags: ["write", "fast"], keys: [1, 1, 1], run: spop },
  srandmember: { arity: -2, kind: "read", flags: ["readonly"], keys: [1, 1, 1], run: srandmember },
};
