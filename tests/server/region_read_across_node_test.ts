/**
 * An MGET across regions on a node that holds every region but leads neither (docs/resp.md
 * "Reads across regions"): the node's replicas apply their regions' logs each at its own pace,
 * so its current state is no snapshot across regions. The test makes the worst case happen on
 * purpose: the reader's barrier of region A passes before an MSET, its barrier of region B is held
 * (its ReadIndex answers kept back) while the MSET commits in both, and its replica of A gets none
 * of the MSET's entries (appends dropped) while its replica of B applies all of them. Read from
 * the current state, the MGET then answered b's new value beside a's old one (half an MSET); read
 * at one timestamp it answers both old or both new.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MessageType } from "../../src/raft/core/messages.ts";
import type { Message } from "../../src/raft/core/messages.ts";
import type { HostedRegion } from "../../src/server/node/region_host.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import type { TxnEnv } from "../../src/txn/lock_resolver.ts";
import type { TxnRegionClient } from "../../src/txn/region_txn.ts";
import { startCluster, type TestCluster } from "./cluster_helpers.ts";
import { hostOf, key, SPLIT, splitInto, until } from "./region_split_helpers.ts";
import { RawClient } from "./resp/resp_test_client.ts";

/** Replaces `r`'s step on its node: `keep` answers false for a message to hold back or drop. */
function filterSteps(r: HostedRegion, keep: (m: Message) => boolean): () => void {
  const raw = r.group.rawNode;
  const real = raw.step.bind(raw);
  raw.step = (m: Message) => keep(m) ? real(m) : true;
  return () => raw.step = real;
}

/** Splits `c` into regions; `a` and `b` are keys of two different ones. */
async function twoRegions(c: TestCluster): Promise<{ a: string; b: string }> {
  await c.leader();
  await splitInto(c, c.client(), 3);
  const a = key(3), regionA = hostOf(c, 1).regionFor(utf8(a))?.id;
  const b = [94, 77, 62, 48].map(key).find((k) => hostOf(c, 1).regionFor(utf8(k))?.id !== regionA);
  assert.ok(regionA !== undefined && b !== undefined, "two keys in different regions");
  return { a, b };
}

/**
 * Runs `body` on three in-process nodes split so that `a` and `b` lie in two regions; the RESP
 * clients it pushes on `clients` are closed after, and the cluster with them.
 */
function acrossTwoRegions(
  name: string,
  body: (c: TestCluster, keys: { a: string; b: string }, clients: RawClient[]) => Promise<void>,
): void {
  test(`region read across node: ${name}`, { timeout: 120_000 }, async () => {
    const c = await startCluster(3, 20, undefined, SPLIT);
    const clients: RawClient[] = [];
    try {
      await body(c, await twoRegions(c), clients);
    } finally {
      for (const x of clients) x.close();
      await c.close();
    }
  });
}

acrossTwoRegions(
  "an MGET never shows half an MSET from a lagging replica",
  async (c, { a, b }, clients) => {
    // The reader: a node leading neither region (of three nodes, one at least).
    const leads = (n: number, k: string) => hostOf(c, n).regionFor(utf8(k))?.group.rawNode.isLeader;
    const reader = [1, 2, 3].find((n) => !leads(n, a) && !leads(n, b));
    const writer = [1, 2, 3].find((n) => n !== reader);
    assert.ok(reader !== undefined && writer !== undefined);
    const port = (n: number) => c.respPorts.get(n) ?? 0;
    const [w, r] = [await RawClient.connect(port(writer)), await RawClient.connect(port(reader))];
    clients.push(w, r);
    assert.equal(await w.one("MSET", a, "0", b, "0"), "+OK\r\n");
    const here = hostOf(c, reader);
    const valueHere = (k: string) => {
      const s = here.regionFor(utf8(k))?.kv.kv.get(utf8(k));
      return s === undefined ? "" : fromUtf8(s.value);
    };
    await until("the reader applied the first MSET", () => valueHere(a) + valueHere(b) === "00");
    const [ra, rb] = [here.regionFor(utf8(a)), here.regionFor(utf8(b))];
    if (ra === undefined || rb === undefined) throw new Error("the reader lacks a region");

    // B's ReadIndex answers are held back; the MGET's barrier of A passes meanwhile.
    const held: Message[] = [];
    const restoreB = filterSteps(rb, (m) => {
      if (m.type !== MessageType.ReadIndexResp) return true;
      held.push(m);
      return false;
    });
    const mget = r.one("MGET", a, b);
    await new Promise((done) => setTimeout(done, 300));
    // A's appends to the reader are lost; the MSET commits on the other two replicas.
    const restoreA = filterSteps(ra, (m) => m.type !== MessageType.App);
    try {
      assert.equal(await w.one("MSET", a, "1", b, "1"), "+OK\r\n");
      await until("the reader's replica of B applied the MSET", () => valueHere(b) === "1");
      assert.equal(valueHere(a), "0", "the reader's replica of A has not applied it");
      assert.ok(held.length > 0, "a ReadIndex answer of B was held back");
    } finally {
      restoreA();
      restoreB();
      for (const m of held) rb.group.rawNode.step(m);
    }
    const got = await mget;
    const m = /^\*2\r\n\$1\r\n(\d)\r\n\$1\r\n(\d)\r\n$/.exec(got);
    assert.ok(m !== null, `MGET answered ${JSON.stringify(got)}`);
    assert.equal(m[1], m[2], `half an MSET: ${JSON.stringify(got)}`);
    assert.equal(await r.one("MGET", a, b), "*2\r\n$1\r\n1\r\n$1\r\n1\r\n");
  },
);

acrossTwoRegions(
  "reads across regions commit nothing; a set read falls back",
  async (c, { a, b }, clients) => {
    // Node 1 coordinates what its RESP port receives: its transactions' prewrites are counted.
    const router = c.servers.get(1)?.node.local.router;
    const deps = router?.crossRegion();
    if (router === undefined || deps === undefined) throw new Error("node 1 runs transactions");
    let prewrites = 0;
    router.crossRegion = () => ({
      ...deps,
      env: (): TxnEnv => {
        const e = deps.env(), c = e.client;
        const client: TxnRegionClient = {
          prewrite: (r, q) => (prewrites++, c.prewrite(r, q)),
          commit: (r, keys, s, ts, session) => c.commit(r, keys, s, ts, session),
          rollback: (r, keys, s) => c.rollback(r, keys, s),
          checkTxnStatus: (r, p, s, m) => c.checkTxnStatus(r, p, s, m),
          resolveLock: (r, k, s, ts) => c.resolveLock(r, k, s, ts),
          get: (r, k, ts) => c.get(r, k, ts),
          scan: (r, range, ts, n) => c.scan(r, range, ts, n),
          scanExpiredLocks: (r, n) => c.scanExpiredLocks(r, n),
        };
        return { ...e, client };
      },
    });
    const one = await RawClient.connect(c.respPorts.get(1) ?? 0);
    clients.push(one);
    assert.equal(await one.one("MSET", a, "1", b, "2"), "+OK\r\n");
    const wrote = prewrites;
    assert.ok(wrote > 0, "an MSET across regions prewrites");
    assert.equal(await one.one("MGET", a, b), "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    assert.deepEqual(
      await one.send(["MULTI"], ["GET", a], ["GET", b], ["EXEC"]),
      ["+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"],
    );
    assert.equal(prewrites, wrote, "reads across regions locked and committed nothing");
    // Sets are not what a transaction across regions carries (it never writes them): a read of
    // two sets in different regions is answered from the node's state (redis-server: `*1 y`).
    const [sa, sb] = [`${a}:s`, `${b}:s`];
    const regionOf = (k: string) => hostOf(c, 1).regionFor(utf8(k))?.id;
    assert.notEqual(regionOf(sa), regionOf(sb), "the sets lie in two regions");
    assert.equal(await one.one("SADD", sa, "x", "y"), ":2\r\n");
    assert.equal(await one.one("SADD", sb, "y", "z"), ":2\r\n");
    assert.equal(await one.one("SINTER", sa, sb), "*1\r\n$1\r\ny\r\n");
  },
);

acrossTwoRegions(
  "reads across regions close their regions with no log entry",
  async (c, { a, b }, clients) => {
    const regions = [a, b].map((k) => hostOf(c, 1).regionFor(utf8(k))?.id ?? 0);
    // Each region's entries: its highest commit index over the nodes.
    const committed = () =>
      regions.map((id) =>
        Math.max(...[1, 2, 3].map((n) => hostOf(c, n).region(id)?.group.rawNode.commitIndex ?? 0))
      );
    for (const n of [1, 2, 3]) clients.push(await RawClient.connect(c.respPorts.get(n) ?? 0));
    const ROUNDS = 10;
    let writes = 0;
    const before = committed();
    for (let i = 0; i < ROUNDS; i++) {
      // Written through one node, read through each: a read sees every write acknowledged before.
      assert.equal(await clients[i % 3].one("SET", a, `${i}`), "+OK\r\n");
      assert.equal(await clients[(i + 1) % 3].one("SET", b, `${i}`), "+OK\r\n");
      writes++;
      for (const r of clients) {
        assert.equal(await r.one("MGET", a, b), `*2\r\n$1\r\n${i}\r\n$1\r\n${i}\r\n`);
      }
    }
    const grew = committed().map((n, i) => n - before[i]);
    // One entry per SET; 30 reads closing with barriers would add about 30 more to each region.
    // A leader change while the test runs adds one entry: a little room for that.
    for (const g of grew) assert.ok(g <= writes + 3, `${ROUNDS} rounds added ${grew} entries`);
  },
);
