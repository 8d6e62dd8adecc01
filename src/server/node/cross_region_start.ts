/**
 * How a transaction across regions starts on a node (cross_region_txn.ts, cross_region_redis.ts):
 * a start timestamp from the oracle, and every key read at it wherever its region is
 * (keys_at.ts). A passing refusal of either (UNAVAILABLE) becomes `ReadRefusedError`, which the
 * coordinator retries at a new start timestamp: nothing was written yet.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { KeyState } from "../../kv/key_state.ts";
import type { TxnEnv } from "../../txn/lock_resolver.ts";
import { toHex } from "../../util/bytes.ts";
import { ServiceError } from "../kv_service.ts";
import type { KeyAt } from "./keys_at.ts";

export interface CrossRegionTxnDeps {
  /** A transaction environment on this node (node_txn_sender.ts). */
  readonly env: () => TxnEnv;
  /**
   * The keys (distinct) as of `revision`, read linearizably, locks finished, wherever their
   * regions are (keys_at.ts).
   */
  readonly read: (keys: readonly Uint8Array[], revision: number) => Promise<KeyAt[]>;
  /**
   * The node's clock for a Redis run across regions (cross_region_redis.ts); absent: such runs
   * are refused.
   */
  readonly now?: () => number;
}

/**
 * The start timestamp, or its reads, were refused for a passing reason (the oracle's leader
 * changing, a region split or changed while they waited, no leader yet): nothing was written, so
 * another attempt at a new start timestamp is as good as the first, and the node makes it rather
 * than the client.
 */
export class ReadRefusedError extends Error {}

/** `err`, a ReadRefusedError when it is a passing refusal (UNAVAILABLE). */
function passingOrNot(err: unknown): unknown {
  const passing = err instanceof ServiceError && err.code === ErrorCode.UNAVAILABLE;
  return passing ? new ReadRefusedError(err.message) : err;
}

/** A start timestamp from the oracle (its refusal retried as a passing one: nothing was done). */
export async function startTimestamp(env: TxnEnv): Promise<number> {
  try {
    return await env.timestamp();
  } catch (err) {
    throw passingOrNot(err);
  }
}

/** Reads every key at `ts` (each once), by hex key. */
export async function readKeys(
  d: CrossRegionTxnDeps,
  keys: readonly Uint8Array[],
  ts: number,
): Promise<Map<string, KeyAt>> {
  const unique = new Map(keys.map((k) => [toHex(k), k]));
  let read: KeyAt[];
  try {
    read = await d.read([...unique.values()], ts);
  } catch (err) {
    throw passingOrNot(err);
  }
  return new Map([...unique.keys()].map((hex, i) => [hex, read[i]]));
}

/** Every key's string at `ts` (each once), by hex key. */
export async function readAll(
  d: CrossRegionTxnDeps,
  keys: readonly Uint8Array[],
  ts: number,
): Promise<Map<string, KeyState | undefined>> {
  const read = await readKeys(d, keys, ts);
  return new Map([...read].map(([hex, at]) => [hex, at.state]));
}
