/**
 * A lagging merge source caught up to the fence before its target's CommitMerge applies
 * (docs/regions.md "Merge"): from the entries the commit carries, or else from this node's own
 * log of the source (the commit is proposed once every source replica has the fence in its
 * log: server/node/region_merge_check.ts; committed entries a log holds are never overwritten,
 * so they can be applied without this node knowing they are committed).
 *
 * Membership changes among them are applied to the source's descriptor, as its host applies its
 * own (server/node/apply_entries.ts): each in a batch of its own, writing the descriptor with the
 * change's replicas and conf version. They write no data, but a PrepareMerge or RollbackMerge
 * later in the tail checks the whole epoch; skipped, the replica refused a prepare every other
 * replica applied, then the commit, and its target went on without the merge (region simulator
 * seed 88 with merge).
 */
import type { RegionKv } from "./region_apply.ts";
import { MergeSourceBehindError } from "./region_merge_apply.ts";
import type { CarriedEntry, CommitMergeCommand } from "./region_merge_command.ts";
import { descriptorKey, encodeDescriptor } from "./region_descriptor_record.ts";
import type { ApplyEntry } from "./state_machine.ts";

/**
 * Applies to the local `source` what it lacks up to the fence of `c`, the commit `target`
 * applies. Throws MergeSourceBehindError when neither the carried entries nor the log reach back.
 */
export async function catchUpSource(
  target: RegionKv,
  source: RegionKv,
  c: CommitMergeCommand,
): Promise<void> {
  const applied = source.appliedIndex;
  if (applied >= c.fence) return;
  const want = c.fence - applied;
  const reaches = (xs: readonly CarriedEntry[]) =>
    xs.length === want && xs.every((x, i) => x.index === applied + 1 + i);
  const id = source.descriptor.id;
  let tail = c.entries.filter((x) => x.index > applied && x.index <= c.fence);
  if (!reaches(tail)) tail = target.mergeSourceEntries(id, applied + 1, c.fence);
  if (!reaches(tail)) throw new MergeSourceBehindError(id, applied, c.fence);
  const changes = target.mergeSourceMembers(id, tail, applied);
  let run: ApplyEntry[] = [];
  for (const x of tail) {
    const change = changes.get(x.index);
    if (change === undefined) {
      run.push({ index: x.index, data: x.data });
      continue;
    }
    if (run.length > 0) await source.apply(run);
    run = [];
    const d = source.descriptor;
    const changed = {
      ...d,
      epoch: { ...d.epoch, confVer: change.confVer },
      replicas: change.replicas,
    };
    const writes = [{ key: descriptorKey(id), value: encodeDescriptor(changed) }];
    await source.apply([{ index: x.index, data: null, writes }]);
    source.adopt(changed);
  }
  if (run.length > 0) await source.apply(run);
  if (source.appliedIndex < c.fence) {
    throw new MergeSourceBehindError(id, source.appliedIndex, c.fence);
  }
}
