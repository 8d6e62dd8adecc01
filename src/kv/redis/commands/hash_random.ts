/**
 * HRANDFIELD key [count [WITHVALUES]]. A pick is a uniform position in the
 * hash's field order, drawn from the storage's random numbers: seeded from the
 * revision when applied (inside MULTI), so every replica picks the same
 * fields; Math.random on the read path. Finding the picked fields reads the
 * hash once, up to the last position picked (the engine has no rank index).
 */
import { REDIS_RANDOM_MEMBERS_MAX } from "../../../limits.ts";
import { type ExecContext, int64Arg, type RedisCommandSpec, type RunCommand } from "../command.ts";
import { upper } from "../command.ts";
import type { Collection } from "../database.ts";
import { fail, SYNTAX } from "../errors.ts";
import { bulk, bulks, EMPTY_ARRAY, NULL, pairs, type RedisReply } from "../reply.ts";
import { allFields, readHash } from "./hash_access.ts";

const LONG_MAX = 2n ** 63n - 1n;
type Field = readonly [Uint8Array, Uint8Array];

/** The fields at the given positions (sorted, distinct), in one pass. */
function fieldsAt(c: ExecContext, hash: Collection, positions: readonly number[]) {
  const found = new Map<number, Field>();
  let at = 0, next = 0;
  for (const entry of c.db.members(hash)) {
    if (next === positions.length) break;
    if (at === positions[next]) {
      found.set(at, entry);
      next++;
    }
    at++;
  }
  return found;
}

/** The fields at `positions`, in that order (a position may repeat). */
function pick(found: ReadonlyMap<number, Field>, positions: readonly number[]): Field[] {
  const out: Field[] = [];
  for (const p of positions) {
    const entry = found.get(p);
    if (entry !== undefined) out.push(entry);
  }
  return out;
}

const randomIndex = (c: ExecContext, n: number) => Math.floor(c.storage.random() * n);

/** `count` distinct positions of `size` (Floyd's sampling), sorted. */
function distinctPositions(c: ExecContext, size: number, count: number): number[] {
  const chosen = new Set<number>();
  for (let j = size - count; j < size; j++) {
    const t = randomIndex(c, j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen].sort((a, b) => a - b);
}

function reply(found: readonly Field[], withValues: boolean): RedisReply {
  if (!withValues) return bulks(found.map(([f]) => f));
  return pairs(found.flatMap(([f, v]) => [bulk(f), bulk(v)]));
}

/** Redis's argument checks, in its order: the count, the syntax, WITHVALUES's range. */
function countArgs(args: readonly Uint8Array[]): { count: bigint; withValues: boolean } {
  const count = int64Arg(args[2]);
  if (count < -LONG_MAX) {
    fail(`ERR value is out of range, value must between ${-LONG_MAX} and ${LONG_MAX}`);
  }
  if (args.length > 4 || (args.length === 4 && upper(args[3]) !== "WITHVALUES")) fail(SYNTAX);
  const withValues = args.length === 4;
  if (withValues && (count < -LONG_MAX / 2n || count > LONG_MAX / 2n)) {
    fail("ERR value is out of range");
  }
  return { count, withValues };
}

function withCount(c: ExecContext, args: readonly Uint8Array[]): RedisReply {
  const { count, withValues } = countArgs(args);
  const hash = readHash(c, args[1]);
  if (hash === undefined || count === 0n) return EMPTY_ARRAY;
  const size = hash.count;
  if (count >= BigInt(size)) return reply(allFields(c, hash), withValues);
  if (count > 0n) {
    const positions = distinctPositions(c, size, Number(count));
    return reply(pick(fieldsAt(c, hash, positions), positions), withValues);
  }
  // A negative count: picks may repeat, in the order drawn.
  if (-count > BigInt(REDIS_RANDOM_MEMBERS_MAX)) {
    fail(`ERR a count of ${count} is over TinyKV's limit of ${REDIS_RANDOM_MEMBERS_MAX} picks`);
  }
  const picks = Array.from({ length: Number(-count) }, () => randomIndex(c, size));
  const found = fieldsAt(c, hash, [...new Set(picks)].sort((a, b) => a - b));
  return reply(pick(found, picks), withValues);
}

const hrandfield: RunCommand = (c, args) => {
  if (args.length >= 3) return withCount(c, args);
  const hash = readHash(c, args[1]);
  if (hash === undefined || hash.count === 0) return NULL;
  const position = randomIndex(c, hash.count);
  return bulk(fieldsAt(c, hash, [position]).get(position)?.[0]);
};

export const HASH_RANDOM_COMMANDS: Record<string, RedisCommandSpec> = {
  hrandfield: { arity: -2, kind: "read", flags: ["readonly"], keys: [1, 1, 1], run: hrandfield },
};
