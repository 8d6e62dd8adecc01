/**
 * Replicas nothing else cleans up (src/server/node/stale_replicas.ts): the proof a replica is
 * stale (a newer region, not its own, holds its start key and does not list this node), and the
 * check's pass over the hosted replicas — only one long without a leader is asked about, and
 * dropped only on that proof.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { removedFrom, StaleReplicas, supersededBy } from "../../src/server/node/stale_replicas.ts";
import type { RegionDescriptor } from "../../src/region/descriptor.ts";
import type { HostedRegion } from "../../src/server/node/hosted_region.ts";
import { utf8 } from "../../src/util/bytes.ts";

function region(
  id: number,
  start: string,
  end: string,
  version: number,
  nodes: number[],
): RegionDescriptor {
  return {
    id,
    start: utf8(start),
    end: utf8(end),
    epoch: { version, confVer: 1 },
    replicas: nodes.map((nodeId) => ({ nodeId, role: "voter" as const })),
  };
}

/** Node 1's check over `regions`, its clock `now()`: placement answers `answer(start key)`. */
function staleCheck(
  regions: readonly HostedRegion[],
  now: () => number,
  answer: (key: string) => RegionDescriptor | undefined,
) {
  const asked: string[] = [];
  const removed: number[] = [];
  const reports = { soon: 0 };
  const check = new StaleReplicas({
    regions: () => regions,
    selfId: 1,
    route: (key) => {
      const k = new TextDecoder().decode(key);
      asked.push(k);
      return Promise.resolve(answer(k));
    },
    removeReplica: (id) => removed.push(id),
    clock: { nowMs: now } as never,
    quietMs: 1000,
    reportSoon: () => reports.soon++,
  });
  return { check, asked, removed, reports };
}

test("stale replicas: a newer region over the start key, not listing this node, proves it", () => {
  const mine = region(11, "m", "t", 5, [1, 2, 3]);
  assert.equal(supersededBy(mine, region(13, "f", "z", 7, [2, 3, 4]), 1), true, "merged into 13");
  assert.equal(supersededBy(mine, region(13, "f", "z", 7, [1, 2, 3]), 1), false, "13 lists node 1");
  assert.equal(supersededBy(mine, region(13, "f", "z", 5, [2, 3, 4]), 1), false, "not newer");
  assert.equal(supersededBy(mine, region(11, "m", "t", 9, [2, 3, 4]), 1), false, "its own id");
  assert.equal(supersededBy(mine, region(13, "n", "z", 7, [2, 3, 4]), 1), false, "starts after");
  assert.equal(supersededBy(mine, region(13, "a", "m", 7, [2, 3, 4]), 1), false, "ends at start");
  assert.equal(supersededBy(mine, region(13, "", "", 7, [2, 3, 4]), 1), true, "the whole space");
  assert.equal(supersededBy(mine, undefined, 1), false, "placement knows none");
});

test("stale replicas: only a replica long without a leader is asked about, dropped on proof", async () => {
  let now = 0;
  const lead = new Map<number, number>([[11, 0], [12, 0], [14, 3]]);
  const descriptors = new Map([
    [11, region(11, "m", "t", 5, [1, 2, 3])],
    [12, region(12, "t", "w", 5, [1, 2, 3])],
    [14, region(14, "w", "", 5, [1, 2, 3])],
  ]);
  const hosted = (id: number) =>
    ({
      id,
      kv: { descriptor: descriptors.get(id) },
      group: { rawNode: { lead: lead.get(id) ?? 0 } },
    }) as unknown as HostedRegion;
  const regions = [hosted(11), hosted(12), hosted(14)];
  // Region 11's range went into 13 (which node 1 is not in); region 12 is alive.
  const { check, asked, removed } = staleCheck(
    regions,
    () => now,
    (k) => k === "m" ? region(13, "f", "u", 7, [2, 3, 4]) : descriptors.get(12),
  );
  check.review();
  assert.deepEqual(asked, [], "leaderless just now: not asked yet");
  now = 1500;
  check.review();
  await new Promise((r) => setTimeout(r, 0));
  now = 1600;
  check.review();
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(asked, ["m", "t"], "one question at a time; region 14 has a leader");
  assert.deepEqual(removed, [11], "region 12 is its own region at its start key");
  assert.equal(check.dropped, 1);
});

test("stale replicas: a learner or a prepared merge source is asked about though it names a leader", async () => {
  let now = 0;
  const learner: RegionDescriptor = {
    ...region(21, "a", "c", 5, [2, 3]),
    replicas: [{ nodeId: 2, role: "voter" }, { nodeId: 3, role: "voter" }, {
      nodeId: 1,
      role: "learner",
    }],
  };
  const hosted = (d: RegionDescriptor, merge?: { stage: string }) =>
    ({
      id: d.id,
      kv: { descriptor: d, merge },
      group: { rawNode: { lead: 3 } },
    }) as unknown as HostedRegion;
  const regions = [
    hosted(learner), // its region and its target merged without node 1: dropped
    hosted(region(22, "c", "e", 5, [1, 2, 3]), { stage: "prepared" }), // its target lists node 1
    hosted(region(25, "e", "", 5, [1, 2, 3])), // a voter with a leader: never asked
  ];
  const { check, asked, removed } = staleCheck(
    regions,
    () => now,
    (k) => k === "a" ? region(23, "", "c", 7, [2, 3, 4]) : region(24, "c", "e", 6, [1, 2, 3]),
  );
  check.review();
  for (const t of [1500, 1600, 1700]) {
    now = t;
    check.review();
    await new Promise((r) => setTimeout(r, 0));
  }
  assert.deepEqual(asked, ["a", "c"], "the learner and the prepared source; not region 25");
  assert.deepEqual(removed, [21], "region 22's target lists this node: it will apply the commit");
});

test("stale replicas: its own region at a later configuration without it asks for a tombstone", async () => {
  const conf = (d: RegionDescriptor, confVer: number): RegionDescriptor => ({
    ...d,
    epoch: { ...d.epoch, confVer },
  });
  const mine = conf(region(31, "a", "c", 5, [1, 2, 3]), 4);
  assert.equal(removedFrom(mine, conf(region(31, "a", "c", 5, [2, 3, 4]), 6), 1), true);
  assert.equal(removedFrom(mine, conf(region(31, "a", "c", 5, [1, 2, 3]), 6), 1), false, "listed");
  assert.equal(removedFrom(mine, conf(region(31, "a", "c", 5, [2, 3, 4]), 4), 1), false, "same");
  assert.equal(removedFrom(mine, conf(region(32, "a", "c", 5, [2, 3, 4]), 6), 1), false, "other");
  // A learner here (demoted, then removed while cut off): it hears from no leader of its own.
  const learner: RegionDescriptor = {
    ...mine,
    replicas: [{ nodeId: 2, role: "voter" }, { nodeId: 3, role: "voter" }, {
      nodeId: 1,
      role: "learner",
    }],
  };
  const hosted = { id: 31, kv: { descriptor: learner }, group: { rawNode: { lead: 2 } } };
  let now = 0;
  const { check, asked, removed, reports } = staleCheck(
    [hosted as unknown as HostedRegion],
    () => now,
    () => conf(region(31, "a", "c", 5, [2, 3, 4]), 6),
  );
  check.review();
  now = 1500;
  check.review();
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(asked, ["a"]);
  assert.deepEqual(removed, [], "not dropped here: placement's tombstone waits for the voters");
  assert.equal(reports.soon, 1, "a heartbeat asked for now, whose answer brings the tombstone");
});
