/**
 * Key counts over every region a node serves, for its Redis reads (the regions share one engine,
 * and a read there reads all of them: node_reads.ts). Summed on each ask, from each region's
 * counters, so always those of the state the read sees.
 */
import type { RedisKeyCounts } from "../../kv/redis/storage.ts";
import type { RegionHost } from "./region_host.ts";

export function keyCountsOf(host: RegionHost): RedisKeyCounts {
  return {
    keyCount: () => host.all().reduce((n, r) => n + r.kv.kv.keyCount, 0),
    redisKeyCount: (db) => host.all().reduce((n, r) => n + r.kv.kv.redisKeyCount(db), 0),
    // Every GET run asks whether database 0 holds keys other than strings: one pass, not two.
    typedKeyCount: (db) =>
      host.all().reduce(
        (n, r) => n + r.kv.kv.redisKeyCount(db) - (db === 0 ? r.kv.kv.keyCount : 0),
        0,
      ),
  };
}
