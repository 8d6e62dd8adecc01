/**
 * TinyKV as a library, for Deno and Bun: the embedded LSM storage engine and
 * the client for a TinyKV cluster (`connect`). Importing this module has no
 * side effects: nothing opens, listens or reads the environment until called.
 *
 * @example
 * ```ts
 * import { VERSION } from "./mod.ts";
 * console.log(`TinyKV ${VERSION}`);
 * ```
 *
 * @module
 */
export { VERSION } from "./src/version.ts";
export {
  ClosedError,
  CorruptionError,
  InvalidArgumentError,
  IoError,
  NoSpaceError,
  NotFoundError,
  TooLargeError,
} from "./src/util/errors.ts";
export * as limits from "./src/limits.ts";

export { Db, Snapshot } from "./src/storage/db.ts";
export type {
  DbOptions,
  DbStats,
  KeyLike,
  ReadOptions,
  ScanOptions,
  WriteOp,
} from "./src/storage/db.ts";
export type { BlockCompression } from "./src/storage/options.ts";
import { getPlatform } from "./src/platform/detect.ts";
import { Db as Engine, type DbOptions as EngineOptions } from "./src/storage/db.ts";

/** Options of `openDb`: the engine's, with the background worker also settable to `true`. */
export type OpenDbOptions = Omit<EngineOptions, "backgroundWorker"> & {
  /**
   * `true`: flush memtables and compact tables in a second thread, the runtime's own `Worker`
   * (docs/storage.md, "Background worker"); a batch load then builds tables on the second core.
   * Off by default: a running worker keeps the process alive until `close()` (neither runtime
   * lets an idle Web Worker be unreferenced), and a bundled application must ship the worker's
   * entry beside its bundle (without it the worker fails to load and the jobs run inline).
   */
  readonly backgroundWorker?: boolean | EngineOptions["backgroundWorker"];
};

/**
 * Opens (creating if needed) an embedded TinyKV database in directory `path`
 * on the running runtime's file system (Deno or Bun).
 *
 * @example
 * ```ts
 * const db = await openDb("./data", { sync: "always" });
 * await db.put("hello", "world");
 * console.log(new TextDecoder().decode(db.get("hello")));
 * await db.close();
 * ```
 */
export function openDb(path: string, options: OpenDbOptions = {}): Promise<Engine> {
  const platform = getPlatform();
  const { backgroundWorker: worker, ...rest } = options;
  const backgroundWorker = worker === true
    ? platform.startStorageWorker
    : worker === false
    ? undefined
    : worker;
  return Engine.open(platform.fs, path, {
    clock: platform.clock,
    scanCopies: platform.scanCopies,
    ...rest,
    backgroundWorker,
  });
}

export { TinyKvClient } from "./src/client/tinykv_client.ts";
export type {
  BatchOp,
  Bytes,
  ClusterStatus,
  CompareOperator,
  Consistency,
  ExpireConditionName,
  ExpireOptions,
  GrantOptions,
  KeepAliveHandle,
  KeyEntry,
  LeaseStatus,
  LeaseTimeToLive,
  NumericTarget,
  PutOptions,
  ReadOptions as ClientReadOptions,
  RegionEntry,
  ScanOptions as ClientScanOptions,
  ScanPage,
  TimeToLiveOptions,
  TxnCompare,
  TxnOp,
  TxnOpResult,
  TxnResult,
  TxnSpec,
} from "./src/client/tinykv_client.ts";
export { Watch } from "./src/client/watch.ts";
export type { WatchOptions } from "./src/client/watch.ts";
export type { WatchChange, WatchTarget, WatchUpdate } from "./src/client/watch_wire.ts";
export { TinyKvError } from "./src/client/errors.ts";
export type { ClientErrorCode } from "./src/client/errors.ts";
export type { ClientTlsOptions } from "./src/client/tls_options.ts";
import type { ClientTlsOptions } from "./src/client/tls_options.ts";
import { TinyKvClient as Client } from "./src/client/tinykv_client.ts";

/** Options of `connect()`. */
export interface ConnectOptions {
  /** `host:port` of one or more nodes' protobuf ports. */
  readonly endpoints: readonly string[];
  /** Total time one operation may take, retries included (default 10 s). */
  readonly deadlineMs?: number;
  /** Time one attempt waits for its response (default 3 s). */
  readonly attemptTimeoutMs?: number;
  /** The cluster's admin token, for addMember/removeMember/transferLeader/snapshot. */
  readonly adminToken?: string;
  /** With authentication on (`--auth-file`): log in as this user (docs/protocol.md). */
  readonly user?: string;
  readonly password?: string;
  /** Connect with TLS (docs/tls.md): PEM text of the CA to trust, a client cert and key. */
  readonly tls?: ClientTlsOptions;
  /**
   * Send keyed requests and scans to their region's leader (docs/regions.md#routing); on unless
   * `false` (against nodes that do not answer `Regions`, requests go unrouted as before).
   */
  readonly routing?: boolean;
}

/**
 * A client for a TinyKV cluster: finds the leader, retries safely, pipelines
 * many requests over one connection per node.
 *
 * @example
 * ```ts
 * const kv = connect({ endpoints: ["127.0.0.1:7001"] });
 * await kv.put("config/feature", "on");
 * console.log(new TextDecoder().decode(await kv.get("config/feature")));
 * kv.close();
 * ```
 *
 * A key that lives as long as its holder (docs/coordination.md, Leases):
 *
 * ```ts
 * const kv = connect({ endpoints: ["127.0.0.1:7001"] });
 * const lease = await kv.grant(10);
 * await kv.put("services/api/node-1", "10.0.0.5:8080", { lease: lease.id });
 * const alive = kv.keepAlive(lease.id); // every ~3 s until close()
 * alive.done.then((lost) => lost && console.error("lease lost:", lost.message));
 * // ... on shutdown: the key goes at once instead of after the TTL.
 * alive.close();
 * await kv.revoke(lease.id);
 * ```
 */
export function connect(options: ConnectOptions): Client {
  const platform = getPlatform();
  return new Client({
    endpoints: options.endpoints,
    deadlineMs: options.deadlineMs,
    attemptTimeoutMs: options.attemptTimeoutMs,
    adminToken: options.adminToken,
    user: options.user,
    password: options.password,
    tls: options.tls,
    routing: options.routing !== false,
    net: platform.net,
    clock: platform.clock,
    seed: platform.randomSeed(),
  });
}
