/**
 * The hosted regions in key order, kept between calls (region_host.ts). Routing asks for the
 * region of every request's key, and sorting the regions each time cost more than the rest of
 * the lookup (14 µs of a routed put with 60 regions: bench/RESULTS.md, session 15). The order is
 * computed again only when the host's `generation` moved (a region added, forgotten, split or
 * merged) or some region's descriptor was replaced (`descriptorReplacements`: an image
 * installed, a merge applied, a region reopened).
 */
import { descriptorReplacements } from "../../kv/region_apply.ts";
import { containsKey } from "../../region/descriptor.ts";
import { compareBytes } from "../../util/bytes.ts";
import type { HostedRegion } from "./hosted_region.ts";

export class RegionOrder {
  #generation = -1;
  #replacements = -1;
  #sorted: HostedRegion[] = [];
  /**
   * Whether the last order's ranges do not overlap (each ends at or before the next one's
   * start). They overlap only for a while around a merge (the target widened, the source not
   * dropped yet) or a stale replica: `regionHolding` then walks them all.
   */
  disjoint = false;

  /**
   * The regions `list` gives, in key order of their start; `list` is called only when
   * `generation` or `replacements` (`descriptorReplacements()` by default) moved.
   */
  of(
    generation: number,
    list: () => HostedRegion[],
    replacements = descriptorReplacements(),
  ): readonly HostedRegion[] {
    if (generation !== this.#generation || replacements !== this.#replacements) {
      this.#sorted = list().sort((a, b) =>
        compareBytes(a.kv.descriptor.start, b.kv.descriptor.start)
      );
      this.#generation = generation;
      this.#replacements = replacements;
      this.disjoint = isDisjoint(this.#sorted);
    }
    return this.#sorted;
  }
}

function isDisjoint(ordered: readonly HostedRegion[]): boolean {
  for (let i = 1; i < ordered.length; i++) {
    const end = ordered[i - 1].kv.descriptor.end;
    if (end.length === 0 || compareBytes(end, ordered[i].kv.descriptor.start) > 0) return false;
  }
  return true;
}

/**
 * The region of `ordered` holding `key`, not one merged away (it is dropped soon): the first in
 * key order. With `disjoint` ranges at most one can hold it, the last starting at or before
 * `key`, found by binary search (a walk over every region cost a routed put ~6 µs at 60).
 */
export function regionHolding(
  ordered: readonly HostedRegion[],
  key: Uint8Array,
  disjoint = false,
): HostedRegion | undefined {
  const holds = (r: HostedRegion) =>
    r.kv.merge?.stage !== "merged" && containsKey(r.kv.descriptor, key);
  if (!disjoint) return ordered.find(holds);
  let lo = 0, hi = ordered.length; // the first region starting after key is in [lo, hi]
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareBytes(ordered[mid].kv.descriptor.start, key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  const r = ordered[lo - 1];
  return r !== undefined && holds(r) ? r : undefined;
}
