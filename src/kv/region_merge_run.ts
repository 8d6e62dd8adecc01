/**
 * Applies the merge's commands to a RegionKv (docs/regions.md "Merge"): the checks are in
 * region_merge_apply.ts, the storage-level merge in region_merge.ts. Each command that applies
 * writes one engine batch with its applied index, so a replay of the log after a crash skips
 * what the engine kept and re-runs what it lost, the same way:
 *
 * - PrepareMerge (source): the source's descriptor gets a new version and its merge record
 *   (`prepared`, fenced at this index); from here it serves nothing.
 * - CommitMerge (target): once the source replica here applied up to the fence (from the
 *   entries carried when it lags), one batch writes the target's grown descriptor (a version
 *   above both), the absorbed records, summed counters, the revision and compaction point past
 *   both regions' revisions, the source's record `merged`, and the target's record that it
 *   absorbed that source (merged_sources.ts).
 * - RollbackMerge (source): a new version again, the record deleted; it serves again.
 */
import type { WriteOp } from "../storage/db.ts";
import { toBytes } from "../util/bytes.ts";
import type { RegionDescriptor } from "../region/descriptor.ts";
import type { RegionKv } from "./region_apply.ts";
import type { RegionEntry } from "./region_apply.ts";
import type { RegionOutcome } from "./region_command.ts";
import { descriptorKey, encodeDescriptor } from "./region_descriptor_record.ts";
import { decodeSession } from "./keyspace.ts";
import { mergeRegions } from "./region_merge.ts";
import { recordMergedSource } from "./merged_sources.ts";
import {
  MergeSourceBehindError,
  preparedSource,
  refuseCommit,
  refusePrepare,
  refuseRollback,
  refuseSource,
} from "./region_merge_apply.ts";
import { catchUpSource } from "./region_merge_catch_up.ts";
import type {
  CommitMergeCommand,
  MergeCommand,
  PrepareMergeCommand,
  RollbackMergeCommand,
} from "./region_merge_command.ts";
import {
  encodeMergeFloor,
  encodeMergeState,
  mergeFloorKey,
  type MergeState,
  mergeStateKey,
} from "./region_merge_state.ts";

/** What the host learns from a merge command that applied. */
export type MergeReport =
  | { readonly kind: "prepared"; readonly source: RegionDescriptor; readonly fence: number }
  | { readonly kind: "rolled-back"; readonly source: RegionDescriptor }
  | {
    readonly kind: "merged";
    readonly target: RegionDescriptor;
    readonly source: RegionDescriptor;
    readonly index: number;
  };

export interface MergeApplied {
  readonly outcome: RegionOutcome;
  readonly report?: MergeReport;
}

/**
 * Applies a merge command; `before` are the outcomes of the entries applied before it in the
 * same call, which a MergeSourceBehindError carries to the host (they did apply).
 */
export async function applyMergeCommand(
  region: RegionKv,
  e: RegionEntry,
  c: MergeCommand,
  before: ReadonlyMap<number, Uint8Array> = new Map(),
): Promise<MergeApplied> {
  if (c.kind === "prepare-merge") return prepare(region, e, c);
  if (c.kind === "rollback-merge") return rollback(region, e, c);
  try {
    return await commit(region, e, c);
  } catch (err) {
    if (err instanceof MergeSourceBehindError) err.outcomes = before;
    throw err;
  }
}

/** A refused command: its index is applied, nothing else. */
async function refuse(region: RegionKv, e: RegionEntry, o: RegionOutcome): Promise<MergeApplied> {
  await region.kv.apply([{ index: e.index, data: null, writes: e.writes }]);
  return { outcome: o };
}

async function prepare(
  region: RegionKv,
  e: RegionEntry,
  c: PrepareMergeCommand,
): Promise<MergeApplied> {
  const d = region.descriptor;
  const refused = refusePrepare(region.kv.db, d, region.merge, c);
  if (refused !== undefined) return refuse(region, e, refused);
  const source = preparedSource(d);
  const state: MergeState = { stage: "prepared", fence: e.index, target: c.target };
  await region.kv.applyOwn(e.index, (ws, meta) => {
    ws.put(descriptorKey(d.id), encodeDescriptor(source));
    ws.put(mergeStateKey(d.id), encodeMergeState(state));
    return meta;
  });
  region.mergeApplied(source, state);
  const report: MergeReport = { kind: "prepared", source, fence: e.index };
  return { outcome: { kind: "merge-prepared", region: source }, report };
}

async function rollback(
  region: RegionKv,
  e: RegionEntry,
  c: RollbackMergeCommand,
): Promise<MergeApplied> {
  const d = region.descriptor;
  const refused = refuseRollback(d, region.merge, c);
  if (refused !== undefined) return refuse(region, e, refused);
  const source = preparedSource(d); // one more version: routes cached while frozen are stale
  await region.kv.applyOwn(e.index, (ws, meta) => {
    ws.put(descriptorKey(d.id), encodeDescriptor(source));
    ws.delete(mergeStateKey(d.id));
    return meta;
  });
  region.mergeApplied(source, undefined);
  const report: MergeReport = { kind: "rolled-back", source };
  return { outcome: { kind: "merge-rolled-back", region: source }, report };
}

async function commit(
  region: RegionKv,
  e: RegionEntry,
  c: CommitMergeCommand,
): Promise<MergeApplied> {
  const d = region.descriptor;
  const merged = refuseCommit(d, region.merge, c);
  if ("kind" in merged) return refuse(region, e, merged);
  const source = region.mergeSource(c.source.id);
  if (source === undefined) throw new MergeSourceBehindError(c.source.id, 0, c.fence);
  await catchUpSource(region, source, c);
  const refused = refuseSource(d, source.descriptor, source.merge, c);
  if (refused !== undefined) return refuse(region, e, refused);
  const fenced = source.merge as MergeState;
  const db = region.kv.db, from = source.kv;
  // Past both regions' revisions: the merged region's history starts here (its compaction
  // point), each absorbed key's newest change copied below it (region_merge.ts).
  const floor = Math.max(region.kv.revision, from.revision);
  await region.kv.applyOwn(e.index, (ws, meta) => {
    const ops: WriteOp[] = [];
    const plan = { target: region.kv.region, source: from.region, sourceView: from.history };
    mergeRegions(db, { ...plan, sourceSpan: source.descriptor, index: e.index }, ops);
    // The proof a source replica that never applies this commit finds (merged_sources.ts).
    ops.push(...recordMergedSource(db, merged.id, source.descriptor.id, c.fence));
    for (const op of ops) {
      if (op.type === "put") ws.put(toBytes(op.key), toBytes(op.value));
      else ws.delete(toBytes(op.key));
    }
    ws.put(descriptorKey(merged.id), encodeDescriptor(merged));
    ws.put(mergeStateKey(source.descriptor.id), encodeMergeState({ ...fenced, stage: "merged" }));
    ws.put(mergeFloorKey(merged.id), encodeMergeFloor(floor));
    const redisKeys = meta.redisKeys.map((n, i) =>
      n + from.redisKeyCount(i) - (i === 0 ? from.keyCount : 0)
    );
    const keyCount = meta.keyCount + from.keyCount;
    return { ...meta, keyCount, redisKeys, revision: floor + 1, compacted: floor + 1 };
  });
  region.mergeApplied(merged, undefined);
  region.kv.history.mergeFloor = floor;
  region.kv.leaseTable.recount(db, merged);
  reloadSessions(region);
  source.mergeApplied(source.descriptor, { ...fenced, stage: "merged" });
  const report: MergeReport = { kind: "merged", target: merged, source: c.source, index: e.index };
  return { outcome: { kind: "merged", region: merged }, report };
}

/** The sessions the merge united (region_merge.ts), into the target's in-memory table. */
function reloadSessions(region: RegionKv): void {
  const keys = region.kv.region, prefix = keys.sessionPrefix;
  const end = keys.local(new Uint8Array([prefix[prefix.length - 1] + 1]));
  const heads = [];
  const legacy = [];
  for (const [k, v] of region.kv.db.scanSync({ start: prefix, end })) {
    const { clientId, sequence } = keys.parseSession(k);
    if (sequence === undefined) heads.push({ clientId, ...decodeSession(v) });
    else legacy.push({ clientId, sequence, outcome: v.slice() });
  }
  region.kv.sessions.load(heads, legacy);
}
