/**
 * The placement heartbeat's extra beats (src/server/placement/heartbeat_sender.ts): a member that
 * sees region 0's leader change reports to the new one at once, since a new leader knows no
 * node's applied configurations and its tombstones wait for every voter's report; an unchanged or
 * unknown leader sends nothing extra. A leader back after a spell without one is new: its leader
 * work started again, empty.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { HeartbeatSender } from "../../src/server/placement/heartbeat_sender.ts";
import type { PlacementNode } from "../../src/server/placement/placement_node.ts";

test("heartbeat sender: a new placement leader gets a heartbeat at once, once", () => {
  // Only the timers due now run: the interval's (10 s) never comes in this test.
  const timers: (() => void)[] = [];
  const clock = {
    setTimeout: (f: () => void, ms: number) => (ms === 0 && timers.push(f), timers.length),
    clearTimeout: () => {},
  };
  const o = { clock, placement: { heartbeatMs: 10_000 } };
  const sender = new HeartbeatSender({ d: { o } } as unknown as PlacementNode, () => undefined);
  let beats = 0;
  sender.beat = () => (beats++, Promise.resolve());
  const run = () => timers.splice(0).forEach((f) => f());
  sender.start();
  run();
  beats = 0; // the first heartbeat at start

  sender.leaderSeen(2);
  run();
  assert.equal(beats, 1, "the first leader seen");
  sender.leaderSeen(2);
  run();
  assert.equal(beats, 1, "the same leader: no extra beat");
  sender.leaderSeen(0);
  run();
  assert.equal(beats, 1, "no leader known: nothing to report to");
  sender.leaderSeen(3);
  run();
  assert.equal(beats, 2, "a new leader");
  sender.leaderSeen(0);
  sender.leaderSeen(3);
  run();
  // Its leader work (and what it was told) ended when it lost leadership: reported to again.
  assert.equal(beats, 3, "the same leader back after a spell without one");
  sender.stop();
  sender.leaderSeen(4);
  run();
  assert.equal(beats, 3, "stopped: nothing");
});
