/**
 * Starts a whole TinyKV node from a Platform and a ServerConfig: the data
 * directory identity check, the node (Raft + state machine + engine), the
 * protobuf port (clients and peers), the RESP port and the HTTP endpoint.
 */
import type { Platform } from "../platform/types.ts";
import { splitHostPort } from "../util/host_port.ts";
import { ClusterView } from "./http/cluster_view.ts";
import { createStatusApp } from "./http/status_app.ts";
import { checkIdentity, clusterIdOf } from "./identity.ts";
import { KvPort } from "./kv_port.ts";
import { meteredService } from "./metered_service.ts";
import { createNodeMetrics } from "./node_metrics.ts";
import { NodeService } from "./node_service.ts";
import { RespServer } from "./resp/resp_server.ts";
import { startsRebuild } from "./rebuild.ts";

/**
 * The binary's Raft timing: a 20 ms tick, heartbeats every 100 ms, an election
 * timeout drawn from [1 s, 2 s) in 50 steps. Raft draws the timeout in whole
 * ticks; with 100 ms ticks there were only 10 values, and the chaos suite saw
 * the two survivors of a 3-node cluster time out in the same tick and split
 * the vote, sometimes twice in a row (docs/chaos.md).
 */
export const SERVER_TIMING = { tickMs: 20, heartbeatTicks: 5, electionTicks: 50 } as const;

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
  readonly tickMs?: number;
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  /** Compact the Raft log after this many applied entries (default 10,000). */
  readonly compactEntries?: number;
  /** Join an existing cluster (wait for `member add`) instead of bootstrapping one. */
  readonly join?: boolean;
  /** Where disk faults and rebuild progress are logged, one line each. */
  readonly log?: (line: string) => void;
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
    readMode: config.readMode,
    clusterToken: config.clusterToken,
    tickMs: config.tickMs,
    electionTicks: config.electionTicks,
    heartbeatTicks: config.heartbeatTicks,
    compactEntries: config.compactEntries,
    join: config.join,
    rebuild,
    log: config.log,
  });
}

export async function startServer(
  platform: Platform,
  config: ServerConfig,
): Promise<RunningServer> {
  const own = config.peers.get(config.id);
  if (own === undefined) throw new Error(`--peers does not list this node (id ${config.id})`);
  const { host, port } = splitHostPort(own);
  const clusterId = clusterIdOf(config.peers, config.clusterToken);
  const hadIdentity = platform.fs.stat(`${config.dataDir}/IDENTITY`) !== undefined;
  await checkIdentity(platform.fs, config.dataDir, clusterId, config.id);
  // Throws CorruptionError on damaged state: the caller may run startFaultyServer.
  const rebuild = await startsRebuild(platform.fs, config.dataDir, hadIdentity);
  const node = await openNode(platform, config, rebuild);
  const consistency = config.readMode ?? "linearizable";
  let connections = () => ({ protobuf: 0, resp: 0 });
  const metrics = createNodeMetrics({ node, connections: () => connections() });
  const service = meteredService(node, metrics, platform.clock);
  const net = platform.net;
  const kvPort = await KvPort.start({
    net,
    hostname: host,
    port,
    service,
    consistency,
    peers: node,
    clusterToken: config.clusterToken,
    admin: { service: node, token: config.adminToken },
  });
  const resp = config.respPort === undefined
    ? undefined
    : await RespServer.start({ net, hostname: host, port: config.respPort, service, consistency });
  connections = () => ({ protobuf: kvPort.connections, resp: resp?.connections ?? 0 });
  const cluster = new ClusterView(node, net, platform.clock);
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
  const http = config.httpPort === undefined
    ? undefined
    : await platform.serveHttp(app.fetch, { hostname: host, port: config.httpPort });
  node.start();
  return {
    node,
    kvPort: kvPort.port,
    httpPort: http?.port,
    respPort: resp?.port,
    close: async () => {
      await http?.close();
      cluster.close();
      await resp?.close();
      await kvPort.close();
      await node.close();
    },
  };
}
