import { test } from "node:test";
import assert from "node:assert/strict";
import { SimClock } from "../../../src/platform/sim/sim_clock.ts";
import type { CommandInit } from "../../../src/kv/command_codec.ts";
import {
  LeaseKeeper,
  type LeaseRecord,
  minLeaseTtlSeconds,
} from "../../../src/server/leases/lease_keeper.ts";
import { LEASE_REVOKES_INFLIGHT_MAX } from "../../../src/limits.ts";
import { mapLeaseSource } from "./map_lease_source.ts";

/** A replicated lease table and a proposer that applies revokes to it (or fails, when told). */
class FakeCluster {
  readonly table = new Map<number, LeaseRecord>();
  readonly proposed: number[] = [];
  failing = false;
  /** Proposals not yet settled (settled by `settle()`). */
  readonly #pending: (() => void)[] = [];

  grant(id: number, ttlSeconds: number): void {
    this.table.set(id, { id, ttlSeconds });
  }

  propose(command: CommandInit): Promise<unknown> {
    const b = command.body;
    assert.equal(b?.case, "leaseRevoke");
    if (b?.case !== "leaseRevoke") throw new Error("unexpected");
    assert.equal(b.value.expired, true);
    const id = Number(b.value.id);
    this.proposed.push(id);
    return new Promise((resolve, reject) => {
      this.#pending.push(() => {
        if (this.failing) return reject(new Error("not leader"));
        this.table.delete(id);
        resolve(undefined);
      });
    });
  }

  async settle(): Promise<void> {
    for (const f of this.#pending.splice(0)) f();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
}

function keeperOn(clock: SimClock, cluster: FakeCluster, minTtlSeconds = 1): LeaseKeeper {
  const source = mapLeaseSource(cluster.table);
  return new LeaseKeeper({
    clock,
    leases: () => source,
    propose: (c) => cluster.propose(c),
    minTtlSeconds,
    checkIntervalMs: 100,
  });
}

test("lease keeper: a new leader gives a lease kept alive on the old one a full TTL", async () => {
  const clock = new SimClock();
  const cluster = new FakeCluster();
  cluster.grant(7, 10);
  const oldLeader = keeperOn(clock, cluster);
  oldLeader.setLeading(true);
  clock.advance(9_000);
  assert.equal(oldLeader.keepAlive(7)?.remainingMs, 10_000);
  // The old leader fails 9.9 s later; a new one takes over (with its own clock reading).
  clock.advance(9_900);
  oldLeader.stop();
  const newLeader = keeperOn(clock, cluster);
  newLeader.setLeading(true);
  // Just short of a full TTL after the takeover: still alive, nothing proposed.
  clock.advance(9_950);
  await cluster.settle();
  assert.deepEqual(cluster.proposed, []);
  assert.ok(cluster.table.has(7));
  assert.equal(newLeader.timeToLive(7)?.remainingMs, 50);
  // Past the TTL the new leader expires it.
  clock.advance(200);
  await cluster.settle();
  assert.deepEqual(cluster.proposed, [7]);
  assert.equal(cluster.table.has(7), false);
  newLeader.stop();
});

test("lease keeper: expiry proposes exactly one revoke, and none while one is in flight", async () => {
  const clock = new SimClock();
  const cluster = new FakeCluster();
  cluster.grant(1, 2);
  cluster.grant(2, 60);
  const keeper = keeperOn(clock, cluster);
  keeper.setLeading(true);
  clock.advance(2_100);
  assert.deepEqual(cluster.proposed, [1]);
  // Still in flight across many checks: not proposed again, and keep-alive refuses it.
  clock.advance(1_000);
  assert.deepEqual(cluster.proposed, [1]);
  assert.equal(keeper.keepAlive(1), undefined);
  await cluster.settle();
  clock.advance(1_000);
  assert.deepEqual(cluster.proposed, [1]);
  assert.equal(keeper.counters.expired, 1);
  assert.ok(keeper.keepAlive(2) !== undefined, "the other lease lives on");
  keeper.stop();
});

test("lease keeper: a failed expiry revoke is proposed again later", async () => {
  const clock = new SimClock();
  const cluster = new FakeCluster();
  cluster.grant(3, 1);
  const keeper = keeperOn(clock, cluster);
  keeper.setLeading(true);
  cluster.failing = true;
  clock.advance(1_050);
  assert.deepEqual(cluster.proposed, [3]);
  await cluster.settle();
  cluster.failing = false;
  clock.advance(300);
  assert.deepEqual(cluster.proposed, [3, 3]);
  await cluster.settle();
  assert.equal(cluster.table.has(3), false);
  assert.equal(keeper.counters.expiryRetries, 1);
  assert.equal(keeper.counters.expired, 1);
  keeper.stop();
});

test("lease keeper: keep-alive restarts the TTL; unknown or revoked leases are undefined", () => {
  const clock = new SimClock();
  const cluster = new FakeCluster();
  const keeper = keeperOn(clock, cluster);
  keeper.setLeading(true);
  assert.equal(keeper.keepAlive(42), undefined);
  assert.equal(keeper.timeToLive(42), undefined);
  cluster.grant(42, 5);
  keeper.applied();
  for (let i = 0; i < 10; i++) {
    clock.advance(4_000);
    assert.deepEqual(keeper.keepAlive(42), { id: 42, grantedTtlSeconds: 5, remainingMs: 5_000 });
  }
  assert.deepEqual(cluster.proposed, [], "kept alive for 40 s with a 5 s TTL");
  clock.advance(1_000);
  assert.equal(keeper.timeToLive(42)?.remainingMs, 4_000);
  cluster.table.delete(42);
  keeper.applied();
  assert.equal(keeper.keepAlive(42), undefined);
  assert.deepEqual(keeper.list(), []);
  keeper.stop();
});

test("lease keeper: a TTL below the minimum is kept for the minimum", () => {
  const clock = new SimClock();
  const cluster = new FakeCluster();
  cluster.grant(9, 1);
  const keeper = keeperOn(clock, cluster, 3);
  keeper.setLeading(true);
  clock.advance(2_900);
  assert.deepEqual(cluster.proposed, []);
  assert.deepEqual(keeper.list(), [{ id: 9, grantedTtlSeconds: 1, remainingMs: 100 }]);
  clock.advance(200);
  assert.deepEqual(cluster.proposed, [9]);
  keeper.stop();
  assert.equal(minLeaseTtlSeconds(1000), 3);
  assert.equal(minLeaseTtlSeconds(200), 1);
  assert.equal(minLeaseTtlSeconds(1500), 5);
});

test("lease keeper: a follower keeps no deadlines and proposes nothing", () => {
  const clock = new SimClock();
  const cluster = new FakeCluster();
  cluster.grant(5, 1);
  const keeper = keeperOn(clock, cluster);
  clock.advance(10_000);
  assert.deepEqual(cluster.proposed, []);
  assert.equal(clock.pendingTimers(), 0);
  keeper.setLeading(true);
  keeper.setLeading(false);
  clock.advance(10_000);
  assert.deepEqual(cluster.proposed, []);
  assert.equal(clock.pendingTimers(), 0, "stepping down stops the expiry timer");
});

test("lease keeper: expiry revokes in flight are bounded; the rest follow", async () => {
  const clock = new SimClock();
  const cluster = new FakeCluster();
  const n = LEASE_REVOKES_INFLIGHT_MAX + 10;
  for (let id = 1; id <= n; id++) cluster.grant(id, 1);
  const keeper = keeperOn(clock, cluster);
  keeper.setLeading(true);
  clock.advance(1_100);
  assert.equal(cluster.proposed.length, LEASE_REVOKES_INFLIGHT_MAX);
  await cluster.settle();
  clock.advance(100);
  assert.equal(cluster.proposed.length, n);
  assert.equal(new Set(cluster.proposed).size, n, "each lease revoked once");
  keeper.stop();
});

test("lease keeper: many keep-alives do not grow the deadline heap without bound", () => {
  const clock = new SimClock();
  const cluster = new FakeCluster();
  cluster.grant(1, 10);
  const keeper = keeperOn(clock, cluster);
  keeper.setLeading(true);
  for (let i = 0; i < 50_000; i++) {
    keeper.keepAlive(1);
    if (i % 1000 === 0) clock.advance(100);
  }
  assert.equal(keeper.timeToLive(1)?.remainingMs, 10_000);
  assert.deepEqual(cluster.proposed, []);
  assert.ok(keeper.heapEntries <= 2 + 4096 + 1000, `heap holds ${keeper.heapEntries}`);
  keeper.stop();
});

test("lease keeper: remaining time is whole milliseconds on a clock that reads fractions", () => {
  const clock = new SimClock(0.25);
  const cluster = new FakeCluster();
  cluster.grant(1, 10);
  const keeper = keeperOn(clock, cluster);
  keeper.setLeading(true);
  clock.advance(1000.5);
  const remaining = keeper.timeToLive(1)?.remainingMs ?? -1;
  assert.ok(Number.isInteger(remaining), `${remaining}`);
  assert.equal(remaining, 8999);
  keeper.stop();
});

test("lease keeper: a grant it was not told of is found by a full sync; a revoked one is dropped", () => {
  const clock = new SimClock();
  const cluster = new FakeCluster();
  const keeper = keeperOn(clock, cluster);
  keeper.setLeading(true);
  cluster.grant(8, 1);
  keeper.applied();
  // Found by the full sync at the 10th check (1 s), expired one TTL later, not before.
  clock.advance(1_950);
  assert.deepEqual(cluster.proposed, []);
  clock.advance(200);
  assert.deepEqual(cluster.proposed, [8]);
  // A grant it is told of starts at once; revoked by a client, it is never expired.
  cluster.grant(9, 1);
  keeper.track(9);
  assert.equal(keeper.timeToLive(9)?.remainingMs, 1_000);
  cluster.table.delete(9);
  keeper.forget(9);
  clock.advance(5_000);
  assert.deepEqual(cluster.proposed, [8]);
  keeper.stop();
});
