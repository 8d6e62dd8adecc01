/**
 * The regions a node holds (decision 0014 phase 2, docs/regions.md "The node holding many
 * regions"). Every region is a `RegionKv` — a KvStateMachine over the node's one engine with
 * its descriptor and region-local records — run by the node's one multi-region driver.
 *
 * Region 1 is the node's historical path (node_service.ts); the host adds the others: those
 * found on the engine at open, the children of the splits it applies (right after the round,
 * split_child.ts), and replicas created from a peer's message (region_creation.ts); it forgets
 * those moved off the node (region_removal.ts). Each has its own proposals and read barrier.
 */
import type { Entry, Snapshot } from "../../raft/core/messages.ts";
import type { RaftGroup } from "../../raft/group.ts";
import { addSplitChildren, type SplitChild } from "../../raft/multi/split_child.ts";
import { RegionKv, type SplitReport } from "../../kv/region_apply.ts";
import { openRegions } from "../../kv/region_open.ts";
import { encodeRegionCommand } from "../../kv/region_command.ts";
import type { KvEvent } from "../../kv/key_state.ts";
import { catchUpHooks, mergedByImage, RegionApplyPass } from "./region_apply_pass.ts";
import { configureRegionKv } from "./engine_holder.ts";
import { Proposals } from "./proposals.ts";
import { regionHolding, RegionOrder } from "./region_order.ts";
import { ReadBarrier } from "./read_barrier.ts";
import { NodeReadIssuer } from "./read_issuer.ts";
import { SNAPSHOT_MARKER } from "./region_driver.ts";
import { skipsImage } from "./merged_image.ts";
import type { HostedRegion, RegionHostDeps } from "./hosted_region.ts";
import { regionLeftNode } from "./region_refusals.ts";
import { isLeftOut, unmerged } from "./left_out.ts";
import { holdChildVotes, SplitHolds } from "./split_child_votes.ts";

export type { HostedRegion, RegionHostDeps };
import { isRegionImage, refuseSnapshot, regionImageSource } from "./region_snapshots.ts";

export class RegionHost {
  readonly #others = new Map<number, HostedRegion>();
  /** Grows when regions change here: a read that waited meanwhile is refused (node_reads.ts). */
  generation = 0;
  onChanged: () => void = () => {}; // regions were added (a split): the watches are checked again
  onSplit: (report: SplitReport) => void = () => {}; // before its pass's events (watch_hub)
  /** Key events a region other than region 1 applied (the node's watches: node_watches.ts). */
  onEvents: (region: number, events: readonly KvEvent[], revision: number) => void = () => {};
  onImageInstalled: (region: number) => void = () => {}; // region `region`'s watches catch up
  /** Region images installed, by region (region 1's: the engine holder's `installed`). */
  readonly snapshotsInstalled = new Map<number, number>();
  readonly #joining = new Map<number, HostedRegion>(); // being added: hosted once on the driver
  readonly #order = new RegionOrder();
  readonly #servedOrder = new RegionOrder(); // `all`'s: replicas left out aside
  #pendingSplits: SplitReport[] = []; // splits applied here whose children are not added yet
  readonly #splitHolds = new SplitHolds(this); // children whose parent held its vote at the split
  /** Removes replicas a peer's message created for these ids (region_creation.ts). */
  release: (ids: readonly number[]) => Promise<void> = () => Promise.resolve();

  constructor(readonly d: RegionHostDeps) {}

  /** Every region served, in key order: not merged away, nor left out (left_out.ts). */
  all = (): HostedRegion[] => this.#served().filter(unmerged);
  /** Whether `r` is one of `all()` now, without making the list (read_settle.ts `unchanged`). */
  serves = (r: HostedRegion) => this.region(r.id) === r && this.#serves(r) && unmerged(r);

  /** Every region hosted, those merged away and not dropped yet included, in key order. */
  withMerged = (): HostedRegion[] => this.#ordered().slice();
  #ordered = () => this.#order.of(this.generation, () => [this.d.first, ...this.#others.values()]);
  #served = () => this.#servedOrder.of(this.generation, () => this.#ordered().filter(this.#serves));
  #serves = (r: HostedRegion) => !isLeftOut(r.kv.descriptor, this.d.o.id);
  /** `withMerged` but a region installing an image: the image decides it (mergedByImage). */
  settledWithMerged(): HostedRegion[] {
    return this.withMerged().filter((r) => !this.d.images.installing(r.id));
  }
  /** A region this node holds was merged away here (its replica is dropped: region_removal.ts). */
  onMergedAway: (id: number, why?: string) => void = () => {};
  /** A merge's target here can never apply its commit: its replica is dropped for an image. */
  onSourceLost: (id: number, why: string) => void = () => {};
  /** Applies the regions' entries (a merge's target may wait for its source). */
  readonly applyPass: RegionApplyPass = new RegionApplyPass(this);

  get count(): number {
    return 1 + this.#others.size;
  }

  /** A split applied here whose child is not served yet (its keys have no local region). */
  get adding(): boolean {
    return this.#pendingSplits.length > 0 || this.#joining.size > 0;
  }

  region(id: number): HostedRegion | undefined {
    return id === this.d.first.id ? this.d.first : this.#others.get(id);
  }

  /** Region `id` is hosted here or being added. */
  knows(id: number): boolean {
    return this.region(id) !== undefined || this.#joining.has(id);
  }

  /** The local region serving `key`; none while a split's child is not added, or left out. */
  regionFor(key: Uint8Array): HostedRegion | undefined {
    const first = this.d.first;
    if (this.#others.size === 0 && first.kv.descriptor.end.length === 0) return first;
    return regionHolding(this.#served(), key, this.#servedOrder.disjoint);
  }

  /**
   * The entry a command proposed to region `id` becomes: once regions split (or may), a `Routed`
   * command with the region's epoch (apply refuses it, changing nothing, when a split landed
   * since: region_apply.ts) and the leader's `timestamp` (decision 0018); else the command.
   */
  entryFor(id: number, command: Uint8Array, timestamp?: number): Uint8Array {
    const epoch = this.regionSnapshots ? this.region(id)?.kv.descriptor.epoch : undefined;
    if (epoch === undefined) return command;
    return encodeRegionCommand({ kind: "routed", regionId: id, epoch, command, timestamp });
  }

  /** Region 1 reports its splits here (its RegionKv's `onSplit`). */
  splitApplied(report: SplitReport): void {
    this.generation++;
    this.onSplit(report);
    this.#splitHolds.applied(report);
    this.#pendingSplits.push(report);
    this.d.raft.loop.between(() => this.#addPending());
  }

  /** Opens the regions other than region 1 found on the engine (at open, before the loop runs). */
  async openAll(voters: readonly number[]): Promise<void> {
    const children: SplitChild[] = [];
    for (const kv of await openRegions(this.d.engine().db, voters)) {
      if (kv.descriptor.id === this.d.first.id) {
        kv.kv.garbage.stop(); // region 1 is the engine holder's own
        continue;
      }
      const spec = this.#spec(kv);
      children.push({ spec, index: kv.appliedIndex, descriptor: kv.descriptor, fromEngine: true });
    }
    await this.#join(children);
    // Still rebuilding (rebuild.ts): these are the splits replayed before the node stopped.
    if (this.d.o.rebuild) holdChildVotes(this, children.map((c) => c.spec.id));
  }

  /** Adds regions to the driver, then serves them (their handles exist from then on). */
  async #join(children: readonly SplitChild[]): Promise<void> {
    try {
      await addSplitChildren(this.d.raft.driver, this.d.raft.n.log, children);
    } finally {
      for (const c of children) {
        const hosted = this.#joining.get(c.spec.id);
        this.#joining.delete(c.spec.id);
        if (hosted !== undefined && this.d.raft.driver.region(c.spec.id) !== undefined) {
          this.#others.set(c.spec.id, hosted);
        }
      }
      this.generation++;
      if (children.length > 0) this.onChanged();
    }
  }

  async #addPending(): Promise<void> {
    const splits = this.#pendingSplits;
    this.#pendingSplits = [];
    await this.release(splits.map((s) => s.right.id));
    const children: SplitChild[] = [];
    const held = this.#splitHolds.decided(splits.map((s) => s.right.id));
    for (const s of splits) {
      const id = s.right.id, installing = this.d.images.installing(id);
      if (this.region(id) !== undefined || this.#joining.has(id) || installing) continue;
      const kv = await RegionKv.open(this.d.engine().db, id);
      const campaign = this.region(s.left.id)?.group.rawNode.isLeader === true;
      children.push({ spec: this.#spec(kv), index: s.index, descriptor: s.right, campaign });
      const split = { parent: s.left.id, child: s.right.id, index: s.index };
      this.d.o.logger.info("region.split", split);
    }
    await this.#join(children);
    this.#splitHolds.hold(held);
  }

  /** Stops serving region `id` (moved off this node: region_removal.ts); region 1 never. */
  forget(id: number): HostedRegion | undefined {
    const r = this.#others.get(id);
    if (r === undefined) return undefined;
    this.#others.delete(id);
    this.generation++;
    this.onChanged();
    return r;
  }

  /** Hosts a region whose replica is on the driver already (region_creation.ts): its spec. */
  adopt(kv: RegionKv): { spec: SplitChild["spec"]; hosted: HostedRegion } {
    const spec = this.#spec(kv);
    const hosted = this.#joining.get(spec.id);
    this.#joining.delete(spec.id);
    if (hosted === undefined) throw new Error(`region ${spec.id} was not being added`);
    this.#others.set(spec.id, hosted);
    this.generation++;
    this.onChanged();
    hosted.reads.applied();
    return { spec, hosted };
  }

  /** The driver's spec of a region other than region 1, and its hosted entry. */
  #spec(opened: RegionKv): SplitChild["spec"] {
    const id = opened.descriptor.id, o = this.d.o;
    let kv = this.#adopt(opened);
    const driver = this.d.raft.driver;
    // The handle exists once the driver added the region (addSplitChildren, right after).
    const group = (): RaftGroup => {
      const h = driver.regionNode(id);
      if (h === undefined) throw regionLeftNode(id);
      return h;
    };
    const issuer = new NodeReadIssuer(o.id, group, () => kv.appliedIndex);
    const reads = new ReadBarrier(issuer, o.clock, o.requestTimeoutMs, o.id);
    let appliedBytes = 0;
    const hosted: HostedRegion = {
      id,
      get kv() {
        return kv;
      },
      proposals: new Proposals(o.clock),
      reads,
      get group() {
        return group();
      },
      appliedBytes: () => appliedBytes,
    };
    this.#joining.set(id, hosted);
    const restore = async (snapshot: Snapshot) => {
      if (!isRegionImage(snapshot.data, SNAPSHOT_MARKER)) return refuseSnapshot(id, kv, snapshot);
      if (await skipsImage(kv, snapshot.metadata.index, this.d.engine(), o.logger)) return;
      kv = await this.#installImage(kv, snapshot.data);
      reads.applied();
      this.onImageInstalled(id);
    };
    return {
      id,
      sm: {
        apply: (entries: readonly Entry[]) => {
          for (const e of entries) appliedBytes += e.data.length;
          return this.d.engine().locked(() => this.applyPass.apply(hosted, entries));
        },
        restore,
        flush: () => this.d.engine().flushApplied(),
        image: () => SNAPSHOT_MARKER,
        refusesConfChange: (index) => this.applyPass.refusedConfChange(id, index),
      },
      hooks: {
        onReadStates: (states) => {
          for (const s of states) reads.confirmed(s.context, s.index);
        },
        onSoftState: (soft) => {
          reads.leadershipChanged(soft.lead !== 0);
          issuer.reconsider();
        },
        onConfChange: () => issuer.reconsider(),
      },
    };
  }

  /** A region's state machine as this node runs it (clock, pacing, splits reported here). */
  #adopt(kv: RegionKv): RegionKv {
    configureRegionKv(kv.kv, this.d.o.clock);
    kv.onSplit = (report) => this.splitApplied(report);
    // A source installing an image is read once it is in (the target's merge waits: held).
    kv.mergeSource = (id) => this.d.images.installing(id) ? undefined : this.region(id)?.kv;
    catchUpHooks(kv, this.d.raft, (id) => this.region(id)?.kv);
    kv.onMerge = (report) => this.applyPass.merged(report);
    return kv;
  }

  /**
   * Replaces region `old`'s records with a received image (region_snapshots.ts) and reopens
   * its state machine, whose counters, sessions and leases are cached.
   */
  #installImage(old: RegionKv, image: Uint8Array): Promise<RegionKv> {
    const id = old.descriptor.id;
    old.kv.garbage.stop();
    return this.d.images.install(id, image, async (db, index) => {
      this.d.o.logger.info("region.snapshot_installed", { region: id, index });
      this.snapshotsInstalled.set(id, (this.snapshotsInstalled.get(id) ?? 0) + 1);
      const kv = this.#adopt(await RegionKv.open(db, id));
      await mergedByImage(db, kv.descriptor, this.settledWithMerged(), this.onMergedAway);
      return kv;
    });
  }

  /** Regions split (or may): snapshots are region images, commands stamped `Routed` entries. */
  get regionSnapshots(): boolean {
    return this.d.o.regionSplitBytes > 0 || this.d.o.regionsSplit || this.#others.size > 0;
  }

  /** The image source of region `id`'s snapshots, streamed out of band. */
  imageSource(id: number): (() => AsyncIterable<Uint8Array>) | undefined {
    const r = this.region(id);
    if (r === undefined) return undefined;
    return regionImageSource(() => this.d.engine().db, id, () => r.kv.descriptor);
  }

  close(): void {
    for (const r of this.#others.values()) {
      r.proposals.failAll("node shutting down");
      r.kv.kv.garbage.stop();
    }
  }
}
