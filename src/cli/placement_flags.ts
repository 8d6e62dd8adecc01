/**
 * `--zone NAME`, `--replicas N`, `--replace-timeout D`, `--placement-heartbeat D`: the node's
 * placement options, each checked here as a usage error (and again where the node opens:
 * placement_options.ts, for nodes started without the CLI).
 */
import {
  PLACEMENT_HEARTBEAT_MS_MAX,
  PLACEMENT_HEARTBEAT_MS_MIN,
  PLACEMENT_REPLICAS_MAX,
  PLACEMENT_ZONE_BYTES_MAX,
} from "../limits_ops.ts";
import type { PlacementNodeOptions } from "../server/placement/placement_options.ts";
import { utf8 } from "../util/bytes.ts";
import { parseDuration } from "./duration.ts";
import { UsageError } from "./usage_error.ts";

export interface PlacementFlags {
  readonly zone?: string;
  readonly replicas?: string;
  readonly "replace-timeout"?: string;
  readonly "placement-heartbeat"?: string;
}

export function placementFlagsOf(flags: PlacementFlags): Partial<PlacementNodeOptions> {
  const out: { -readonly [K in keyof PlacementNodeOptions]?: PlacementNodeOptions[K] } = {};
  const zone = flags.zone;
  if (zone !== undefined) {
    if (!/^[\x21-\x7e]*$/.test(zone) || utf8(zone).length > PLACEMENT_ZONE_BYTES_MAX) {
      throw new UsageError(
        `--zone must be at most ${PLACEMENT_ZONE_BYTES_MAX} printable ASCII characters`,
      );
    }
    out.zone = zone;
  }
  const replicas = flags.replicas;
  if (replicas !== undefined) {
    const n = /^\d{1,2}$/.test(replicas) ? Number(replicas) : NaN;
    if (!(n >= 1 && n <= PLACEMENT_REPLICAS_MAX)) {
      throw new UsageError(`--replicas must be 1 to ${PLACEMENT_REPLICAS_MAX}, got '${replicas}'`);
    }
    out.replicas = n;
  }
  const timeout = flags["replace-timeout"];
  if (timeout !== undefined) {
    out.replaceTimeoutMs = parseDuration(timeout, "--replace-timeout", "s");
  }
  const heartbeat = flags["placement-heartbeat"];
  if (heartbeat !== undefined) {
    const ms = parseDuration(heartbeat, "--placement-heartbeat");
    if (ms < PLACEMENT_HEARTBEAT_MS_MIN || ms > PLACEMENT_HEARTBEAT_MS_MAX) {
      throw new UsageError(
        `--placement-heartbeat must be ${PLACEMENT_HEARTBEAT_MS_MIN} ms to ` +
          `${PLACEMENT_HEARTBEAT_MS_MAX / 1000} s, got '${heartbeat}'`,
      );
    }
    out.heartbeatMs = ms;
  }
  return out;
}
