/**
 * The user keys a KV command writes, for the region key check at apply (region_apply.ts):
 * a command routed to a region must touch only keys of its range. Commands whose keys are not
 * listed here (transactions, compaction, leases, Redis commands) are applied unchecked for now:
 * their routing by key comes with the client protocol for regions.
 */
import type { Command } from "../gen/tinykv/v1/tinykv_pb.ts";

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
    default:
      return undefined;
  }
}
