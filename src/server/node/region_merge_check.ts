/**
 * The merge check (docs/regions.md "Merge"): with `--region-merge-bytes N` (0, the default, never
 * merges) a node that leads two adjacent regions, both small, merges the right one (the source)
 * into the left one (the target). Every `intervalMs` it:
 *
 * 1. drops its replicas of regions merged away (the source's record says `merged`: the target's
 *    commit applied here), keeping their keys, which are the target's now (region_removal.ts),
 *    and marks merged the sources prepared here whose target's replica here records having
 *    absorbed them (merged_sources.ts: it installed an image past the commit instead of
 *    applying it, and the source's group, gone, will never say);
 * 2. drives the merges in flight: for a source prepared here, a node leading the target (whose
 *    epoch is still the one the prepare saw) and the source, every replica of which has the
 *    fence in its log, proposes the CommitMerge, carrying the source's log tail up to the fence
 *    (a source led elsewhere is handed to the target's leader first); a leader of the source
 *    whose target's epoch has moved past it (split, merged or changed members since) proposes
 *    the RollbackMerge — only then, since a commit with that epoch can no longer apply anywhere;
 * 3. plans one merge when none is in flight here: the first adjacent pair, neither region 1
 *    (it holds the node-wide records), both led here with the same replicas (the same nodes
 *    and roles: both Raft groups then live on the same nodes), both settled (no membership
 *    change or leadership transfer pending, their commit index applied), whose current records
 *    add up to at most N bytes (an exact scan bounded by N). N is at most half the split size
 *    (options.ts), so a merged region is far from splitting again: split and merge never flap.
 *    A pair led apart is aligned first: the source's leader hands its leadership to the
 *    target's leader. Placement does not plan merges yet: the pair must already have the same
 *    replicas (a split's halves start so; placement's moves keep a region's replica count).
 *
 * A command proposed and not applied (leadership lost, refused) is proposed again after
 * `MERGE_RETRY_CHECKS` checks.
 */
import { encodeRegionCommand } from "../../kv/region_command.ts";
import type { CarriedEntry } from "../../kv/region_merge_command.ts";
import {
  MERGE_ENTRIES_BYTES_MAX,
  MERGE_ENTRIES_MAX,
  MERGE_RETRY_CHECKS,
} from "../../limits_ops.ts";
import { absorbedHere, carried } from "./region_apply_pass.ts";
import { equalBytes } from "../../util/bytes.ts";
import type { RegionDescriptor, RegionEpoch } from "../../region/descriptor.ts";
import { sameEpoch } from "../../region/descriptor.ts";
import type { Db } from "../../storage/db.ts";
import type { Logger } from "../log/logger.ts";
import type { HostedRegion } from "./hosted_region.ts";
import type { NodeRaft } from "./region_driver.ts";
import { RepeatingCheck } from "./repeating_check.ts";
import { SmallRegionBytes } from "./region_small_bytes.ts";
import type { Clock } from "../../platform/types.ts";

export interface MergeCheckDeps {
  /** Every hosted region, in key order. */
  readonly regions: () => readonly HostedRegion[];
  readonly region: (id: number) => HostedRegion | undefined;
  readonly db: () => Db;
  readonly raft: NodeRaft;
  readonly selfId: number;
  /** Hands region `region`'s leadership to node `to` (the driver's). */
  readonly transferLeader: (region: number, to: number) => void;
  /** Tries again the targets whose commit waits for their source here (region_apply_pass.ts). */
  readonly retryHeld: () => Promise<void>;
  /** Drops this node's replica of a region merged away (its keys stay: region_removal.ts). */
  readonly removeMerged: (id: number) => void;
  /** Marks a prepared source merged and drops it: its target absorbed it (markMergedAway). */
  readonly markMerged: (r: HostedRegion) => void;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Current-record bytes two adjacent regions add up to at most to merge; 0: never. */
  readonly mergeBytes: number;
  /**
   * A region that may be hot (region_load.ts `busy`; absent: split by load is off): never merged,
   * or a split by load would undo the merge and the two would flap. Its load is known only where
   * it is led, so then a pair merges only on the node leading both.
   */
  readonly busy?: (id: number) => boolean;
  readonly intervalMs: number;
}

export class MergeCheck {
  readonly #repeat: RepeatingCheck;
  readonly #bytes: SmallRegionBytes;
  #checks = 0;
  /** Region → the check its last merge command was proposed at, and which command. */
  readonly #proposed = new Map<number, { check: number; what: string }>();
  /** Commands proposed by kind, and leaderships handed over to align a pair. */
  readonly counts = { prepare: 0, commit: 0, rollback: 0, align: 0 };

  constructor(readonly d: MergeCheckDeps) {
    this.#repeat = new RepeatingCheck(d.clock, d.intervalMs, () => this.check());
    this.#bytes = new SmallRegionBytes(d.mergeBytes);
  }

  /**
   * A source merged away before a restart (the target's commit applied, the node stopped before
   * the removal, or a crash cut it) is dropped at once, merge on or off: its record says so.
   * Meanwhile it must not lead (`#dropIfMerged`).
   */
  start(): void {
    for (const r of this.d.regions()) this.#dropIfMerged(r);
    if (this.d.mergeBytes > 0) this.#repeat.start();
  }

  stop(): void {
    this.#repeat.stop();
  }

  check(): void {
    this.#checks++;
    void this.d.retryHeld().catch((err) => {
      this.d.logger.warn("region.merge_retry_failed", { error: String(err) });
    });
    const all = this.d.regions();
    let inFlight = false;
    for (const r of all) {
      const merge = r.kv.merge;
      if (this.#dropIfMerged(r)) continue;
      if (merge?.stage === "prepared") {
        inFlight = true;
        this.#drive(r, merge.fence, merge.target);
      }
    }
    if (!inFlight) this.#plan(all);
  }

  /** Step 1: drops a replica of a region merged away; whether it was one. */
  #dropIfMerged(r: HostedRegion): boolean {
    if (absorbedHere(this.d.db(), r)) {
      this.d.markMerged(r);
      return true;
    }
    if (r.kv.merge?.stage !== "merged") return false;
    // Neither campaigns nor votes until dropped. A crash that cut its removal brings its replicas
    // back at the next open; where their logs went too, they come back as a group of their own
    // at the engine's index, which elected a leader, and that leader sent images of the merged
    // source: a replica still prepared took one and then refused its target's commit (the source
    // not prepared any more), so its target went on without the merge (simulator seed 40,
    // "replicas differ"); a replica merged away stopped on one (seeds 16, 24, 39, 50).
    r.group.suppressVotes = true;
    this.d.removeMerged(r.id); // once: a removal scheduled already is not scheduled again
    return true;
  }

  #due(id: number, what: string): boolean {
    const p = this.#proposed.get(id);
    return p === undefined || p.what !== what || this.#checks - p.check >= MERGE_RETRY_CHECKS;
  }

  #propose(r: HostedRegion, what: string, data: Uint8Array): void {
    if (!this.#due(r.id, what) || !r.group.propose(data).ok) return;
    r.group.kick();
    this.#proposed.set(r.id, { check: this.#checks, what });
    this
      .counts[
        what.startsWith("prepare") ? "prepare" : what.startsWith("commit") ? "commit" : "rollback"
      ]++;
    this.d.logger.info("region.merge_proposed", { region: r.id, command: what });
  }

  /** A prepared source: commit where this node leads the target, roll back once it moved. */
  #drive(source: HostedRegion, fence: number, prepared: RegionDescriptor): void {
    const target = this.d.region(prepared.id);
    if (target === undefined) return; // not here (yet): its leader's node drives it
    const now = target.kv.descriptor;
    if (sameEpoch(now.epoch, prepared.epoch)) {
      if (!this.#fenceEverywhere(source, target, fence)) return;
      const entries = this.#tail(source.id, fence);
      const data = encodeRegionCommand({
        kind: "commit-merge",
        regionId: now.id,
        epoch: now.epoch,
        fence,
        source: source.kv.descriptor,
        entries,
      });
      this.#propose(target, `commit ${source.id}@${fence}`, data);
      return;
    }
    if (!moved(now.epoch, prepared.epoch) || !source.group.rawNode.isLeader) return;
    const epoch = source.kv.descriptor.epoch;
    const data = encodeRegionCommand({ kind: "rollback-merge", regionId: source.id, epoch, fence });
    this.#propose(source, `rollback ${fence}`, data);
  }

  /**
   * Whether this node may commit now: it leads the target and the source, and every replica of
   * the source has the fence in its log, so each can apply up to it (from its log, or from the
   * entries the commit carries) once its target applies the commit — after which the source's
   * replicas are dropped, and a replica still missing them would wait for a group that is gone.
   * Led apart, the source's leader hands it to the target's (the pair then commits there).
   */
  #fenceEverywhere(source: HostedRegion, target: HostedRegion, fence: number): boolean {
    const rn = source.group.rawNode;
    if (!target.group.rawNode.isLeader) {
      if (rn.isLeader) this.#align(source, target);
      return false;
    }
    if (!rn.isLeader || source.kv.appliedIndex < fence) return false;
    const st = rn.status();
    return source.kv.descriptor.replicas.every((p) =>
      p.nodeId === this.d.selfId || (st.progress.get(p.nodeId)?.match ?? 0) >= fence
    );
  }

  /** The source's log up to the fence, as much as the bounds allow, for lagging replicas. */
  #tail(id: number, fence: number): CarriedEntry[] {
    const storage = this.d.raft.n.log.group(id).storage;
    const from = Math.max(storage.firstIndex(), fence - MERGE_ENTRIES_MAX + 1);
    if (from > fence) return [];
    const got = storage.entries(from, fence + 1, MERGE_ENTRIES_BYTES_MAX);
    // Only a suffix ending at the fence helps (a replica catches up from its applied index).
    if (got.length === 0 || got[got.length - 1].index !== fence) return [];
    return got.map(carried);
  }

  #plan(all: readonly HostedRegion[]): void {
    for (let i = 0; i + 1 < all.length; i++) {
      const target = all[i], source = all[i + 1];
      if (!this.#candidates(target, source, all.length)) continue;
      const led = target.group.rawNode.isLeader && source.group.rawNode.isLeader;
      const known = this.d.busy === undefined || led;
      if (known && settled(target) && settled(source)) {
        const data = encodeRegionCommand({
          kind: "prepare-merge",
          regionId: source.id,
          epoch: source.kv.descriptor.epoch,
          target: target.kv.descriptor,
        });
        this.#propose(source, `prepare into ${target.id}`, data);
        return;
      }
      // Led apart: the source's leader hands it to the target's, and the pair merges there.
      if (settled(source) && this.#align(source, target)) return;
    }
  }

  /**
   * Hands the source's leadership (led here) to the target's leader, when another node leads the
   * target and no hand-over was asked for lately; whether it was asked now.
   */
  #align(source: HostedRegion, target: HostedRegion): boolean {
    const lead = target.group.rawNode.lead;
    if (lead === 0 || lead === this.d.selfId || !this.#due(source.id, "align")) return false;
    this.#proposed.set(source.id, { check: this.#checks, what: "align" });
    this.d.transferLeader(source.id, lead);
    this.counts.align++;
    this.d.logger.info("region.merge_align", { region: source.id, to: lead });
    return true;
  }

  /** Adjacent, neither region 1 nor merging, the same replicas, one led here, both small. */
  #candidates(target: HostedRegion, source: HostedRegion, hosted: number): boolean {
    const t = target.kv.descriptor, s = source.kv.descriptor;
    if (t.id === 1 || s.id === 1 || target.kv.merge !== undefined) return false;
    if (source.kv.merge !== undefined || t.end.length === 0 || !equalBytes(t.end, s.start)) {
      return false;
    }
    if (!sameReplicas(t, s)) return false;
    if (!target.group.rawNode.isLeader && !source.group.rawNode.isLeader) return false;
    const hot = (r: HostedRegion) => r.group.rawNode.isLeader && this.d.busy?.(r.id) === true;
    if (hot(target) || hot(source)) return false;
    // Counted again only when it may have changed (region_small_bytes.ts): a scan of up to
    // mergeBytes per region at every check made a grown node's writes 4x dearer (session 27).
    const limit = this.d.mergeBytes, db = this.d.db();
    const left = this.#bytes.of(db, target, 0, hosted);
    return left <= limit && left + this.#bytes.of(db, source, 0, hosted) <= limit;
  }
}

/** Led here, nothing pending: no conf change, no transfer, its commit index applied. */
function settled(r: HostedRegion): boolean {
  const rn = r.group.rawNode;
  if (!rn.isLeader) return false;
  const st = rn.status();
  const busy = st.confState.votersOutgoing.length > 0 || st.leadTransferee !== 0;
  return !busy && r.kv.appliedIndex >= st.commit && r.kv.merge === undefined;
}

function sameReplicas(a: RegionDescriptor, b: RegionDescriptor): boolean {
  const key = (d: RegionDescriptor) =>
    d.replicas.map((p) => `${p.nodeId}:${p.role}`).sort().join(",");
  return key(a) === key(b);
}

/** The target's epoch is past the prepared one (a lagging replica shows an older one). */
function moved(now: RegionEpoch, prepared: RegionEpoch): boolean {
  return now.version > prepared.version || now.confVer > prepared.confVer;
}
