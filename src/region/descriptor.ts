/**
 * A region: a contiguous range of user keys replicated by its own Raft group
 * (docs/decisions/0014-regions.md §1). The descriptor a region's Raft group has
 * applied is the truth; every other copy (the placement service's map, a
 * client's route cache) is checked against its epoch:
 *
 * - `version` grows with every split and merge (the range changed);
 * - `confVer` grows with every membership change (the replicas changed).
 *
 * Ranges are `[start, end)`; an empty `end` means "to the end of the keyspace",
 * so region 1 of a new cluster is `[, )`.
 */
import { compareBytes } from "../util/bytes.ts";
import { InvalidArgumentError } from "../util/errors.ts";

export interface RegionEpoch {
  readonly version: number;
  readonly confVer: number;
}

export type ReplicaRole = "voter" | "learner";

export interface Replica {
  readonly nodeId: number;
  readonly role: ReplicaRole;
}

export interface RegionDescriptor {
  readonly id: number;
  readonly start: Uint8Array;
  /** Exclusive; empty = unbounded. */
  readonly end: Uint8Array;
  readonly epoch: RegionEpoch;
  readonly replicas: readonly Replica[];
}

const EMPTY = new Uint8Array(0);

/** The first region of a new cluster: the whole keyspace on the initial voters. */
export function initialRegion(voters: readonly number[]): RegionDescriptor {
  return {
    id: 1,
    start: EMPTY,
    end: EMPTY,
    epoch: { version: 1, confVer: 1 },
    replicas: voters.map((nodeId) => ({ nodeId, role: "voter" as const })),
  };
}

/** True when `key` falls in `[start, end)`. */
export function containsKey(r: RegionDescriptor, key: Uint8Array): boolean {
  return compareBytes(key, r.start) >= 0 && (r.end.length === 0 || compareBytes(key, r.end) < 0);
}

/**
 * Compares a range's end with a key (a start is a key); the empty end is
 * greater than every key, the empty key included: it is the keyspace's end.
 */
export function compareEnd(end: Uint8Array, key: Uint8Array): number {
  if (end.length === 0) return 1;
  return compareBytes(end, key);
}

/** True when the two ranges share at least one key. */
export function overlaps(a: RegionDescriptor, b: RegionDescriptor): boolean {
  return compareEnd(a.end, b.start) > 0 && compareEnd(b.end, a.start) > 0;
}

/** True when `a` is older than `b` in either counter: a request routed with `a` is stale. */
export function isStaleEpoch(a: RegionEpoch, b: RegionEpoch): boolean {
  return a.version < b.version || a.confVer < b.confVer;
}

export function sameEpoch(a: RegionEpoch, b: RegionEpoch): boolean {
  return a.version === b.version && a.confVer === b.confVer;
}

/** The voters' node ids, in descriptor order. */
export function voterIds(r: RegionDescriptor): number[] {
  return r.replicas.filter((p) => p.role === "voter").map((p) => p.nodeId);
}

/**
 * Throws InvalidArgumentError unless the descriptor is well formed: a positive
 * safe-integer id and epoch, `start < end` (or an unbounded end), and replicas
 * with distinct positive node ids, at least one of them a voter.
 */
export function checkDescriptor(r: RegionDescriptor): void {
  const bad = (why: string) => new InvalidArgumentError(`region ${r.id}: ${why}`);
  if (!Number.isSafeInteger(r.id) || r.id < 1) throw bad("id must be a positive integer");
  const { version, confVer } = r.epoch;
  if (!Number.isSafeInteger(version) || version < 1) throw bad("epoch version must be ≥ 1");
  if (!Number.isSafeInteger(confVer) || confVer < 1) throw bad("epoch confVer must be ≥ 1");
  if (r.end.length > 0 && compareBytes(r.start, r.end) >= 0) throw bad("start must be below end");
  const seen = new Set<number>();
  for (const p of r.replicas) {
    if (!Number.isSafeInteger(p.nodeId) || p.nodeId < 1) throw bad(`bad node id ${p.nodeId}`);
    if (seen.has(p.nodeId)) throw bad(`node ${p.nodeId} listed twice`);
    seen.add(p.nodeId);
  }
  if (!r.replicas.some((p) => p.role === "voter")) throw bad("no voter");
}

/**
 * The two descriptors a split of `r` at `splitKey` leaves: the left keeps the
 * id, the right gets `rightId`; both have the same replicas and the version
 * after `r`'s (§8). The key must fall strictly inside the range.
 */
export function splitDescriptor(
  r: RegionDescriptor,
  splitKey: Uint8Array,
  rightId: number,
): [RegionDescriptor, RegionDescriptor] {
  if (!containsKey(r, splitKey) || compareBytes(splitKey, r.start) === 0) {
    throw new InvalidArgumentError(`region ${r.id}: split key is not strictly inside the range`);
  }
  if (rightId === r.id) throw new InvalidArgumentError(`region ${r.id}: split into itself`);
  const epoch = { version: r.epoch.version + 1, confVer: r.epoch.confVer };
  const left = { ...r, end: splitKey.slice(), epoch };
  const right = { ...r, id: rightId, start: splitKey.slice(), epoch };
  checkDescriptor(right);
  return [left, right];
}

/**
 * The descriptor after `target` absorbs the adjacent `source` (§8): the union
 * of the ranges, the target's id and replicas, a version above both. Merging
 * needs the same voters on both, since the target replays the source's tail.
 */
export function mergeDescriptors(
  target: RegionDescriptor,
  source: RegionDescriptor,
): RegionDescriptor {
  const fail = (why: string) =>
    new InvalidArgumentError(`merge of region ${source.id} into ${target.id}: ${why}`);
  const sourceRight = target.end.length > 0 && compareBytes(target.end, source.start) === 0;
  const sourceLeft = source.end.length > 0 && compareBytes(source.end, target.start) === 0;
  if (!sourceRight && !sourceLeft) throw fail("the ranges are not adjacent");
  const a = voterIds(target).sort((x, y) => x - y).join(",");
  const b = voterIds(source).sort((x, y) => x - y).join(",");
  if (a !== b) throw fail(`voters differ (${a} vs ${b})`);
  const version = Math.max(target.epoch.version, source.epoch.version) + 1;
  return {
    ...target,
    start: sourceLeft ? source.start : target.start,
    end: sourceRight ? source.end : target.end,
    epoch: { version, confVer: target.epoch.confVer },
  };
}
