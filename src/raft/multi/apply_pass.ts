/**
 * The bracket around each group of region applies the driver runs together (round.ts): one
 * queued batch of the apply pipeline (every region a round persisted, or committed mid-save),
 * or a strict round's applies. A node answers the writes and reads of the group's regions at
 * `end`, all at once, so that the responses of one pass leave in one socket write per
 * connection rather than one per region (server/node/pass_answers.ts).
 */
import type { Entry } from "../core/messages.ts";

export interface ApplyPassBracket {
  begin(): void;
  /** Runs even when an apply failed (whatever applied before it is answered). */
  end(): void;
}

/** A region's committed entries to apply (`ahead`: committed by its followers mid-save). */
export interface ApplyBatch {
  readonly r: { apply(entries: readonly Entry[], ahead?: boolean): Promise<void> };
  readonly entries: readonly Entry[];
  readonly ahead?: boolean;
}

/** Applies each batch in order, inside `pass` (when there is one). */
export async function applyAll(
  pass: ApplyPassBracket | undefined,
  batches: readonly ApplyBatch[],
): Promise<void> {
  pass?.begin();
  try {
    for (const b of batches) await b.r.apply(b.entries, b.ahead === true);
  } finally {
    pass?.end();
  }
}
