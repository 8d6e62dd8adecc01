/**
 * A node whose disk fills up, in the deterministic simulator (tests/sim):
 * its driver keeps the unsaved Ready and retries it, the rest of the cluster
 * keeps committing, and once space returns the node catches up with every
 * acknowledged write — also after a crash and restart. The safety checker
 * runs after every tick.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Cluster, ELECTION_TICKS } from "../sim/cluster.ts";
import { encodePut } from "../sim/kv_model.ts";
import { optionsForSeed } from "../sim/vopr.ts";
import { NoSpaceError } from "../../src/util/errors.ts";

async function electedCluster(seed: number): Promise<Cluster> {
  const c = await Cluster.create(seed, {
    ...optionsForSeed(seed, 3),
    preVote: true,
    checkQuorum: true,
    lease: false,
  });
  for (let i = 0; i < 30 * ELECTION_TICKS && c.leader() === undefined; i++) await c.step();
  assert.ok(c.leader() !== undefined, "a leader is elected");
  return c;
}

/** Proposes puts on whichever node leads, for `ticks` ticks; returns what was applied there. */
async function writeFor(c: Cluster, ticks: number, acked: Map<string, string>, tag: string) {
  for (let t = 0; t < ticks; t++) {
    const leader = c.leader();
    const node = leader?.node;
    if (leader !== undefined && node !== undefined) {
      leader.sm.onPut = (cmd) => acked.set(cmd.key, cmd.value);
      const key = `${tag}-${t}`;
      node.propose(encodePut({ client: 1000 + leader.id, seq: c.ticks + 1, key, value: key }));
    }
    await c.step();
  }
}

function assertHasAll(c: Cluster, id: number, acked: Map<string, string>): void {
  const sm = c.get(id).sm;
  for (const [k, v] of acked) assert.equal(sm.data.get(k), v, `node ${id} lacks ${k}`);
}

for (const victimRole of ["follower", "leader"] as const) {
  test(`disk full on the ${victimRole}: the cluster goes on, the node resumes, nothing lost`, async () => {
    for (const seed of [1, 2, 3]) {
      const c = await electedCluster(seed);
      const acked = new Map<string, string>();
      await writeFor(c, 20, acked, "before");
      const leaderId = c.leader()?.id ?? 0;
      const victim = victimRole === "leader"
        ? leaderId
        : [...c.nodes.keys()].find((id) => id !== leaderId) ?? 0;
      const v = c.get(victim);
      v.fs.setCapacity(v.fs.usedBytes() + 150);
      let sawFull = false;
      for (let t = 0; t < 20 * ELECTION_TICKS; t += 10) {
        await writeFor(c, 10, acked, `full${t}`);
        sawFull ||= v.node?.diskFull instanceof NoSpaceError;
      }
      assert.ok(sawFull, `seed ${seed}: the victim reported the full disk`);
      assert.equal(v.node?.failure, undefined, `seed ${seed}: a full disk does not stop the node`);
      const during = acked.size;
      assert.ok(during > 30, `seed ${seed}: the others kept committing (${during} acked)`);
      v.fs.setCapacity(undefined);
      await writeFor(c, 10 * ELECTION_TICKS, acked, "after");
      for (let i = 0; i < 10 * ELECTION_TICKS; i++) await c.step();
      assert.equal(v.node?.diskFull, undefined, `seed ${seed}: recovered`);
      for (const id of c.nodes.keys()) assertHasAll(c, id, acked);
      // What the victim acknowledged to its peers is really on its disk.
      c.crash(victim, "lose");
      assert.ok(await c.start(victim));
      for (let i = 0; i < 10 * ELECTION_TICKS; i++) await c.step();
      assertHasAll(c, victim, acked);
    }
  });
}
