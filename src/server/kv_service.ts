/**
 * What the client ports (protobuf, RESP) need from a node: writes through
 * the log, reads at a chosen consistency, and status. The ports are written
 * against this interface; `node_service.ts` implements it over Raft and the
 * state machine, and tests can implement it over a map.
 */
import {
  type ClientResponse,
  ErrorCode,
  type RegionTxnRequest,
  type WriteResponse,
} from "../gen/tinykv/v1/tinykv_pb.ts";
import type { CommandInit } from "../kv/command_codec.ts";
import type { KeyState } from "../kv/key_state.ts";
import type { KvScanPage, KvScanRequest } from "../kv/kv_scan.ts";
import type { KvStateMachine } from "../kv/state_machine.ts";
import type { RegionCatalog } from "../region/region_catalog.ts";
import type { NodeStatus } from "./node/status_types.ts";
import type { PlacementPort } from "./placement/placement_handler.ts";
import type { RedisKeysReader, RedisReadReader, SetScanReader } from "./redis_keys.ts";

/** A key's state (undefined: absent) as of `revision`, the store revision the read saw. */
export interface KeyRead {
  readonly state: KeyState | undefined;
  readonly revision: number;
}

/** The body of an applied command's outcome. */
export type CommandOutcome = ClientResponse["body"];

export type Consistency = "linearizable" | "lease" | "serializable";

/**
 * A request the node did not carry out, typed as on the wire (docs/design.md §4).
 * NOT_LEADER and UNAVAILABLE mean it definitely did not happen; TIMEOUT means
 * the outcome is unknown.
 */
export class ServiceError extends Error {
  override name = "ServiceError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly leaderId = 0,
    readonly leaderAddress = "",
    /** COMPACTED: the oldest revision still readable. */
    readonly compactedRevision = 0,
  ) {
    super(message);
  }
}

/**
 * A Redis run across regions that reads or writes what a transaction across regions cannot
 * carry (server/node/cross_region_redis.ts): refused whole, nothing done. A node holding every
 * region answers such a run of reads from its current state instead (resp_read_across.ts).
 */
export class AcrossRegionsRefusal extends ServiceError {
  override name = "AcrossRegionsRefusal";
  constructor(message: string) {
    super(ErrorCode.FAILED_PRECONDITION, message);
  }
}

export interface KvService {
  /** Proposes a command and resolves with its applied result, or rejects with ServiceError. */
  write(command: CommandInit): Promise<WriteResponse>;
  /**
   * Proposes any replicated command (a transaction, a compaction, a lease grant
   * or revoke, or a write) and resolves with the body of its applied outcome.
   */
  execute(command: CommandInit): Promise<CommandOutcome>;
  /** The key now, or as of `revision` (0 or absent: now), and the store revision read. */
  get(key: Uint8Array, consistency: Consistency, revision?: number): Promise<KeyRead>;
  scan(request: KvScanRequest, consistency: Consistency): Promise<KvScanPage>;
  /** Number of user keys (for DBSIZE), at the given consistency. */
  count(consistency: Consistency): Promise<number>;
  /**
   * Runs `read` on the node's state machine after the read barrier of
   * `consistency`, in one turn (no apply comes between its reads): the Redis
   * port's reads.
   */
  readState<T>(consistency: Consistency, read: (kv: KvStateMachine) => T): Promise<T>;
  /**
   * `readState` answered in this turn when the read barrier is already met (serializable, or a
   * leader that is the only voter and has applied its commit index); undefined when the read
   * must wait (then call `readState`). Throws as `readState` rejects.
   */
  readStateNow?<T>(
    consistency: Consistency,
    read: (kv: KvStateMachine) => T,
  ): { value: T } | undefined;
  status(): NodeStatus;
  /**
   * The regions the node holds: routed requests are checked against it and `Regions` answered
   * from it (docs/regions.md#routing). Absent: routes are not checked, `Regions` is refused.
   */
  readonly regions?: RegionCatalog;
  /**
   * Serves a Percolator request to a region this node leads (region_txn_service.ts); absent:
   * refused.
   */
  readonly regionTxn?: (req: RegionTxnRequest) => Promise<CommandOutcome>;
  /** Reads of Redis keys over a span (src/server/redis_keys.ts); absent: refused. */
  readonly redisKeys?: RedisKeysReader;
  /** One SSCAN page of a set in any region (src/server/redis_keys.ts); absent: refused. */
  readonly redisSetScan?: SetScanReader;
  /** A Redis read of known keys by their region (src/server/redis_keys.ts); absent: refused. */
  readonly redisRead?: RedisReadReader;
  /**
   * RESP WATCH's tokens (watch_token.ts) of `keys` in database `db` on a node holding only some
   * regions, each read by its region (server/node/keys_at.ts); absent: read from `readState`.
   */
  readonly watchTokens?: (db: number, keys: readonly Uint8Array[]) => Promise<number[]>;
  /** The node's placement service (docs/regions.md#placement-service); absent: refused. */
  readonly placement?: PlacementPort;
}

/** A write's WriteResponse from the outcome of its command. */
export function writeOutcome(outcome: CommandOutcome): WriteResponse {
  if (outcome.case === "write") return outcome.value;
  throw new ServiceError(ErrorCode.UNAVAILABLE, `a write answered with ${outcome.case}`);
}
