/**
 * A conf change applied in one batch after a split of the same region
 * (src/server/node/apply_entries.ts): the descriptor it writes is the split's (range, version)
 * with the change's replicas and conf version, and a later split in the batch, proposed with
 * the epoch the change made, applies. Before, region 1's changes were planned from the
 * batch's start: a replica that applied a split and a later change in one batch (a wiped node
 * replaying region 1's log) wrote the range and version from before the split and refused
 * every later split as stale, while the other replicas applied them (the simulator's seed 4
 * with regions: the node held region 1 over the whole keyspace and missed its children).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfChangeType, encodeConfChange } from "../../src/raft/core/confchange/conf_change.ts";
import { type Entry, EntryType } from "../../src/raft/core/messages.ts";
import { RegionKv } from "../../src/kv/region_apply.ts";
import { decodeRegionOutcome, encodeRegionCommand } from "../../src/kv/region_command.ts";
import { applyEntries } from "../../src/server/node/apply_entries.ts";
import { RegionMembers } from "../../src/server/node/region_members.ts";
import type { Replica } from "../../src/region/descriptor.ts";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { Db } from "../../src/storage/db.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { b, put } from "../kv/kv_helpers.ts";

const voters: Replica[] = [1, 2, 3].map((nodeId) => ({ nodeId, role: "voter" }));

function split(index: number, key: string, version: number, confVer: number, replicas: Replica[]) {
  const data = encodeRegionCommand({
    kind: "split",
    regionId: 1,
    epoch: { version, confVer },
    splitKey: b(key),
    newRegionId: 100 + index,
    replicas,
  });
  return { term: 1, index, type: EntryType.Normal, data };
}

test("a conf change after a split in one batch keeps the split; a split after it applies", async () => {
  const world = createSimWorld(3);
  world.fs.mkdir("kv");
  const db = await Db.open(world.fs, "kv", { wal: false, seed: 1 });
  const r1 = await RegionKv.open(db, 1, { voters: [1, 2, 3] });
  r1.kv.garbage.stop();
  const confState = { voters: [1, 2, 3], votersOutgoing: [], learners: [], learnersNext: [] };
  const members = new RegionMembers(1, () => r1.kv, () => ({ ...confState, autoLeave: false }));
  r1.onSplit = (report) => members.applied(report.left); // as the node's region 1 (first_region.ts)

  const addLearner = encodeConfChange({
    transition: 0,
    changes: [{ type: ConfChangeType.AddLearner, nodeId: 4 }],
  });
  const withLearner: Replica[] = [...voters, { nodeId: 4, role: "learner" }];
  const entries: Entry[] = [
    { term: 1, index: 1, type: EntryType.Normal, data: put("a", "1") },
    split(2, "m", 1, 1, voters),
    { term: 1, index: 3, type: EntryType.ConfChange, data: addLearner },
    split(4, "f", 2, 3, withLearner), // proposed once the change had applied
  ];
  const done = await applyEntries(r1, entries, {}, members);
  assert.equal(decodeRegionOutcome(done.outcomes.get(2) ?? b(""))?.kind, "split");
  assert.equal(decodeRegionOutcome(done.outcomes.get(4) ?? b(""))?.kind, "split");
  const d = members.descriptor;
  assert.equal(fromUtf8(d.end), "f", "both splits narrowed region 1");
  assert.deepEqual(d.epoch, { version: 3, confVer: 3 });
  assert.deepEqual(d.replicas, withLearner);
  assert.deepEqual(r1.descriptor, d, "the state machine checks epochs against the same");
  const reread = new RegionMembers(1, () => r1.kv, () => ({ ...confState, autoLeave: false }));
  assert.deepEqual(reread.descriptor, d, "the record in the engine");
});
