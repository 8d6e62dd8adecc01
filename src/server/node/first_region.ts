/**
 * Region 1 as the region host sees it (region_host.ts): the node's historical region, whose
 * state machine is the engine holder's (a whole-engine snapshot swaps it), whose proposals and
 * read barrier are the node's, and whose descriptor follows its membership changes
 * (region_members.ts). Its `RegionKv` is made over the engine holder's state machine, again
 * whenever a snapshot swapped that in; a split of region 1 narrows the descriptor the
 * membership code reads too.
 */
import { RegionKv, type SplitReport } from "../../kv/region_apply.ts";
import type { KvStateMachine } from "../../kv/state_machine.ts";
import type { RaftGroup } from "../../raft/group.ts";
import type { EngineHolder } from "./engine_holder.ts";
import type { Proposals } from "./proposals.ts";
import type { ReadBarrier } from "./read_barrier.ts";
import type { HostedRegion } from "./region_host.ts";
import type { RegionMembers } from "./region_members.ts";
import type { Snapshot } from "../../raft/core/messages.ts";
import { SNAPSHOT_MARKER } from "./region_driver.ts";
import { isRegionImage } from "./region_snapshots.ts";
import type { RegionImageInstaller } from "./region_image_install.ts";

export class FirstRegion implements HostedRegion {
  readonly id = 1;
  #kv: RegionKv | undefined;
  #over: KvStateMachine | undefined;
  #appliedBytes = 0;
  /** Where a split of region 1 is reported (the host adds the child). */
  onSplit: (report: SplitReport) => void = () => {};

  constructor(
    readonly engine: () => EngineHolder,
    readonly members: RegionMembers,
    readonly group: RaftGroup,
    readonly proposals: Proposals,
    readonly reads: ReadBarrier,
    readonly images: RegionImageInstaller,
  ) {}

  get kv(): RegionKv {
    const sm = this.engine().kv;
    if (this.#kv === undefined || this.#over !== sm) {
      const kv = RegionKv.wrap(sm, this.members.descriptor);
      // Commands are stamped from region 1's first split on (stamping.ts): a plain one after it
      // was proposed by a leader that had not applied the split yet.
      kv.refusesPlainAfterSplit = true;
      kv.onSplit = (report) => {
        this.members.applied(report.left);
        this.onSplit(report);
      };
      this.#kv = kv;
      this.#over = sm;
    }
    // The membership code keeps region 1's descriptor (its record, or its Raft configuration
    // while the store has none): cheap, it is cached there.
    this.#kv.adopt(this.members.descriptor);
    return this.#kv;
  }

  applied(bytes: number): void {
    this.#appliedBytes += bytes;
  }

  appliedBytes(): number {
    return this.#appliedBytes;
  }

  /**
   * Raft installs a snapshot of region 1. A region image (regions split, or may) replaces region
   * 1's records and reopens its state machine (`installed` then runs); otherwise the engine
   * already holds the snapshot (a whole-engine image is swapped in on receipt).
   */
  async restore(snapshot: Snapshot, installed: () => void): Promise<void> {
    const engine = this.engine();
    if (isRegionImage(snapshot.data, SNAPSHOT_MARKER)) {
      const { confState } = snapshot.metadata;
      await this.images.install(this.id, snapshot.data, () => engine.reopenFirst(), confState);
      installed();
      return;
    }
    const applied = engine.kv.appliedIndex;
    if (snapshot.metadata.index <= Math.max(1, applied)) return;
    throw new Error(`snapshot at ${snapshot.metadata.index} is ahead of the engine (${applied})`);
  }
}
