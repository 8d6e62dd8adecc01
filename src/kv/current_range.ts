/** Reading the current state of the keys in a KeyRange from the engine, in key order. */
import type { Db } from "../storage/db.ts";
import { prefixEnd } from "../util/bytes.ts";
import { dataKey, Namespace } from "./keyspace.ts";
import { decodeCurrent } from "./key_record.ts";
import { isExpired, isOpenEnded, isSingleKey, type KeyRange, type KeyState } from "./key_state.ts";

/** The engine key bounds [lower, upper) of a range of user keys. */
export function dataBounds(r: KeyRange): { lower: Uint8Array; upper: Uint8Array } {
  const lower = dataKey(r.key);
  if (isSingleKey(r)) {
    const upper = new Uint8Array(lower.length + 1);
    upper.set(lower);
    return { lower, upper };
  }
  const upper = isOpenEnded(r)
    ? prefixEnd(new Uint8Array([Namespace.Data])) ?? new Uint8Array([Namespace.Data + 1])
    : dataKey(r.rangeEnd);
  return { lower, upper };
}

/** Up to `max` keys of the range as they are now (values copied: they outlive the scan). */
/** Up to `max` keys of `r`, skipping those expired by `now` (Unix ms; 0: none are). */
export async function readCurrentRange(
  db: Db,
  r: KeyRange,
  max: number,
  now = 0,
): Promise<KeyState[]> {
  const { lower, upper } = dataBounds(r);
  const out: KeyState[] = [];
  for await (const [k, v] of db.scan({ start: lower, end: upper })) {
    if (out.length >= max) break;
    const s = decodeCurrent(k.slice(1), v.slice());
    if (!isExpired(s, now)) out.push(s);
  }
  return out;
}
