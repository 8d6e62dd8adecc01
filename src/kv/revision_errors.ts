/**
 * Reads at a revision the store cannot serve: below the compacted revision
 * (the history is gone) or above the current one (it has not happened yet).
 * The ports turn them into ErrorCode.COMPACTED / FUTURE_REVISION.
 */
export class CompactedError extends Error {
  override name = "CompactedError";
  constructor(readonly requested: number, readonly compactedRevision: number) {
    super(`revision ${requested} was compacted; the oldest readable is ${compactedRevision}`);
  }
}

export class FutureRevisionError extends Error {
  override name = "FutureRevisionError";
  constructor(readonly requested: number, readonly currentRevision: number) {
    super(`revision ${requested} is past the current revision ${currentRevision}`);
  }
}
