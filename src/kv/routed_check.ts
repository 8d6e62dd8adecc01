/**
 * Whether a region takes a routed command (docs/regions.md, "Routing"): its region, its epoch, and
 * every key in the region's range. The command is decoded for the check, and the decoding is
 * handed on so the state machine does not decode it again (a Redis batch's commands, per SET).
 */
import { decodeCommand } from "./command_codec.ts";
import { isBarrier } from "./entry_revision.ts";
import { commandKeys, commandRanges } from "./region_command_keys.ts";
import { isOpenEnded, type KeyRange } from "./key_state.ts";
import { compareBytes } from "../util/bytes.ts";
import { encodeRegionOutcome, type RegionOutcome, type RoutedCommand } from "./region_command.ts";
import { containsKey, type RegionDescriptor } from "../region/descriptor.ts";

export interface RoutedCheck {
  /** Why the region refuses it; undefined: the command is the region's. */
  readonly refused?: RegionOutcome;
  readonly decoded?: ReturnType<typeof decodeCommand>;
}

/** `merging`: the region is a merge's source, frozen from its prepare on. */
export function checkRouted(d: RegionDescriptor, merging: boolean, c: RoutedCommand): RoutedCheck {
  if (merging) return { refused: { kind: "epoch-not-match", current: d } };
  if (c.regionId !== d.id) return { refused: { kind: "region-not-found", regionId: c.regionId } };
  // Only the range decides whether a command's keys are this region's: a membership change
  // (confVer) does not, so moving a replica refuses no write in flight.
  if (c.epoch.version < d.epoch.version) {
    return { refused: { kind: "epoch-not-match", current: d } };
  }
  if (isBarrier(c)) return {};
  const decoded = decodeCommand(c.command);
  if (!("body" in decoded)) return { decoded }; // the KV layer answers it
  for (const key of commandKeys(decoded) ?? []) {
    if (!containsKey(d, key)) return { refused: { kind: "key-not-in-region", key, region: d } };
  }
  for (const range of commandRanges(decoded)) {
    if (!endsInRegion(d, range)) {
      return { refused: { kind: "key-not-in-region", key: range.key, region: d } };
    }
  }
  return { decoded };
}

/** Whether a range starting in `d` (checked with the keys) ends there too. */
function endsInRegion(d: RegionDescriptor, r: KeyRange): boolean {
  if (d.end.length === 0) return true;
  if (isOpenEnded(r)) return false;
  // An end at or before the start is an empty range: the command answers it as malformed.
  return compareBytes(r.rangeEnd, d.end) <= 0 || compareBytes(r.rangeEnd, r.key) <= 0;
}

/**
 * Why a plain (unstamped, unrouted) command is refused, encoded as a stale route (EPOCH_NOT_MATCH
 * with the current descriptor): the region is a merge's frozen source, or (`refusesLate`, a node's
 * region 1) the keyspace split before it. A splitting node stamps and routes its commands only once
 * the keyspace has split (region 1's first split: docs/regions.md, "Timestamps from the first
 * split"), so a leader that had not applied that split yet may have proposed a plain command after
 * it in the log. Its keys were never checked against the narrowed range, and its revision would be
 * a log index among timestamps: nothing of it is applied, and the node routes it again, stamped
 * (region_router.ts, as for a routed command a split refused). The split is in the log before it,
 * so every replica refuses it alike.
 */
export function plainRefusal(
  d: RegionDescriptor,
  merging: boolean,
  refusesLate: boolean,
  data: Uint8Array | null,
): Uint8Array | undefined {
  if (data === null) return undefined;
  const late = refusesLate && d.epoch.version > 1;
  return merging || late ? encodeRegionOutcome({ kind: "epoch-not-match", current: d }) : undefined;
}
