/**
 * Region reports on change (src/server/placement/report_filter.ts): a heartbeat carries a
 * region's report when what placement acts on changed since the last one placement took, or
 * REFRESH_BEATS heartbeats after it; a report counts as taken only once its heartbeat was
 * answered.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  bucket,
  REFRESH_BEATS,
  ReportFilter,
} from "../../../src/server/placement/report_filter.ts";
import type { RegionReportInput } from "../../../src/server/placement/placement_rpc.ts";
import { ClusterView } from "../../../src/placement/cluster_view.ts";
import { PlacementScheduler } from "../../../src/placement/scheduler.ts";
import { ordersFor } from "../../../src/placement/operator_orders.ts";
import { orderRegions } from "../../../src/server/placement/placement_leader.ts";

function report(over: Partial<RegionReportInput> = {}): RegionReportInput {
  return {
    descriptor: {
      id: 7,
      start: new Uint8Array([1]),
      end: new Uint8Array([9]),
      epoch: { version: 3, confVer: 2 },
      replicas: [1, 2, 3].map((nodeId) => ({ nodeId, role: "voter" as const })),
    },
    leader: 1,
    sizeBytes: 1_000_000,
    writesPerSec: 0,
    caughtUp: [1, 2, 3],
    ...over,
  };
}

/** One heartbeat: whether the report is due, and then answered (taken) or not. */
function beat(f: ReportFilter, r: RegionReportInput, term: number, answered = true): boolean {
  f.nextBeat();
  const due = f.due(r, term);
  if (due && answered) f.taken([r], [term]);
  return due;
}

test("report filter: unchanged regions are reported every REFRESH_BEATS heartbeats only", () => {
  const f = new ReportFilter();
  assert.equal(beat(f, report(), 4), true, "the first report goes");
  for (let i = 1; i < REFRESH_BEATS; i++) assert.equal(beat(f, report(), 4), false);
  assert.equal(beat(f, report(), 4), true, "due again after REFRESH_BEATS");
  assert.equal(f.skipped, REFRESH_BEATS - 1);
});

test("report filter: any change placement acts on is reported at once", () => {
  const base = report();
  const changes: RegionReportInput[] = [
    report({ descriptor: { ...base.descriptor, epoch: { version: 4, confVer: 2 } } }),
    report({ descriptor: { ...base.descriptor, epoch: { version: 3, confVer: 3 } } }),
    report({
      descriptor: {
        ...base.descriptor,
        replicas: [{ nodeId: 1, role: "voter" }, { nodeId: 4, role: "learner" }],
      },
    }),
    report({ caughtUp: [1, 2] }),
    report({ sizeBytes: 1_200_000 }),
    report({ writesPerSec: 50 }),
  ];
  for (const changed of changes) {
    const f = new ReportFilter();
    beat(f, base, 4);
    assert.equal(beat(f, base, 4), false);
    assert.equal(beat(f, changed, 4), true, JSON.stringify(changed));
  }
  const f = new ReportFilter();
  beat(f, base, 4);
  assert.equal(beat(f, base, 5), true, "a new leader's term");
  // A size that moved by less than a step is not a change.
  assert.equal(beat(f, report({ sizeBytes: 1_030_000 }), 5), false);
  assert.equal(bucket(0), -1);
  assert.notEqual(bucket(1), bucket(0));
});

test("report filter: a report whose heartbeat failed goes again; a region led again at once", () => {
  const f = new ReportFilter();
  assert.equal(beat(f, report(), 4, false), true);
  assert.equal(beat(f, report(), 4), true, "not taken: sent again");
  assert.equal(beat(f, report(), 4), false);
  f.keepOnly(new Set()); // its leadership went elsewhere
  assert.equal(beat(f, report(), 4), true, "led here again: reported at once");
});

test("report filter: an operator's step reaches a leader whose heartbeat reported nothing", () => {
  const view = new ClusterView(60_000);
  for (let id = 1; id <= 4; id++) {
    view.nodeHeartbeat({
      id,
      address: "",
      zone: "",
      capacityBytes: 1e12,
      usedBytes: 0,
      lastHeartbeatMs: 1_000,
      draining: false,
    });
  }
  const r = report();
  view.regionReport({ ...r, leader: 2, reportedMs: 1_000, term: 9 });
  const scheduler = new PlacementScheduler(view, {
    replicas: 3,
    maxOperators: 8,
    maxMovesPerNode: 4,
    operatorTimeoutMs: 60_000,
    regionTolerance: 0,
    regionsCheckedPerTick: 100,
  });
  view.drain(3); // node 3's replica must move: an operator for region 7, led by node 2
  scheduler.tick(1_000);
  assert.ok(scheduler.operator(7) !== undefined);
  const heartbeat = (reports: RegionReportInput[], terms: number[]) => ({
    nodeId: 2,
    address: "",
    zone: "",
    capacityBytes: 0,
    usedBytes: 0,
    reports,
    terms,
  });
  // Nothing reported (unchanged): the region is still one the orders may be for, at the
  // view's term.
  assert.deepEqual(orderRegions(scheduler, heartbeat([], [])), { ids: [7], terms: [9] });
  assert.deepEqual(orderRegions(scheduler, heartbeat([r], [10])), { ids: [7], terms: [10] });
  const other = { ...heartbeat([], []), nodeId: 1 };
  assert.deepEqual(orderRegions(scheduler, other), { ids: [], terms: [] }, "node 1 leads none");
  assert.equal(ordersFor(scheduler, 2, [7], [9]).length, 1, "and the step is given");
});
