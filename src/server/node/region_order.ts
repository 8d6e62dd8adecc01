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
    }
    return this.#sorted;
  }
}

/** The region of `ordered` holding `key`, not one merged away (it is dropped soon). */
export function regionHolding(
  ordered: readonly HostedRegion[],
  key: Uint8Array,
): HostedRegion | undefined {
  for (const r of ordered) {
    if (r.kv.merge?.stage !== "merged" && containsKey(r.kv.descriptor, key)) return r;
  }
  return undefined;
}
