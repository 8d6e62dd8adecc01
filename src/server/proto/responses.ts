/**
 * Error responses of the protobuf port, and the mapping from the errors
 * services throw to typed wire errors (docs/protocol.md, docs/coordination.md).
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { type ClientResponseSchema, ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import {
  CompactedError,
  FutureRevisionError,
  MissingHistoryError,
} from "../../kv/revision_errors.ts";
import { DecodeError } from "../../util/coding.ts";
import { ServiceError } from "../kv_service.ts";

export type ResponseInit = MessageInitShape<typeof ClientResponseSchema>;

export function errorResponse(
  code: ErrorCode,
  message: string,
  leaderId = 0,
  leaderAddress = "",
  compactedRevision = 0,
): ResponseInit {
  return {
    error: {
      code,
      message,
      leaderId: BigInt(leaderId),
      leaderAddress,
      compactedRevision: BigInt(compactedRevision),
    },
  };
}

/** The wire error for `err`, or undefined when it is not one a request may end with. */
export function responseOfError(err: unknown): ResponseInit | undefined {
  if (err instanceof ServiceError) {
    const { code, message, leaderId, leaderAddress, compactedRevision } = err;
    return errorResponse(code, message, leaderId, leaderAddress, compactedRevision);
  }
  if (err instanceof CompactedError) {
    return errorResponse(ErrorCode.COMPACTED, err.message, 0, "", err.compactedRevision);
  }
  if (err instanceof FutureRevisionError) {
    return errorResponse(ErrorCode.FUTURE_REVISION, err.message);
  }
  if (err instanceof MissingHistoryError) return errorResponse(ErrorCode.UNAVAILABLE, err.message);
  if (err instanceof DecodeError) return errorResponse(ErrorCode.INVALID_ARGUMENT, err.message);
  return undefined;
}
