/**
 * Error replies of the RESP port (docs/resp.md). The first word tells a
 * client whether retrying is safe:
 *
 *   -TRYAGAIN …    the command was not applied (no quorum yet, overloaded); retry
 *   -CLUSTERDOWN … no leader is known; the command was not applied; retry later
 *   -TIMEOUT …     the outcome is unknown: a write may or may not have happened
 *   -ERR …         the command is wrong (syntax, limits, types); retrying will not help
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { ServiceError } from "../kv_service.ts";

export function respErrorFor(err: unknown): string {
  if (!(err instanceof ServiceError)) {
    return `ERR internal error: ${err instanceof Error ? err.message : String(err)}`;
  }
  switch (err.code) {
    case ErrorCode.NOT_LEADER:
      return `CLUSTERDOWN no leader is known; the command was not applied (${err.message})`;
    case ErrorCode.UNAVAILABLE:
      return `TRYAGAIN the command was not applied: ${err.message}`;
    case ErrorCode.TIMEOUT:
      return `TIMEOUT the outcome is unknown: ${err.message}`;
    case ErrorCode.TOO_LARGE:
      return `ERR too large: ${err.message}`;
    case ErrorCode.CORRUPTION:
      return `ERR this node detected corruption and does not serve: ${err.message}`;
    default:
      return `ERR ${err.message}`;
  }
}
