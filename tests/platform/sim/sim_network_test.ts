import { test } from "node:test";
import assert from "node:assert/strict";
import { SimNetwork } from "../../../src/platform/sim/sim_network.ts";
import { createSimWorld } from "../../../src/platform/sim/sim_world.ts";

function setup(seed: number, options = {}) {
  const world = createSimWorld(seed);
  const net = new SimNetwork<string>(world.clock, world.prng.fork(), {
    trace: world.trace,
    describe: (m) => m,
    ...options,
  });
  const inbox = new Map<string, string[]>();
  for (const id of ["a", "b", "c"]) {
    inbox.set(id, []);
    net.attach(id, (from, m) => inbox.get(id)?.push(`${from}:${m}`));
  }
  return { world, net, inbox };
}

test("SimNetwork: a partition drops exactly the cut links, and heal restores them", () => {
  const { world, net, inbox } = setup(1);
  net.partition([["a"], ["b", "c"]]);
  net.cut("b", "c"); // one-way: c can still reach b
  for (const from of ["a", "b", "c"]) {
    for (const to of ["a", "b", "c"]) if (from !== to) net.send(from, to, "p");
  }
  world.clock.advance(100);
  assert.deepEqual(inbox.get("a"), []);
  assert.deepEqual(inbox.get("b"), ["c:p"]);
  assert.deepEqual(inbox.get("c"), []);
  assert.equal(net.stats.cut, 5);
  net.heal();
  net.send("a", "b", "h");
  net.send("b", "c", "h");
  world.clock.advance(100);
  assert.deepEqual(inbox.get("b"), ["c:p", "a:h"]);
  assert.deepEqual(inbox.get("c"), ["b:h"]);
});

test("SimNetwork: messages in flight when a partition starts are lost", () => {
  const { world, net, inbox } = setup(2, { delayMinMs: 10, delayMaxMs: 10 });
  net.send("a", "b", "x");
  world.clock.advance(5);
  net.partition([["a"], ["b"]]);
  world.clock.advance(10);
  assert.deepEqual(inbox.get("b"), []);
});

test("SimNetwork: random delays reorder; drop and duplicate rates apply", () => {
  const { world, net, inbox } = setup(3, { dropRate: 0.2, duplicateRate: 0.2, delayMaxMs: 50 });
  for (let i = 0; i < 1000; i++) net.send("a", "b", String(i));
  world.clock.advance(1000);
  const got = inbox.get("b") ?? [];
  const nums = got.map((m) => Number(m.slice(2)));
  const sorted = [...nums].sort((x, y) => x - y);
  assert.notDeepEqual(nums, sorted, "some messages arrived out of order");
  assert.ok(net.stats.dropped > 120 && net.stats.dropped < 280, `dropped ${net.stats.dropped}`);
  assert.ok(net.stats.duplicated > 100, `duplicated ${net.stats.duplicated}`);
  assert.equal(got.length, 1000 - net.stats.dropped + net.stats.duplicated);
});
