/**
 * The node-wide address book is region 1's: its membership is the cluster's. Another region's
 * conf change moves a replica (placement's operators), so removing a replica of it must not
 * delete the node's address, which the engine keeps for the next start
 * (src/server/node/apply_entries.ts `memberAddresses`).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ConfChangeTransition,
  ConfChangeType,
  encodeConfChange,
} from "../../src/raft/core/confchange/conf_change.ts";
import { type Entry, EntryType } from "../../src/raft/core/messages.ts";
import { encodeRegionCommand } from "../../src/kv/region_command.ts";
import { memberWriteOp, readMembers } from "../../src/kv/members.ts";
import { RegionKv } from "../../src/kv/region_apply.ts";
import { applyEntries } from "../../src/server/node/apply_entries.ts";
import { applyRegionEntries } from "../../src/server/node/region_membership.ts";
import { RegionMembers } from "../../src/server/node/region_members.ts";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { Db } from "../../src/storage/db.ts";
import { b } from "../kv/kv_helpers.ts";

const VOTERS = { voters: [1, 2, 3], votersOutgoing: [], learners: [4], learnersNext: [] };
const replicas = [
  ...[1, 2, 3].map((nodeId) => ({ nodeId, role: "voter" as const })),
  { nodeId: 4, role: "learner" as const },
];

function removeNode(index: number, nodeId: number): Entry {
  const changes = [{ type: ConfChangeType.RemoveNode, nodeId }];
  const data = encodeConfChange({ transition: ConfChangeTransition.Auto, changes });
  return { term: 1, index, type: EntryType.ConfChange, data };
}

test("a region other than 1 removing a replica keeps the node's address; region 1's removal deletes it", async () => {
  const world = createSimWorld(3);
  world.fs.mkdir("kv");
  const db = await Db.open(world.fs, "kv", { wal: false, seed: 1 });
  const one = await RegionKv.open(db, 1, { voters: [1, 2, 3] });
  one.kv.garbage.stop();
  const members = new RegionMembers(1, () => one.kv, () => ({ ...VOTERS, autoLeave: false }));
  one.onSplit = (report) => members.applied(report.left);
  const { key } = memberWriteOp({ id: 4, address: null });
  await db.write([{ type: "put", key, value: new TextEncoder().encode("127.0.0.1:7004") }]);
  const splitData = encodeRegionCommand({
    kind: "split",
    regionId: 1,
    epoch: { version: 1, confVer: 1 },
    splitKey: b("m"),
    newRegionId: 2,
    replicas,
  });
  one.adopt({ ...one.descriptor, replicas });
  await applyEntries(one, [{ term: 1, index: 1, type: EntryType.Normal, data: splitData }]);
  const two = await RegionKv.open(db, 2);
  two.kv.garbage.stop();
  assert.deepEqual(two.descriptor.replicas.map((r) => r.nodeId), [1, 2, 3, 4]);

  await applyRegionEntries({ id: 2, kv: two }, [removeNode(2, 4)], {});
  assert.deepEqual(two.descriptor.replicas.map((r) => r.nodeId), [1, 2, 3], "region 2 moved");
  assert.equal((await readMembers(db)).get(4), "127.0.0.1:7004", "node 4's address kept");

  await applyEntries(one, [removeNode(2, 4)], {}, members);
  assert.equal((await readMembers(db)).get(4), undefined, "region 1's removal: node 4 left");
  await db.close();
});
