/**
 * Keys attached to a lease stay in region 1 (docs/regions.md "Interim policy"). Leases are
 * region 1's records and a lease revoke deletes the keys attached to it in region 1's apply;
 * a key a split had moved into another region would be deleted there by a command of region
 * 1's log, which that region's replicas do not all see: one that installed region 1's image
 * past the revoke (or the other region's image taken before it) keeps the key, and replicas
 * of one region differ (the simulator found it, seed 19). So a split whose right half (the
 * child) holds a leased key is refused at apply, and the split check cuts after the region's
 * last leased key. Both read the attachment index (`0x06 lease key`, empty values), not the
 * current records: those hold the values, and the split's reads of every record of the child's
 * range, a 100 MiB value's included, were part of a split that blocked its node for seconds
 * (decision 0020, gap 3).
 */
import { compareBytes } from "../util/bytes.ts";
import { dataKey, Namespace } from "./keyspace.ts";
import { LEASE_KEY_PREFIX, parseLeaseAttachment } from "./mvcc_keys.ts";
import { inSpan, type KeySpan } from "./snapshot_ranges.ts";
import type { EngineReader } from "./write_set.ts";

const DATA_END = new Uint8Array([Namespace.Data + 1]);

function dataRange(span: KeySpan): { start: Uint8Array; end: Uint8Array } {
  return { start: dataKey(span.start), end: span.end.length > 0 ? dataKey(span.end) : DATA_END };
}

const LEASE_KEY_END = new Uint8Array([LEASE_KEY_PREFIX[0] + 1]);

/**
 * The last user key of `span` attached to a lease; undefined: none. Costs one pass over the
 * node's attachments (as a split's lease recount does). `leases`: how many leases the region's
 * table holds; with none, no key is attached to one and nothing is read (even an empty index's
 * seek reads the engine block it lands in, which may hold another record's large value).
 */
export function lastLeasedKey(
  db: EngineReader,
  span: KeySpan,
  leases = Infinity,
): Uint8Array | undefined {
  if (leases === 0) return undefined;
  let last: Uint8Array | undefined;
  for (const [k] of db.scanSync({ start: LEASE_KEY_PREFIX, end: LEASE_KEY_END, keysOnly: true })) {
    const { key } = parseLeaseAttachment(k);
    if (inSpan(span, key) && (last === undefined || compareBytes(key, last) > 0)) {
      last = key.slice();
    }
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
  for (const [k] of db.scanSync({ start: from, end, keysOnly: true })) return k.slice(1);
  return undefined;
}
