/**
 * The refusals of the region router (region_router.ts): a command over several regions that no
 * transaction across regions carries, and a key no local region holds.
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
