/**
 * Starts a whole TinyKV node from a Platform and a ServerConfig: the data
 * directory identity check, the node (Raft + state machine + engine), the
 * protobuf port (clients and peers), the RESP port and the HTTP endpoint.
 */
import type { Platform } from "../platform/types.ts";
import { ClusterView } from "./http/cluster_view.ts";
import { createStatusApp } from "./http/status_app.ts";
import { checkIdentity, clusterIdOf } from "./node/identity.ts";
import { meteredService } from "./metrics/metered_service.ts";
import { createNodeMetrics } from "./metrics/node_metrics.ts";
import { type NodePorts, startPorts } from "./ports.ts";
import { NodeService, type NodeServiceOptions } from "./node/node_service.ts";
import { startsRebuild } from "./node/rebuild.ts";
import { WatchHub } from "./watch/watch_hub.ts";
import { PubSubHub } from "./pubsub/pubsub_hub.ts";
import { startNodeLeases } from "./node/lease_wiring.ts";
import { startExpirySweeper } from "./node/expiry_wiring.ts";
import { addLeaseMetrics } from "./metrics/lease_metrics.ts";
import type { NodeTls } from "./tls/node_tls.ts";

export interface ServerConfig {
  readonly id: number;
  /** Every voter's protobuf/Raft address; this node listens on its own. */
  readonly peers: ReadonlyMap<number, string>;
  readonly dataDir: string;
  /** 0 picks a free port; undefined disables the port. */
  readonly httpPort?: number;
  readonly respPort?: number;
  readonly readMode?: "linearizable" | "lease";
  readonly clusterToken?: string;
  readonly adminToken?: string;
  /** Raft timing; unset fields take the binary's (node/options.ts). */
  readonly tickMs?: number;
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  /** Compact the Raft log after this many applied entries (or 64 MiB of them). */
  readonly compactEntries?: number;
  /** Join an existing cluster (wait for `member add`) instead of bootstrapping one. */
  readonly join?: boolean;
  /** Automatic compaction of the key history (default: keep 100,000 revisions). */
  readonly autoCompact?: NodeServiceOptions["autoCompact"];
  /** Where disk faults and rebuild progress are logged, one line each. */
  readonly log?: (line: string) => void;
  /** TLS on every port and to peers (docs/tls.md); absent: plain TCP and HTTP. */
  readonly tls?: NodeTls;
}

export interface RunningServer {
  readonly node: NodeService;
  readonly kvPort: number;
  readonly httpPort: number | undefined;
  readonly respPort: number | undefined;
  close(): Promise<void>;
}

function openNode(
  platform: Platform,
  config: ServerConfig,
  rebuild: boolean,
): Promise<NodeService> {
  return NodeService.open({
    id: config.id,
    peers: config.peers,
    fs: platform.fs,
    dataDir: config.dataDir,
    net: platform.net,
    clock: platform.clock,
    seed: platform.randomSeed(),
    collectGarbage: platform.collectGarbage,
    readMode: config.readMode,
    clusterToken: config.clusterToken,
    tickMs: config.tickMs,
    electionTicks: config.electionTicks,
    heartbeatTicks: config.heartbeatTicks,
    compactEntries: config.compactEntries,
    autoCompact: config.autoCompact,
    join: config.join,
    rebuild,
    log: config.log,
  });
}

export async function startServer(
  platform: Platform,
  config: ServerConfig,
): Promise<RunningServer> {
  // With TLS, whatever the node dials (peers, the leader, status probes) is TLS too.
  platform = config.tls?.dialing(platform) ?? platform;
  if (!config.peers.has(config.id)) {
    throw new Error(`--peers does not list this node (id ${config.id})`);
  }
  const clusterId = clusterIdOf(config.peers, config.clusterToken);
  const hadIdentity = platform.fs.stat(`${config.dataDir}/IDENTITY`) !== undefined;
  await checkIdentity(platform.fs, config.dataDir, clusterId, config.id);
  // Throws CorruptionError on damaged state: the caller may run startFaultyServer.
  const rebuild = await startsRebuild(platform.fs, config.dataDir, hadIdentity);
  const node = await openNode(platform, config, rebuild);
  const watch = watchHubOf(node, platform);
  const pubsub = pubSubHubOf(node);
  // The metrics count the ports' connections; the ports start after the HTTP app exists.
  const started: { ports?: NodePorts } = {};
  const metrics = createNodeMetrics({
    node,
    connections: () => started.ports?.connections() ?? { protobuf: 0, resp: 0 },
    watch,
  });
  const leases = startNodeLeases(node, platform.net);
  const sweeper = startExpirySweeper(node);
  addLeaseMetrics(metrics, leases.leases);
  const service = meteredService(node, metrics, platform.clock);
  const cluster = new ClusterView(node, platform.net, platform.clock);
  const app = createStatusApp({
    source: node,
    metrics,
    cluster: () => cluster.get(),
    admin: {
      addMember: (id, address) => node.addMember(id, address),
      removeMember: (id) => node.removeMember(id),
      transferLeader: (id) => node.transferLeader(id),
      snapshot: () => node.snapshot(),
    },
    adminToken: config.adminToken,
  });
  const ports = await startPorts(platform, config, {
    service,
    peers: node,
    consistency: node.o.readMode,
    admin: { service: node, token: config.adminToken },
    watch,
    pubsub,
    leases: leases.leases.service,
    fetch: app.fetch,
  });
  started.ports = ports;
  node.start();
  return {
    node,
    kvPort: ports.kvPort,
    httpPort: ports.httpPort,
    respPort: ports.respPort,
    close: async () => {
      cluster.close();
      watch.close();
      await ports.close();
      leases.close();
      sweeper.stop();
      await node.close();
    },
  };
}

/** The node's watches, fed by its apply passes, reading the history of its current store. */
function watchHubOf(node: NodeService, platform: Platform): WatchHub {
  const source = {
    get revision() {
      return node.kv.revision;
    },
    get compactedRevision() {
      return node.kv.compactedRevision;
    },
    readHistory: (...args: Parameters<NodeService["kv"]["readHistory"]>) =>
      node.engine.read(() => node.kv.readHistory(...args)),
  };
  const hub = new WatchHub({ source, clock: platform.clock });
  node.onEvents = (events, revision) => hub.publish(events, revision);
  node.onStoreReplaced = () => hub.resync();
  node.activeWatches = () => hub.active;
  return hub;
}

/**
 * The node's pub/sub hub, fed what each apply pass published. The state machine keeps
 * those events only while the hub has subscribers; the flag lives on the current state
 * machine, which the engine holder carries over when a snapshot replaces it.
 */
function pubSubHubOf(node: NodeService): PubSubHub {
  const hub = new PubSubHub((wanted) => {
    node.kv.redisEventsWanted = wanted;
  });
  node.onRedisEvents = (events) => hub.publish(events);
  return hub;
}
