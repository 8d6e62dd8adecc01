/**
 * A restart replays region 1's log in one apply call where its leader applied it in several
 * (src/server/node/apply_entries.ts): splits and conf changes among the replayed entries must be
 * decided exactly as they were the first time. The simulator found a replayed split refused for
 * the conf version of a change earlier in the same call (epoch-not-match), and the change's
 * descriptor written with the range from before the call's splits: region 1 then owned the whole
 * keyspace again on the restarted node, served its split-off keys from stale records and wrote
 * them at revisions below the ones clients had seen.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfChangeType, encodeConfChange } from "../../src/raft/core/confchange/conf_change.ts";
import { type ConfState, type Entry, EntryType } from "../../src/raft/core/messages.ts";
import { decodeRegionOutcome, encodeRegionCommand } from "../../src/kv/region_command.ts";
import { RegionKv } from "../../src/kv/region_apply.ts";
import { readDescriptor } from "../../src/kv/region_descriptor_record.ts";
import type { RegionDescriptor, RegionEpoch, Replica } from "../../src/region/descriptor.ts";
import { applyEntries } from "../../src/server/node/apply_entries.ts";
import { RegionMembers } from "../../src/server/node/region_members.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { b, openKv, put } from "../kv/kv_helpers.ts";

const VOTERS: Replica[] = [1, 2, 3].map((nodeId) => ({ nodeId, role: "voter" }));
const BEFORE: ConfState = {
  voters: [1, 2, 3],
  votersOutgoing: [],
  learners: [],
  learnersNext: [],
  autoLeave: false,
};
const AFTER: ConfState = { ...BEFORE, learners: [4] };

const normal = (index: number, data: Uint8Array): Entry => ({
  term: 1,
  index,
  type: EntryType.Normal,
  data,
});
const WITH_LEARNER: Replica[] = [...VOTERS, { nodeId: 4, role: "learner" }];
const split = (
  index: number,
  epoch: RegionEpoch,
  key: string,
  child: number,
  replicas = VOTERS,
) =>
  normal(
    index,
    encodeRegionCommand({
      kind: "split",
      regionId: 1,
      epoch,
      splitKey: b(key),
      newRegionId: child,
      replicas,
    }),
  );

/** A split, a learner added, a split carrying the epoch the change left, then a write. */
const ENTRIES: Entry[] = [
  normal(1, put("a", "1")),
  normal(2, put("n", "2")),
  split(3, { version: 1, confVer: 1 }, "m", 5),
  {
    term: 1,
    index: 4,
    type: EntryType.ConfChange,
    data: encodeConfChange({
      transition: 0,
      changes: [{ type: ConfChangeType.AddLearner, nodeId: 4 }],
    }),
  },
  split(5, { version: 2, confVer: 4 }, "f", 6, WITH_LEARNER),
  normal(6, put("b", "3")),
];

/** Region 1 as the node runs it (first_region.ts): its splits update its membership view. */
async function regionOne() {
  const { db, kv } = await openKv();
  let confState = BEFORE;
  const members = new RegionMembers(1, () => kv, () => confState);
  const region = RegionKv.wrap(kv, members.descriptor);
  region.onSplit = (report) => members.applied(report.left);
  const outcomes = new Map<number, string>();
  /** Applies `entries` in one call, then advances the configuration as the driver does. */
  const apply = async (entries: Entry[]) => {
    region.adopt(members.descriptor); // as FirstRegion.kv does on each use
    const done = await applyEntries(region, entries, {}, members);
    for (const [i, o] of done.outcomes) outcomes.set(i, decodeRegionOutcome(o)?.kind ?? "");
    if (entries.some((e) => e.type === EntryType.ConfChange)) confState = AFTER;
  };
  return { db, kv, region, members, outcomes, apply };
}

function shown(d: RegionDescriptor | undefined): string {
  if (d === undefined) return "none";
  const replicas = d.replicas.map((r) => `${r.nodeId}${r.role === "voter" ? "v" : "l"}`);
  const range = `[${fromUtf8(d.start)},${fromUtf8(d.end)})`;
  return `${range} v${d.epoch.version} c${d.epoch.confVer} ${replicas.join(",")}`;
}

test("region 1 replay: splits and conf changes in one apply decide as they did one by one", async () => {
  const leader = await regionOne();
  for (const e of ENTRIES) await leader.apply([e]); // as the leader applied them, one by one
  const replayed = await regionOne();
  await replayed.apply(ENTRIES); // as a restart replays them, in one call

  const want = "[,f) v3 c4 1v,2v,3v,4l";
  assert.equal(shown(leader.region.descriptor), want, "applied one by one");
  assert.deepEqual([leader.outcomes.get(3), leader.outcomes.get(5)], ["split", "split"]);
  assert.deepEqual(
    [replayed.outcomes.get(3), replayed.outcomes.get(5)],
    ["split", "split"],
    "the replayed second split is accepted: the change before it set the conf version",
  );
  assert.equal(shown(replayed.region.descriptor), want, "the region's descriptor in memory");
  assert.equal(shown(replayed.members.descriptor), want, "the membership view");
  assert.equal(shown(readDescriptor(replayed.db, 1)), want, "the record in the engine");
  assert.equal(shown(readDescriptor(replayed.db, 5)), "[m,) v2 c1 1v,2v,3v");
  assert.equal(shown(readDescriptor(replayed.db, 6)), "[f,m) v3 c4 1v,2v,3v,4l");
  assert.equal(replayed.kv.appliedIndex, 6);
  assert.equal(replayed.kv.revision, leader.kv.revision);
});
