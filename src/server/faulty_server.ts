/**
 * A node whose stored state failed a checksum when it was opened (a damaged
 * Raft log segment, snapshot file, manifest or SSTable). Rather than exit and
 * restart in a loop, it stays up and says why: every client request gets
 * CORRUPTION naming the file and offset, /status carries the fault, /health
 * answers 503. It runs no Raft at all — it neither votes nor campaigns on bad
 * state, and drops every peer message — while the rest of the cluster keeps
 * serving. Rebuild it as docs/operations-disk.md describes.
 */
import type { WriteResponse } from "../gen/tinykv/v1/tinykv_pb.ts";
import type { KvScanPage } from "../kv/kv_scan.ts";
import type { Platform } from "../platform/types.ts";
import type { CorruptionError } from "../util/errors.ts";
import { createStatusApp } from "./http/status_app.ts";
import type { NodeStatus } from "./node/status_types.ts";
import type { CommandOutcome, KeyRead, KvService } from "./kv_service.ts";
import { MetricsRegistry } from "./metrics/registry.ts";
import { corruptionFault, faultRefusal } from "./node/faults.ts";
import { startPorts } from "./ports.ts";
import type { ServerConfig } from "./server.ts";

export interface FaultyServer {
  readonly kvPort: number;
  readonly httpPort: number | undefined;
  readonly respPort: number | undefined;
  status(): NodeStatus;
  close(): Promise<void>;
}

export async function startFaultyServer(
  platform: Platform,
  config: ServerConfig,
  corruption: CorruptionError,
): Promise<FaultyServer> {
  const fault = corruptionFault(corruption);
  const refuse = <T>(): Promise<T> => Promise.reject(faultRefusal(fault, "read"));
  const status = (): NodeStatus => ({
    id: config.id,
    role: "follower",
    term: 0,
    leader: null,
    commitIndex: 0,
    appliedIndex: 0,
    members: [],
    fault,
    rebuilding: false,
  });
  const service: KvService = {
    write: () => refuse<WriteResponse>(),
    execute: () => refuse<CommandOutcome>(),
    get: () => refuse<KeyRead>(),
    scan: () => refuse<KvScanPage>(),
    count: () => refuse<number>(),
    readState: <T>() => refuse<T>(),
    status,
  };
  const app = createStatusApp({
    source: { status, healthy: () => false },
    metrics: new MetricsRegistry(),
    auth: config.auth,
    adminToken: config.adminToken,
  });
  const ports = await startPorts(platform, config, {
    service,
    peers: { onRaftMessage: () => {} }, // no Raft on bad state: not even a vote
    fetch: app.fetch,
  });
  return {
    kvPort: ports.kvPort,
    httpPort: ports.httpPort,
    respPort: ports.respPort,
    status,
    close: () => ports.close(),
  };
}
