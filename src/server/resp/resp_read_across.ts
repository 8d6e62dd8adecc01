/**
 * Which Redis reads must run at one timestamp on a node holding every region (docs/resp.md
 * "Reads across regions"). The node's current state is no snapshot across regions: each of its
 * replicas applies its own region's log, and a read barrier per region only bounds each from
 * below. So after the barriers one replica may hold a transaction's commit while another has
 * not applied that transaction's prewrite yet, and no lock is left to wait for: an MGET on a
 * follower answered one key of an MSET across regions new and the other old. A read whose keys
 * lie in one region sees that region's log at one point, which is whole; a read of database 0's
 * keys over several regions is run as a transaction across regions reads (at a timestamp, each
 * region closed there: server/node/cross_region_redis.ts), with nothing committed.
 */
import { keysOf } from "../../kv/redis/command_keys.ts";
import { lowerName } from "../../kv/redis/command_name.ts";
import type { RedisRun } from "../../kv/redis/executor.ts";
import { containsKey, type RegionDescriptor } from "../../region/descriptor.ts";
import type { RegionCatalog } from "../../region/region_catalog.ts";
import type { Consistency } from "../kv_service.ts";

/**
 * Whether `run` reads database 0's keys in more than one region. Transactions across regions
 * write only database 0's strings, so a read of any other database, or a serializable one (which
 * skips the barriers and may be stale anyway), stays on the current state.
 */
export function readsAcrossRegions(
  catalog: RegionCatalog | undefined,
  consistency: Consistency,
  run: RedisRun,
): boolean {
  if (catalog === undefined || run.db !== 0 || consistency === "serializable") return false;
  let region: RegionDescriptor | undefined;
  /**
   * False once a key lies outside the first key's region. A key no region here holds (a split's
   * child not hosted yet) is left to the current read, which waits for it to settle.
   */
  const inOne = (key: Uint8Array): boolean => {
    if (region !== undefined && containsKey(region, key)) return true;
    const other = catalog.regionFor(key);
    if (other === undefined) return true;
    if (region !== undefined) return false;
    region = other;
    return true;
  };
  for (const w of run.watches) {
    if (w.db === 0 && !inOne(w.key)) return true;
  }
  for (const args of run.commands) {
    if (args.length === 0) continue;
    for (const [key] of keysOf(lowerName(args[0]), args)) {
      if (key !== undefined && !inOne(key)) return true;
    }
  }
  return false;
}
