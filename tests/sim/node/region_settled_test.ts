/**
 * When the simulator's final checks may compare regions (src/sim/region_final.ts). A replica
 * that installed a region image newer than the Raft snapshot that asked for it has its state
 * machine at the image's index and its Raft configuration at the snapshot's until the entries
 * between are applied again; a descriptor compared with the configuration in that window
 * differed (seeds 1, 7, 35 with regions: a member the image's descriptor lists as a learner,
 * a voter in the snapshot's configuration). The checks wait for Raft to catch up.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RegionNode } from "../../../src/raft/multi/region_node.ts";
import type { MultiRaftDriver } from "../../../src/raft/multi/driver.ts";
import type { RegionReplica } from "../../../src/raft/multi/region_replica.ts";
import type { HostedRegion } from "../../../src/server/node/region_host.ts";
import { raftCaughtUp, regionsSettled } from "../../../src/sim/region_final.ts";
import type { SimCluster } from "../../../src/sim/sim_cluster.ts";
import { initialRegion } from "../../../src/region/descriptor.ts";

function region(kvApplied: number, raftApplied: number): HostedRegion {
  const replica = { applied: raftApplied } as unknown as RegionReplica;
  const group = new RegionNode({} as unknown as MultiRaftDriver, replica);
  const kv = { appliedIndex: kvApplied, descriptor: initialRegion([1, 2, 3]) };
  return { id: 1, kv, group } as unknown as HostedRegion;
}

function cluster(regions: HostedRegion[][]): SimCluster {
  const nodes = regions.map((all, i) => ({
    name: `n${i + 1}`,
    server: {
      node: {
        o: { id: i + 1 },
        local: {
          host: { all: () => all, withMerged: () => all, adding: false },
          removal: { pending: 0 },
        },
      },
    },
  }));
  return { nodes } as unknown as SimCluster;
}

test("a region whose Raft has not applied as far as its state machine is not settled", () => {
  assert.equal(raftCaughtUp(region(530, 512)), false, "an image at 530 over a snapshot at 512");
  assert.equal(raftCaughtUp(region(530, 530)), true);
  const caughtUp = [region(530, 530)];
  assert.equal(regionsSettled(cluster([caughtUp, [region(530, 512)], caughtUp])), false);
  assert.equal(regionsSettled(cluster([caughtUp, caughtUp, caughtUp])), true);
  assert.equal(regionsSettled(cluster([caughtUp, [region(529, 529)]])), false, "indexes differ");
});
