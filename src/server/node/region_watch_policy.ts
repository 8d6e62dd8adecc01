/**
 * Which watches a node serves once its regions split (interim, decision 0014 "Where it stands"):
 * the watch hub reads region 1's history and gets region 1's events only, since revisions are
 * each region's own until the timestamp oracle is built; watches over other regions come with
 * the cross-region work. So a watch must lie inside region 1: others are refused, and those a
 * split leaves outside it are ended (WatchHub.recheck).
 */
import { isOpenEnded, isSingleKey, type KeyRange } from "../../kv/key_state.ts";
import { compareBytes } from "../../util/bytes.ts";
import type { RegionHost } from "./region_host.ts";

/** Why a watch of `range` cannot be served here, if it cannot. */
export function watchRefusal(host: RegionHost, range: KeyRange): string | undefined {
  if (host.count === 1) return undefined;
  const d = host.d.first.kv.descriptor;
  if (compareBytes(range.key, d.start) < 0) return refusal();
  if (d.end.length === 0) return undefined;
  if (isSingleKey(range)) return compareBytes(range.key, d.end) < 0 ? undefined : refusal();
  return !isOpenEnded(range) && compareBytes(range.rangeEnd, d.end) <= 0 ? undefined : refusal();
}

function refusal(): string {
  return "the watched keys are outside region 1: watches over split regions are not supported " +
    "yet (decision 0014)";
}
