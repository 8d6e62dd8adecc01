/**
 * The value checks of a placement request (placement_rpc.ts): the same bounds the placement
 * commands check, applied before anything is proposed.
 */
import {
  PLACEMENT_ADDRESS_BYTES_MAX,
  PLACEMENT_HELD_PER_HEARTBEAT_MAX,
  PLACEMENT_ID_BATCH_MAX,
  PLACEMENT_REPORTS_PER_HEARTBEAT_MAX,
  PLACEMENT_ZONE_BYTES_MAX,
  TSO_BATCH_MAX,
} from "../../limits_ops.ts";
import { KEY_BYTES_MAX } from "../../limits.ts";
import { checkCount, checkString } from "../../placement/placement_codec.ts";
import { checkReport } from "../../placement/placement_commands.ts";
import { InvalidArgumentError } from "../../util/errors.ts";
import { checkHeld, checkTerms } from "./placement_orders.ts";
import type { PlacementRequestBody } from "./placement_rpc.ts";
import { checkGroupHeard } from "./placement_group_wire.ts";

/** Throws InvalidArgumentError unless the request's fields are valid and within bounds. */
export function checkPlacementRequest(b: PlacementRequestBody): void {
  switch (b.kind) {
    case "heartbeat": {
      const h = b.heartbeat;
      checkCount(h.nodeId, "node id", 1);
      checkString(h.address, PLACEMENT_ADDRESS_BYTES_MAX, "address");
      checkString(h.zone, PLACEMENT_ZONE_BYTES_MAX, "zone");
      checkCount(h.capacityBytes, "capacity bytes");
      checkCount(h.usedBytes, "used bytes");
      if (h.reports.length > PLACEMENT_REPORTS_PER_HEARTBEAT_MAX) {
        const max = PLACEMENT_REPORTS_PER_HEARTBEAT_MAX;
        throw new InvalidArgumentError(
          `heartbeat carries ${h.reports.length} reports (max ${max})`,
        );
      }
      for (const r of h.reports) {
        checkReport(r.descriptor, r.leader, r.sizeBytes, r.writesPerSec, r.caughtUp);
        if (r.descriptor.id === 0) throw new InvalidArgumentError("region 0 is not reported");
      }
      if (h.terms !== undefined) checkTerms(h.terms, h.reports.length);
      if (h.catchingUp !== undefined) checkCatchingUp(h.catchingUp);
      if (h.placement !== undefined) checkGroupHeard(h.placement);
      return checkHeld(h.held ?? []);
    }
    case "allocate-ids":
      checkCount(b.count, "id count", 1);
      if (b.count > PLACEMENT_ID_BATCH_MAX) {
        throw new InvalidArgumentError(`id count ${b.count} is over ${PLACEMENT_ID_BATCH_MAX}`);
      }
      return;
    case "timestamps":
      checkCount(b.count, "timestamp count", 1);
      if (b.count > TSO_BATCH_MAX) {
        throw new InvalidArgumentError(`timestamp count ${b.count} is over ${TSO_BATCH_MAX}`);
      }
      return;
    case "drain":
      return checkCount(b.nodeId, "node id", 1);
    case "status":
      return;
    case "route":
      if (b.key.length > KEY_BYTES_MAX) {
        throw new InvalidArgumentError(`route key is over ${KEY_BYTES_MAX} bytes`);
      }
      return;
  }
}

function checkCatchingUp(ids: readonly number[]): void {
  if (ids.length > PLACEMENT_HELD_PER_HEARTBEAT_MAX) {
    const max = PLACEMENT_HELD_PER_HEARTBEAT_MAX;
    throw new InvalidArgumentError(
      `heartbeat lists ${ids.length} regions catching up (max ${max})`,
    );
  }
  for (const id of ids) checkCount(id, "region id", 1);
}
