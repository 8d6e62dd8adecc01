/**
 * Whether a node's local regions cover a read's keys (node_reads.ts): a read is served only over
 * ranges its local regions cover, and not while two of them overlap.
 */
import { compareBytes } from "../../util/bytes.ts";
import type { HostedRegion } from "./region_host.ts";

/**
 * Two local regions overlap (in key order): the node re-applies a split after a crash, or holds a
 * parent and a child of different ages. No read is served until that settles.
 */
export function overlapping(regions: readonly HostedRegion[]): boolean {
  for (let i = 1; i < regions.length; i++) {
    const before = regions[i - 1].kv.descriptor;
    if (before.end.length === 0 || compareBytes(before.end, regions[i].kv.descriptor.start) > 0) {
      return true;
    }
  }
  return false;
}

/**
 * Whether `regions` (in key order) cover `span` without a gap. Region 1 alone need not be the
 * whole keyspace (a node that installed its image past a split holds only its part, with stale
 * records of the rest until the children's images come), and once placement moves replicas a
 * node holds only some regions: a read is served only over ranges its local regions cover.
 */
export function covers(
  regions: readonly HostedRegion[],
  span: { start: Uint8Array; end: Uint8Array },
): boolean {
  let at = span.start;
  const done = () => span.end.length > 0 && compareBytes(at, span.end) >= 0;
  for (const r of regions) {
    const d = r.kv.descriptor;
    if (d.end.length > 0 && compareBytes(d.end, at) <= 0) continue; // before the span
    if (compareBytes(d.start, at) > 0) return done();
    if (d.end.length === 0) return true;
    at = d.end;
    if (done()) return true;
  }
  return done();
}
