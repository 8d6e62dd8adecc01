/**
 * A node's three listening ports — protobuf (clients and peers) on its own
 * `--peers` address, RESP and HTTP on the same host — started and closed
 * together, for a serving node (server.ts) and a faulty one (faulty_server.ts).
 */
import type { FetchHandler, ListenOptions, Platform } from "../platform/types.ts";
import { splitHostPort } from "../util/host_port.ts";
import type { AdminAccess } from "./proto/admin_handler.ts";
import type { LeaseService } from "./node/lease_service.ts";
import { KvPort, type PeerSink } from "./proto/kv_port.ts";
import type { Consistency, KvService } from "./kv_service.ts";
import { RespServer } from "./resp/resp_server.ts";
import type { ServerConfig } from "./server.ts";
import type { WatchService } from "./watch/watch_types.ts";
import type { PubSubHub } from "./pubsub/pubsub_hub.ts";

export interface PortsOptions {
  readonly service: KvService;
  readonly peers: PeerSink;
  readonly consistency?: Consistency;
  readonly admin?: AdminAccess;
  /** The node's watches (the protobuf port's watch streams). */
  readonly watch?: WatchService;
  /** The node's pub/sub subscriptions (the RESP port). */
  readonly pubsub?: PubSubHub;
  /** Lease requests on the protobuf port (docs/coordination.md). */
  readonly leases?: LeaseService;
  /** The HTTP app's handler. */
  readonly fetch: FetchHandler;
}

export interface NodePorts {
  readonly kvPort: number;
  readonly respPort: number | undefined;
  readonly httpPort: number | undefined;
  /** Open client connections per port, for metrics. */
  connections(): { protobuf: number; resp: number };
  close(): Promise<void>;
}

export async function startPorts(
  platform: Platform,
  config: ServerConfig,
  o: PortsOptions,
): Promise<NodePorts> {
  const own = config.peers.get(config.id);
  if (own === undefined) throw new Error(`--peers does not list this node (id ${config.id})`);
  const { port } = splitHostPort(own);
  const host = config.listenHost ?? splitHostPort(own).host;
  const net = platform.net;
  const { service, consistency } = o;
  // With TLS (docs/tls.md) each port listens through the node's certificates.
  const tls = config.tls;
  const kv = await KvPort.start({
    net: tls?.listening(net, "protobuf") ?? net,
    requirePeerCertificate: tls?.verifiesPeers,
    hostname: host,
    port,
    service,
    consistency,
    peers: o.peers,
    clusterToken: config.clusterToken,
    auth: config.auth,
    admin: o.admin,
    watch: o.watch,
    leases: o.leases,
  });
  const resp = config.respPort === undefined ? undefined : await RespServer.start({
    net: tls?.listening(net, "resp") ?? net,
    clock: platform.clock,
    processUsage: platform.processUsage,
    hostname: host,
    port: config.respPort,
    service,
    consistency,
    pubsub: o.pubsub,
    auth: config.auth,
    log: config.log,
    afterIo: platform.afterIo,
  });
  const serveHttp = (options: ListenOptions) =>
    tls?.serveHttps(platform, o.fetch, options) ?? platform.serveHttp(o.fetch, options);
  const http = config.httpPort === undefined
    ? undefined
    : await serveHttp({ hostname: host, port: config.httpPort });
  return {
    kvPort: kv.port,
    respPort: resp?.port,
    httpPort: http?.port,
    connections: () => ({ protobuf: kv.connections, resp: resp?.connections ?? 0 }),
    close: async () => {
      await http?.close();
      await resp?.close();
      await kv.close();
    },
  };
}
