/** LeaderWait (src/server/placement/leader_wait.ts): woken, timed out, closed. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { getPlatform } from "../../../src/platform/detect.ts";
import { LeaderWait } from "../../../src/server/placement/leader_wait.ts";
import { ServiceError } from "../../../src/server/kv_service.ts";
import { ErrorCode } from "../../../src/gen/tinykv/v1/tinykv_pb.ts";

const unavailable = (pattern: RegExp) => (e: unknown) =>
  e instanceof ServiceError && e.code === ErrorCode.UNAVAILABLE && pattern.test(e.message);

test("a waiter wakes on each known(), returns once a leader is known, and leaves no timer", async () => {
  const w = new LeaderWait(getPlatform().clock);
  let known = false;
  let done = false;
  const waiting = w.forLeader(() => known, 60_000).then(() => done = true);
  await Promise.resolve();
  assert.equal(w.waiting, 1);
  w.known(); // a soft-state change without a leader (a pre-candidate): it waits again
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(done, false);
  assert.equal(w.waiting, 1);
  known = true;
  w.known();
  await waiting;
  assert.equal(w.waiting, 0);
  await w.forLeader(() => true, 60_000); // known already: no wait at all
});

test("a waiter fails UNAVAILABLE at its timeout, or at once when the node closes", async () => {
  const w = new LeaderWait(getPlatform().clock);
  await assert.rejects(w.forLeader(() => false, 30), unavailable(/no placement leader/));
  assert.equal(w.waiting, 0);
  const waiting = w.forLeader(() => false, 60_000);
  w.close();
  await assert.rejects(waiting, unavailable(/shutting down/));
  await assert.rejects(w.forLeader(() => true, 60_000), unavailable(/shutting down/));
});
