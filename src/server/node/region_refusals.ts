/**
 * The refusals of the region router (region_router.ts): a command over several regions that no
 * transaction across regions carries, a key no local region holds, and a region that left.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { ServiceError } from "../kv_service.ts";

/** The refusal of a command over several regions that no transaction across regions carries. */
export function spansRegions(ids: readonly number[]): ServiceError {
  return new ServiceError(
    ErrorCode.FAILED_PRECONDITION,
    `the keys lie in regions ${ids.join(", ")}: this command over more than one region is not ` +
      "supported (docs/regions.md)",
  );
}

/** No local region holds a key of the command (this node holds no replica of its region). */
export class NoLocalRegionError extends ServiceError {
  constructor(key: Uint8Array) {
    const hex = [...key.subarray(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
    super(ErrorCode.UNAVAILABLE, `no local region holds key 0x${hex} yet; retry`);
  }
}

/**
 * A region that left this node (moved off, merged away) while a request held its entry: passing
 * (the request's retry finds where it is now), not an internal error — a RESP MSET across
 * regions answered `-ERR internal error: region 4 is not on the driver` under load.
 */
export function regionLeftNode(id: number): ServiceError {
  return new ServiceError(ErrorCode.UNAVAILABLE, `region ${id} is not on the driver; retry`);
}
