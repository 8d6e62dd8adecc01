/**
 * How a TinyKV node (node_service.ts) is configured, and the one place its
 * defaults are filled in: `NodeService.open` resolves the caller's options
 * once and passes the resolved object down.
 */
import type { Clock, FileSystem, Net, WorkerChannel } from "../../platform/types.ts";
import type { ScanCopies } from "../../storage/options.ts";
import type { RetentionOptions } from "./history_retention.ts";
import { REGION_SPLIT_CHECK_MS } from "../../limits_ops.ts";
import { createLogger, type Logger, SILENT_LOGGER } from "../log/logger.ts";
import {
  type PlacementNodeOptions,
  resolvePlacementOptions,
} from "../placement/placement_options.ts";

export interface NodeServiceOptions {
  readonly id: number;
  /** Protobuf/Raft address of every initial voter, this node included. */
  readonly peers: ReadonlyMap<number, string>;
  readonly fs: FileSystem;
  readonly dataDir: string;
  readonly net: Net;
  readonly clock: Clock;
  readonly seed: number;
  /** The platform's collectGarbage, run after entries of LARGE_APPLY_GC_BYTES or more apply. */
  readonly collectGarbage?: () => void;
  /** Starts the engine's flush and compaction thread (absent: they run inline, as in the sim). */
  readonly storageWorker?: () => WorkerChannel;
  /** How the engine's scans copy entries (the runtime's choice: Platform.scanCopies). */
  readonly scanCopies?: ScanCopies;
  /** Engine values of at least this many bytes go to blob files (docs/storage.md); 0: none. */
  readonly blobMinBytes?: number;
  readonly readMode?: "linearizable" | "lease";
  readonly clusterToken?: string;
  /** Milliseconds per Raft tick (default `NODE_DEFAULTS.tickMs`). */
  readonly tickMs?: number;
  /** Election timeout in ticks, drawn from [electionTicks, 2 × electionTicks). */
  readonly electionTicks?: number;
  /** Ticks between a leader's heartbeats. */
  readonly heartbeatTicks?: number;
  /** How long a write or read may wait inside the node. */
  readonly requestTimeoutMs?: number;
  /** Compact the Raft log after this many applied entries (or 64 MiB of them). */
  readonly compactEntries?: number;
  /**
   * Start with no configuration and wait to be added by the cluster's leader
   * (`member add`), instead of bootstrapping a new cluster from `peers`.
   */
  readonly join?: boolean;
  /** How long one membership step (apply, learner catch-up) may take. */
  readonly membershipStepTimeoutMs?: number;
  /** This node lost its state: it does not vote until it has caught up (rebuild.ts). */
  readonly rebuild?: boolean;
  /** Where the node's events go (docs/logging.md); without it, text lines to `log`. */
  readonly logger?: Logger;
  /** A sink for plain text lines, used when `logger` is not given. */
  readonly log?: (line: string) => void;
  /** Automatic compaction of the key history (history_retention.ts); unset fields default. */
  readonly autoCompact?: Partial<RetentionOptions>;
  /** How often the leader looks for expired keys to delete (expiry_sweeper.ts). */
  readonly expirySweepMs?: number;
  /** The placement service on this node (`--zone`, `--replicas`, `--replace-timeout`). */
  readonly placement?: Partial<PlacementNodeOptions>;
  /** A region larger than this many bytes splits (region_split_check.ts); 0: never. */
  readonly regionSplitBytes?: number;
  /**
   * The data directory is marked as splitting (region_setting.ts): region images and stamped
   * commands even while `regionSplitBytes` is 0 (splitting turned off again proposes no split,
   * but the directory's revisions are timestamps and its peers expect images).
   */
  readonly regionsSplit?: boolean;
  /** How often the split check runs (REGION_SPLIT_CHECK_MS); tests make it short. */
  readonly splitCheckMs?: number;
  /**
   * Two adjacent regions whose current records add up to at most this many bytes merge
   * (region_merge_check.ts); 0: never. At most half of `regionSplitBytes`, so that a merged
   * region is far from splitting again.
   */
  readonly regionMergeBytes?: number;
  /**
   * A region its leader writes more often than this many times a second, over a window of
   * REGION_LOAD_WINDOW_MS, splits where its writes halve (region_load.ts); 0: never. Only on a
   * node that splits (`regionSplitBytes` above 0).
   */
  readonly regionSplitLoad?: number;
}

/**
 * The defaults, which are the binary's (docs/server.md, "Raft timing"): a
 * 20 ms tick, heartbeats every 5 ticks (100 ms), an election timeout drawn
 * from [50, 100) ticks (1–2 s). Raft draws the timeout in whole ticks: with
 * 100 ms ticks there were only 10 values, and the chaos suite saw the two
 * survivors of a 3-node cluster time out in the same tick and split the vote
 * (docs/chaos.md). Compacting every 10,000 entries was ~1.5 stalls a second
 * under load (bench/RESULTS.md), hence 100,000.
 */
export const NODE_DEFAULTS = {
  tickMs: 20,
  heartbeatTicks: 5,
  electionTicks: 50,
  readMode: "linearizable",
  requestTimeoutMs: 5000,
  compactEntries: 100_000,
  membershipStepTimeoutMs: 60_000,
  expirySweepMs: 100,
  /** A 1 KB value's compactions then rewrite a reference, not the value (bench/RESULTS.md). */
  blobMinBytes: 512,
  /** Keep the last 100,000 revisions of key history; no age rule; decide every 5 s. */
  autoCompact: { revisions: 100_000, ageMs: 0, checkMs: 5_000 },
} as const;

/** Every option filled in, plus what follows from them. */
export interface ResolvedNodeOptions extends
  Required<
    Omit<
      NodeServiceOptions,
      | "clusterToken"
      | "log"
      | "logger"
      | "autoCompact"
      | "collectGarbage"
      | "storageWorker"
      | "scanCopies"
      | "placement"
    >
  > {
  readonly placement: PlacementNodeOptions;
  readonly autoCompact: RetentionOptions;
  readonly collectGarbage: (() => void) | undefined;
  readonly storageWorker: (() => WorkerChannel) | undefined;
  readonly scanCopies: ScanCopies | undefined;
  readonly clusterToken: string | undefined;
  readonly logger: Logger;
  /** A free-form line, logged as a `message` event (callers that have no event of their own). */
  readonly log: (line: string) => void;
  /** One election timeout (its lower bound), in milliseconds. */
  readonly electionTimeoutMs: number;
}

function positiveInteger(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`${name} must be > 0, got ${v}`);
  return v;
}

function nonNegativeInteger(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be >= 0, got ${v}`);
  return v;
}

/** Fills in every default of `o` (once, where the node is created) and checks the timing. */
export function resolveNodeOptions(o: NodeServiceOptions): ResolvedNodeOptions {
  const d = NODE_DEFAULTS;
  const tickMs = positiveInteger("tickMs", o.tickMs ?? d.tickMs);
  const electionTicks = positiveInteger("electionTicks", o.electionTicks ?? d.electionTicks);
  const heartbeatTicks = positiveInteger("heartbeatTicks", o.heartbeatTicks ?? d.heartbeatTicks);
  if (heartbeatTicks >= electionTicks) {
    throw new RangeError(
      `heartbeatTicks (${heartbeatTicks}) must be smaller than electionTicks (${electionTicks})`,
    );
  }
  const logger = o.logger ?? loggerOfLines(o);
  return Object.freeze({
    ...o,
    readMode: o.readMode ?? d.readMode,
    clusterToken: o.clusterToken,
    tickMs,
    electionTicks,
    heartbeatTicks,
    requestTimeoutMs: positiveInteger(
      "requestTimeoutMs",
      o.requestTimeoutMs ?? d.requestTimeoutMs,
    ),
    compactEntries: positiveInteger("compactEntries", o.compactEntries ?? d.compactEntries),
    join: o.join ?? false,
    membershipStepTimeoutMs: positiveInteger(
      "membershipStepTimeoutMs",
      o.membershipStepTimeoutMs ?? d.membershipStepTimeoutMs,
    ),
    rebuild: o.rebuild ?? false,
    expirySweepMs: positiveInteger("expirySweepMs", o.expirySweepMs ?? d.expirySweepMs),
    regionSplitBytes: nonNegativeInteger("regionSplitBytes", o.regionSplitBytes ?? 0),
    regionsSplit: o.regionsSplit === true,
    splitCheckMs: positiveInteger("splitCheckMs", o.splitCheckMs ?? REGION_SPLIT_CHECK_MS),
    regionMergeBytes: mergeBytes(o),
    regionSplitLoad: nonNegativeInteger("regionSplitLoad", o.regionSplitLoad ?? 0),
    blobMinBytes: nonNegativeInteger("blobMinBytes", o.blobMinBytes ?? d.blobMinBytes),
    logger,
    log: (line: string) => logger.info("message", { text: line }),
    collectGarbage: o.collectGarbage,
    storageWorker: o.storageWorker,
    scanCopies: o.scanCopies,
    autoCompact: resolveRetention(o.autoCompact ?? {}),
    electionTimeoutMs: electionTicks * tickMs,
    placement: resolvePlacementOptions(o.placement ?? {}),
  });
}

/** `regionMergeBytes`: 0, or at most half the split size (split and merge must not flap). */
function mergeBytes(o: NodeServiceOptions): number {
  const n = nonNegativeInteger("regionMergeBytes", o.regionMergeBytes ?? 0);
  const split = o.regionSplitBytes ?? 0;
  if (n > 0 && (split === 0 || n > split / 2)) {
    throw new RangeError(`regionMergeBytes (${n}) must be at most half of regionSplitBytes`);
  }
  return n;
}

/** Text lines into `o.log`, or nothing. */
function loggerOfLines(o: NodeServiceOptions): Logger {
  const write = o.log;
  if (write === undefined) return SILENT_LOGGER;
  return createLogger({ write, wallMs: () => o.clock.wallMs(), nowMs: () => o.clock.nowMs() });
}

function resolveRetention(r: Partial<RetentionOptions>): RetentionOptions {
  const d = NODE_DEFAULTS.autoCompact;
  const count = (name: string, v: number) => {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be >= 0, got ${v}`);
    return v;
  };
  return {
    revisions: count("autoCompact.revisions", r.revisions ?? d.revisions),
    ageMs: count("autoCompact.ageMs", r.ageMs ?? d.ageMs),
    checkMs: positiveInteger("autoCompact.checkMs", r.checkMs ?? d.checkMs),
  };
}

/**
 * The voters region 1 keeps (docs/regions.md "Region 1's voters"): on a node that splits,
 * `--replicas`, the other members learners; undefined (every member votes) on one that does not,
 * where region 1 is the whole store and a user's five members mean five voters.
 */
export function firstRegionVoters(o: ResolvedNodeOptions): number | undefined {
  return o.regionSplitBytes > 0 || o.regionsSplit ? o.placement.replicas : undefined;
}
