/**
 * Starts a whole TinyKV node from a Platform and a ServerConfig: the data
 * directory identity check, the node (Raft + state machine + engine), the
 * protobuf port (clients and peers), the RESP port and the HTTP endpoint.
 */
import type { Authenticator } from "../auth/authenticator.ts";
import type { Platform } from "../platform/types.ts";
import { ClusterView } from "./http/cluster_view.ts";
import { type AdminApi, createStatusApp } from "./http/status_app.ts";
import { watchJoin } from "./node/node_identity.ts";
import { openAdmittedNode } from "./admitted_node.ts";
import { servedService } from "./served_service.ts";
import { createNodeMetrics } from "./metrics/node_metrics.ts";
import { MetricsHistory } from "./metrics/metrics_history.ts";
import { type NodePorts, startPorts } from "./ports.ts";
import { NodeService, type NodeServiceOptions } from "./node/node_service.ts";
import { NodeWatches } from "./node/node_watches.ts";
import { PubSubHub } from "./pubsub/pubsub_hub.ts";
import { startNodeLeases } from "./node/lease_wiring.ts";
import { peerHelloOf } from "./node/leader_forwarder.ts";
import { startExpirySweeper } from "./node/expiry_wiring.ts";
import { addLeaseMetrics } from "./metrics/lease_metrics.ts";
import { placementJson } from "./placement/placement_view.ts";
import type { Logger } from "./log/logger.ts";
import { respHttpWarning } from "./log/server_logging.ts";
import { startFirstElections } from "./node/first_election.ts";
import type { NodeTls } from "./tls/node_tls.ts";
import { regionsJson, withRegions } from "./http/regions_json.ts";

export interface ServerConfig {
  readonly id: number;
  /** Every voter's protobuf/Raft address; this node listens on its own. */
  readonly peers: ReadonlyMap<number, string>;
  readonly dataDir: string;
  /** 0 picks a free port; undefined disables the port. */
  readonly httpPort?: number;
  readonly respPort?: number;
  /** The address every port binds (default: the host of this node's `peers` entry). */
  readonly listenHost?: string;
  readonly readMode?: "linearizable" | "lease";
  readonly clusterToken?: string;
  readonly adminToken?: string;
  /**
   * Users and permissions from `--auth-file` (docs/security.md); absent: authentication
   * is off and every port serves anyone who reaches it, as before users existed.
   */
  readonly auth?: Authenticator;
  /**
   * `--http-admin-open`: the HTTP admin routes take requests without a credential when the
   * node has neither `adminToken` nor `auth` (they still need a non-simple request).
   */
  readonly httpAdminOpen?: boolean;
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
  /** The placement service: `--zone`, `--replicas`, `--replace-timeout` (docs/operations.md). */
  readonly placement?: NodeServiceOptions["placement"];
  /** The node's structured log (docs/logging.md); without it, text lines to `log`. */
  readonly logger?: Logger;
  /** A sink for plain text log lines, used when `logger` is not given. */
  readonly log?: (line: string) => void;
  /** Client requests slower than this are logged (default SLOW_REQUEST_MS_DEFAULT; 0: off). */
  readonly slowRequestMs?: number;
  /** TLS on every port and to peers (docs/tls.md); absent: plain TCP and HTTP. */
  readonly tls?: NodeTls;
  /**
   * Flush and compact in the platform's background worker (docs/storage.md#background-worker).
   * The CLI turns it on (`--storage-worker`); in-process nodes (tests) run those jobs inline
   * unless they ask, since `deno test` type-checks each worker it starts (about 4 s).
   */
  readonly storageWorker?: boolean;
  /** `--region-split-bytes`: a region larger than this splits (0: never; absent: below). */
  readonly regionSplitBytes?: number;
  /** `--region-merge-bytes`: adjacent regions this small together merge (0: never). */
  readonly regionMergeBytes?: number;
  /** `--region-split-load`: a region written more often than this a second splits (0: never). */
  readonly regionSplitLoad?: number;
  /**
   * The binary's default split size: with it, a new data directory splits unless its cluster
   * runs one region, and merge defaults to a quarter of the split size (region_setting.ts).
   * Absent (in-process nodes): without the flags a node runs one region unless its directory
   * is marked as splitting.
   */
  readonly regionSplitDefault?: number;
  /** How often the split check runs (tests make it short; node/options.ts). */
  readonly splitCheckMs?: number;
  /** Engine values of at least this many bytes go to blob files (default 512; node/options.ts). */
  readonly blobMinBytes?: number;
}

export interface RunningServer {
  readonly node: NodeService;
  readonly kvPort: number;
  readonly httpPort: number | undefined;
  readonly respPort: number | undefined;
  close(): Promise<void>;
}

/**
 * The node must be in its own `--peers`. With users on, a peer's forwarded requests are trusted
 * on the strength of the cluster token: a cluster without one would have to trust anyone
 * claiming a node id, so it does not start.
 */
function checkConfig(config: ServerConfig): void {
  if (!config.peers.has(config.id)) {
    throw new Error(`--peers does not list this node (id ${config.id})`);
  }
  const clustered = config.peers.size > 1 || config.join === true;
  if (config.auth !== undefined && clustered && config.clusterToken === undefined) {
    throw new Error(
      "--auth-file on a multi-node cluster needs --cluster-token (or TINYKV_CLUSTER_TOKEN): " +
        "it is how nodes prove to each other that they are peers",
    );
  }
}

export async function startServer(
  platform: Platform,
  config: ServerConfig,
): Promise<RunningServer> {
  // With TLS, whatever the node dials (peers, the leader, status probes) is TLS too.
  platform = config.tls?.dialing(platform) ?? platform;
  checkConfig(config);
  const { node, waiting } = await openAdmittedNode(platform, config);
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
  const service = servedService(node, metrics, config.slowRequestMs);
  const cluster = new ClusterView(node, platform.net, platform.clock, 500, peerHelloOf(node.o));
  const history = new MetricsHistory(metrics, platform.clock);
  const app = createStatusApp({
    source: node,
    metrics,
    cluster: () => withRegions(() => cluster.get(), service.regions),
    history: (since) => history.json(since),
    regions: () => regionsJson(service.regions),
    placement: () => placementJson(node.raft.placement),
    admin: adminApiOf(node, config.adminToken),
    adminToken: config.adminToken,
    auth: config.auth,
    httpAdminOpen: config.httpAdminOpen,
  });
  const ports = await startPorts(platform, { ...config, log: respHttpWarning(node.o.logger) }, {
    service,
    peers: node.peerSink(),
    consistency: node.o.readMode,
    admin: { service: node, token: config.adminToken },
    watch,
    pubsub,
    leases: leases.leases.service,
    fetch: app.fetch,
  });
  started.ports = ports;
  node.start();
  node.raft.placement.start(service.regions);
  history.start();
  // A single voter, or the lowest id of a fresh cluster, campaigns now (first_election.ts).
  const first = startFirstElections(node);
  const joining = watchJoin(platform, config, node, waiting);
  return {
    node,
    kvPort: ports.kvPort,
    httpPort: ports.httpPort,
    respPort: ports.respPort,
    close: async () => {
      first.stop();
      joining.stop();
      cluster.close();
      history.stop();
      watch.close();
      await ports.close();
      leases.close();
      sweeper.stop();
      await node.close();
    },
  };
}

/** What the HTTP admin routes may ask of the node. */
function adminApiOf(node: NodeService, adminToken: string | undefined): AdminApi {
  return {
    drainNode: (id) => node.raft.placement.drainNode(id, adminToken),
    addMember: (id, address) => node.addMember(id, address),
    removeMember: (id) => node.removeMember(id),
    transferLeader: (id) => node.transferLeader(id),
    snapshot: () => node.snapshot(),
  };
}

/**
 * The node's watches, one hub per region with watches (node_watches.ts), fed by the regions'
 * apply passes; region 1's read the history of the node's current store.
 */
function watchHubOf(node: NodeService, platform: Platform): NodeWatches {
  const first = {
    get revision() {
      return node.kv.revision;
    },
    get compactedRevision() {
      return node.kv.compactedRevision;
    },
    readHistory: (...args: Parameters<NodeService["kv"]["readHistory"]>) =>
      node.engine.read(() => node.kv.readHistory(...args)),
  };
  const host = node.local.host;
  const close = () => node.local.reads.closeRegion(); // a barrier where revisions are timestamps
  const hub = new NodeWatches({
    host,
    clock: platform.clock,
    engine: () => node.engine,
    first,
    close,
  });
  host.onChanged = () => hub.recheck();
  host.onSplit = (report) => hub.parkAtSplit(report.left, report.revision);
  host.onEvents = (region, events, revision) => hub.publish(region, events, revision);
  host.onImageInstalled = (region) => hub.resync(region);
  node.onEvents = (events, revision) => hub.publish(1, events, revision);
  node.onStoreReplaced = () => hub.resync(1);
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
