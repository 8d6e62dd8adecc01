/**
 * Lease reads under a paused leader: the old leader is paused past its lease
 * while a new leader is elected and commits a write. When the old leader
 * resumes it first catches up on the ticks it missed (as the driver does from
 * the clock) and must not serve a read from its expired lease.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { toHex, utf8 } from "../../src/util/bytes.ts";
import { Cluster, ELECTION_TICKS } from "./cluster.ts";
import { encodePut } from "./kv_model.ts";
import { optionsForSeed } from "./vopr.ts";

async function setup(seed: number) {
  const c = await Cluster.create(seed, {
    ...optionsForSeed(seed, 3),
    lease: true,
    checkQuorum: true,
  });
  for (let i = 0; i < 10 * ELECTION_TICKS && c.leader() === undefined; i++) await c.step();
  const old = c.leader();
  assert.ok(old?.node !== undefined, "a leader is elected");
  old.node.rawNode.propose(encodePut({ client: 1, seq: 1, key: "k", value: "old" }));
  for (let i = 0; i < 20; i++) await c.step();
  // The lease holds: a read is answered at once, without a heartbeat round.
  old.node.rawNode.readIndex(utf8("warm"));
  await old.node.runOnce();
  assert.equal(old.readStates.length, 1, "lease read served by the healthy leader");
  old.readStates.length = 0;
  c.pause(old.id);
  let next = c.leader();
  for (let i = 0; i < 20 * ELECTION_TICKS && (next === undefined || next.id === old.id); i++) {
    await c.step();
    next = c.leader();
  }
  assert.ok(next?.node !== undefined && next.id !== old.id, "a new leader is elected");
  next.node.rawNode.propose(encodePut({ client: 1, seq: 2, key: "k", value: "new" }));
  for (let i = 0; i < 20 && next.sm.data.get("k") !== "new"; i++) await c.step();
  assert.equal(next.sm.data.get("k"), "new", "the new leader committed a write");
  return { c, old };
}

test("lease read: a leader paused past its lease serves no stale read", async () => {
  for (let seed = 1; seed <= 20; seed++) {
    const { c, old } = await setup(seed);
    const node = old.node;
    assert.ok(node !== undefined);
    // Resume as the driver does: catch up on missed ticks, then take requests.
    old.paused = false;
    for (let i = 0; i < old.pausedTicks; i++) node.tick();
    old.pausedTicks = 0;
    node.rawNode.readIndex(utf8("stale?"));
    for (let i = 0; i < 5 * ELECTION_TICKS; i++) await c.step();
    for (const rs of old.readStates) {
      // Any read it answers must reflect the new leader's write.
      assert.ok(old.sm.applied >= rs.index);
      assert.equal(toHex(rs.context), toHex(utf8("stale?")));
      assert.equal(old.sm.data.get("k"), "new", `seed ${seed}: stale read served`);
    }
  }
});

test("lease read: without the tick catch-up the stale lease would be used (control)", async () => {
  const { old } = await setup(1);
  const node = old.node;
  assert.ok(node !== undefined);
  // A driver that ignores the time it was paused still trusts its lease: the
  // read is answered at once at the old commit index, where k is still "old".
  node.rawNode.readIndex(utf8("stale!"));
  await node.runOnce.call(node).catch(() => {});
  const rs = old.readStates.find((r) => toHex(r.context) === toHex(utf8("stale!")));
  assert.ok(rs !== undefined, "the stale leader answered from its lease");
  assert.equal(old.sm.data.get("k"), "old");
});
