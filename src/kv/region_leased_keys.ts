/**
 * Keys attached to a lease stay in region 1 (docs/regions.md "Interim policy"). Leases are
 * region 1's records and a lease revoke deletes the keys attached to it in region 1's apply;
 * a key a split had moved into another region would be deleted there by a command of region
 * 1's log, which that region's replicas do not all see: one that installed region 1's image
 * past the revoke (or the other region's image taken before it) keeps the key, and replicas
 * of one region differ (the simulator found it, seed 19). So a split whose right half (the
 * child) holds a leased key is refused at apply, and the split check cuts after the region's
 * last leased key. Both read only the region's own current records.
 */
import { dataKey, Namespace } from "./keyspace.ts";
import { decodeCurrent } from "./key_record.ts";
import type { KeySpan } from "./snapshot_ranges.ts";
import type { EngineReader } from "./write_set.ts";

const DATA_END = new Uint8Array([Namespace.Data + 1]);

function dataRange(span: KeySpan): { start: Uint8Array; end: Uint8Array } {
  return { start: dataKey(span.start), end: span.end.length > 0 ? dataKey(span.end) : DATA_END };
}

/** The last user key of `span` whose current record is attached to a lease; undefined: none. */
export function lastLeasedKey(db: EngineReader, span: KeySpan): Uint8Array | undefined {
  let last: Uint8Array | undefined;
  for (const [k, v] of db.scanSync(dataRange(span))) {
    const key = k.subarray(1);
    if (decodeCurrent(key, v).lease !== 0) last = key.slice();
  }
  return last;
}

/** The first user key of `span` strictly after `key`; undefined: none. */
export function firstKeyAfter(
  db: EngineReader,
  span: KeySpan,
  key: Uint8Array,
): Uint8Array | undefined {
  const { end } = dataRange(span);
  const from = new Uint8Array(key.length + 2);
  from[0] = Namespace.Data;
  from.set(key, 1); // dataKey(key) followed by 0x00: the first record after the key's own
  for (const [k] of db.scanSync({ start: from, end })) return k.slice(1);
  return undefined;
}
