/** `tinykv [--id N --peers …]`: runs a node until SIGINT/SIGTERM, then stops it cleanly. */
import type { Platform, ProcessHost } from "../platform/types.ts";
import { startServer } from "../server/server.ts";
import { parseNodeId, parsePeers, parsePort } from "./peers.ts";
import { UsageError } from "./usage_error.ts";

export interface ServeFlags {
  readonly id?: string;
  readonly peers?: string;
  readonly "data-dir"?: string;
  readonly "http-port"?: string;
  readonly "resp-port"?: string;
  readonly "read-mode"?: string;
  readonly "cluster-token"?: string;
  readonly "admin-token"?: string;
  readonly join?: boolean;
}

export async function serve(
  flags: ServeFlags,
  platform: Platform,
  host: ProcessHost,
): Promise<number> {
  const id = flags.id === undefined ? 1 : parseNodeId(flags.id, "--id");
  const peerList = parsePeers(flags.peers ?? `${id}=127.0.0.1:7001`);
  const peers = new Map(peerList.map((p) => [p.id, `${p.host}:${p.port}`]));
  if (!peers.has(id)) throw new UsageError(`--peers must list this node's id ${id}`);
  const readMode = flags["read-mode"] ?? "linearizable";
  if (readMode !== "linearizable" && readMode !== "lease") {
    throw new UsageError(`--read-mode must be linearizable or lease, got '${readMode}'`);
  }
  // Listen for signals before starting: a SIGTERM during startup (a long log
  // replay) must still stop the node cleanly once it is up, not kill it mid-write.
  let stopRequested: () => void = () => {};
  const stop = new Promise<void>((resolve) => stopRequested = resolve);
  host.onShutdown(() => stopRequested());
  const server = await startServer(platform, {
    id,
    peers,
    dataDir: flags["data-dir"] ?? "data",
    httpPort: parsePort(flags["http-port"] ?? "8001", "--http-port"),
    respPort: parsePort(flags["resp-port"] ?? "6379", "--resp-port"),
    readMode,
    clusterToken: flags["cluster-token"] ?? host.env("TINYKV_CLUSTER_TOKEN"),
    adminToken: flags["admin-token"] ?? host.env("TINYKV_ADMIN_TOKEN"),
    join: flags.join === true,
  });
  const own = peers.get(id);
  host.writeStdout(
    `tinykv: node ${id} serving — protobuf ${own}, RESP :${server.respPort}, ` +
      `HTTP http://${own?.replace(/:\d+$/, "")}:${server.httpPort}/status\n`,
  );
  await stop;
  try {
    await server.close();
    return 0;
  } catch (err) {
    host.writeStderr(`tinykv: error while stopping: ${String(err)}\n`);
    return 1;
  }
}
