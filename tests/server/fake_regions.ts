/** Region descriptors and key spans for tests of stitching over regions without running nodes. */
import { compareEnd, type RegionDescriptor } from "../../src/region/descriptor.ts";
import type { KeySpan } from "../../src/region/region_catalog.ts";
import { compareBytes, utf8 } from "../../src/util/bytes.ts";

const EMPTY = new Uint8Array(0);

/** Regions cut at edges: [ , a), [a, b), …, [z, ), ids from 1. */
export function regionsAt(edges: string[]): RegionDescriptor[] {
  const cuts = [EMPTY, ...edges.map(utf8), EMPTY];
  return cuts.slice(1).map((end, i) => ({
    id: i + 1,
    start: cuts[i],
    end,
    epoch: { version: 1, confVer: 1 },
    replicas: [],
  }));
}

/** Whether `key` lies in `span` (an empty end: unbounded). */
export function within(key: Uint8Array, span: KeySpan): boolean {
  return compareBytes(key, span.start) >= 0 && compareEnd(span.end, key) > 0;
}
