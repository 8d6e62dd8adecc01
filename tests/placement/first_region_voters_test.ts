/**
 * Region 1's voters in a sharded cluster (first_region_voters.ts): `--replicas` of its members
 * vote, the others are learners; a voter on a down or draining node trades its vote with a
 * caught-up learner; too many voters are demoted; voters spread over zones. Every change is one
 * "promote" step and nothing ever adds or removes a member.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ClusterView } from "../../src/placement/cluster_view.ts";
import { PlacementScheduler } from "../../src/placement/scheduler.ts";
import type { Step } from "../../src/placement/operator.ts";
import type { RegionDescriptor, Replica } from "../../src/region/descriptor.ts";

const NOW = 1_000_000;
const REPLACE_MS = 60_000;

interface NodeSpec {
  readonly id: number;
  readonly zone?: string;
  /** Last heard this long ago (past REPLACE_MS: down). */
  readonly silentMs?: number;
  readonly draining?: boolean;
}

function view(nodes: readonly NodeSpec[]): ClusterView {
  const v = new ClusterView(REPLACE_MS, true);
  for (const n of nodes) {
    v.nodeHeartbeat({
      id: n.id,
      address: "",
      zone: n.zone ?? "",
      capacityBytes: 1e12,
      usedBytes: 0,
      lastHeartbeatMs: NOW - (n.silentMs ?? 0),
      draining: n.draining ?? false,
    });
  }
  return v;
}

function region1(
  v: ClusterView,
  voters: number[],
  learners: number[],
  o: { leader?: number; caughtUp?: number[] } = {},
): void {
  const replicas: Replica[] = [
    ...voters.map((nodeId) => ({ nodeId, role: "voter" as const })),
    ...learners.map((nodeId) => ({ nodeId, role: "learner" as const })),
  ];
  const descriptor: RegionDescriptor = {
    id: 1,
    start: new Uint8Array(0),
    end: new Uint8Array(0),
    epoch: { version: 1, confVer: 7 },
    replicas,
  };
  v.regionReport({
    descriptor,
    leader: o.leader ?? voters[0],
    sizeBytes: 1,
    writesPerSec: 0,
    caughtUp: o.caughtUp ?? replicas.map((p) => p.nodeId),
    reportedMs: NOW,
    term: 1,
  });
}

function plan(v: ClusterView, firstRegionVoters = true): Step[] | undefined {
  const s = new PlacementScheduler(v, {
    replicas: 3,
    maxOperators: 8,
    maxMovesPerNode: 4,
    operatorTimeoutMs: 60_000,
    regionTolerance: 0,
    regionsCheckedPerTick: 100,
    pinned: [1],
    firstRegionVoters,
  });
  s.tick(NOW);
  const ops = s.operators();
  assert.ok(ops.every((op) => op.regionId === 1), "only region 1 is reported");
  return ops[0]?.steps.slice();
}

const promote = (up: number, down: number): Step[] => [
  { kind: "promote", promote: up, demote: down },
];
const nodes = (n: number, more: Partial<Record<number, Omit<NodeSpec, "id">>> = {}) =>
  Array.from({ length: n }, (_, i) => ({ id: i + 1, ...more[i + 1] }));

test("region 1 voters: a down voter trades its vote with a caught-up learner", () => {
  const v = view(nodes(5, { 3: { silentMs: REPLACE_MS + 1 } }));
  region1(v, [1, 2, 3], [4, 5], { caughtUp: [1, 2, 4, 5] });
  assert.deepEqual(plan(v), promote(4, 3));
  // Off (a node that does not split): region 1 is left alone, as every other checker does.
  assert.equal(plan(v, false), undefined);
});

test("region 1 voters: a caught-up learner first; with no usable learner a down voter waits", () => {
  const v = view(nodes(5, { 3: { silentMs: REPLACE_MS + 1 } }));
  region1(v, [1, 2, 3], [4, 5], { caughtUp: [1, 2, 5] });
  assert.deepEqual(plan(v), promote(5, 3), "node 4 is behind: node 5 first");
  // Only a learner behind (under writes, often): chosen, its leader waits for it to catch up.
  const behind = view(nodes(4, { 3: { silentMs: REPLACE_MS + 1 } }));
  region1(behind, [1, 2, 3], [4], { caughtUp: [1, 2] });
  assert.deepEqual(plan(behind), promote(4, 3));
  const gone = view(nodes(4, { 3: { silentMs: REPLACE_MS + 1 }, 4: { silentMs: REPLACE_MS + 1 } }));
  region1(gone, [1, 2, 3], [4], { caughtUp: [1, 2] });
  assert.equal(plan(gone), undefined, "node 4 is down too: node 3 keeps its vote");
  const alone = view(nodes(3, { 3: { silentMs: REPLACE_MS + 1 } }));
  region1(alone, [1, 2, 3], [], { caughtUp: [1, 2] });
  assert.equal(plan(alone), undefined, "no learner: demoting node 3 alone helps nothing");
});

test("region 1 voters: down is the replace timeout's, whatever region 1's report says", () => {
  // A quiet region's Raft does not tick: a dead voter may still be listed caught up.
  const v = view(nodes(4, { 3: { silentMs: REPLACE_MS + 1 } }));
  region1(v, [1, 2, 3], [4], { caughtUp: [1, 2, 3, 4] });
  assert.deepEqual(plan(v), promote(4, 3));
  const late = view(nodes(4, { 3: { silentMs: REPLACE_MS - 1 } }));
  region1(late, [1, 2, 3], [4]);
  assert.equal(plan(late), undefined, "heard within the replace timeout: not down");
});

test("region 1 voters: a draining voter is replaced, the leader's vote last", () => {
  const v = view(nodes(5, { 1: { draining: true }, 2: { draining: true } }));
  region1(v, [1, 2, 3], [4, 5], { leader: 1 });
  assert.deepEqual(plan(v), promote(4, 2), "node 2 first: node 1 leads");
});

test("region 1 voters: short of voters, a learner is promoted; too many, one demoted", () => {
  const short = view(nodes(4));
  region1(short, [1, 2], [3, 4]);
  assert.deepEqual(plan(short), promote(3, 0));
  // A cluster made before the cap (five voters): demoted to three, never the leader.
  const many = view(nodes(5));
  region1(many, [1, 2, 3, 4, 5], [], { leader: 5 });
  assert.deepEqual(plan(many), promote(0, 4));
  const down = view(nodes(5, { 2: { silentMs: REPLACE_MS + 1 } }));
  region1(down, [1, 2, 3, 4, 5], [], { caughtUp: [1, 3, 4, 5] });
  assert.deepEqual(plan(down), promote(0, 2), "the down voter goes first");
  const settled = view(nodes(5));
  region1(settled, [1, 2, 3], [4, 5]);
  assert.equal(plan(settled), undefined, "three voters, two learners: nothing to do");
});

test("region 1 voters: they spread over zones, a learner in an empty zone first", () => {
  const zoned = nodes(5, {
    1: { zone: "a" },
    2: { zone: "a" },
    3: { zone: "b" },
    4: { zone: "b" },
    5: { zone: "c" },
  });
  const v = view(zoned);
  region1(v, [1, 2, 3], [4, 5], { leader: 1 });
  assert.deepEqual(plan(v), promote(5, 2), "zone c gets a vote from zone a's second voter");
  const spread = view(zoned);
  region1(spread, [1, 3, 5], [2, 4]);
  assert.equal(plan(spread), undefined);
  // Replacing a down voter prefers the learner whose zone no good voter covers.
  const down = view(nodes(5, {
    1: { zone: "a" },
    2: { zone: "b" },
    3: { zone: "c", silentMs: REPLACE_MS + 1 },
    4: { zone: "a" },
    5: { zone: "c" },
  }));
  region1(down, [1, 2, 3], [4, 5], { caughtUp: [1, 2, 4, 5] });
  assert.deepEqual(plan(down), promote(5, 3));
});
