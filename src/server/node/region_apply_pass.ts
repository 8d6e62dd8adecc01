/**
 * How the host applies a region's entries (region_host.ts; the engine is locked by the caller):
 * its membership changes each in their own batch (region_membership.ts), the events and Redis
 * messages they made, its proposals and read barrier told.
 *
 * A merge's target whose source replica on this node has not applied up to the merge's fence
 * (MergeSourceBehindError: it lags, or is not added yet) holds its entries from the commit on
 * and applies them once the source applied more (its own Raft group goes on meanwhile): a
 * replica applies the merge only with the source's state at the fence (docs/regions.md "Merge").
 * Proposals of held entries are answered when they apply; reads wait for them (their ReadIndex
 * waits for the applied index).
 *
 * A source replica that is not prepared and that neither the commit's entries nor this node's
 * log can bring to the fence never will: this node lost its log of the source (a wipe, or a crash
 * that lost unsynced state, then a replay of the split that made it), and the source's group is
 * gone. Its target here is then dropped (SOURCE_LOST_WAIT_MS after it first waited, and not while
 * it leads), and the target's leader sends the replica made again from its next message an image
 * taken past the commit, which the source here yields to (region_image_screen.ts). Held for good
 * before, that target never applied again (simulator seeds 203 and 219 with merges).
 */
import { type Entry, EntryType } from "../../raft/core/messages.ts";
import type { CarriedEntry } from "../../kv/region_merge_command.ts";
import type { RegionKv } from "../../kv/region_apply.ts";
import { MERGE_ENTRIES_BYTES_MAX } from "../../limits_ops.ts";
import type { NodeRaft } from "./region_driver.ts";
import type { KvEvent } from "../../kv/key_state.ts";
import { MergeSourceBehindError } from "../../kv/region_merge_apply.ts";
import type { MergeReport } from "../../kv/region_merge_run.ts";
import { encodeMergeState, type MergeState, mergeStateKey } from "../../kv/region_merge_state.ts";
import { readMergedSource, readMergedSourceRecord } from "../../kv/merged_sources.ts";
import { yieldsTo } from "./region_image_screen.ts";
import type { EngineReader } from "../../kv/write_set.ts";
import { overlaps, type RegionDescriptor } from "../../region/descriptor.ts";
import type { Db } from "../../storage/db.ts";
import type { HostedRegion, RegionHostDeps } from "./hosted_region.ts";
import type { EngineHolder } from "./engine_holder.ts";
import type { Logger } from "../log/logger.ts";
import { errorMessage } from "../../util/errors.ts";
import { applyRegionEntries, sourceMemberChanges } from "./region_membership.ts";
import { answerApplied } from "./pass_answers.ts";

/** The host of regions, as the pass uses it (region_host.ts). */
export interface ApplyPassHost {
  readonly d: Pick<RegionHostDeps, "first" | "o" | "onRedisEvents" | "images" | "raft">;
  region(id: number): HostedRegion | undefined;
  onEvents(region: number, events: readonly KvEvent[], revision: number): void;
  generation: number;
  onChanged(): void;
  onMergedAway(id: number, why?: string): void;
  onSourceLost(id: number, why: string): void;
}

/** How long a target waits on a source replica here that lost its log before it is dropped. */
const SOURCE_LOST_WAIT_MS = 2_000;

export class RegionApplyPass {
  /** Entries of a merge's target held back until its source replica caught up, by target. */
  readonly #held = new Map<number, { entries: Entry[]; source: number }>();
  /** `region:index` of conf change entries refused, until the driver asked (refusedConfChange). */
  readonly #refused = new Set<string>();
  /** When each target held now first waited (its hold taken up again by `retry` included). */
  readonly #heldSince = new Map<number, number>();

  constructor(readonly host: ApplyPassHost) {}

  /** Regions holding entries back (status, tests). */
  get holding(): number {
    return this.#held.size;
  }

  /** A merge command applied here (RegionKv's onMerge): a source merged away is dropped. */
  merged(report: MergeReport): void {
    this.host.generation++;
    this.host.d.o.logger.info("region.merge", mergeFields(report));
    if (report.kind !== "merged") return;
    this.host.onChanged();
    this.host.onMergedAway(report.source.id);
  }

  /**
   * Whether region `id` refused its conf change entry at `index` (a frozen merge source:
   * applyRegionEntries): the driver asks once, right after the apply, and the answer is dropped.
   */
  refusedConfChange(id: number, index: number): boolean {
    return this.#refused.delete(`${id}:${index}`);
  }

  async apply(r: HostedRegion, entries: readonly Entry[]): Promise<void> {
    const held = this.#held.get(r.id);
    if (held !== undefined) held.entries.push(...entries);
    else await this.#applyHere(r, entries);
    await this.retry(r.id);
  }

  /**
   * Tries the held targets again (the engine locked): those waiting for `source` after it
   * applied, and every one from the merge check's timer, since a source may have caught up with
   * nothing left to apply (opened from the engine past its fence, or through another path) and
   * never report here.
   */
  async retry(source?: number): Promise<void> {
    // Over a copy: a target still waiting is held again, which a live iteration would revisit.
    for (const [id, h] of [...this.#held]) {
      if (source !== undefined && h.source !== source) continue;
      const target = this.host.region(id);
      // A target installing an image applies nothing meanwhile: the image decides what is left.
      if (target === undefined || this.host.d.images.installing(id)) continue;
      this.#held.delete(id);
      await this.#applyHere(target, h.entries);
    }
  }

  /** Drops a held target whose source replica here can never catch up (see the top). */
  #sourceLost(r: HostedRegion, sourceId: number): void {
    const now = this.host.d.o.clock.nowMs();
    const since = this.#heldSince.get(r.id) ?? now;
    this.#heldSince.set(r.id, since);
    const source = this.host.region(sourceId);
    if (source === undefined || source.kv.merge !== undefined) return; // not added yet; prepared
    if (now - since < SOURCE_LOST_WAIT_MS || r.group.rawNode.isLeader) return;
    this.#held.delete(r.id);
    this.#heldSince.delete(r.id);
    const why = `its merge source ${sourceId} lost its log here: the target takes an image`;
    this.host.d.o.logger.warn("region.merge_source_lost", { region: r.id, source: sourceId });
    this.host.onSourceLost(r.id, why);
  }

  async #applyHere(r: HostedRegion, entries: readonly Entry[]): Promise<void> {
    // Pub/sub subscribers are the node's: region 1's state machine carries the flag.
    r.kv.kv.redisEventsWanted = this.host.d.first.kv.kv.redisEventsWanted;
    let outcomes: ReadonlyMap<number, Uint8Array>;
    const refused: number[] = [];
    try {
      outcomes = (await applyRegionEntries(r, entries, this.host.d.o, refused)).outcomes;
      this.#heldSince.delete(r.id);
    } catch (err) {
      if (!(err instanceof MergeSourceBehindError)) throw err;
      const rest = entries.filter((e) => e.index > r.kv.appliedIndex);
      this.#held.set(r.id, { entries: rest, source: err.sourceId });
      outcomes = err.outcomes;
      this.host.d.o.logger.info("region.merge_waits", { region: r.id, source: err.sourceId });
      this.#sourceLost(r, err.sourceId);
    }
    // The refusals decided before a commit waits too: the driver asks for them after this call.
    for (const index of refused) this.#refused.add(`${r.id}:${index}`);
    const events = r.kv.kv.drainEvents();
    if (events.length > 0) this.host.onEvents(r.kv.descriptor.id, events, r.kv.kv.revision);
    const published = r.kv.kv.drainRedisEvents();
    if (published.length > 0) this.host.d.onRedisEvents(published);
    // Entries past the applied index are held: answered when they apply.
    answerApplied(this.host.d.raft.answers, r, entries, outcomes, r.kv.appliedIndex);
  }
}

/** A merge report's log fields. */
export function mergeFields(report: MergeReport): Record<string, string | number> {
  if (report.kind !== "merged") return { kind: report.kind, source: report.source.id };
  const { target, source, index } = report;
  return { kind: report.kind, target: target.id, source: source.id, index };
}

/** What the merge's replica checks read of a hosted region. */
export type MergingReplica = Pick<HostedRegion, "id" | "kv">;

/**
 * A merge's target installed an image taken past the commit, which this node never applied: a
 * source prepared here for it is merged when the image covers the source's range (a target grows
 * only by merging) or the target's records say it absorbed that source (merged_sources.ts: the
 * target split again since, and its image no longer reaches the source). Each such source is
 * marked merged and dropped (`markMergedAway`); its keys came with the target's image, or come
 * with the images of the target's children. So is a replica here of each region the image records
 * absorbed, prepared or not: a crash that lost this node's unsynced state replays the split that
 * made a source long merged away, and that re-made replica, with no group left to tell it, held
 * the range against every image of its target (sim seed 43 with merges).
 */
export async function mergedByImage(
  db: Db,
  target: RegionDescriptor,
  hosted: readonly MergingReplica[],
  drop: (id: number, why: string) => void,
): Promise<void> {
  for (const r of hosted) {
    const merge = r.kv.merge;
    if (r.id === target.id || merge?.stage === "merged") continue;
    if (merge?.stage !== "prepared" || merge.target.id !== target.id) {
      const record = readMergedSourceRecord(db, target.id, r.id);
      // Not while the region it merged into is here short of the commit (yieldingAbsorbed).
      if (record === undefined || !yieldsTo(db, target.id, r.id, record.target)) continue;
      const fence = record.fence;
      const why = `region ${target.id}'s image records it absorbed`;
      await markMergedAway(db, r, drop, why, { stage: "merged", fence, target });
      continue;
    }
    const covered = overlaps(r.kv.descriptor, target);
    if (!covered && !absorbedHere(db, r)) continue;
    await markMergedAway(db, r, drop, covered ? "its target's image covers it" : undefined);
  }
}

/**
 * Whether the target a source replica here is prepared for absorbed it, as the target's replica
 * on this node records (merged_sources.ts): the source's group is gone, so nothing else tells it.
 */
export function absorbedHere(db: EngineReader, source: MergingReplica): boolean {
  const merge = source.kv.merge;
  if (merge?.stage !== "prepared") return false;
  return readMergedSource(db, merge.target.id, source.id) !== undefined;
}

/**
 * Marks a prepared source merged (on the engine first, so a crash before its removal leaves it
 * merged) and drops it: its target took it in without this node applying the commit. A replica
 * that is not prepared is marked only given `proven`, the merge its target's records prove.
 */
export async function markMergedAway(
  db: Db,
  r: MergingReplica,
  drop: (id: number, why: string) => void,
  why?: string,
  proven?: MergeState,
): Promise<void> {
  const merge = r.kv.merge;
  const merged = merge?.stage === "prepared" ? { ...merge, stage: "merged" as const } : proven;
  if (merged === undefined || merge?.stage === "merged") return;
  await db.write([{ type: "put", key: mergeStateKey(r.id), value: encodeMergeState(merged) }]);
  r.kv.mergeApplied(r.kv.descriptor, merged);
  drop(r.id, why ?? `region ${merged.target.id} records it absorbed`);
}

/** The host's side of `mergedByImage` and `markMergedAway`, on the engine's lock. */
export interface MergedAwayHost {
  /** The hosted regions, merged-away ones included, but none installing an image. */
  settledWithMerged(): readonly MergingReplica[];
  onMergedAway(id: number, why?: string): void;
}

/** `mergedByImage` and `markMergedAway` as the node runs them: on the engine's lock. */
export function lockedMergeHooks(engine: () => EngineHolder, host: MergedAwayHost, log: Logger) {
  return {
    mergedByImage: (t: RegionDescriptor) =>
      engine().locked(() =>
        mergedByImage(engine().db, t, host.settledWithMerged(), host.onMergedAway)
      ),
    markMerged: (r: MergingReplica) => {
      const mark = () => markMergedAway(engine().db, r, host.onMergedAway);
      const fields = (err: unknown) => ({ region: r.id, error: errorMessage(err) });
      engine().locked(mark).catch((err) => log.warn("region.merge_mark_failed", fields(err)));
    },
  };
}

/**
 * The hooks by which a target's commit catches its lagging source replica here up to the fence
 * (kv/region_merge_catch_up.ts): the source's entries in this node's log, and what the
 * membership changes among them do to its descriptor.
 */
export function catchUpHooks(
  kv: RegionKv,
  raft: NodeRaft,
  source: (id: number) => RegionKv | undefined,
): void {
  kv.mergeSourceEntries = (id, from, to) => logEntries(raft, id, from, to);
  kv.mergeSourceMembers = (id, tail, applied) => {
    const s = source(id);
    return s === undefined ? new Map() : sourceMemberChanges(s, tail, applied);
  };
}

/**
 * Region `id`'s entries [from, to] in this node's log, as a merge's commit carries them
 * (`carried`); none unless the log holds them all.
 */
export function logEntries(raft: NodeRaft, id: number, from: number, to: number): CarriedEntry[] {
  const storage = raft.n.log.group(id).storage;
  if (from < storage.firstIndex() || to > storage.lastIndex() || from > to) return [];
  const got = storage.entries(from, to + 1, MERGE_ENTRIES_BYTES_MAX);
  if (got.length !== to - from + 1) return [];
  return got.map(carried);
}

/**
 * An entry as a merge's commit carries it. A membership change carries its change: it writes no
 * data, but a lagging replica's descriptor must take it, since a PrepareMerge or RollbackMerge
 * later in the tail checks the whole epoch, conf version included. Carried empty, its conf
 * version was missed and such a prepare refused on that replica alone: the commit then refused
 * there too, its target went on without the merge while the others merged (region simulator
 * seed 88 with merge: a wiped node replaying a split's parent re-created children merged away
 * long before, and caught them up from the commits' tails).
 */
export function carried(e: Entry): CarriedEntry {
  if (e.type === EntryType.ConfChange && e.data.length > 0) {
    return { index: e.index, data: null, confChange: e.data };
  }
  return {
    index: e.index,
    data: e.type !== EntryType.Normal || e.data.length === 0 ? null : e.data,
  };
}
