/**
 * One node's regions on one engine for the merge tests (tests/kv/region_merge_test.ts): each
 * region's log is kept by the test, so a node can be rebuilt from a crashed engine by replaying
 * the logs as a node does (every entry at or below a region's applied index is skipped).
 */
import {
  decodeRegionOutcome,
  encodeRegionCommand,
  type RegionOutcome,
} from "../../src/kv/region_command.ts";
import type { RegionDescriptor } from "../../src/region/descriptor.ts";
import { RegionKv } from "../../src/kv/region_apply.ts";
import { MergeSourceBehindError } from "../../src/kv/region_merge_apply.ts";
import { readDescriptor } from "../../src/kv/region_descriptor_record.ts";
import { createSimWorld, type SimWorld } from "../../src/platform/sim/sim_world.ts";
import { Db } from "../../src/storage/db.ts";
import { sourceMemberChanges } from "../../src/server/node/region_membership.ts";

export interface LogEntry {
  readonly index: number;
  readonly data: Uint8Array | null;
  /** A membership change (its encoded ConfChange): a commit carries it so (`carried`). */
  readonly confChange?: Uint8Array;
}

/** Every region's log, shared by the nodes of a test (the same committed entries). */
export type Logs = Map<number, LogEntry[]>;

export const REGION_IDS = [1, 2, 3, 4];

export class MergeNode {
  readonly regions = new Map<number, RegionKv>();
  /** The logs this node holds (a merge's target reads its source's from them when it lags). */
  localLogs: Logs = new Map();

  private constructor(readonly world: SimWorld, public db: Db) {}

  static async create(seed: number): Promise<MergeNode> {
    const world = createSimWorld(seed);
    world.fs.mkdir("kv");
    const node = new MergeNode(world, await Db.open(world.fs, "kv", { wal: false, seed: 1 }));
    await node.openRegions();
    return node;
  }

  /** Opens every region with a descriptor on the engine that is not open yet. */
  async openRegions(): Promise<void> {
    for (const id of REGION_IDS) {
      if (this.regions.has(id) || readDescriptor(this.db, id, [1]) === undefined) continue;
      const r = await RegionKv.open(this.db, id, { voters: [1] });
      r.kv.garbage.stop();
      r.mergeSource = (source) => this.regions.get(source);
      r.mergeSourceEntries = (source, from, to) =>
        (this.localLogs.get(source) ?? []).filter((e) => e.index >= from && e.index <= to);
      // As the node plans a lagging source's membership changes (region_apply_pass.ts).
      r.mergeSourceMembers = (source, tail, applied) => {
        const s = this.regions.get(source);
        return s === undefined ? new Map() : sourceMemberChanges(s, tail, applied);
      };
      this.regions.set(id, r);
    }
  }

  /** Loses every engine write since the last flush, and reopens. */
  async crash(): Promise<void> {
    this.world.fs.crash("lose");
    this.regions.clear();
    this.db = await Db.open(this.world.fs, "kv", { wal: false, seed: 1 });
    await this.openRegions();
  }

  /** Applies region `id`'s log (what it has not applied); false while a merge waits. */
  async catchUp(logs: Logs, id: number): Promise<boolean> {
    const r = this.regions.get(id);
    if (r === undefined) return (logs.get(id) ?? []).length === 0;
    let settled = true;
    try {
      await r.apply(logs.get(id) ?? []);
    } catch (err) {
      if (!(err instanceof MergeSourceBehindError)) throw err;
      settled = false; // retried once the source is open (a split's child is added after)
    }
    await this.openRegions();
    return settled;
  }

  /** Replays every log until nothing moves (a bounded number of rounds). */
  async replay(logs: Logs): Promise<void> {
    for (let round = 0; round < 2 * REGION_IDS.length; round++) {
      let done = true;
      for (const id of REGION_IDS) done = (await this.catchUp(logs, id)) && done;
      if (done) return;
    }
    throw new Error("replay did not settle");
  }
}

/** Appends `data` to region `id`'s log and applies it on `node`; returns its region outcome. */
export async function run(
  node: MergeNode,
  logs: Logs,
  id: number,
  data: Uint8Array,
): Promise<RegionOutcome | undefined> {
  const r = node.regions.get(id);
  if (r === undefined) throw new Error(`region ${id} is not open`);
  const log = logs.get(id) ?? [];
  logs.set(id, log);
  const index = Math.max(r.appliedIndex, log.at(-1)?.index ?? 0) + 1;
  log.push({ index, data });
  const outcomes = await r.apply([{ index, data }]);
  await node.openRegions();
  const bytes = outcomes.get(index);
  return bytes === undefined ? undefined : decodeRegionOutcome(bytes);
}

/** Region `id` open on `node` (the test fails when it is not). */
export function regionOf(node: MergeNode, id: number): RegionKv {
  const r = node.regions.get(id);
  if (r === undefined) throw new Error(`region ${id} is not open`);
  return r;
}

const ONE_VOTER = [{ nodeId: 1, role: "voter" as const }];

/** A split of `r` at `key`, its right half region `newRegionId` on node 1. */
export function splitCommand(r: RegionDescriptor, key: string, newRegionId: number): Uint8Array {
  const splitKey = new TextEncoder().encode(key);
  const { id: regionId, epoch } = r;
  return encodeRegionCommand({
    kind: "split",
    regionId,
    epoch,
    splitKey,
    newRegionId,
    replicas: ONE_VOTER,
  });
}

export function prepareCommand(source: RegionDescriptor, target: RegionDescriptor): Uint8Array {
  return encodeRegionCommand({
    kind: "prepare-merge",
    regionId: source.id,
    epoch: source.epoch,
    target,
  });
}

/** A commit of `source` into `target` at `fence`, carrying `entries` of the source's log. */
export function commitCommand(
  target: RegionDescriptor,
  source: RegionDescriptor,
  fence: number,
  entries: readonly LogEntry[] = [],
): Uint8Array {
  return encodeRegionCommand({
    kind: "commit-merge",
    regionId: target.id,
    epoch: target.epoch,
    fence,
    source,
    entries: [...entries],
  });
}

/** Region `id`'s log up to `fence`, as a commit carries it. */
export function logUpTo(logs: Logs, id: number, fence: number): LogEntry[] {
  return (logs.get(id) ?? []).filter((e) => e.index <= fence);
}
