/**
 * A node rebuilt after it lost its state, on nodes split into regions (src/server/node/
 * split_child_votes.ts, rebuild.ts): it gets region 1 back from its leader and replays its splits,
 * and the children those splits make on it hold their votes until each has caught up with its own
 * leader (`region.child_caught_up`; a child the leader's messages created first catches up as a
 * created replica does), as region 1 itself does (`rebuild.done`). Voting at once, a
 * child with an empty log could elect a replica lacking an entry this node had acknowledged before
 * the wipe (the simulator's regions seed 459 lost a committed transfer so). Afterwards every
 * region on it votes, and every key written before the wipe reads back there.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import { startCluster } from "./cluster_helpers.ts";
import { hostOf, SPLIT, splitInto, until } from "./region_split_helpers.ts";

function wipeKeepingIdentity(dir: string): void {
  for (const name of fs.readdirSync(dir)) {
    if (name !== "IDENTITY") fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}

test("region rebuild votes: a rebuilt node's split children vote only once caught up", {
  timeout: 120_000,
}, async () => {
  const lines: string[] = [];
  const victim = 3;
  const c = await startCluster(3, 20, undefined, (id) => ({
    ...SPLIT,
    log: id === victim ? (line: string) => lines.push(line) : () => {},
  }));
  try {
    await c.leader();
    const written = await splitInto(c, c.client(), 3);
    const regions = hostOf(c, 1).all().length;
    await c.stop(victim);
    wipeKeepingIdentity(c.dirs.get(victim) ?? "");
    lines.length = 0;
    await c.start(victim);
    // Region 1 replays its splits there; each child's held vote comes back once it caught up.
    await until("the rebuilt node holds every region, all voting", () => {
      const all = hostOf(c, victim).all();
      return all.length >= regions && all.every((r) => !r.group.suppressVotes) &&
        !hostOf(c, victim).adding;
    }, 60_000);
    const ids = (event: string, field: string) =>
      lines.filter((l) => l.includes(`${event} `)).map((l) =>
        new RegExp(`${field}=(\\d+)`).exec(l)?.[1]
      );
    const replayed = ids("region.split", "child");
    const held = new Set(ids("region.child_caught_up", "region"));
    const created = new Set(ids("region.replica_created", "region"));
    assert.ok(replayed.length > 0, "the rebuilt node replayed region 1's splits");
    // Children came back held: one the replay made holds its vote until caught up
    // (`region.child_caught_up`), one the leader's messages created first, waiting for its image,
    // by that path instead (region_creation.ts). Which path each takes depends on timing (a CI run
    // saw every child created first), and a child whose split was applied after its parent caught
    // up rightly votes at once (split_child_votes.ts; which children those are is the unit test's
    // to check, tests/server/split_child_votes_test.ts): here, that the children were held at all.
    assert.ok(held.size + created.size > 0, `no child held its vote: ${lines.join("\n")}`);
    const node = c.servers.get(victim)?.node;
    if (node === undefined) throw new Error("the victim runs");
    for (const [k, v] of written) {
      const read = await node.get(utf8(k), "linearizable");
      assert.equal(read.state === undefined ? undefined : fromUtf8(read.state.value), v, k);
    }
  } finally {
    await c.close();
  }
});
