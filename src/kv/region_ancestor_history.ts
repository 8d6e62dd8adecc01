/**
 * A split child's history that lives in its ancestors' feeds, carried by the child's snapshot
 * image (docs/regions.md "History across splits" and "Region snapshots"). The child's keys'
 * versions from before a split stay in the feed of the region that wrote them
 * (region_lineage.ts), so an image of the child's own feed and key index alone would give a new
 * replica index entries pointing at records it lacks (a read below the split would find the key
 * absent).
 *
 * The image therefore carries, for each ancestor, that ancestor's feed records of the child's
 * keys in the ancestor's generation (HistoryView.segments), rewritten as records of the child's
 * own feed, and no lineage record. The generations' revision intervals do not overlap and lie
 * below the child's own records, so the rewritten records keep their (revision, sub), collide
 * with nothing and come first in the child's feed; the installed replica's child reads its
 * whole history from its own feed, as a region without ancestors does, and its splits give
 * their children lineages that point into that feed. The image stays in key order and inside
 * the region's own ranges: nothing is written into another region's records (a record under an
 * ancestor's prefix would make the node believe it held that region).
 *
 * Left behind: on a node that held the child before and installs its image, the ancestors'
 * records of the child's keys stay in the ancestors' feeds, read by nothing (the parent's
 * compactor never removes another region's keys' records).
 */
import { ByteReader } from "../util/coding.ts";
import { openHistoryView } from "./history_view.ts";
import type { RegionKeys } from "./region_keys.ts";
import { lineageKey } from "./region_lineage.ts";
import { type EngineRange, inSpan, type KeySpan } from "./snapshot_ranges.ts";
import { compareBytes } from "../util/bytes.ts";
import type { EngineReader } from "./write_set.ts";

/** An engine range whose entries may be kept by key and value, and written under another key. */
export type EntryRange = EngineRange & {
  readonly keepEntry?: (key: Uint8Array, value: Uint8Array) => boolean;
  readonly rename?: (key: Uint8Array) => Uint8Array;
};

/** The user key a change-feed record is about; undefined when the record is malformed. */
function recordKey(value: Uint8Array): Uint8Array | undefined {
  try {
    const r = new ByteReader(value);
    r.u8(); // the change type
    return r.lengthPrefixed(value.length);
  } catch {
    return undefined;
  }
}

/** Whether a feed record is about a key of `span`. */
export function recordInSpan(span: KeySpan, value: Uint8Array): boolean {
  const key = recordKey(value);
  return key !== undefined && inSpan(span, key);
}

/**
 * The ranges that stand for `region`'s own records (`region.start` .. `region.end`) in its
 * image over `span`: that range itself for a region without ancestors; for a split child, its
 * records before its feed (without the lineage record), its ancestors' records of its keys
 * renamed into its feed (oldest first), then the rest of its own records.
 */
export function ownRangesWithHistory(
  db: EngineReader,
  region: RegionKeys,
  span: KeySpan,
): EntryRange[] {
  const own: EntryRange = { start: region.start, end: region.end };
  const view = openHistoryView(db, region, span);
  if (view.lineage.length === 0) return [own];
  const lineage = lineageKey(region.id);
  const feedStart = region.historyStart(0);
  const rename = (key: Uint8Array) => {
    const k = key.slice();
    k.set(region.prefix);
    return k;
  };
  const ancestors = view.segments(0, view.lineage[0].splitRevision)
    .filter((s) => s.feed.id !== region.id)
    .map((s): EntryRange => ({
      start: s.feed.historyStart(s.from),
      end: s.feed.historyStart(s.to + 1),
      keepEntry: (_key, value) => recordInSpan(span, value),
      rename,
    }));
  return [
    { start: region.start, end: feedStart, keep: (k) => compareBytes(k, lineage) !== 0 },
    ...ancestors,
    { start: feedStart, end: region.end },
  ];
}
