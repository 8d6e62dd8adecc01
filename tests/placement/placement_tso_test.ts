/**
 * The timestamp oracle on the placement group: its persist requests are `persist-tso-bound`
 * commands through the group's Raft log, and an oracle on a new placement leader, built from the
 * replicated bound, never hands out a timestamp at or below one handed out before — even with
 * its clock behind the old leader's (decision 0014 §5).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { TimestampOracle } from "../../src/txn/timestamp.ts";
import { TimestampService } from "../../src/txn/timestamp_service.ts";
import { type Member, PlacementCluster } from "./placement_cluster.ts";
import { BOOTSTRAP, T0 } from "./placement_fixtures.ts";

/** A TimestampService on `leader`, persisting through the group; counts the persists. */
async function serviceOn(c: PlacementCluster, leader: Member, exclude = 0) {
  // The bound a new leader starts from: proposing a bound of 0 changes nothing and answers with
  // the bound persisted as of an entry of its own term (so after everything committed before).
  const read = await c.propose({ kind: "persist-tso-bound", bound: 0 }, exclude);
  assert.equal(read.outcome.kind, "tso-bound");
  const start = read.outcome.kind === "tso-bound" ? read.outcome.bound : -1;
  assert.equal(start, leader.state.tsoBound);
  const persists: number[] = [];
  const service = new TimestampService(
    new TimestampOracle(start),
    async (bound) => {
      persists.push(bound);
      const o = await c.propose({ kind: "persist-tso-bound", bound }, exclude);
      if (o.outcome.kind !== "tso-bound" || o.outcome.bound < bound) {
        throw new Error(`bound ${bound} not persisted: ${JSON.stringify(o.outcome)}`);
      }
    },
    () => leader.nowMs(),
  );
  return { service, persists, start };
}

test("placement tso: bounds persist through the group; a new leader never goes back", async () => {
  const c = await PlacementCluster.start(T0, 5, 1_000);
  try {
    const { kind: _k, atMs: _t, ...boot } = BOOTSTRAP;
    await c.propose({ kind: "bootstrap", ...boot });
    const first = await c.leader();
    const a = await serviceOn(c, first);
    assert.equal(a.start, 0, "a new group has no bound yet");
    const handed: number[] = [];
    for (let i = 0; i < 40; i++) {
      const range = await a.service.next(1 + (i % 5));
      for (let k = 0; k < range.count; k++) handed.push(range.first + k);
      await c.run(200); // 8 s of clock in all: the 3 s window is persisted ahead several times
    }
    assert.ok(a.persists.length >= 3, `persists: ${a.persists.length}`);
    await c.converge();
    for (const m of c.members) {
      assert.equal(m.state.tsoBound, first.state.tsoBound, `member ${m.id} holds the bound`);
    }
    const lastBefore = Math.max(...handed);
    assert.ok(lastBefore < first.state.tsoBound, "everything handed out is below the bound");
    for (let i = 1; i < handed.length; i++) assert.ok(handed[i] > handed[i - 1]);

    // The leader is cut off; the new leader's clock is 60 s behind the old one's.
    const rest = c.members.filter((m) => m !== first).map((m) => String(m.id));
    c.net.partition([[String(first.id)], rest]);
    const next = await c.leader(first.id);
    c.skewMs.set(next.id, -60_000);
    const b = await serviceOn(c, next, first.id);
    assert.ok(b.start > lastBefore, `new start ${b.start} above ${lastBefore}`);
    let prev = lastBefore;
    for (let i = 0; i < 20; i++) {
      const range = await b.service.next(3);
      assert.ok(range.first > prev, `timestamp ${range.first} at or below ${prev}`);
      prev = range.first + range.count - 1;
      await c.run(100);
    }
    assert.ok(b.persists.length >= 1, "the new leader persisted its own bounds");
  } finally {
    c.stop();
  }
});
