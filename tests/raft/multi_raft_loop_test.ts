/** The multi-region driver on a clock (src/raft/multi/driver_loop.ts): one timer elects and commits. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SimClock } from "../../src/platform/sim/sim_clock.ts";
import { settle } from "../../src/platform/sim/settle.ts";
import { MultiRaftLoop } from "../../src/raft/multi/driver_loop.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { MultiCluster } from "./multi_raft_cluster.ts";

test("multi raft loop: one ticker per node elects every region and applies", async () => {
  const c = await MultiCluster.start({ nodes: 3, regions: 8, seed: 3, loss: 0, quiesce: true });
  const clock = new SimClock();
  const loops = c.drivers.map((d) => new MultiRaftLoop(d, clock, 20));
  for (const l of loops) l.start();
  const ids = [1, 2, 3, 4, 5, 6, 7, 8];
  const step = async () => {
    clock.advance(20);
    await settle();
    c.deliver();
    for (const l of loops) l.kick();
    await settle();
  };
  for (let i = 0; i < 300 && !ids.every((r) => c.leaderOf(r) !== 0); i++) await step();
  assert.ok(ids.every((r) => c.leaderOf(r) !== 0), "every region elected by timers alone");
  for (const r of ids) c.driver(c.leaderOf(r)).propose(r, utf8(`v${r}`));
  for (const l of loops) l.kick();
  const applied = () => ids.every((r) => [1, 2, 3].every((n) => c.sm(n, r)?.applied.length === 1));
  for (let i = 0; i < 100 && !applied(); i++) await step();
  assert.ok(applied());
  for (const l of loops) {
    assert.equal(l.failure, undefined);
    l.stop();
  }
  assert.equal(clock.pendingTimers(), 0, "stopped loops leave no timer");
});

test("multi raft loop: proposals made inside hold() share one round", async () => {
  const c = await MultiCluster.start({ nodes: 1, regions: 4, seed: 5, loss: 0, quiesce: false });
  const ids = [1, 2, 3, 4];
  await c.until(() => ids.every((r) => c.leaderOf(r) === 1), 100, "n1 leads");
  const d = c.driver(1);
  const loop = new MultiRaftLoop(d, new SimClock(), 20);
  // As a node's proposals do: each region's propose kicks the loop.
  const proposeEach = (tag: string) => {
    for (const r of ids) {
      assert.ok(d.propose(r, utf8(`${tag}${r}`))?.ok);
      loop.kick();
    }
  };
  const roundsFor = async (propose: () => void) => {
    await settle();
    const before = d.rounds;
    propose();
    await settle();
    return d.rounds - before;
  };
  // Not held, the first kick starts a round at once and the rest take another.
  const apart = await roundsFor(() => proposeEach("apart"));
  const held = await roundsFor(() => loop.hold(() => proposeEach("held")));
  assert.ok(apart >= 2, `apart: ${apart} rounds`);
  assert.equal(held, 1, "held: one round saves all four regions' proposals");
  for (const r of ids) assert.equal(c.sm(1, r)?.applied.length, 2, `region ${r} applied both`);
  assert.equal(loop.failure, undefined);
  loop.stop();
});
