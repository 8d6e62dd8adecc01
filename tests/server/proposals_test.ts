import { test } from "node:test";
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { ClientResponseSchema, ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { SimClock } from "../../src/platform/sim/sim_clock.ts";
import { ServiceError } from "../../src/server/kv_service.ts";
import { Proposals } from "../../src/server/node/proposals.ts";

const outcome = (index: bigint) =>
  toBinary(
    ClientResponseSchema,
    create(ClientResponseSchema, { body: { case: "write", value: { index, applied: true } } }),
  );

test("Proposals: resolved by the entry at their (index, term); another term means not applied", async () => {
  const p = new Proposals(new SimClock());
  const ours = p.wait({ index: 5, term: 2 }, 1000);
  const overwritten = p.wait({ index: 6, term: 2 }, 1000);
  p.applied(5, 2, outcome(5n));
  p.applied(6, 3, outcome(6n));
  const o = await ours;
  assert.equal(o.case === "write" ? o.value.index : -1n, 5n);
  await assert.rejects(
    overwritten,
    (e: unknown) => e instanceof ServiceError && e.code === ErrorCode.UNAVAILABLE,
  );
});

test("Proposals: a write not applied in time is TIMEOUT (outcome unknown); the count is bounded", async () => {
  const clock = new SimClock();
  const p = new Proposals(clock, 2);
  const late = p.wait({ index: 1, term: 1 }, 100);
  p.wait({ index: 2, term: 1 }, 100).catch(() => {});
  assert.equal(p.full, true, "PROPOSALS_PENDING_MAX reached");
  clock.advance(100);
  await assert.rejects(
    late,
    (e: unknown) => e instanceof ServiceError && e.code === ErrorCode.TIMEOUT,
  );
  assert.equal(p.full, false);
});

test("Proposals: a new leader's proposal at a waiting index fails the older write at once", async () => {
  const p = new Proposals(new SimClock());
  // This node led term 2 and appended at 7, lost that entry as a follower, then led term 4.
  const old = p.wait({ index: 7, term: 2 }, 1000);
  const fresh = p.wait({ index: 7, term: 4 }, 1000);
  await assert.rejects(
    old,
    (e: unknown) => e instanceof ServiceError && e.code === ErrorCode.UNAVAILABLE,
  );
  assert.equal(p.counts.overwritten, 1);
  p.applied(7, 4, outcome(7n));
  const f = await fresh;
  assert.equal(f.case === "write" ? f.value.index : -1n, 7n);
  assert.equal(p.size, 0);
});
