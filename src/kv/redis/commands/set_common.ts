/**
 * What the set commands share: finding a set (WRONGTYPE for another type),
 * listing its members in byte order, TinyKV's per-command write bound, and
 * picking members at random ranks without holding the whole set in memory.
 */
import { REDIS_MEMBER_BYTES_MAX, REDIS_MEMBER_WRITES_MAX } from "../../../limits.ts";
import type { ExecContext } from "../command.ts";
import type { Collection, RedisDb } from "../database.ts";
import { fail } from "../errors.ts";
import { RedisType } from "../meta_record.ts";
import { type RedisReply, set } from "../reply.ts";

/** A set member has no value: its engine key says it all. */
export const NO_VALUE: Uint8Array = new Uint8Array(0);

/** The live set at `key`, undefined when absent; WRONGTYPE for another type. */
export function findSet(db: RedisDb, key: Uint8Array): Collection | undefined {
  return db.collection(key, RedisType.Set, false);
}

/** Every member of a set, in byte order. */
export function allMembers(db: RedisDb, s: Collection | undefined): Uint8Array[] {
  if (s === undefined) return [];
  const out: Uint8Array[] = [];
  for (const [member] of db.members(s)) out.push(member);
  return out;
}

/** A set reply (RESP3 `~`, an array in RESP2). */
export function setReply(members: readonly Uint8Array[]): RedisReply {
  return set(members.map((b): RedisReply => ({ k: "bulk", b })));
}

/**
 * TinyKV's bound on the members one command writes one by one: they all go
 * into one engine batch (docs/limits.md). Redis has no such bound.
 */
export function checkMemberWrites(command: string, n: number): void {
  if (n > REDIS_MEMBER_WRITES_MAX) {
    fail(
      `ERR ${command} would write ${n} members, over TinyKV's limit of ` +
        `${REDIS_MEMBER_WRITES_MAX} per command`,
    );
  }
}

/** Refuses a member too long to store, before the command writes anything. */
export function checkMemberLengths(members: readonly Uint8Array[]): void {
  for (const m of members) {
    if (m.length > REDIS_MEMBER_BYTES_MAX) {
      fail(
        `ERR member or field of ${m.length} bytes is over TinyKV's limit of ` +
          `${REDIS_MEMBER_BYTES_MAX} bytes`,
      );
    }
  }
}

/** A number in [0, n), from the command's generator (seeded from the revision when applying). */
export function randomBelow(c: ExecContext, n: number): number {
  return Math.min(n - 1, Math.floor(c.storage.random() * n));
}

/** `k` distinct ranks of [0, n), ascending (Floyd's algorithm: k draws, O(k) memory). */
export function distinctRanks(c: ExecContext, n: number, k: number): number[] {
  const chosen = new Set<number>();
  for (let j = n - k; j < n; j++) {
    const t = randomBelow(c, j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen].sort((a, b) => a - b);
}

/** `k` ranks of [0, n) drawn with replacement, ascending. */
export function ranksWithRepeats(c: ExecContext, n: number, k: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < k; i++) out.push(randomBelow(c, n));
  return out.sort((a, b) => a - b);
}

/**
 * The members at ascending `ranks` (repeats allowed), walking the set in byte
 * order and stopping after the last rank: memory is O(ranks), not O(set).
 */
export function membersAtRanks(db: RedisDb, s: Collection, ranks: readonly number[]) {
  const out: Uint8Array[] = [];
  let rank = 0, i = 0;
  for (const [member] of db.members(s)) {
    if (i === ranks.length) break;
    while (i < ranks.length && ranks[i] === rank) {
      out.push(member);
      i++;
    }
    rank++;
  }
  return out;
}

/** Shuffles in place (Fisher-Yates) with the command's generator: a random reply order. */
export function shuffle<T>(c: ExecContext, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomBelow(c, i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}
