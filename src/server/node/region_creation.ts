/**
 * Replicas of regions this node learns of from a peer (docs/regions.md "The node holding many
 * regions", "A replica created from a peer's message"): a node that installed a region's image
 * taken past a split holds the parent's new range but never applied the split, so it never
 * created the child. The child's leader keeps sending it appends and heartbeats, which the
 * driver drops (no such region here) and shows to `onUnknownRegion`. On such a message from a
 * leader (an append, a heartbeat or a snapshot) the node adds an uninitialized replica: a Raft
 * replica with an empty log and no configuration, and no records in the engine. It answers the
 * leader, which finds nothing to append to and sends the region's image; the image brings the
 * descriptor, and the replica is then hosted like any region.
 *
 * Never two regions over one key (mayCreateReplica, split_child.ts): an image whose range
 * overlaps a local region (this node has not applied a split or merge the sender has) is
 * dropped before Raft sees it (`screen`), unless that region is a merge's source prepared here
 * for the image's region, which the image shows merged (`mayInstallImage`); the node catches up
 * on its own region first and the leader sends the image again. A replica created while the
 * parent's split is still coming (the child's leader was quicker than this node's apply) is
 * removed when the split applies, and the split's child takes its place (`release`).
 *
 * Votes: the replica drops vote requests, and sends none, until it has installed its image and
 * then applied its leader's commit index confirmed after it was created (its read barrier), as a
 * rebuilt node's region 1 does (rebuild.ts): a wiped node may have acknowledged entries it lost.
 */
import { type Message, MessageType, type Snapshot } from "../../raft/core/messages.ts";
import type { RegionSpec } from "../../raft/multi/driver.ts";
import type { NodeBatch } from "../../raft/multi/transport.ts";
import { mayInstallImage, mayReplaceImage, yieldingAbsorbed } from "./region_image_screen.ts";
import { RegionKv } from "../../kv/region_apply.ts";
import type { RegionDescriptor } from "../../region/descriptor.ts";
import { REGION_UNINITIALIZED_MAX, REGION_UNINITIALIZED_TTL_MS } from "../../limits_ops.ts";
import type { TimerId } from "../../platform/types.ts";
import { errorMessage, NoSpaceError } from "../../util/errors.ts";
import type { EngineHolder } from "./engine_holder.ts";
import type { ResolvedNodeOptions } from "./options.ts";
import { KV_REGION, type NodeRaft, SNAPSHOT_MARKER } from "./region_driver.ts";
import { PLACEMENT_REGION } from "../placement/placement_options.ts";
import type { HostedRegion } from "./region_host.ts";
import { isRegionImage, snapshotHead } from "./region_snapshots.ts";
import type { RegionImageInstaller } from "./region_image_install.ts";

/** How often a replica not voting yet asks its leader again (its region tolerates one less). */
const CATCH_UP_RETRY_MS = 300;

export interface RegionCreationDeps {
  readonly o: ResolvedNodeOptions;
  readonly raft: NodeRaft;
  readonly engine: () => EngineHolder;
  readonly images: RegionImageInstaller;
  /** Regions may split here (their snapshots are images): only then are replicas created. */
  readonly on: () => boolean;
  /** Region `id` is hosted here or being added (a split's child). */
  readonly known: (id: number) => boolean;
  /** Hosts a region whose image was installed: its driver spec, served from then on. */
  readonly adopt: (kv: RegionKv) => { spec: Omit<RegionSpec, "voters">; hosted: HostedRegion };
  readonly closed: () => boolean;
  /** Drops the sources prepared here for a target whose image just installed (mergedByImage). */
  readonly mergedByImage: (target: RegionDescriptor) => Promise<void>;
}

export class RegionCreation {
  readonly #scheduled = new Set<number>();
  /** On the driver, waiting for an image, with the time each was created. */
  readonly #uninitialized = new Map<number, number>();
  #sweepTimer: TimerId | undefined;
  /** Replicas created; images dropped because their range overlapped a local region. */
  readonly counts = { created: 0, overlapping: 0 };

  constructor(readonly d: RegionCreationDeps) {
    // Region 0's messages go to the placement service first (placement_rejoin.ts).
    const placement = d.raft.driver.onUnknownRegion;
    d.raft.driver.onUnknownRegion = (region, m) => {
      placement?.(region, m);
      this.#seen(region, m);
    };
  }

  /** Replicas are being created or wait for their image. */
  get waiting(): boolean {
    return this.#scheduled.size + this.#uninitialized.size > 0;
  }

  /** Whether region `id` is an uninitialized replica here (on the driver, no image yet). */
  uninitialized(id: number): boolean {
    return this.#uninitialized.has(id);
  }

  #seen(id: number, m: Message): void {
    // Region 0 is the placement service's: its snapshots are not region images, so a replica
    // made here could never install one (its leader sent snapshots forever). A voter that lost
    // region 0 gets it back from the placement service (placement_rejoin.ts).
    if (!this.d.on() || id === KV_REGION || id === PLACEMENT_REGION || this.d.closed()) return;
    const fromLeader = m.type === MessageType.App || m.type === MessageType.Heartbeat ||
      m.type === MessageType.Snap;
    if (!fromLeader || this.d.known(id) || this.#scheduled.has(id)) return;
    if (this.#uninitialized.has(id) || this.#logged(id)) return;
    if (this.#scheduled.size + this.#uninitialized.size >= REGION_UNINITIALIZED_MAX) return;
    this.#scheduled.add(id);
    this.d.raft.loop.between(() => this.#create(id));
  }

  /**
   * Whether this node's log holds region `id` (entries or a snapshot marker) though no local
   * region is `id`: a crash lost the engine batch of the split that made it, and its parent
   * replays the split from its own log and adds it again with that log. An uninitialized
   * replica over that log would be handed its committed entries with no state to apply them to
   * (the node stopped: "entries before its image"), and `release` would then delete entries
   * this node acknowledged.
   */
  #logged(id: number): boolean {
    const log = this.d.raft.n.log;
    if (!log.regionIds().includes(id)) return false;
    const view = log.group(id);
    return view.lastIndex() > 0 || view.snapshotMarker.index > 0;
  }

  async #create(id: number): Promise<void> {
    this.#scheduled.delete(id);
    const driver = this.d.raft.driver;
    if (this.d.closed() || this.d.known(id) || driver.region(id) !== undefined) return;
    if (this.#logged(id)) return;
    // The log holds the region (its hard state) before any image can reach the engine: at a
    // restart, a region on the engine whose log is held but empty came by an image whose
    // marker a crash lost, and gets no marker at the image's index (addSplitChildren).
    const log = this.d.raft.n.log;
    const hardState = log.group(id).hardState, mustSync = true;
    try {
      await log.save(new Map([[id, { hardState, entries: [], snapshot: undefined, mustSync }]]));
    } catch (err) {
      if (err instanceof NoSpaceError) return; // the leader's next message tries again
      throw err;
    }
    if (this.d.closed() || this.d.known(id) || driver.region(id) !== undefined) return;
    await driver.addRegions([this.#placeholder(id)]);
    const handle = driver.regionNode(id);
    if (handle === undefined) return;
    handle.suppressVotes = true;
    this.#uninitialized.set(id, this.d.o.clock.nowMs());
    this.#sweepTimer ??= this.d.o.clock.setTimeout(
      () => this.#sweep(),
      REGION_UNINITIALIZED_TTL_MS,
    );
    this.counts.created++;
    this.d.o.logger.info("region.replica_created", { region: id, note: "waiting for its image" });
  }

  /**
   * The driver spec of an uninitialized replica: its state machine takes only an image (an
   * empty log has nothing to apply before one), then hands everything to the hosted region.
   */
  #placeholder(id: number): RegionSpec {
    let real: Omit<RegionSpec, "voters"> | undefined;
    const restore = async (snapshot: Snapshot) => {
      if (real !== undefined) return await real.sm.restore(snapshot);
      if (!isRegionImage(snapshot.data, SNAPSHOT_MARKER)) {
        throw new Error(`region ${id}: an uninitialized replica got a snapshot without an image`);
      }
      const kv = await this.d.images.install(id, snapshot.data, (db, index) => {
        this.d.o.logger.info("region.snapshot_installed", { region: id, index, created: true });
        return RegionKv.open(db, id);
      });
      const adopted = this.d.adopt(kv);
      real = adopted.spec;
      // Not awaited: the restore returns as before (Raft persists the snapshot after it); the
      // drop queues on the engine's lock behind it.
      this.d.mergedByImage(kv.descriptor).catch((err) => {
        this.d.o.logger.warn("region.merge_mark_failed", { region: id, error: errorMessage(err) });
      });
      this.#uninitialized.delete(id);
      void this.#catchUp(id, adopted.hosted);
    };
    return {
      id,
      sm: {
        apply: (entries) => {
          if (real !== undefined) return real.sm.apply(entries);
          if (entries.length > 0) throw new Error(`region ${id}: entries before its image`);
        },
        restore,
        flush: () => this.d.engine().flushApplied(),
        image: () => SNAPSHOT_MARKER,
        refusesConfChange: (index) => real?.sm.refusesConfChange?.(index) === true,
      },
      hooks: {
        onReadStates: (s) => real?.hooks?.onReadStates?.(s),
        onSoftState: (s) => real?.hooks?.onSoftState?.(s),
        onConfChange: (cc, cs, index) => real?.hooks?.onConfChange?.(cc, cs, index),
      },
    };
  }

  /** Lets the replica vote once it applied its leader's commit index confirmed after now. */
  async #catchUp(id: number, hosted: HostedRegion): Promise<void> {
    const gone = () => this.d.closed() || this.d.raft.driver.regionNode(id) === undefined;
    if (!await hosted.reads.passOnce(CATCH_UP_RETRY_MS, gone)) return;
    const handle = this.d.raft.driver.regionNode(id);
    if (handle !== undefined) handle.suppressVotes = false;
    this.d.o.logger.info("region.replica_caught_up", { region: id });
  }

  /**
   * Removes the replicas that neither an image nor any other message reached within
   * REGION_UNINITIALIZED_TTL_MS: a leader's message in flight when this node was removed from the
   * region made them (seen in the e2e run, right after a removal), and nothing fills them. Kept,
   * such a replica held `waiting` true for good, which stops every split this node would propose
   * (region_split_check.ts), and took a slot. Each message restarts its time: timed from its
   * creation, a replica whose 40 MB image still streamed under load was dropped (1M-key e2e).
   */
  #sweep(): void {
    this.#sweepTimer = undefined;
    if (this.d.closed()) return;
    const clock = this.d.o.clock;
    const isStale = (t: number | undefined) =>
      t !== undefined && clock.nowMs() - t >= REGION_UNINITIALIZED_TTL_MS;
    const stale = [...this.#uninitialized].filter(([, t]) => isStale(t));
    if (stale.length > 0) {
      this.d.raft.loop.between(async () => {
        // Made again since (released, then a new message)? Then it is not stale.
        const ids = stale.map(([id]) => id).filter((id) => isStale(this.#uninitialized.get(id)));
        await this.release(ids);
        for (const region of ids) {
          this.d.o.logger.info("region.replica_dropped", { region, note: "no image came" });
        }
      });
    }
    if (this.#uninitialized.size > stale.length) {
      this.#sweepTimer = clock.setTimeout(() => this.#sweep(), REGION_UNINITIALIZED_TTL_MS);
    }
  }

  /**
   * Removes uninitialized replicas of `ids` (a split applied here creates them itself: its
   * child replaces the replica a peer's message created first). Between driver rounds.
   */
  async release(ids: readonly number[]): Promise<void> {
    // One installing its image is not released: the image makes it a hosted region, as if the
    // install had come first (region_image_install.ts; the host then skips the split's child).
    const gone = ids.filter((id) => this.#uninitialized.has(id) && !this.d.images.installing(id));
    if (gone.length === 0) return;
    await this.d.raft.driver.removeRegions(gone);
    for (const id of gone) this.#uninitialized.delete(id);
  }

  /**
   * Drops the images of uninitialized replicas whose range overlaps a local region (they are
   * not installed: the node catches up first, the leader sends again). Synchronous unless the
   * batch holds such an image.
   */
  screen(batch: NodeBatch): NodeBatch | Promise<NodeBatch> {
    let images = false;
    const now = this.d.o.clock.nowMs();
    for (const m of batch.messages) {
      if (this.#hostedImage(m.region, m.message)) images = true;
      if (!this.#uninitialized.has(m.region)) continue;
      // Its leader still wants it (an image may be on its way: tens of MB take a while under
      // load): the replica's time to live starts again (#sweep).
      this.#uninitialized.set(m.region, now);
      if (m.message.type === MessageType.Snap) images = true;
    }
    return images ? this.#screen(batch) : batch;
  }

  /** An image for a region this node hosts (its overlap is checked too: mayReplaceImage). */
  #hostedImage(region: number, m: Message): boolean {
    return m.type === MessageType.Snap && this.d.on() && this.d.known(region) &&
      isRegionImage(m.snapshot.data, SNAPSHOT_MARKER);
  }

  async #screen(batch: NodeBatch): Promise<NodeBatch> {
    const kept = [];
    for (const rm of batch.messages) {
      const m = rm.message;
      const hosted = this.#hostedImage(rm.region, m);
      if (m.type !== MessageType.Snap || (!this.#uninitialized.has(rm.region) && !hosted)) {
        kept.push(rm);
        continue;
      }
      try {
        const head = await snapshotHead(rm.region, m.snapshot, this.d.images.pace);
        const db = this.d.engine().db;
        const descriptor = head.descriptor, absorbed = yieldingAbsorbed(db, head);
        const clearing = (id: number) => this.d.images.installing(id);
        const may = hosted
          ? mayReplaceImage(db, descriptor, absorbed)
          : mayInstallImage(db, descriptor, clearing, absorbed);
        if (may.ok) kept.push(rm);
        else {
          this.counts.overlapping++;
          this.d.o.logger.info("region.image_overlaps", { region: rm.region, local: may.overlaps });
        }
      } catch (err) {
        this.d.o.logger.warn("region.image_refused", {
          region: rm.region,
          error: errorMessage(err),
        });
      }
    }
    return { ...batch, messages: kept };
  }
}
