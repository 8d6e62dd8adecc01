/**
 * Waits for a condition (src/server/node/condition_wait.ts): shared by many callers, bounded in
 * time and in callers. A write reaching a replica that knows no leader waits for one instead of
 * being refused at once with `-CLUSTERDOWN`/NOT_LEADER: nothing was proposed, so it runs as soon
 * as a leader is known, and is refused only after the request timeout.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { getPlatform } from "../../src/platform/detect.ts";
import { SimClock } from "../../src/platform/sim/sim_clock.ts";
import { ConditionWait, LEADER_WAITERS_MAX } from "../../src/server/node/condition_wait.ts";
import { startCluster } from "./cluster_helpers.ts";
import { bulk, RawClient } from "./resp/resp_test_client.ts";

const clock = getPlatform().clock;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("condition wait: waiters resolve together once the condition holds", async () => {
  let held = false;
  const w = new ConditionWait(clock, () => held, 5_000);
  const waits = [w.wait(), w.wait(), w.wait()];
  await sleep(30);
  assert.equal(w.waiting, 3, "still waiting while the condition is false");
  held = true;
  assert.deepEqual(await Promise.all(waits), [true, true, true]);
  assert.equal(w.waiting, 0);
  assert.equal(await w.wait(), true, "a condition that holds answers at once");
});

test("condition wait: a condition that throws wakes its waiters instead of escaping its timer", async () => {
  const sim = new SimClock();
  let region: { leader: number } | undefined = { leader: 0 };
  const w = new ConditionWait(sim, () => {
    // As the command path's "no leader is known" reads its region, gone once it left the node.
    if (region === undefined) throw new Error("region 2 is not on the driver; retry");
    return region.leader !== 0;
  }, 5_000);
  const waits = [w.wait(), w.wait()];
  sim.advance(20);
  assert.equal(w.waiting, 2);
  region = undefined;
  assert.doesNotThrow(() => sim.advance(20), "the timer does not throw");
  assert.deepEqual(await Promise.all(waits), [true, true], "each runs its request again");
  assert.equal(w.waiting, 0);
});

test("condition wait: a wait past its time answers false; past the cap, at once", async () => {
  const w = new ConditionWait(clock, () => false, 60);
  const started = clock.nowMs();
  assert.equal(await w.wait(), false);
  assert.ok(clock.nowMs() - started >= 60, "not before its time");
  const long = new ConditionWait(clock, () => false, 200);
  const waits = Array.from({ length: LEADER_WAITERS_MAX }, () => long.wait());
  assert.equal(await long.wait(), false, "one more than the cap is refused at once");
  assert.equal(long.waiting, LEADER_WAITERS_MAX);
  assert.ok((await Promise.all(waits)).every((v) => v === false));
});

test("condition wait: a SET on a node without a leader waits for the next one", async () => {
  const c = await startCluster(3);
  const clients: RawClient[] = [];
  try {
    await c.leader();
    // Node 2 restarted alone knows no leader (and can elect none) until node 3 is back.
    for (const id of [1, 2, 3]) await c.stop(id);
    const survivor = 2;
    await c.start(survivor);
    const node = c.servers.get(survivor)?.node;
    if (node === undefined) throw new Error("node 2 is not running");
    assert.equal(node.status().leader, null, "node 2 knows no leader");
    const port = c.respPorts.get(survivor) ?? 0;
    const client = await RawClient.connect(port);
    clients.push(client);
    let answered = false;
    const set = client.one("SET", "k", "v").finally(() => answered = true);
    await sleep(300);
    assert.equal(answered, false, "the SET waits rather than being refused");
    await c.start(3);
    assert.equal(await set, "+OK\r\n");
    assert.equal(await client.one("GET", "k"), bulk("v"));
  } finally {
    clients.forEach((cl) => cl.close());
    await c.close();
  }
});
