/**
 * Transactions across regions coordinated by a node holding only some of them (docs/transactions.md
 * "On a node holding some regions"): three in-process nodes with `--replicas 2`, and a node that
 * holds no replica of a split region (partial_layout.ts). Through that node only (its router, or
 * RESP connections to it: a protobuf client moves to another node after a refusal): a protobuf
 * `batch` and `txn` over its own and the other region land at one revision in both; a compare of
 * a key held elsewhere decides the branch; an ordinary write of a compared key after the start
 * timestamp makes the prewrite conflict and the retry answers the failure branch (serializable);
 * RESP MSET, MULTI/EXEC and WATCH across both (a watched key changed by another node's client
 * aborts EXEC); bank transfers from the node (protobuf and RESP WATCH/MULTI/EXEC) and from another
 * node at once, read whole at one timestamp by the node, never change the total; a coordinator
 * dead after its commit point is rolled forward by readers, one dead before it answers TIMEOUT
 * and is rolled back; after the region held elsewhere splits (the node's route to it stale), a
 * batch over all its keys still lands at one revision (its stale route replaced from the
 * refusal, not asked of placement again and again).
 *
 * Retries, for a loaded machine: a RESP command sent again only when it answered TRYAGAIN (not
 * applied), and a WATCH scenario again from its WATCH (a refused EXEC ended the WATCH).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { ErrorCode, TxnRequestSchema } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import type { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { type TxnSpec, txnToWire } from "../../src/client/txn.ts";
import type { CommandInit } from "../../src/kv/command_codec.ts";
import { type CommandOutcome, ServiceError } from "../../src/server/kv_service.ts";
import { crossRegionTxn, type CrossRegionTxnDeps } from "../../src/server/node/cross_region_txn.ts";
import type { RegionRouter } from "../../src/server/node/region_router.ts";
import type { TxnEnv } from "../../src/txn/lock_resolver.ts";
import type { TxnRegionClient } from "../../src/txn/region_txn.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import { startCluster, type TestCluster } from "./cluster_helpers.ts";
import { PARTIAL, partialLayout } from "./partial_layout.ts";
import { noise, until } from "./region_split_helpers.ts";
import { RawClient } from "./resp/resp_test_client.ts";

const OK = "+OK\r\n", QUEUED = "+QUEUED\r\n";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function routerOf(c: TestCluster, id: number): RegionRouter {
  const s = c.servers.get(id);
  if (s === undefined) throw new Error(`node ${id} is not running`);
  return s.node.local.router;
}

async function resp(c: TestCluster, node: number): Promise<RawClient> {
  const port = c.respPorts.get(node);
  if (port === undefined) throw new Error(`node ${node} has no RESP port`);
  return await RawClient.connect(port);
}

/**
 * `commands`, sent again while a reply is TRYAGAIN (not applied), at most 20 times. Not for an
 * EXEC whose WATCH is not among them (watchedExec).
 */
async function run(client: RawClient, ...commands: string[][]): Promise<string> {
  for (let attempt = 1;; attempt++) {
    const replies = await client.send(...commands);
    if (!replies.some((r) => r.startsWith("-TRYAGAIN")) || attempt >= 20) return replies.join("");
    await sleep(100);
  }
}

const bulk = (v: string) => `$${v.length}\r\n${v}\r\n`;

/** `op`, tried again while it fails retryably (elections on a loaded machine), at most 10 times. */
async function retrying<T>(op: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (attempt >= 10) throw err;
      await sleep(100);
    }
  }
}

/**
 * `body` run by node `id`'s router, as its service would: no client in between (a client moves
 * to another node after a refusal, and this test is about what this node does).
 */
function onNode(c: TestCluster, id: number, body: CommandInit["body"]): Promise<CommandOutcome> {
  return retrying(() => routerOf(c, id).execute({ body }));
}

/** A `batch` of puts run by node `id`: its revision. */
async function batchOn(c: TestCluster, id: number, keys: string[], value: string) {
  const ops = keys.map((k) => ({
    op: { case: "put" as const, value: { key: utf8(k), value: utf8(value) } },
  }));
  const out = await onNode(c, id, { case: "batch", value: { ops } });
  if (out.case !== "write") throw new Error(`a batch answered ${out.case}`);
  return Number(out.value.revision);
}

/** A `txn` run by node `id`: whether its compares held, and its revision. */
async function txnOn(c: TestCluster, id: number, spec: TxnSpec) {
  const out = await onNode(c, id, { case: "txn", value: txnToWire(spec) });
  if (out.case !== "txn") throw new Error(`a txn answered ${out.case}`);
  return { succeeded: out.value.succeeded, revision: Number(out.value.revision) };
}

/**
 * WATCH of `watched` on `r1`, a SET through `r2` (another node), then `block` in MULTI/EXEC on
 * `r1`: MULTI's to EXEC's replies. An EXEC answered TRYAGAIN did nothing and, as every EXEC, ended
 * the WATCH: the whole is run again from the WATCH (at most 10 times), never the EXEC alone.
 */
async function watchedExec(
  r1: RawClient,
  r2: RawClient,
  watched: string[],
  set: [string, string],
  block: string[][],
): Promise<string> {
  for (let attempt = 1;; attempt++) {
    assert.equal(await run(r1, ["WATCH", ...watched]), OK);
    assert.equal(await run(r2, ["SET", ...set]), OK);
    const replies = await r1.send(["MULTI"], ...block, ["EXEC"]);
    if (!replies.some((r) => r.startsWith("-TRYAGAIN")) || attempt >= 10) return replies.join("");
    await sleep(100);
  }
}

/** Every account's balance, read by one transaction (one start timestamp) through `client`. */
async function balances(client: TinyKvClient, accounts: readonly string[]): Promise<number[]> {
  const r = await client.txn({ success: accounts.map((k) => ({ range: { key: k } })) });
  return r.results.map((x) => {
    if (!("range" in x)) throw new Error("not a range");
    return Number(fromUtf8(x.range.kvs[0]?.value ?? utf8("0")));
  });
}

/** Moves 5 from `from` to `to` if both are unchanged since read (protobuf txn). */
async function transfer(client: TinyKvClient, from: string, to: string): Promise<boolean> {
  const [a, b] = await Promise.all([client.getEntry(from), client.getEntry(to)]);
  if (a === undefined || b === undefined) throw new Error("an account is missing");
  const r = await client.txn({
    compare: [
      { key: from, target: "modRevision", result: "=", number: a.modRevision },
      { key: to, target: "modRevision", result: "=", number: b.modRevision },
    ],
    success: [
      { put: { key: from, value: String(Number(fromUtf8(a.value)) - 5) } },
      { put: { key: to, value: String(Number(fromUtf8(b.value)) + 5) } },
    ],
  });
  return r.succeeded;
}

/**
 * Moves 5 from `from` to `to` with WATCH, GET and MULTI/EXEC; false when EXEC aborted. WATCH and
 * the GETs go in one pipeline: the GETs must read after WATCH took its tokens (as in Redis).
 */
async function respTransfer(client: RawClient, from: string, to: string): Promise<boolean> {
  const got = await client.send(["WATCH", from, to], ["GET", from], ["GET", to]);
  const value = (r: string) => Number(/^\$\d+\r\n(-?\d+)\r\n$/.exec(r)?.[1] ?? "NaN");
  const [a, b] = [value(got[1] ?? ""), value(got[2] ?? "")];
  if (got[0] !== OK || Number.isNaN(a) || Number.isNaN(b)) {
    await client.send(["UNWATCH"]);
    return false;
  }
  const exec = await client.send(
    ["MULTI"],
    ["SET", from, String(a - 5)],
    ["SET", to, String(b + 5)],
    ["EXEC"],
  );
  return exec.join("") === OK + QUEUED + QUEUED + "*2\r\n" + OK + OK;
}

/** A router whose transactions lose the commits `lose` picks, and every rollback (a crash). */
function losingCommits(router: RegionRouter, lose: (nth: number) => boolean) {
  const deps = router.crossRegion();
  if (deps === undefined) throw new Error("no transactions across regions on this node");
  let commits = 0;
  const env = (): TxnEnv => {
    const e = deps.env(), c = e.client;
    const client: TxnRegionClient = {
      prewrite: (r, q) => c.prewrite(r, q),
      commit: (r, keys, s, ts, session) =>
        lose(++commits)
          ? Promise.reject(new Error("the coordinator died"))
          : c.commit(r, keys, s, ts, session),
      rollback: () => Promise.reject(new Error("the coordinator died")),
      checkTxnStatus: (r, p, s, m) => c.checkTxnStatus(r, p, s, m),
      resolveLock: (r, k, s, ts) => c.resolveLock(r, k, s, ts),
      get: (r, k, ts) => c.get(r, k, ts),
      scan: (r, range, ts, n) => c.scan(r, range, ts, n),
      scanExpiredLocks: (r, n) => c.scanExpiredLocks(r, n),
    };
    return { ...e, client };
  };
  return { ...deps, env };
}

/** GET of `k` through `client` until it answers `want` (a dead coordinator's locks wait). */
async function eventually(client: TinyKvClient, k: string, want: string): Promise<void> {
  let got = "";
  for (let i = 0; i < 100; i++) {
    got = await client.get(k).then((v) => fromUtf8(v ?? utf8("")), () => "(error)");
    if (got === want) return;
    await sleep(100);
  }
  assert.equal(got, want, `GET ${k}`);
}

test("region remote txn node: txn and MULTI/EXEC across regions on a node holding some", {
  timeout: 300_000,
}, async () => {
  const c = await startCluster(3, 20, undefined, PARTIAL);
  const clients: RawClient[] = [];
  try {
    await c.leader();
    const { node, region, away, here } = await partialLayout(c, c.client());
    assert.ok(away.length >= 2 && here.length >= 2, `keys ${away} away, ${here} here`);
    const host = c.servers.get(node)?.node.local.host;
    assert.equal(host?.region(region.id), undefined, `node ${node} lacks region ${region.id}`);
    const one = c.client([node]);
    const others = [...c.servers.keys()].filter((id) => id !== node);
    const other = c.client(region.replicas.map((p) => p.nodeId));

    // A batch and a txn over both: one revision in both regions.
    const [x, y] = [away[0], here[0]];
    const funded = await batchOn(c, node, [x, y], "0");
    for (const k of [x, y]) assert.equal((await other.getEntry(k))?.modRevision, funded, k);
    const moved = await txnOn(c, node, {
      compare: [{ key: x, target: "value", result: "=", value: "0" }],
      success: [{ put: { key: x, value: "1" } }, { put: { key: y, value: "1" } }],
    });
    assert.ok(moved.succeeded, "the compare of a key held elsewhere held");
    const [ex, ey] = await Promise.all([other.getEntry(x), other.getEntry(y)]);
    assert.deepEqual([ex?.value, ey?.value].map((v) => fromUtf8(v ?? utf8(""))), ["1", "1"]);
    assert.equal(ex?.modRevision, moved.revision);
    assert.equal(ey?.modRevision, moved.revision);
    const failed = await txnOn(c, node, {
      compare: [{ key: x, target: "value", result: "=", value: "0" }],
      success: [{ put: { key: y, value: "no" } }],
      failure: [{ range: { key: x } }, { range: { key: y } }],
    });
    assert.equal(failed.succeeded, false, "x is no longer 0");

    // A write of the compared key after the start timestamp (by another node's client): the
    // prewrite conflicts, and the retry reads the new value and answers the failure branch.
    const router = routerOf(c, node);
    const deps = router.crossRegion();
    if (deps === undefined) throw new Error("no transactions across regions");
    let reads = 0;
    const racing: CrossRegionTxnDeps = {
      ...deps,
      read: async (keys, ts) => {
        const got = await deps.read(keys, ts);
        if (++reads === 1) await retrying(() => other.put(x, "changed"));
        return got;
      },
    };
    const racedTxn = txnToWire({
      compare: [{ key: x, target: "value", result: "=", value: "1" }],
      success: [{ put: { key: y, value: "stale" } }],
    });
    const raced = await retrying(() => crossRegionTxn(racing, create(TxnRequestSchema, racedTxn)));
    assert.ok(raced.case === "txn" && !raced.value.succeeded, "a change after the start is seen");
    assert.ok(reads >= 2, `read again at a new timestamp (${reads} reads)`);
    assert.equal(fromUtf8((await other.get(y)) ?? utf8("")), "1", "y kept its value");

    // RESP on the node: MSET, MULTI/EXEC, WATCH across both regions.
    const r1 = await resp(c, node), r2 = await resp(c, others[0]);
    clients.push(r1, r2);
    assert.equal(await run(r1, ["MSET", x, "a", y, "b"]), OK);
    assert.equal(await run(r2, ["MGET", x, y]), "*2\r\n" + bulk("a") + bulk("b"));
    assert.equal(
      await run(r1, ["MULTI"], ["GET", x], ["SET", x, "c"], ["SET", y, "d"], ["EXEC"]),
      OK + QUEUED.repeat(3) + "*3\r\n" + bulk("a") + OK + OK,
    );
    const [mx, my] = await Promise.all([other.getEntry(x), other.getEntry(y)]);
    assert.equal(mx?.modRevision, my?.modRevision, "EXEC at one revision in both regions");
    assert.equal(
      await watchedExec(r1, r2, [x, y], [x, "other"], [["SET", y, "w"]]),
      OK + QUEUED + "*-1\r\n",
    );
    assert.equal(await run(r1, ["GET", y]), bulk("d"));
    assert.equal(
      await run(r1, ["WATCH", x, y], ["MULTI"], ["SET", y, "w"], ["SET", x, "v"], ["EXEC"]),
      OK + OK + QUEUED + QUEUED + "*2\r\n" + OK + OK,
    );
    assert.equal(await run(r2, ["MGET", x, y]), "*2\r\n" + bulk("v") + bulk("w"));
    // A block of the region held elsewhere alone is sent on: its tokens, read by that region for
    // WATCH, are the ones its replicas compare.
    assert.equal(
      await run(r1, ["WATCH", x], ["MULTI"], ["SET", x, "solo"], ["EXEC"]),
      OK + OK + QUEUED + "*1\r\n" + OK,
    );
    assert.equal(
      await watchedExec(r1, r2, [x], [x, "other"], [["SET", x, "lost"]]),
      OK + QUEUED + "*-1\r\n",
    );
    assert.equal(await run(r2, ["GET", x]), bulk("other"));

    // A bank over both regions: transfers from the node (protobuf and RESP) and from another
    // node; the node reads every account at one timestamp, and the total never changes.
    const accounts = [...away.slice(0, 2), ...here.slice(0, 2)];
    const START = 100, TOTAL = START * accounts.length;
    await retrying(() => one.batch(accounts.map((k) => ({ type: "put", key: k, value: "100" }))));
    let stop = false, checks = 0;
    const reader = (async () => {
      for (let i = 0; i < 300 && !stop; i++) {
        const seen = await balances(one, accounts).catch(() => undefined);
        if (seen === undefined) continue; // refused, retryable: a lock waited out too long
        assert.equal(seen.reduce((s, n) => s + n, 0), TOTAL, `read ${i}: ${seen}`);
        checks++;
      }
    })();
    const pair = (seed: number, n: number) => {
      const from = accounts[(seed + n) % accounts.length];
      return [from, accounts[(seed + n * 3 + 1) % accounts.length]];
    };
    // Each worker goes on until 3 of its transfers committed (at most 40 tries): WATCH's are the
    // slowest and lose most races, so a fixed count of tries could leave them none.
    const worker = async (seed: number, move: (from: string, to: string) => Promise<boolean>) => {
      let done = 0;
      for (let n = 0; n < 40 && done < 3; n++) {
        const [from, to] = pair(seed, n);
        if (from !== to && await move(from, to).catch(() => false)) done++;
      }
      return done;
    };
    const r3 = await resp(c, node);
    clients.push(r3);
    const counts = await Promise.all([
      worker(0, (f, t) => transfer(one, f, t)),
      worker(1, (f, t) => transfer(c.client([others[0]]), f, t)),
      worker(2, (f, t) => respTransfer(r3, f, t)),
    ]);
    stop = true;
    await reader;
    assert.ok(counts.every((n) => n > 0), `transfers committed: ${counts}`);
    assert.ok(checks > 0, "the reader read");
    const final = await retrying(() => balances(other, accounts));
    assert.equal(final.reduce((s, n) => s + n, 0), TOTAL, `final ${final}`);

    // A coordinator dead after its commit point: readers roll the rest forward.
    const [p, s] = [x, y].sort();
    const txn = (value: string) =>
      create(TxnRequestSchema, {
        success: [p, s].map((k) => ({
          op: { case: "put" as const, value: { key: utf8(k), value: utf8(value) } },
        })),
      });
    await retrying(() => crossRegionTxn(losingCommits(router, (nth) => nth > 1), txn("forward")));
    await eventually(other, s, "forward");
    await eventually(one, p, "forward");
    // Dead before it: the commit's outcome is unknown (TIMEOUT); the locks' TTL passes and
    // readers roll it back. (UNAVAILABLE, before the commit point: no timestamp, say; again.)
    for (let attempt = 1;; attempt++) {
      const err = await crossRegionTxn(losingCommits(router, () => true), txn("back")).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (err instanceof ServiceError && err.code === ErrorCode.TIMEOUT) break;
      const passing = err instanceof ServiceError && err.code === ErrorCode.UNAVAILABLE;
      assert.ok(passing && attempt < 10, `the dead coordinator answered ${err}`);
      await sleep(200);
    }
    await eventually(one, s, "forward");
    await eventually(other, p, "forward");

    // The region held elsewhere splits under the node's cached route to it: the stale route is
    // refused, refreshed from placement, and the transaction still commits in every region.
    const splitting = away;
    for (const srv of c.servers.values()) srv.node.local.splitCheck.start();
    // The newest version any replica applied (a leader may be electing at any moment).
    const epochOf = () =>
      Math.max(
        0,
        ...[...c.servers.values()].flatMap((srv) => srv.node.local.host.all())
          .filter((r) => r.id === region.id).map((r) => r.kv.descriptor.epoch.version),
      );
    const epoch = region.epoch.version;
    // Written until it splits (a split waits for a child id from placement, slow under load).
    for (let i = 0; i < 1500 && epochOf() <= epoch; i++) {
      await retrying(() => other.put(splitting[i % splitting.length], `g${i}-${noise(120)}`));
    }
    await until(`region ${region.id} split`, () => epochOf() > epoch, 30_000);
    for (const srv of c.servers.values()) srv.node.local.splitCheck.stop();
    const led = () =>
      [...c.servers.values()].every((srv) =>
        srv.node.local.host.all().every((r) => r.group.rawNode.lead !== 0)
      );
    await until("every region has a leader after the split", led, 30_000);
    const after = [...away, y];
    const done = await batchOn(c, node, after, "after");
    for (const k of after) {
      assert.equal((await other.getEntry(k))?.modRevision, done, `${k} at the batch's revision`);
    }
  } finally {
    for (const r of clients) r.close();
    await c.close();
  }
});
