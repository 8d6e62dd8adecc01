/**
 * The checks and the batch of the merge's commands (docs/regions.md "Merge"; the commands:
 * region_merge_command.ts), for RegionKv (region_apply.ts), which holds the descriptor. Every
 * refusal reads only replicated state — the region's descriptor and merge record, the entry,
 * and the source's state at its fence, the same on every replica of the target — so every
 * replica decides alike. The one local condition, a source replica on this node that has not
 * applied up to the fence and cannot from the entries carried, is not a refusal: the apply
 * stops with MergeSourceBehindError and is retried once the source caught up.
 */
import {
  checkDescriptor,
  mergeDescriptors,
  type RegionDescriptor,
  sameEpoch,
} from "../region/descriptor.ts";
import { errorMessage } from "../util/errors.ts";
import { equalBytes } from "../util/bytes.ts";
import type { RegionOutcome } from "./region_command.ts";
import type {
  CommitMergeCommand,
  PrepareMergeCommand,
  RollbackMergeCommand,
} from "./region_merge_command.ts";
import type { MergeState } from "./region_merge_state.ts";
import { lastLeasedKey } from "./region_leased_keys.ts";
import type { EngineReader } from "./write_set.ts";

/** The source replica on this node has not applied up to the merge's fence. */
export class MergeSourceBehindError extends Error {
  /** The outcomes of the entries applied before the commit in the same call (region_apply.ts). */
  outcomes: ReadonlyMap<number, Uint8Array> = new Map();

  constructor(readonly sourceId: number, readonly applied: number, readonly fence: number) {
    super(`merge source region ${sourceId} applied ${applied}, below the fence ${fence}`);
  }
}

const merging = (d: RegionDescriptor): RegionOutcome => ({ kind: "epoch-not-match", current: d });

/** Why the source cannot prepare a merge into `c.target`, if it cannot. */
export function refusePrepare(
  db: EngineReader,
  d: RegionDescriptor,
  merge: MergeState | undefined,
  c: PrepareMergeCommand,
): RegionOutcome | undefined {
  if (c.regionId !== d.id) return { kind: "region-not-found", regionId: c.regionId };
  if (merge !== undefined || !sameEpoch(c.epoch, d.epoch)) return merging(d);
  // Region 1 keeps the node-wide records (leases, members): it is never a merge's source.
  if (d.id === 1) return { kind: "invalid", message: "region 1 is never merged away" };
  if (c.target.id === d.id) return { kind: "invalid", message: "a merge into itself" };
  try {
    checkDescriptor(c.target);
    mergeDescriptors(c.target, d);
  } catch (err) {
    return { kind: "invalid", message: errorMessage(err) };
  }
  if (c.target.id !== 1 && lastLeasedKey(db, d) !== undefined) {
    return { kind: "invalid", message: "the merge would move a key attached to a lease" };
  }
  return undefined;
}

/** The source's descriptor once prepared: a new version, so stale routes are refused. */
export function preparedSource(d: RegionDescriptor): RegionDescriptor {
  return { ...d, epoch: { version: d.epoch.version + 1, confVer: d.epoch.confVer } };
}

/** Why the source cannot roll its merge back, if it cannot. */
export function refuseRollback(
  d: RegionDescriptor,
  merge: MergeState | undefined,
  c: RollbackMergeCommand,
): RegionOutcome | undefined {
  if (c.regionId !== d.id) return { kind: "region-not-found", regionId: c.regionId };
  if (merge === undefined || merge.stage !== "prepared" || merge.fence !== c.fence) {
    return { kind: "invalid", message: `no merge prepared at ${c.fence} to roll back` };
  }
  if (!sameEpoch(c.epoch, d.epoch)) return merging(d);
  return undefined;
}

/**
 * Why the target cannot take the source in, judged before looking at the source's replica:
 * the target's epoch must be the command's (a split or membership change since refuses it
 * for ever, which is what makes a rollback safe), the two adjacent with the same voters.
 */
export function refuseCommit(
  d: RegionDescriptor,
  merge: MergeState | undefined,
  c: CommitMergeCommand,
): RegionOutcome | RegionDescriptor {
  if (c.regionId !== d.id) return { kind: "region-not-found", regionId: c.regionId };
  if (merge !== undefined) return merging(d); // a source itself: frozen
  if (!sameEpoch(c.epoch, d.epoch)) return { kind: "epoch-not-match", current: d };
  if (c.source.id === 1 || c.source.id === d.id) {
    return { kind: "invalid", message: `region ${c.source.id} cannot merge into ${d.id}` };
  }
  try {
    return mergeDescriptors(d, c.source);
  } catch (err) {
    return { kind: "invalid", message: errorMessage(err) };
  }
}

/**
 * Why the source replica on this node, applied up to the fence, does not match the commit:
 * it must be prepared at the commit's fence, into this target at its current epoch, with the
 * range and version the commit carries. Replicated state at the fence, so alike on every replica.
 */
export function refuseSource(
  target: RegionDescriptor,
  source: RegionDescriptor,
  merge: MergeState | undefined,
  c: CommitMergeCommand,
): RegionOutcome | undefined {
  const bad = (why: string): RegionOutcome => ({ kind: "invalid", message: `merge: ${why}` });
  if (merge === undefined || merge.stage !== "prepared" || merge.fence !== c.fence) {
    return bad(`region ${source.id} is not prepared at ${c.fence}`);
  }
  if (merge.target.id !== target.id || !sameEpoch(merge.target.epoch, target.epoch)) {
    return bad(`region ${source.id} was prepared for another target`);
  }
  // The range and version, not the conf version: a membership change of the source applied
  // after its fence (none should be proposed) is not part of the state at the fence, so some
  // replicas may have applied it and others not yet.
  const same = source.epoch.version === c.source.epoch.version &&
    equalBytes(source.start, c.source.start) && equalBytes(source.end, c.source.end);
  if (!same) return bad(`region ${source.id} is at another version than the commit's`);
  return undefined;
}
