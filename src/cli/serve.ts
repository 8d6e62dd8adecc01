/** `tinykv [--id N --peers …]`: runs a node until SIGINT/SIGTERM, then stops it cleanly. */
import { Authenticator } from "../auth/authenticator.ts";
import { loadAuthFile } from "../auth/load_auth_file.ts";
import { reloadAuthFile } from "../auth/reload_auth_file.ts";
import type { Platform, ProcessHost } from "../platform/types.ts";
import { startFaultyServer } from "../server/faulty_server.ts";
import { type ServerConfig, startServer } from "../server/server.ts";
import { watchLoopStalls } from "../server/metrics/loop_stalls.ts";
import { CorruptionError } from "../util/errors.ts";
import { parseNodeId, parsePeers, parsePort, type PeerAddress } from "./peers.ts";
import { joinHostPort, resolvePeerHosts } from "./peer_hosts.ts";
import { UsageError } from "./usage_error.ts";
import {
  createLogger,
  type Logger,
  parseLogFormat,
  parseLogLevel,
  SILENT_LOGGER,
} from "../server/log/logger.ts";
import { nodeTlsOf, reloadTlsOnSignal } from "./tls_flags.ts";
import { placementFlagsOf } from "./placement_flags.ts";
import { REGION_SPLIT_BYTES_DEFAULT, RegionSettingError } from "../server/node/region_setting.ts";

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
  readonly "auto-compact-revisions"?: string;
  readonly "auto-compact-age"?: string;
  readonly "log-format"?: string;
  readonly "log-level"?: string;
  readonly "slow-request-ms"?: string;
  readonly "auth-file"?: string;
  readonly "http-admin-open"?: boolean;
  readonly "tls-cert"?: string;
  readonly "tls-key"?: string;
  readonly "tls-ca"?: string;
  readonly "tls-client-auth"?: boolean;
  readonly "storage-worker"?: string;
  readonly zone?: string;
  readonly replicas?: string;
  readonly "replace-timeout"?: string;
  readonly "placement-heartbeat"?: string;
  readonly "region-split-bytes"?: string;
  readonly "region-split-load"?: string;
  readonly "region-merge-bytes"?: string;
}

function retentionFlag(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,15}$/.test(text)) throw new UsageError(`${name} must be a non-negative integer`);
  return Number(text);
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
  const listenHost = await resolvePeerHosts(peerList, id, platform);
  const readMode = flags["read-mode"] ?? "linearizable";
  if (readMode !== "linearizable" && readMode !== "lease") {
    throw new UsageError(`--read-mode must be linearizable or lease, got '${readMode}'`);
  }
  // Listen for signals before starting: a SIGTERM during startup (a long log
  // replay) must still stop the node cleanly once it is up, not kill it mid-write.
  let stopRequested: () => void = () => {};
  const stop = new Promise<void>((resolve) => stopRequested = resolve);
  host.onShutdown(() => stopRequested());
  // Raft timing: the node's defaults, which are the binary's (docs/server.md).
  const config: ServerConfig = {
    id,
    peers,
    dataDir: flags["data-dir"] ?? "data",
    httpPort: parsePort(flags["http-port"] ?? "8001", "--http-port"),
    respPort: parsePort(flags["resp-port"] ?? "6379", "--resp-port"),
    listenHost,
    readMode,
    clusterToken: flags["cluster-token"] ?? host.env("TINYKV_CLUSTER_TOKEN"),
    adminToken: flags["admin-token"] ?? host.env("TINYKV_ADMIN_TOKEN"),
    join: flags.join === true,
    logger: loggerOf(flags, platform, host),
    slowRequestMs: retentionFlag(flags["slow-request-ms"], "--slow-request-ms"),
    autoCompact: autoCompactOf(flags),
    auth: authenticatorOf(flags["auth-file"], platform),
    httpAdminOpen: flags["http-admin-open"] === true,
    tls: nodeTlsOf(flags, platform.fs),
    storageWorker: storageWorkerOf(flags["storage-worker"]),
    placement: placementFlagsOf(flags),
    regionSplitBytes: retentionFlag(flags["region-split-bytes"], "--region-split-bytes"),
    regionSplitLoad: retentionFlag(flags["region-split-load"], "--region-split-load"),
    regionMergeBytes: retentionFlag(flags["region-merge-bytes"], "--region-merge-bytes"),
    regionSplitDefault: REGION_SPLIT_BYTES_DEFAULT,
  };
  checkHttpAdminOpen(config, host);
  const server = await startNode(platform, config);
  const stopStallProbe = flags["log-level"] === "debug" && config.logger !== undefined
    ? watchLoopStalls(platform.clock, config.logger)
    : undefined;
  warnOpenPeers(config); // once it serves: a node refused at startup says only why
  reloadOnSignal(config, flags["auth-file"], platform, host);
  host.writeStdout(servingLine(id, listenHost, peerList, server, config.tls !== undefined));
  await stop;
  stopStallProbe?.();
  try {
    await server.close();
    return 0;
  } catch (err) {
    host.writeStderr(`tinykv: error while stopping: ${String(err)}\n`);
    return 1;
  }
}

/**
 * Starts the node; on corrupted state it stays up as a faulty node that
 * reports the damage (and takes no part in Raft) instead of exiting.
 */
async function startNode(
  platform: Platform,
  config: ServerConfig,
): Promise<{ respPort?: number; httpPort?: number; close(): Promise<void> }> {
  try {
    return await startServer(platform, config);
  } catch (err) {
    if (err instanceof RegionSettingError) throw new UsageError(err.message);
    if (!(err instanceof CorruptionError)) throw err;
    config.logger?.error("disk.corruption", {
      file: err.file,
      offset: err.offset,
      error: err.message + "; refusing to serve or vote (rebuild: docs/operations-disk.md)",
    });
    return await startFaultyServer(platform, config, err);
  }
}

/** SIGHUP: new TLS certificates and a new auth file, each kept as it was if it does not load. */
function reloadOnSignal(
  config: ServerConfig,
  authFile: string | undefined,
  platform: Platform,
  host: ProcessHost,
): void {
  const logger = config.logger ?? SILENT_LOGGER;
  reloadTlsOnSignal(config.tls, host, logger);
  const auth = config.auth;
  if (auth === undefined || authFile === undefined) return;
  host.onReload?.(() => {
    const problem = reloadAuthFile(auth, platform.fs, authFile);
    if (problem === undefined) logger.info("auth.reloaded", { file: authFile });
    else {
      logger.error("auth.reload_failed", {
        file: authFile,
        error: `${problem}; keeping the old users`,
      });
    }
  });
}

/** `--auth-file FILE`: users and permissions (docs/security.md); a bad file stops startup. */
function authenticatorOf(path: string | undefined, platform: Platform): Authenticator | undefined {
  if (path === undefined) return undefined;
  try {
    const file = loadAuthFile(platform.fs, path);
    return new Authenticator({ file, wallMs: () => platform.clock.wallMs() });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/**
 * `--http-admin-open` drops the credential on the HTTP admin routes of a node that has none;
 * with `--admin-token` or `--auth-file` it would contradict them, so it is refused.
 */
function checkHttpAdminOpen(config: ServerConfig, host: ProcessHost): void {
  if (config.httpAdminOpen !== true) return;
  if (config.adminToken !== undefined || config.auth !== undefined) {
    throw new UsageError(
      "--http-admin-open cannot be combined with --admin-token (TINYKV_ADMIN_TOKEN) or " +
        "--auth-file: they require a credential on the admin routes",
    );
  }
  host.writeStderr(
    "tinykv: warning: --http-admin-open: anyone who can reach the HTTP port can change " +
      "membership, move leadership and take snapshots\n",
  );
}

/**
 * Peers prove themselves with the cluster token or (with `--tls-ca`) a certificate; a cluster of
 * several nodes with neither trusts any connection that says it is a member, Raft messages and
 * all. Allowed, as before, but said at startup (docs/security.md).
 */
function warnOpenPeers(config: ServerConfig): void {
  const several = config.peers.size > 1 || config.join === true;
  if (!several || config.clusterToken !== undefined || config.tls?.verifiesPeers === true) return;
  config.logger?.warn("peers.unauthenticated", {
    advice: "anyone who can reach the protobuf port can act as a member: set --cluster-token " +
      "(or --tls-ca)",
  });
}

/** `--auto-compact-revisions N` and `--auto-compact-age SECONDS` (0 turns a rule off). */
function autoCompactOf(flags: ServeFlags): { revisions?: number; ageMs?: number } {
  const revisions = retentionFlag(flags["auto-compact-revisions"], "--auto-compact-revisions");
  const age = retentionFlag(flags["auto-compact-age"], "--auto-compact-age");
  return {
    ...(revisions === undefined ? {} : { revisions }),
    ...(age === undefined ? {} : { ageMs: age * 1000 }),
  };
}

/** `--log-format text|json` and `--log-level`: the node's lines, to stderr. */
function loggerOf(flags: ServeFlags, platform: Platform, host: ProcessHost): Logger {
  const format = parseLogFormat(flags["log-format"] ?? "text");
  if (format === undefined) throw new UsageError("--log-format must be text or json");
  const level = parseLogLevel(flags["log-level"] ?? "info");
  if (level === undefined) throw new UsageError("--log-level must be debug, info, warn or error");
  const clock = platform.clock;
  return createLogger({
    write: (line) => host.writeStderr(line + "\n"),
    format,
    level,
    wallMs: () => clock.wallMs(),
    nowMs: () => clock.nowMs(),
  });
}

/**
 * One line naming the exact address each port is bound to (users and tests parse it):
 * `tinykv: node 1 serving — protobuf 127.0.0.1:7001, RESP 127.0.0.1:6379, HTTP http://…/status`.
 */
function servingLine(
  id: number,
  bound: string,
  peerList: readonly PeerAddress[],
  ports: { respPort?: number; httpPort?: number },
  tls: boolean,
): string {
  const kvPort = peerList.find((p) => p.id === id)?.port;
  const resp = ports.respPort === undefined ? "off" : joinHostPort(bound, ports.respPort);
  const http = ports.httpPort === undefined
    ? "off"
    : `${tls ? "https" : "http"}://${joinHostPort(bound, ports.httpPort)}/status`;
  return `tinykv: node ${id} serving — protobuf ${joinHostPort(bound, kvPort)}, RESP ${resp}, ` +
    `HTTP ${http}\n`;
}

/** `--storage-worker on|off` (default on): flush and compaction off the serving thread. */
function storageWorkerOf(text: string | undefined): boolean {
  if (text === undefined || text === "on") return true;
  if (text === "off") return false;
  throw new UsageError(`--storage-worker must be on or off, got '${text}'`);
}
