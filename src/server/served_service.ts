/**
 * What a serving node's client ports are given (server.ts): the node, metered (request counts and
 * latencies, slow-request log), with its region catalog and the catalog's per-region metrics,
 * and its placement service (and the placement series).
 */
import { meteredService } from "./metrics/metered_service.ts";
import type { MetricsRegistry } from "./metrics/registry.ts";
import { addRegionMetrics } from "./metrics/region_metrics.ts";
import { addPlacementMetrics } from "./placement/placement_view.ts";
import type { KvService } from "./kv_service.ts";
import type { NodeService } from "./node/node_service.ts";
import { NodeRegionCatalog } from "./node/node_region_catalog.ts";
import type { RegionCatalog } from "../region/region_catalog.ts";
import type { RegionTxnRequest } from "../gen/tinykv/v1/tinykv_pb.ts";
import type { RedisKeysReader, RedisReadReader, SetScanReader } from "./redis_keys.ts";

/**
 * What the client ports serve: the node, metered, with its region catalog. Today's node is one
 * Raft group, region 1 over the whole keyspace (docs/regions.md#routing).
 */
export function servedService(
  node: NodeService,
  metrics: MetricsRegistry,
  slowRequestMs: number | undefined,
): KvService & { readonly regions: RegionCatalog } {
  const regions = new NodeRegionCatalog(node, node.o.placement.zone);
  addRegionMetrics(metrics, regions);
  addPlacementMetrics(metrics, node.raft.placement);
  const metered = meteredService(node, metrics, node.o.clock, node.o.logger, slowRequestMs);
  const regionTxn = (req: RegionTxnRequest) => node.local.txns.serve(req);
  const redisKeys: RedisKeysReader = (q, c) => node.local.redisKeys.read(q, c);
  const redisSetScan: SetScanReader = (q, c) => node.local.redisKeys.setScan(q, c);
  const redisRead: RedisReadReader = (q, c) => node.local.redisKeys.command(q, c);
  const watchTokens = node.local.watchTokens;
  const placement = node.raft.placement;
  return {
    ...metered,
    regions,
    placement,
    regionTxn,
    redisKeys,
    redisSetScan,
    redisRead,
    watchTokens,
  };
}
