/**
 * Whether a node's commands take timestamps from the placement service's oracle and are routed
 * to their region (decision 0018): once the keyspace has split, on a node whose regions split
 * or may. Until the first split a splitting node's commands are plain entries with index
 * revisions, as a one-region node's, so a cluster that never reaches the split size — most
 * configuration stores — pays no oracle round per write (docs/regions.md, "Timestamps from the
 * first split"). A plain command the log holds after the split is refused at apply
 * (kv/routed_check.ts `lateUnstamped`): its proposer had not applied the split yet.
 */
import type { RegionHost } from "./region_host.ts";

/**
 * The keyspace has split: region 1 has (its epoch's version moved past 1: a split or a merge,
 * never undone), or this node holds another region.
 */
export function stamping(host: RegionHost): boolean {
  if (!host.regionSnapshots) return false;
  return host.count > 1 || host.d.first.kv.descriptor.epoch.version > 1;
}
