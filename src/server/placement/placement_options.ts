/**
 * What a node's placement service is configured with (`--zone`, `--replicas`,
 * `--replace-timeout`; the heartbeat interval is an option only; docs/operations.md), and which
 * nodes hold the placement group (region 0): the first PLACEMENT_VOTERS ids,
 * sorted, of the new cluster's `--peers` (decision 0014 §7).
 */
import {
  PLACEMENT_HEARTBEAT_MS,
  PLACEMENT_HEARTBEAT_MS_MAX,
  PLACEMENT_HEARTBEAT_MS_MIN,
  PLACEMENT_REPLACE_TIMEOUT_MS,
  PLACEMENT_REPLACE_TIMEOUT_MS_MAX,
  PLACEMENT_REPLICAS_MAX,
  PLACEMENT_VOTERS,
  PLACEMENT_ZONE_BYTES_MAX,
} from "../../limits_ops.ts";
import { utf8 } from "../../util/bytes.ts";

/** The region id of the placement group: never a key range. */
export const PLACEMENT_REGION = 0;

export interface PlacementNodeOptions {
  /** This node's zone label (`--zone`; "" = none). */
  readonly zone: string;
  /** Voters per KV region the scheduler keeps (`--replicas`). */
  readonly replicas: number;
  /** A node silent this long is down; its replicas are replaced (`--replace-timeout`). */
  readonly replaceTimeoutMs: number;
  /** Interval of this node's heartbeat to the placement leader. */
  readonly heartbeatMs: number;
}

export const PLACEMENT_DEFAULTS: PlacementNodeOptions = {
  zone: "",
  replicas: 3,
  replaceTimeoutMs: PLACEMENT_REPLACE_TIMEOUT_MS,
  heartbeatMs: PLACEMENT_HEARTBEAT_MS,
};

function between(name: string, v: number, min: number, max: number): number {
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${v}`);
  }
  return v;
}

/** Fills defaults and checks bounds: a RangeError names the bad option. */
export function resolvePlacementOptions(o: Partial<PlacementNodeOptions>): PlacementNodeOptions {
  const d = PLACEMENT_DEFAULTS;
  const zone = o.zone ?? d.zone;
  if (utf8(zone).length > PLACEMENT_ZONE_BYTES_MAX) {
    throw new RangeError(`zone is over ${PLACEMENT_ZONE_BYTES_MAX} bytes`);
  }
  return {
    zone,
    replicas: between("replicas", o.replicas ?? d.replicas, 1, PLACEMENT_REPLICAS_MAX),
    replaceTimeoutMs: between(
      "replace timeout (ms)",
      o.replaceTimeoutMs ?? d.replaceTimeoutMs,
      1,
      PLACEMENT_REPLACE_TIMEOUT_MS_MAX,
    ),
    heartbeatMs: between(
      "placement heartbeat (ms)",
      o.heartbeatMs ?? d.heartbeatMs,
      PLACEMENT_HEARTBEAT_MS_MIN,
      PLACEMENT_HEARTBEAT_MS_MAX,
    ),
  };
}

/**
 * The placement group's voters: the first PLACEMENT_VOTERS ids of the initial cluster, sorted.
 * Every node computes the same set from the same `--peers` with no message exchanged, and the
 * lowest ids are the ones a cluster grows from (the lowest id campaigns first: first_election.ts).
 */
export function placementVoters(peers: ReadonlyMap<number, string>): number[] {
  return [...peers.keys()].sort((a, b) => a - b).slice(0, PLACEMENT_VOTERS);
}
