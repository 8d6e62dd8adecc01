/** Errors the client library reports, with whether the operation may have happened. */
import { ErrorCode } from "../gen/tinykv/v1/tinykv_pb.ts";

export type ClientErrorCode =
  | "NOT_LEADER"
  | "KEY_NOT_FOUND"
  | "TIMEOUT"
  | "TOO_LARGE"
  | "INVALID_ARGUMENT"
  | "UNAVAILABLE"
  | "CONDITION_FAILED"
  | "CORRUPTION"
  | "FAILED_PRECONDITION"
  | "UNAUTHORIZED"
  | "COMPACTED"
  | "FUTURE_REVISION"
  | "LEASE_NOT_FOUND"
  | "UNAUTHENTICATED"
  | "TOKEN_EXPIRED"
  | "PERMISSION_DENIED"
  | "CONNECTION_LOST";

export class TinyKvError extends Error {
  override name = "TinyKvError";
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    /** True when a write may have been applied (timeout, lost connection). */
    readonly outcomeUnknown: boolean,
    readonly leaderAddress?: string,
    /** COMPACTED: the oldest revision still readable. */
    readonly compactedRevision?: number,
  ) {
    super(message);
  }
}

const NAMES: Record<ErrorCode, ClientErrorCode | undefined> = {
  [ErrorCode.UNSPECIFIED]: undefined,
  [ErrorCode.NOT_LEADER]: "NOT_LEADER",
  [ErrorCode.KEY_NOT_FOUND]: "KEY_NOT_FOUND",
  [ErrorCode.TIMEOUT]: "TIMEOUT",
  [ErrorCode.TOO_LARGE]: "TOO_LARGE",
  [ErrorCode.INVALID_ARGUMENT]: "INVALID_ARGUMENT",
  [ErrorCode.UNAVAILABLE]: "UNAVAILABLE",
  [ErrorCode.CONDITION_FAILED]: "CONDITION_FAILED",
  [ErrorCode.CORRUPTION]: "CORRUPTION",
  [ErrorCode.FAILED_PRECONDITION]: "FAILED_PRECONDITION",
  [ErrorCode.UNAUTHORIZED]: "UNAUTHORIZED",
  [ErrorCode.COMPACTED]: "COMPACTED",
  [ErrorCode.FUTURE_REVISION]: "FUTURE_REVISION",
  [ErrorCode.LEASE_NOT_FOUND]: "LEASE_NOT_FOUND",
  [ErrorCode.UNAUTHENTICATED]: "UNAUTHENTICATED",
  [ErrorCode.TOKEN_EXPIRED]: "TOKEN_EXPIRED",
  [ErrorCode.PERMISSION_DENIED]: "PERMISSION_DENIED",
};

/** Maps a wire error to a client error; unknown codes are treated as UNAVAILABLE. */
export function fromWireError(
  code: ErrorCode,
  message: string,
  leaderAddress: string,
  compactedRevision = 0n,
): TinyKvError {
  const name = NAMES[code] ?? "UNAVAILABLE";
  const known = name === "COMPACTED" && compactedRevision <= BigInt(Number.MAX_SAFE_INTEGER);
  const oldest = known ? Number(compactedRevision) : undefined;
  return new TinyKvError(name, message, name === "TIMEOUT", leaderAddress || undefined, oldest);
}

/** Whether retrying (with the same client id and sequence) can help. */
export function isRetryable(err: TinyKvError): boolean {
  return err.code === "NOT_LEADER" || err.code === "UNAVAILABLE" || err.code === "TIMEOUT" ||
    err.code === "CONNECTION_LOST";
}
