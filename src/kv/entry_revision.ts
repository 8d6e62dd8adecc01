/** The revision of a command's changes (docs/decisions/0018-revisions-from-tso.md). */
import type { EngineWrite } from "./write_set.ts";
import type { Command } from "../gen/tinykv/v1/tinykv_pb.ts";
import type { CommandProblem } from "./command_codec.ts";

/** A committed entry to apply; `data` is null for entries without a command. */
export interface ApplyEntry {
  readonly index: number;
  readonly data: Uint8Array | null;
  /** What a membership entry writes (address book, region descriptor), in the same batch. */
  readonly writes?: readonly EngineWrite[];
  /**
   * The timestamp the entry's leader took from the oracle (a node holding many regions):
   * the revision is then `entryRevision`.
   */
  readonly timestamp?: number;
  /** A timestamp barrier (no command): only the revision moves (`isBarrier`). */
  readonly barrier?: boolean;
  /** `data` decoded already (a routed command's keys were checked against its region). */
  readonly decoded?: Command | CommandProblem;
}

/**
 * The revision of an entry's changes:
 * `max(stamp, last + 1)`, where `stamp` is the timestamp the entry's leader took from the
 * oracle (a node holding many regions) or, for an entry without one, its Raft index (decision
 * 0008), and `last` is the region's revision before the entry.
 *
 * - Deterministic: the entry and the region's applied records decide, so every replica and
 *   every replay computes the same revision.
 * - A region's revisions only grow, whatever the timestamps (and an entry without a timestamp
 *   after stamped ones, say from a node that stopped splitting, still gets a larger one).
 * - Unchanged without timestamps: a region whose revisions are indexes has `last` below the
 *   entry's index, so the revision is the index, as before.
 * - A region whose revisions were indexes (split before timestamps) moves on to timestamps at
 *   its first stamped entry: every timestamp is far above any index.
 */
export function entryRevision(
  e: { readonly index: number; readonly timestamp?: number },
  last: number,
): number {
  return Math.max(e.timestamp ?? e.index, last + 1);
}

/**
 * Whether a `Routed` entry is a region's timestamp barrier: a timestamp and no command. It
 * changes no key yet moves the region's revision to `entryRevision` of its timestamp, so that
 * every entry after it has a larger revision: reads at revisions up to it are final in the
 * region (server/node/reads_at_timestamp.ts).
 */
export function isBarrier(c: { readonly command: Uint8Array; readonly timestamp?: number }) {
  return c.timestamp !== undefined && c.command.length === 0;
}
