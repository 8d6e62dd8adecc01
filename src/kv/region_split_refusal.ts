/**
 * Why a region's `Split` command cannot apply, if it cannot (region_apply.ts): only replicated
 * state decides, so every replica refuses or applies it alike.
 */
import { KV_KEY_BYTES_MAX } from "../limits.ts";
import {
  checkDescriptor,
  containsKey,
  type RegionDescriptor,
  sameEpoch,
} from "../region/descriptor.ts";
import { compareBytes } from "../util/bytes.ts";
import { errorMessage } from "../util/errors.ts";
import type { RegionOutcome, SplitCommand } from "./region_command.ts";
import { lastLeasedKey } from "./region_leased_keys.ts";
import { regionHoldsLocks } from "./region_txn_locks.ts";
import type { EngineReader } from "./write_set.ts";

export function splitRefusal(
  db: EngineReader,
  d: RegionDescriptor,
  c: SplitCommand,
  merging: boolean,
  /** Leases in the region's table (none: no key of it is attached to one). */
  leases: number,
): RegionOutcome | undefined {
  if (c.regionId !== d.id) return { kind: "region-not-found", regionId: c.regionId };
  if (!sameEpoch(c.epoch, d.epoch) || merging) {
    return { kind: "epoch-not-match", current: d }; // a merge's source serves nothing
  }
  if (!Number.isSafeInteger(c.newRegionId) || c.newRegionId < 1 || c.newRegionId === d.id) {
    return { kind: "invalid", message: `split into region ${c.newRegionId}` };
  }
  if (!containsKey(d, c.splitKey) || compareBytes(c.splitKey, d.start) === 0) {
    return { kind: "key-not-in-region", key: c.splitKey, region: d };
  }
  if (c.splitKey.length > KV_KEY_BYTES_MAX) {
    return { kind: "invalid", message: `split key of ${c.splitKey.length} bytes` };
  }
  try {
    checkDescriptor({ ...d, replicas: c.replicas });
  } catch (err) {
    return { kind: "invalid", message: errorMessage(err) };
  }
  // Keys attached to a lease stay in region 1: its revoke deletes them (region_leased_keys.ts).
  const leased = lastLeasedKey(db, { start: c.splitKey, end: d.end }, leases);
  if (leased !== undefined) {
    return { kind: "invalid", message: "the split would move a key attached to a lease" };
  }
  // A key a transaction holds locked stays where its prewrite put it until the transaction ends.
  // Moved to the child, its commit would apply there at a commit timestamp below the split:
  // written into the child's own change feed below its split revision, where the parent's feed
  // may hold another key's change at the same revision and sub, and a child's image (its
  // ancestors' records renamed into its own feed, then its own) comes out of key order, so no
  // replica can install it (the simulator's seed 4 with regions, after Redis blocks across
  // regions: "region 5 snapshot: records out of key order"). With no lock in the child's range
  // when the split applies, every later lock there is taken in the child, and its commit
  // timestamp, asked of the oracle after its prewrites, is above the split's.
  if (regionHoldsLocks(db, { start: c.splitKey, end: d.end })) {
    return { kind: "invalid", message: "a transaction holds a key of the child's range locked" };
  }
  return undefined;
}
