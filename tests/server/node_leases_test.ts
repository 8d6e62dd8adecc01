import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { ClientResponseSchema, ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import type { RequestBody } from "../../src/client/connection.ts";
import { SimClock } from "../../src/platform/sim/sim_clock.ts";
import { ServiceError } from "../../src/server/kv_service.ts";
import type { LeaseRecord } from "../../src/server/leases/lease_keeper.ts";
import { NodeLeases } from "../../src/server/node/node_leases.ts";
import { mapLeaseSource } from "./leases/map_lease_source.ts";

function nodeLeases(clock = new SimClock()) {
  const state = {
    /** Whether a ReadIndex round would confirm this node's leadership. */
    confirms: true,
    confirmations: 0,
    applied: 0,
    leader: 0,
    term: 1,
    lastIndex: 0,
    executed: 0,
    leases: new Map<number, LeaseRecord>([[4, { id: 4, ttlSeconds: 30 }]]),
    forwarded: [] as { address: string; body: RequestBody }[],
  };
  const leases = new NodeLeases({
    selfId: 1,
    clock,
    electionTimeoutMs: 1000,
    checkIntervalMs: 100,
    requestTimeoutMs: 500,
    table: () => ({
      leaseTable: mapLeaseSource(state.leases),
      leaseKeys: () => Promise.resolve([]),
      revision: 12,
      appliedIndex: state.applied,
    }),
    raft: () => ({
      isLeader: state.leader === 1,
      term: state.term,
      lead: state.leader,
      lastIndex: () => state.lastIndex,
    }),
    execute: () => {
      state.executed++;
      return Promise.resolve({ case: undefined, value: undefined });
    },
    addressOf: (id) => `10.0.0.${id}:7001`,
    confirmLeadership: () => {
      state.confirmations++;
      return state.confirms
        ? Promise.resolve()
        : Promise.reject(new ServiceError(ErrorCode.UNAVAILABLE, "leadership changed"));
    },
    forward: (address, body) => {
      state.forwarded.push({ address, body });
      const lease = { id: 4n, grantedTtlSeconds: 30, remainingMs: 30_000n };
      return Promise.resolve(
        create(ClientResponseSchema, { body: { case: "lease", value: { lease } } }),
      );
    },
  });
  return { state, leases };
}

async function code(p: Promise<unknown>): Promise<ErrorCode | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    assert.ok(err instanceof ServiceError);
    return err.code;
  }
}

test("node leases: a new leader serves leases only once its first entry is applied", async () => {
  const { state, leases } = nodeLeases();
  state.applied = 8;
  state.leader = 1;
  state.lastIndex = 10;
  leases.observe();
  assert.equal(leases.keeper.leading, false);
  assert.equal(await code(leases.service.keepAlive(4)), ErrorCode.UNAVAILABLE);
  state.applied = 10;
  leases.observe();
  assert.equal(leases.keeper.leading, true);
  const r = await leases.service.keepAlive(4);
  assert.equal(r.lease?.remainingMs, 30_000n);
  assert.equal(r.revision, 12n);
  assert.equal(await code(leases.service.keepAlive(5)), ErrorCode.LEASE_NOT_FOUND);
  leases.stop();
});

test("node leases: a follower forwards to the leader's address; none known is NOT_LEADER", async () => {
  const { state, leases } = nodeLeases();
  assert.equal(await code(leases.service.list()), ErrorCode.NOT_LEADER);
  state.leader = 3;
  leases.observe();
  const r = await leases.service.timeToLive(4, false);
  assert.equal(r.lease?.grantedTtlSeconds, 30);
  assert.deepEqual(state.forwarded.map((f) => [f.address, f.body?.case]), [
    ["10.0.0.3:7001", "leaseTimeToLive"],
  ]);
  // Leading, then deposed: the keeper stops and requests are forwarded again.
  state.applied = 30;
  state.lastIndex = 30;
  state.leader = 1;
  leases.observe();
  assert.equal(leases.keeper.leading, true);
  state.leader = 2;
  leases.observe();
  assert.equal(leases.keeper.leading, false);
  leases.stop();
});

test("node leases: a deposed leader proposes no expiry; a new term starts afresh", () => {
  const clock = new SimClock();
  const { state, leases } = nodeLeases(clock);
  state.leader = 1;
  leases.observe();
  assert.equal(leases.keeper.leading, true);
  // Raft deposes the node (and it leads again in a later term) between two looks.
  state.term = 2;
  clock.advance(31_000);
  assert.equal(state.executed, 0, "no revoke proposed in a term the keeper did not start in");
  leases.observe();
  assert.equal(leases.keeper.leading, true);
  assert.equal(leases.keeper.timeToLive(4)?.remainingMs, 30_000, "fresh TTL in the new term");
  clock.advance(30_100);
  assert.equal(state.executed, 1);
  leases.stop();
});

test("node leases: a keeper that has not yet seen its node deposed answers nothing itself", async () => {
  const { state, leases } = nodeLeases();
  state.leader = 1;
  leases.observe();
  assert.equal(leases.keeper.leading, true);
  // Raft moved on between two looks of the keeper (found by the whole-node sim, seed 53: a
  // leader resumed after a pause answered LEASE_NOT_FOUND for a lease the new leader kept).
  state.leader = 2;
  assert.equal(leases.keeper.leading, true);
  const r = await leases.service.keepAlive(4);
  assert.equal(r.lease?.remainingMs, 30_000n);
  assert.deepEqual(state.forwarded.map((f) => f.address), ["10.0.0.2:7001"]);
  state.leader = 0;
  assert.equal(await code(leases.service.keepAlive(4)), ErrorCode.NOT_LEADER);
  // Leading again, in a later term the keeper has not started in yet.
  state.leader = 1;
  state.term = 2;
  assert.equal(await code(leases.service.keepAlive(4)), ErrorCode.UNAVAILABLE);
  assert.equal(state.forwarded.length, 1);
  leases.stop();
});

test("node leases: the keeper answers only once a quorum confirms the node still leads", async () => {
  const clock = new SimClock();
  const { state, leases } = nodeLeases(clock);
  state.leader = 1;
  leases.observe();
  clock.advance(10_000);
  assert.equal((await leases.service.keepAlive(4)).lease?.remainingMs, 30_000n);
  assert.equal(state.confirmations, 1);
  // Raft does not know yet that it was deposed (a leader resumed after a pause): no quorum.
  clock.advance(10_000);
  state.confirms = false;
  assert.equal(await code(leases.service.keepAlive(4)), ErrorCode.UNAVAILABLE);
  assert.equal(leases.keeper.timeToLive(4)?.remainingMs, 20_000, "the deadline did not move");
  leases.stop();
});
