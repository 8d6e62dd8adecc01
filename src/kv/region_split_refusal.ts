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
import type { EngineReader } from "./write_set.ts";

export function splitRefusal(
  db: EngineReader,
  d: RegionDescriptor,
  c: SplitCommand,
  merging: boolean,
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
  const leased = lastLeasedKey(db, { start: c.splitKey, end: d.end });
  if (leased !== undefined) {
    return { kind: "invalid", message: "the split would move a key attached to a lease" };
  }
  return undefined;
}
