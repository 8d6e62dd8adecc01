/** Errors the client library reports, with whether the operation may have happened. */
import { type Error as WireError, ErrorCode } from "../gen/tinykv/v1/tinykv_pb.ts";
import { type RegionEntry, regionFromWire } from "./region_wire.ts";

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
  | "EPOCH_NOT_MATCH"
  | "REGION_NOT_FOUND"
  | "KEY_NOT_IN_REGION"
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
    /** Stale-route errors: the node's current descriptors; NOT_LEADER: the region it is about. */
    readonly route?: { readonly regions: readonly RegionEntry[]; readonly regionId: number },
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
  [ErrorCode.EPOCH_NOT_MATCH]: "EPOCH_NOT_MATCH",
  [ErrorCode.REGION_NOT_FOUND]: "REGION_NOT_FOUND",
  [ErrorCode.KEY_NOT_IN_REGION]: "KEY_NOT_IN_REGION",
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

/** A wire error with everything it carries (fromWireError, plus the route of region errors). */
export function errorOfWire(e: WireError): TinyKvError {
  const base = fromWireError(e.code, e.message, e.leaderAddress, e.compactedRevision);
  if (e.regions.length === 0 && e.regionId === 0n) return base;
  // A malformed descriptor is left out: the client refreshes its route instead.
  const regions: RegionEntry[] = [];
  for (const r of e.regions) {
    try {
      regions.push(regionFromWire(r));
    } catch {
      continue;
    }
  }
  const regionId = e.regionId <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(e.regionId) : 0;
  const { code, message, outcomeUnknown, leaderAddress, compactedRevision } = base;
  const route = { regions, regionId };
  return new TinyKvError(code, message, outcomeUnknown, leaderAddress, compactedRevision, route);
}

/** A refusal that means "route again": the request was not applied. */
export function isStaleRoute(err: TinyKvError): boolean {
  return err.code === "EPOCH_NOT_MATCH" || err.code === "REGION_NOT_FOUND" ||
    err.code === "KEY_NOT_IN_REGION";
}

/**
 * The error a request ends with after its last attempt: as is when it is final (outcome unknown
 * when an earlier attempt may have applied it), else "gave up before the deadline".
 */
export function finalError(last: TinyKvError, unknown: boolean, retryable: boolean): TinyKvError {
  if (!retryable) {
    if (!unknown) return last;
    // An earlier attempt may have applied the write (its connection dropped after sending, or
    // it timed out): a later refusal does not undo that, so the outcome stays unknown.
    return new TinyKvError(last.code, last.message, true, last.leaderAddress);
  }
  const message = `gave up before the deadline: ${last.message}`;
  return new TinyKvError(last.code, message, unknown, last.leaderAddress);
}

/** Whether retrying (with the same client id and sequence) can help. */
export function isRetryable(err: TinyKvError): boolean {
  return err.code === "NOT_LEADER" || err.code === "UNAVAILABLE" || err.code === "TIMEOUT" ||
    err.code === "CONNECTION_LOST";
}
