/**
 * Region split as a Raft command of the region (src/kv/region_apply.ts,
 * src/raft/multi/split_child.ts; docs/regions.md "The split command"): three nodes on a lossy
 * network, one engine each shared by the regions' KV state machines.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  decodeRegionOutcome,
  encodeRegionCommand,
  type RegionOutcome,
} from "../../src/kv/region_command.ts";
import { readAllDescriptors, readDescriptor } from "../../src/kv/region_descriptor_record.ts";
import type { RegionEpoch, Replica } from "../../src/region/descriptor.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { b, dump, put } from "./kv_helpers.ts";
import { RegionCluster } from "./region_cluster.ts";

const LEFT = ["a", "c", "e", "g", "k"], RIGHT = ["m", "p", "s", "v", "x"];

const VOTERS: Replica[] = [1, 2, 3].map((nodeId) => ({ nodeId, role: "voter" }));
const split = (
  regionId: number,
  epoch: RegionEpoch,
  key: string,
  newRegionId: number,
  replicas = VOTERS,
) =>
  encodeRegionCommand({ kind: "split", regionId, epoch, splitKey: b(key), newRegionId, replicas });
const routed = (regionId: number, epoch: RegionEpoch, command: Uint8Array) =>
  encodeRegionCommand({ kind: "routed", regionId, epoch, command });
const V2 = { version: 2, confVer: 1 };

function outcome(bytes: Uint8Array): RegionOutcome | undefined {
  return decodeRegionOutcome(bytes);
}

/** A cluster with LEFT and RIGHT written to region 1, then split at "m" into region 2. */
async function splitCluster(seed: number, before?: (c: RegionCluster) => void) {
  const c = await RegionCluster.start(seed, 0.1);
  for (const k of [...LEFT, ...RIGHT]) await c.propose(1, put(k, `v-${k}`));
  before?.(c);
  const o = outcome(await c.propose(1, split(1, { version: 1, confVer: 1 }, "m", 2)));
  assert.equal(o?.kind, "split");
  return c;
}

function value(c: RegionCluster, n: number, region: number, key: string): string | undefined {
  const s = c.sm(n, region)?.kv.kv.get(b(key));
  return s === undefined ? undefined : fromUtf8(s.value);
}

test("region split: both halves take writes; every replica has the data and descriptors", async () => {
  const c = await splitCluster(8);
  // The parent's leader campaigns for the child at once: a leader before any election timeout
  // (10 ticks) could have elected one.
  await c.until(() => c.leaderOf(2) !== 0, 5, "child leader");
  assert.equal(c.leaderOf(2), c.leaderOf(1));
  await c.until(() => c.nodes.every((n) => n.driver.region(2) !== undefined), 100, "child");
  assert.equal(outcome(await c.propose(1, routed(1, V2, put("b", "left")))), undefined);
  assert.equal(outcome(await c.propose(2, routed(2, V2, put("n", "right")))), undefined);
  await c.propose(2, put("z", "plain")); // an unrouted command still applies
  await c.settle(1);
  await c.settle(2);
  for (const n of c.voters) {
    const db = c.node(n).db;
    const [one, two] = [readDescriptor(db, 1), readDescriptor(db, 2)];
    assert.deepEqual([one?.start, one?.end, one?.epoch], [b(""), b("m"), V2], `n${n} r1`);
    assert.deepEqual([two?.start, two?.end, two?.epoch], [b("m"), b(""), V2], `n${n} r2`);
    assert.deepEqual([two?.replicas, one?.replicas], [VOTERS, VOTERS]);
    assert.deepEqual(readAllDescriptors(db).map((d) => d.id), [1, 2]);
    const [left, right] = [c.sm(n, 1)?.kv, c.sm(n, 2)?.kv];
    assert.deepEqual(left?.descriptor, one);
    assert.deepEqual(right?.descriptor, two);
    assert.deepEqual([left?.kv.keyCount, right?.kv.keyCount], [6, 7], `n${n} recounted halves`);
    // The child reads its keys' versions from before the split in the parent's feed.
    const atSplit = right?.kv.history.lineage[0]?.splitRevision ?? 0;
    assert.ok(atSplit > 0 && right?.kv.compactedRevision === 0);
    assert.equal(fromUtf8((await right!.kv.getAt(b("p"), atSplit))?.value ?? b("")), "v-p");
    assert.equal(fromUtf8((await left!.kv.getAt(b("a"), atSplit))?.value ?? b("")), "v-a");
    assert.equal(await left!.kv.getAt(b("p"), atSplit), undefined, "the child owns p");
    assert.equal(value(c, n, 1, "b"), "left");
    assert.equal(value(c, n, 2, "n"), "right");
    for (const k of [...LEFT, ...RIGHT]) assert.equal(value(c, n, 1, k), `v-${k}`);
    // The child's applied index started at the split's and moved with its own log.
    assert.ok((right?.kv.appliedIndex ?? 0) > (left?.kv.appliedIndex ?? 0) - 20);
  }
  const [d1, d2, d3] = await Promise.all(c.nodes.map((n) => dump(n.db)));
  assert.deepEqual(d2, d1, "replicas' engines agree");
  assert.deepEqual(d3, d1, "replicas' engines agree");
});

test("region split: stale epochs, keys outside the range and bad splits are refused", async () => {
  const c = await splitCluster(4);
  const stale = outcome(await c.propose(1, split(1, { version: 1, confVer: 1 }, "f", 3)));
  assert.equal(stale?.kind, "epoch-not-match");
  if (stale?.kind === "epoch-not-match") assert.deepEqual(stale.current.epoch, V2);
  const outside = outcome(await c.propose(2, split(2, V2, "c", 3)));
  assert.equal(outside?.kind, "key-not-in-region");
  const atStart = outcome(await c.propose(2, split(2, V2, "m", 3)));
  assert.equal(atStart?.kind, "key-not-in-region", "a split at the start leaves an empty half");
  const wrong = outcome(await c.propose(2, split(1, V2, "q", 3)));
  assert.deepEqual(wrong, { kind: "region-not-found", regionId: 1 });
  const self = outcome(await c.propose(2, split(2, V2, "q", 2)));
  assert.equal(self?.kind, "invalid");
  const noVoter = outcome(await c.propose(2, split(2, V2, "q", 3, [])));
  assert.equal(noVoter?.kind, "invalid");
  // Writes: a key of the other half, a stale epoch.
  const notHere = outcome(await c.propose(1, routed(1, V2, put("q", "x"))));
  assert.equal(notHere?.kind, "key-not-in-region");
  if (notHere?.kind === "key-not-in-region") assert.deepEqual(notHere.region.end, b("m"));
  // A transaction routed to the parent (by a node that had not applied the split) for the
  // child's key: refused, not written into the parent's change feed.
  const txn = put("", "", {
    body: {
      case: "txn",
      value: {
        success: [{ op: { case: "put", value: { key: b("q"), value: b("x") } } }],
      },
    },
  });
  const txnHere = outcome(await c.propose(1, routed(1, V2, txn)));
  assert.equal(txnHere?.kind, "key-not-in-region", "a transaction's keys are checked too");
  const old = outcome(await c.propose(2, routed(2, { version: 1, confVer: 1 }, put("q", "x"))));
  assert.equal(old?.kind, "epoch-not-match");
  const garbage = outcome(await c.propose(2, new Uint8Array([0, 9, 1])));
  assert.equal(garbage?.kind, "invalid");
  await c.settle(2);
  for (const n of c.voters) {
    assert.deepEqual(readAllDescriptors(c.node(n).db).map((d) => d.id), [1, 2], `n${n}`);
    assert.equal(value(c, n, 2, "q"), undefined, "refused writes changed nothing");
    assert.equal(c.node(n).driver.region(3), undefined);
    // Reads check their key too.
    assert.equal(c.sm(n, 2)?.kv.checkRead(b("a"))?.kind, "key-not-in-region");
    assert.equal(c.sm(n, 2)?.kv.checkRead(b("q")), undefined);
    assert.equal(
      c.sm(n, 1)?.kv.checkRead(b("a"), { version: 1, confVer: 1 })?.kind,
      "epoch-not-match",
    );
  }
});

test("region split: a node's region 1 refuses a plain command after its first split", async () => {
  // Nodes stamp and route their commands from region 1's first split on (stamping.ts); a plain
  // one the log holds after the split came from a leader that had not applied it yet.
  const c = await splitCluster(5, (c) => {
    for (const n of c.voters) {
      const kv = c.sm(n, 1)?.kv;
      if (kv !== undefined) kv.refusesPlainAfterSplit = true;
    }
  });
  for (const k of ["b", "q"]) {
    // A stale route: the node routes it again (stamped, now that it applied the split).
    const o = outcome(await c.propose(1, put(k, "late")));
    assert.equal(o?.kind, "epoch-not-match", k);
    if (o?.kind === "epoch-not-match") assert.deepEqual(o.current.epoch, V2);
  }
  assert.equal(outcome(await c.propose(1, routed(1, V2, put("b", "routed")))), undefined);
  await c.settle(1);
  for (const n of c.voters) {
    assert.equal(value(c, n, 1, "b"), "routed", `n${n}: the routed write applied`);
    assert.equal(value(c, n, 1, "q"), undefined, `n${n}: the late plain write changed nothing`);
    assert.equal(value(c, n, 1, "a"), "v-a", "plain writes before the split applied");
  }
});

test("region split: a partitioned node catches up by log and creates the child", async () => {
  const c = await splitCluster(5, (c) => c.kill(3));
  await c.propose(2, routed(2, V2, put("q", "while-away")));
  await c.propose(1, routed(1, V2, put("d", "while-away")));
  assert.equal(c.node(3).driver.region(2), undefined);
  c.down.delete(3);
  await c.settle(1);
  await c.settle(2);
  const three = c.node(3);
  assert.ok(three.driver.region(2) !== undefined, "the child exists once the split applied");
  assert.ok(three.driver.droppedMessages > 0, "the child's messages before it were dropped");
  assert.equal(value(c, 3, 2, "q"), "while-away");
  assert.equal(value(c, 3, 1, "d"), "while-away");
  assert.deepEqual(await dump(three.db), await dump(c.node(1).db));
});

for (const flushed of [true, false]) {
  const how = flushed ? "from its descriptors" : "by replaying the split (the engine lost it)";
  test(`region split: a node restarted after a crash has both regions ${how}`, async () => {
    const c = await splitCluster(6);
    await c.propose(2, routed(2, V2, put("q", "before-crash")));
    await c.settle(2);
    if (flushed) await c.node(2).db.flush(); // the split batch is in a table
    c.kill(2);
    c.node(2).world.fs.crash("lose");
    await c.open(c.node(2));
    const ids = () => c.node(2).driver.regionIds().sort();
    assert.deepEqual(ids(), flushed ? [1, 2] : [1]);
    await c.propose(2, routed(2, V2, put("r", "after-restart")));
    await c.propose(1, routed(1, V2, put("f", "after-restart")));
    await c.settle(1);
    await c.settle(2);
    assert.deepEqual(ids(), [1, 2]);
    assert.equal(value(c, 2, 2, "q"), "before-crash");
    assert.equal(value(c, 2, 2, "r"), "after-restart");
    assert.equal(value(c, 2, 1, "f"), "after-restart");
    for (const k of [...LEFT, ...RIGHT]) assert.equal(value(c, 2, 1, k), `v-${k}`);
    assert.deepEqual(c.sm(2, 2)?.kv.descriptor, c.sm(1, 2)?.kv.descriptor);
    assert.deepEqual(await dump(c.node(2).db), await dump(c.node(1).db));
  });
}
