/**
 * Region 1's descriptor follows the conf changes its state machine applies
 * (src/server/node/region_members.ts): each change sets the replicas to the configuration after it
 * (joint ones included) and confVer to its index, in the engine; a refused or undecodable change
 * changes nothing; replayed entries write nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  type ConfChange,
  ConfChangeTransition,
  ConfChangeType,
  encodeConfChange,
} from "../../src/raft/core/confchange/conf_change.ts";
import { type Entry, EntryType } from "../../src/raft/core/messages.ts";
import { applyEntries } from "../../src/server/node/apply_entries.ts";
import { RegionMembers } from "../../src/server/node/region_members.ts";
import type { RegionDescriptor } from "../../src/region/descriptor.ts";
import { openKv, put } from "../kv/kv_helpers.ts";

const { AddNode, AddLearner, RemoveNode } = ConfChangeType;

function cc(index: number, changes: ConfChange["changes"], transition = 0): Entry {
  const data = encodeConfChange({ transition: transition as ConfChange["transition"], changes });
  return { term: 1, index, type: EntryType.ConfChange, data };
}

function shown(d: RegionDescriptor): string {
  const replicas = d.replicas.map((r) => `${r.nodeId}${r.role === "voter" ? "v" : "l"}`);
  return `${replicas.join(",")}@${d.epoch.confVer}`;
}

test("region members: conf changes rewrite the descriptor in the apply's batch", async () => {
  const { kv } = await openKv();
  await kv.apply([{ index: 1, data: null }]);
  const confState = { voters: [1, 2, 3], votersOutgoing: [], learners: [], learnersNext: [] };
  const members = new RegionMembers(1, () => kv, () => ({ ...confState, autoLeave: false }));
  assert.equal(shown(members.descriptor), "1v,2v,3v@1", "no record: the configuration");

  const entries: Entry[] = [
    cc(2, [{ type: AddLearner, nodeId: 4 }]),
    { term: 1, index: 3, type: EntryType.Normal, data: put("k", "v") },
    cc(4, [{ type: AddNode, nodeId: 4 }, { type: RemoveNode, nodeId: 3 }]), // enters joint
    cc(5, []), // leaves joint
    cc(6, [{ type: RemoveNode, nodeId: 1 }, { type: RemoveNode, nodeId: 2 }, {
      type: RemoveNode,
      nodeId: 4,
    }], ConfChangeTransition.JointExplicit), // refused: no voter left
    { term: 1, index: 7, type: EntryType.ConfChange, data: new Uint8Array([9, 9]) },
  ];
  const planned = members.plan(entries, kv.appliedIndex);
  assert.deepEqual([...planned.values()].map((c) => shown(members.after(c))), [
    "1v,2v,3v,4l@2",
    "1v,2v,3v,4v@4", // joint: the outgoing voter 3 is still a voter
    "1v,2v,4v@5",
  ]);
  await applyEntries(kv, entries, {}, members);
  assert.equal(kv.appliedIndex, 7);
  assert.equal(shown(members.descriptor), "1v,2v,4v@5");
  const reopened = new RegionMembers(1, () => kv, () => ({ ...confState, autoLeave: false }));
  assert.equal(shown(reopened.descriptor), "1v,2v,4v@5", "read back from the engine");
  assert.equal(members.plan(entries, kv.appliedIndex).size, 0, "replayed: nothing to write");
});
