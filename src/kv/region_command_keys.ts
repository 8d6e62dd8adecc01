/**
 * The user keys a KV command writes, for the region key check at apply (region_apply.ts):
 * a command routed to a region must touch only keys of its range. Commands whose keys are not
 * listed here (compaction, leases) are applied unchecked for now: their routing by key comes
 * with the client protocol for regions.
 *
 * Redis commands and batches are checked (their key arguments and watched keys): a command routed
 * by a node before it applied a split, but proposed after it (so stamped with the new epoch),
 * reached the parent for a key the child now holds, and ran against the parent's state (a DEL of a
 * database-1 key answered 0: the parent's count of that database's keys was 0).
 *
 * So are transactions (the keys they compare, and the first key of each operation): one routed
 * the same way was applied by the parent, whose change feed then held the child's keys' changes
 * at revisions above the child's split revision, where the child never looks; reads of the
 * child at a revision found those keys absent (the simulator's bank, seed 1 with regions).
 */
import type { Command, RedisRequest } from "../gen/tinykv/v1/tinykv_pb.ts";
import { fromUtf8 } from "../util/bytes.ts";
import type { KeyRange } from "./key_state.ts";
import { keysOf } from "./redis/command_keys.ts";

/** The keys a Redis request names: each command's key arguments and the watched keys. */
function redisKeys(r: RedisRequest): Uint8Array[] {
  const keys = r.watches.map((w) => w.key);
  for (const { args } of r.commands) {
    if (args.length === 0) continue;
    for (const [key] of keysOf(fromUtf8(args[0]).toLowerCase(), args)) {
      if (key !== undefined) keys.push(key);
    }
  }
  return keys;
}

/** The command's keys, or undefined when it is not checked by key. */
export function commandKeys(command: Command): Uint8Array[] | undefined {
  const b = command.body;
  switch (b.case) {
    case "put":
    case "delete":
    case "increment":
    case "compareAndSet":
    case "expire":
      return [b.value.key];
    case "expireKeys":
      return [...b.value.keys, ...b.value.redisKeys.map((r) => r.key)];
    case "batch":
      return b.value.ops.flatMap((op) => op.op.case === undefined ? [] : [op.op.value.key]);
    case "redis":
      return redisKeys(b.value);
    case "redisBatch": // a RESP batch's part for one region (redis_batch_regions.ts)
      return b.value.requests.flatMap(redisKeys);
    case "txn": {
      const t = b.value;
      const ops = [...t.success, ...t.failure];
      return [
        ...t.compare.map((c) => c.key),
        ...ops.flatMap((op) => op.op.case === undefined ? [] : [op.op.value.key]),
      ];
    }
    default:
      return undefined;
  }
}

const NO_RANGES: readonly KeyRange[] = Object.freeze([]);

/**
 * The key ranges a `txn` reads or deletes (`range` and `deleteRange` operations with an end):
 * each must lie wholly in the region, not only start there. A transaction routed to one region
 * whose `deleteRange` of a prefix ran past the region's end deleted the next region's keys from
 * the node's engine (current records are keyed by user key alone), on the replicas holding both
 * regions only: they differed from the others (the simulator's regions seed 287, session 30).
 */
export function commandRanges(command: Command): readonly KeyRange[] {
  const b = command.body;
  if (b.case !== "txn") return NO_RANGES; // every routed entry asks: no array for the others
  const ranges: KeyRange[] = [];
  for (const { op } of [...b.value.success, ...b.value.failure]) {
    if ((op.case === "range" || op.case === "deleteRange") && op.value.rangeEnd.length > 0) {
      ranges.push({ key: op.value.key, rangeEnd: op.value.rangeEnd });
    }
  }
  return ranges;
}
