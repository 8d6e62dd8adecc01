/**
 * Opens the node a server runs: the data directory's identity checked and the peers asked
 * (node_identity.ts), which also settle whether it splits regions (region_setting.ts), then the
 * node opened with the server's settings.
 */
import type { Platform } from "../platform/types.ts";
import {
  checkOwnMembership,
  establishIdentity,
  type StartupIdentity,
} from "./node/node_identity.ts";
import { NodeService } from "./node/node_service.ts";
import { type RegionSetting, RegionSettingError } from "./node/region_setting.ts";
import { startsRebuild } from "./node/rebuild.ts";
import type { ServerConfig } from "./server.ts";

/**
 * The identity checked and the peers asked (node_identity.ts), then the node opened; a node
 * its configuration leaves out is closed and refused, or (--join) logs its wait.
 */
export async function openAdmittedNode(
  platform: Platform,
  config: ServerConfig,
): Promise<{ node: NodeService; waiting: boolean }> {
  const identity = await establishIdentity(platform, config);
  // Throws CorruptionError on damaged state: the caller may run startFaultyServer.
  const rebuild = await startsRebuild(platform.fs, config.dataDir, identity.hadIdentity);
  const node = await openNode(platform, config, rebuild, identity);
  node.clusterId = identity.self.clusterId;
  let waiting: string | undefined;
  try {
    waiting = checkOwnMembership(node, identity);
  } catch (err) {
    await node.close();
    throw err;
  }
  if (waiting !== undefined) node.o.logger.warn("membership.waiting", { text: waiting });
  return { node, waiting: waiting !== undefined };
}

function openNode(
  platform: Platform,
  config: ServerConfig,
  rebuild: boolean,
  identity: StartupIdentity,
): Promise<NodeService> {
  const regions = identity.regions;
  return NodeService.open({
    id: config.id,
    peers: config.peers,
    fs: platform.fs,
    dataDir: config.dataDir,
    net: platform.net,
    clock: platform.clock,
    seed: platform.randomSeed(),
    collectGarbage: platform.collectGarbage,
    storageWorker: config.storageWorker === true ? platform.startStorageWorker : undefined,
    scanCopies: platform.scanCopies,
    readMode: config.readMode,
    clusterToken: config.clusterToken,
    tickMs: config.tickMs,
    electionTicks: config.electionTicks,
    heartbeatTicks: config.heartbeatTicks,
    compactEntries: config.compactEntries,
    autoCompact: config.autoCompact,
    placement: config.placement,
    // A directory created by `--join` stays a joiner's when restarted without the flag.
    join: config.join === true || identity.joined,
    rebuild,
    regionSplitBytes: regions.splitBytes,
    regionMergeBytes: regions.mergeBytes,
    regionSplitLoad: splitLoad(config, regions),
    regionsSplit: regions.splits,
    splitCheckMs: config.splitCheckMs,
    blobMinBytes: config.blobMinBytes,
    log: config.log,
    logger: config.logger,
  });
}

/** `--region-split-load`, on a node that splits: a split by load needs splitting on. */
function splitLoad(config: ServerConfig, regions: RegionSetting): number {
  const load = config.regionSplitLoad ?? 0;
  if (load > 0 && regions.splitBytes === 0) {
    throw new RegionSettingError(
      `--region-split-load (${load}) needs splitting on: --region-split-bytes above 0`,
    );
  }
  return load;
}
