/**
 * Region 1's conf changes and splits applied in one batch (a replica replaying its log after a
 * restart, or catching up from far behind, gets both together): each conf change's descriptor
 * is the one the entries before it left, so every replica ends with the same descriptor however
 * its entries were batched (src/server/node/apply_entries.ts).
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
import { RegionKv } from "../../src/kv/region_apply.ts";
import { applyEntries } from "../../src/server/node/apply_entries.ts";
import { RegionMembers } from "../../src/server/node/region_members.ts";
import type { RegionDescriptor, RegionEpoch } from "../../src/region/descriptor.ts";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { Db } from "../../src/storage/db.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { b } from "../kv/kv_helpers.ts";

const VOTERS = { voters: [1, 2, 3], votersOutgoing: [], learners: [], learnersNext: [] };

function addLearner(index: number, nodeId: number): Entry {
  const changes = [{ type: ConfChangeType.AddLearner, nodeId }];
  return {
    term: 1,
    index,
    type: EntryType.ConfChange,
    data: encodeConfChange({ transition: ConfChangeTransition.Auto, changes }),
  };
}

function split(index: number, epoch: RegionEpoch, replicas: RegionDescriptor["replicas"]): Entry {
  const data = encodeRegionCommand({
    kind: "split",
    regionId: 1,
    epoch,
    splitKey: b("m"),
    newRegionId: 2,
    replicas,
  });
  return { term: 1, index, type: EntryType.Normal, data };
}

/** Region 1 on a new engine, wired as the node wires it (first_region.ts). */
async function regionOne(seed: number) {
  const world = createSimWorld(seed);
  world.fs.mkdir("kv");
  const db = await Db.open(world.fs, "kv", { wal: false, seed: 1 });
  const kv = await RegionKv.open(db, 1, { voters: [1, 2, 3] });
  kv.kv.garbage.stop();
  const members = new RegionMembers(1, () => kv.kv, () => ({ ...VOTERS, autoLeave: false }));
  kv.onSplit = (report) => members.applied(report.left);
  await applyEntries(kv, [{ term: 1, index: 1, type: EntryType.Normal, data: new Uint8Array() }]);
  return { db, kv, members };
}

function shown(d: RegionDescriptor): string {
  const replicas = d.replicas.map((r) => `${r.nodeId}${r.role === "voter" ? "v" : "l"}`);
  return `[${fromUtf8(d.start)},${fromUtf8(d.end)}) v${d.epoch.version} c${d.epoch.confVer} ` +
    replicas.join(",");
}

const voters = [1, 2, 3].map((nodeId) => ({ nodeId, role: "voter" as const }));
const withLearner = [...voters, { nodeId: 4, role: "learner" as const }];

/** Every way to batch `entries` (one batch, or one entry each) leaves the same descriptor. */
async function sameEitherWay(entries: Entry[], want: string): Promise<void> {
  for (const batched of [true, false]) {
    const { db, kv, members } = await regionOne(batched ? 1 : 2);
    // Each apply call gets region 1's RegionKv with the descriptor adopted (first_region.ts).
    const apply = async (es: Entry[]) => {
      kv.adopt(members.descriptor);
      await applyEntries(kv, es, {}, members);
      kv.adopt(members.descriptor);
    };
    if (batched) await apply(entries);
    else for (const e of entries) await apply([e]);
    assert.equal(shown(kv.descriptor), want, `RegionKv, batched=${batched}`);
    assert.equal(shown(members.descriptor), want, `members, batched=${batched}`);
    const reread = new RegionMembers(1, () => kv.kv, () => ({ ...VOTERS, autoLeave: false }));
    assert.equal(shown(reread.descriptor), want, `engine record, batched=${batched}`);
    await db.close();
  }
}

test("region 1: a conf change after a split in the same batch keeps the split's range", async () => {
  // Before the fix the conf change wrote the descriptor of before the batch: the whole range at
  // version 1, and region 1 applied writes of keys its child owned.
  await sameEitherWay(
    [split(2, { version: 1, confVer: 1 }, voters), addLearner(3, 4)],
    "[,m) v2 c3 1v,2v,3v,4l",
  );
});

test("region 1: a split after a conf change in the same batch sees the change's epoch", async () => {
  // Proposed after the conf change applied, the split carries confVer 2; before the fix a
  // replica applying both in one batch refused it (epoch-not-match) while the others split.
  await sameEitherWay(
    [addLearner(2, 4), split(3, { version: 1, confVer: 2 }, withLearner)],
    "[,m) v2 c2 1v,2v,3v,4l",
  );
});
