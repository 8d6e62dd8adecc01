/** A region as the node serves it, and what the host of regions needs (region_host.ts). */
import type { RaftGroup } from "../../raft/group.ts";
import type { RegionKv } from "../../kv/region_apply.ts";
import type { RedisEvent } from "../../kv/redis/storage.ts";
import type { ResolvedNodeOptions } from "./options.ts";
import type { EngineHolder } from "./engine_holder.ts";
import type { RegionImageInstaller } from "./region_image_install.ts";
import type { Proposals } from "./proposals.ts";
import type { ReadBarrier } from "./read_barrier.ts";
import type { NodeRaft } from "./region_driver.ts";

/** One region as the node serves it. */
export interface HostedRegion {
  readonly id: number;
  readonly kv: RegionKv;
  readonly group: RaftGroup;
  readonly proposals: Proposals;
  readonly reads: ReadBarrier;
  /** Entry bytes the region applied on this node since it opened (the split check's estimate). */
  appliedBytes(): number;
}

export interface RegionHostDeps {
  readonly o: ResolvedNodeOptions;
  readonly raft: NodeRaft;
  readonly engine: () => EngineHolder;
  /** Installs received region images, one at a time, in bounded steps (region_image_install.ts). */
  readonly images: RegionImageInstaller;
  /** Region 1, as the node runs it (its state machine changes when a snapshot swaps in). */
  readonly first: HostedRegion;
  /** What Redis commands announced (pub/sub is node-wide: every region's reach the hub). */
  readonly onRedisEvents: (events: readonly RedisEvent[]) => void;
  /** Whether the node is shutting down (a held child stops asking: split_child_votes.ts). */
  readonly closed?: () => boolean;
}
