/** Reads at a revision the store cannot serve: compacted away, or not reached yet. */

export class CompactedError extends Error {
  override name = "CompactedError";
  constructor(readonly revision: number, readonly compactedRevision: number) {
    super(
      `revision ${revision} is compacted; the oldest readable revision is ${compactedRevision}`,
    );
  }
}

export class FutureRevisionError extends Error {
  override name = "FutureRevisionError";
  constructor(readonly revision: number, readonly currentRevision: number) {
    super(`revision ${revision} is ahead of the current revision ${currentRevision}`);
  }
}
