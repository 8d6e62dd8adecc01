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

/**
 * A version the key index names whose record this replica lacks and whose key has changed since:
 * the record is in an ancestor's change feed that never came here (the region's replica was made
 * from an image after a split: images carry the region's own feed, not its ancestors').
 */
export class MissingHistoryError extends Error {
  override name = "MissingHistoryError";
  constructor(readonly revision: number) {
    super(
      `a key's change at revision ${revision} is not on this replica (its history below a split ` +
        "came to another replica); read at a newer revision or from another replica",
    );
  }
}
