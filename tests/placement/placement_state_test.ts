import { test } from "node:test";
import assert from "node:assert/strict";
import { PlacementState } from "../../src/placement/placement_state.ts";
import { encodeCommand, type PlacementCommand } from "../../src/placement/placement_commands.ts";
import type { StateMachine } from "../../src/raft/node_options.ts";
import { EMPTY_CONF_STATE, EntryType, type Snapshot } from "../../src/raft/core/messages.ts";
import { initialRegion, splitDescriptor } from "../../src/region/descriptor.ts";
import {
  PLACEMENT_NODES_MAX,
  PLACEMENT_OUTCOMES_KEPT,
  PLACEMENT_REMOVED_NODES_MAX,
} from "../../src/limits_ops.ts";
import {
  decodeImage,
  encodeImage,
  type PlacementImage,
} from "../../src/placement/placement_image.ts";
import { createPrng } from "../../src/util/prng.ts";
import { BOOTSTRAP, entries, entry, everyKind, randomHistory, T0 } from "./placement_fixtures.ts";

const TIMEOUT = 30_000;

function fresh(): PlacementState {
  return new PlacementState({ replaceTimeoutMs: TIMEOUT });
}

function snapshotOf(s: PlacementState, term = 1): Snapshot {
  return {
    metadata: { index: s.appliedIndex, term, confState: EMPTY_CONF_STATE },
    data: s.image(),
  };
}

test("placement state: it is a Raft StateMachine", () => {
  const sm: StateMachine = fresh();
  assert.equal(typeof sm.image, "function");
});

test("placement state: each kind applies, with its outcome at its index", () => {
  const s = fresh();
  s.apply(entries(everyKind()));
  const kinds = Array.from({ length: 8 }, (_, i) => s.outcome(i + 1)?.outcome.kind);
  assert.deepEqual(kinds, [
    "applied", // bootstrap
    "applied", // heartbeat of node 4
    "ids",
    "applied", // the split's right half: region 1 keeps the left, until its report
    "applied",
    "applied", // drain 4
    "applied", // remove 4 (it holds no replica)
    "tso-bound",
  ]);
  assert.deepEqual(s.outcome(3)?.outcome, { kind: "ids", first: 2, count: 5 });
  assert.equal(s.nextId, 7);
  assert.equal(s.tsoBound, 2 ** 50 + 7);
  assert.deepEqual(s.view.nodes().map((n) => n.id), [1, 2, 3]);
  assert.deepEqual(s.removedNodes, [4]);
  assert.deepEqual(s.view.map.all().map((d) => d.id), [1, 2]);
  assert.equal(s.view.region(2)?.leader, 2);
  assert.equal(s.appliedMs, T0 + 6);
  assert.equal(s.view.node(1)?.address, "10.0.0.1:7000");
  assert.equal(s.view.node(1)?.lastHeartbeatMs, T0, "bootstrap counts as a heartbeat");
});

test("placement state: refusals change nothing but the applied index", () => {
  const s = fresh();
  const refusedBeforeBootstrap = { kind: "allocate-ids", atMs: T0, count: 1 } as const;
  s.apply(entries([refusedBeforeBootstrap, BOOTSTRAP]));
  assert.equal(s.outcome(1)?.outcome.kind, "refused");
  const [, right] = splitDescriptor(initialRegion([1, 2, 3]), new Uint8Array([9]), 5);
  const cases: [PlacementCommand | Uint8Array, RegExp][] = [
    [BOOTSTRAP, /already bootstrapped/],
    [{ kind: "drain-node", atMs: T0, nodeId: 9 }, /node 9 is unknown/],
    [{ kind: "remove-node", atMs: T0, nodeId: 2 }, /node 2 still holds 1 replicas/],
    [{
      kind: "region-report",
      atMs: T0,
      descriptor: right,
      leader: 1,
      sizeBytes: 0,
      writesPerSec: 0,
      caughtUp: [],
      term: 0,
    }, /region 5 was never allocated/],
    [new Uint8Array([1, 99, 0]), /unknown placement command kind 99/],
    [new Uint8Array([3]), /unknown placement command version 3/],
    [encodeCommand({ kind: "drain-node", atMs: T0, nodeId: 1 }).subarray(0, 3), /truncated/],
  ];
  for (const [i, [c, why]] of cases.entries()) {
    const before = s.image();
    const index = s.appliedIndex + 1;
    s.apply([entry(index, c instanceof Uint8Array ? c : encodeCommand(c), 2)]);
    const o = s.outcome(index);
    assert.equal(o?.term, 2);
    assert.ok(o?.outcome.kind === "refused" && why.test(o.outcome.reason), `case ${i}: ${o}`);
    // Same image as a twin that applied an empty entry (a leader's no-op) at that index.
    const twin = fresh();
    twin.restore({
      metadata: { index: index - 1, term: 1, confState: EMPTY_CONF_STATE },
      data: before,
    });
    twin.apply([entry(index, new Uint8Array(0), 2)]);
    assert.deepEqual(s.image(), twin.image(), `case ${i} changed the state`);
  }
});

test("placement state: a removed node's heartbeats are refused; ids and bounds only grow", () => {
  const s = fresh();
  const hb = (nodeId: number, atMs: number): PlacementCommand => ({
    kind: "heartbeat",
    atMs,
    nodeId,
    address: "",
    zone: "",
    capacityBytes: 0,
    usedBytes: 0,
  });
  s.apply(entries([
    BOOTSTRAP,
    hb(7, T0 + 10),
    { kind: "remove-node", atMs: T0 + 11, nodeId: 7 },
    hb(7, T0 + 12),
    hb(1, T0 + 5), // a proposer whose clock is behind: the group's clock does not go back
    { kind: "persist-tso-bound", atMs: T0, bound: 100 },
    { kind: "persist-tso-bound", atMs: T0, bound: 40 },
  ]));
  assert.match(JSON.stringify(s.outcome(4)?.outcome), /node 7 was removed/);
  assert.equal(s.view.node(7), undefined);
  assert.equal(s.appliedMs, T0 + 12);
  assert.equal(s.view.node(1)?.lastHeartbeatMs, T0 + 12, "stamped with applied time");
  assert.deepEqual(s.outcome(7)?.outcome, { kind: "tso-bound", bound: 100 });
  assert.equal(s.tsoBound, 100);
  // Node 2 misses heartbeats: it is down by the group's applied clock, not the local one.
  s.apply(entries([hb(1, T0 + TIMEOUT + 20)], 8));
  assert.equal(s.view.isDown(2, s.appliedMs), true);
  assert.equal(s.view.isDown(1, s.appliedMs), false);
});

test("placement state: outcomes are kept for the most recent commands only", () => {
  const s = fresh();
  const n = PLACEMENT_OUTCOMES_KEPT + 10;
  const cmds: PlacementCommand[] = [BOOTSTRAP];
  for (let i = 1; i < n; i++) cmds.push({ kind: "allocate-ids", atMs: T0, count: 1 });
  const seen: number[] = [];
  const withHook = new PlacementState({
    replaceTimeoutMs: TIMEOUT,
    onOutcome: (o) => seen.push(o.index),
  });
  s.apply(entries(cmds));
  withHook.apply(entries(cmds));
  assert.equal(s.outcome(10), undefined);
  assert.deepEqual(s.outcome(n)?.outcome, { kind: "ids", first: n, count: 1 });
  assert.equal(seen.length, n);
  assert.deepEqual(s.image(), withHook.image());
});

test("placement state: the same entries give byte-identical images", () => {
  for (const seed of [1, 2, 3]) {
    const log = randomHistory(createPrng(seed), 600);
    const a = fresh();
    const b = fresh();
    a.apply(log);
    for (let i = 0; i < log.length; i += 7) b.apply(log.slice(i, i + 7)); // other batching
    assert.deepEqual(a.image(), b.image(), `seed ${seed}`);
    assert.ok(a.view.map.size > 5, `seed ${seed}: splits were taken (${a.view.map.size})`);
    const kinds = new Set(log.map((_, i) => a.outcome(i + 1)?.outcome.kind));
    for (const k of ["applied", "ids", "tso-bound", "refused", "ignored"]) {
      assert.ok(kinds.has(k as never), `seed ${seed}: no ${k} outcome`);
    }
  }
});

test("placement state: a snapshot mid-history then the rest equals applying everything", () => {
  const log = randomHistory(createPrng(11), 500);
  const whole = fresh();
  whole.apply(log);
  for (const cut of [1, 37, 250, 499]) {
    const first = fresh();
    first.apply(log.slice(0, cut));
    const restored = fresh();
    restored.apply(log.slice(0, 3)); // state to be replaced
    restored.restore(snapshotOf(first));
    assert.deepEqual(restored.image(), first.image(), `cut ${cut}: image round trip`);
    restored.apply(log.slice(Math.max(0, cut - 5))); // entries the image covers are skipped
    assert.deepEqual(restored.image(), whole.image(), `cut ${cut}`);
  }
});

test("placement state: an empty snapshot is the empty state at its index", () => {
  const s = fresh();
  s.apply(entries([BOOTSTRAP]));
  s.restore({
    metadata: { index: 1, term: 1, confState: EMPTY_CONF_STATE },
    data: new Uint8Array(0),
  });
  assert.equal(s.bootstrapped, false);
  assert.equal(s.appliedIndex, 1);
  s.apply([{ term: 1, index: 2, type: EntryType.ConfChange, data: new Uint8Array([1]) }]);
  assert.equal(s.appliedIndex, 2, "conf change entries advance the index");
  assert.equal(s.outcome(2), undefined);
});

test("placement state: a bad image is refused and leaves the state as it was", () => {
  const s = fresh();
  s.apply(randomHistory(createPrng(5), 200));
  const before = s.image();
  const snap = snapshotOf(s);
  const restoreWith = (data: Uint8Array, index = snap.metadata.index) =>
    s.restore({ metadata: { ...snap.metadata, index }, data });
  for (let n = 1; n < before.length; n += Math.max(1, before.length >> 6)) {
    assert.throws(() => restoreWith(before.subarray(0, n)), `cut at ${n}`);
  }
  const v3 = before.slice();
  v3[0] = 3;
  assert.throws(() => restoreWith(v3), /unknown placement image version 3/);
  assert.throws(() => restoreWith(before, snap.metadata.index + 1), /image at index/);
  let seed = 3;
  for (let i = 0; i < 300; i++) {
    const b = before.slice();
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    b[1 + (seed % (b.length - 1))] ^= 1 + (i % 255);
    try {
      restoreWith(b);
      restoreWith(before);
    } catch (e) {
      assert.ok(e instanceof Error && /Decode|InvalidArgument/.test(e.name), `${e}`);
    }
  }
  assert.deepEqual(s.image(), before);
});

test("placement state: an image of a state apply cannot reach is refused", () => {
  const s = fresh();
  s.apply(entries(everyKind()));
  const good = decodeImage(s.image());
  const [r1, r2] = good.regions;
  const node = good.nodes[0];
  const cases: [Partial<PlacementImage>, RegExp][] = [
    [{ regions: [r2, r1] }, /out of key order/],
    [{ regions: [r1, r1] }, /overlaps|twice/],
    [{ nextId: 2 }, /region 2 at or past the next id 2/],
    [{ removed: [node.id] }, /still a node/],
    [{ nodes: [node, node] }, /listed twice/],
    [{ bootstrapped: false }, /before the bootstrap/],
  ];
  const before = s.image();
  for (const [change, why] of cases) {
    const data = encodeImage({ ...good, ...change });
    const snap = {
      metadata: { index: good.appliedIndex, term: 1, confState: EMPTY_CONF_STATE },
      data,
    };
    assert.throws(() => s.restore(snap), why);
    assert.deepEqual(s.image(), before);
  }
  s.restore({
    metadata: { index: good.appliedIndex, term: 1, confState: EMPTY_CONF_STATE },
    data: encodeImage(good),
  });
  assert.deepEqual(s.image(), before, "the decoded image re-encodes to the same bytes");
});

test("placement state: at most PLACEMENT_NODES_MAX nodes; removed ids remembered up to their cap", () => {
  const s = fresh();
  let at = 0;
  const apply = (cmds: PlacementCommand[]) => {
    s.apply(entries(cmds, at + 1));
    at += cmds.length;
  };
  const beat = (nodeId: number): PlacementCommand => ({
    kind: "heartbeat",
    atMs: T0,
    nodeId,
    address: `h:${nodeId}`,
    zone: "z",
    capacityBytes: 1,
    usedBytes: 0,
  });
  const remove = (nodeId: number): PlacementCommand => ({ kind: "remove-node", atMs: T0, nodeId });
  const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
  apply([BOOTSTRAP, ...range(4, PLACEMENT_NODES_MAX).map(beat)]);
  assert.equal(s.view.nodeCount, PLACEMENT_NODES_MAX);
  apply([beat(PLACEMENT_NODES_MAX + 1)]);
  const full = s.outcome(at)?.outcome;
  assert.ok(full?.kind === "refused" && /PLACEMENT_NODES_MAX/.test(full.reason), `${full}`);
  assert.equal(s.view.node(PLACEMENT_NODES_MAX + 1), undefined);
  // Remove every node but the three that hold region 1, then more: one past what is remembered.
  const removedSoFar = PLACEMENT_NODES_MAX - 3;
  const extra = range(5_000, 5_000 + PLACEMENT_REMOVED_NODES_MAX - removedSoFar); // inclusive
  assert.equal(removedSoFar + extra.length, PLACEMENT_REMOVED_NODES_MAX + 1);
  apply([...range(4, PLACEMENT_NODES_MAX).map(remove), ...extra.map(beat), ...extra.map(remove)]);
  assert.equal(s.removedNodes.length, PLACEMENT_REMOVED_NODES_MAX);
  apply([beat(4)]); // the oldest removal was forgotten: node 4 may come back
  assert.equal(s.outcome(at)?.outcome.kind, "applied");
  apply([beat(5)]);
  assert.equal(s.outcome(at)?.outcome.kind, "refused", "node 5 is still remembered as removed");
});
