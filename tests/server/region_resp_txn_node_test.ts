/**
 * RESP commands whose keys lie in more than one region, on three in-process nodes split into
 * several regions (docs/transactions.md "Redis commands across regions"): MULTI/EXEC, WATCH,
 * MSET, MSETNX, DEL, UNLINK, EXISTS, RENAME and RENAMENX run as transactions across regions, with
 * the replies redis-server 7.0.15 gave byte for byte for the same commands on the same keys
 * (recorded, quoted below); their writes land at one revision in every region; a WATCHed key
 * changed by another client on another node makes EXEC answer the null array; MSETs never show
 * half applied to readers on another node; a coordinator dead after its commit point is rolled
 * forward by readers, one dead before it rolled back; what a transaction cannot carry (an
 * expiry) is refused whole; a prewrite conflicts with a hash made after its start.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import type { TxnEnv } from "../../src/txn/lock_resolver.ts";
import type { TxnRegionClient } from "../../src/txn/region_txn.ts";
import type { RegionRouter } from "../../src/server/node/region_router.ts";
import { startCluster, type TestCluster } from "./cluster_helpers.ts";
import { hostOf, key, SPLIT, splitInto } from "./region_split_helpers.ts";
import { RawClient } from "./resp/resp_test_client.ts";

function regionOf(c: TestCluster, k: string): number {
  return hostOf(c, 1).regionFor(utf8(k))?.id ?? 0;
}

async function resp(c: TestCluster, node: number): Promise<RawClient> {
  const port = c.respPorts.get(node);
  if (port === undefined) throw new Error(`node ${node} has no RESP port`);
  return await RawClient.connect(port);
}

/**
 * Sends `commands`, again while a reply is TRYAGAIN (that command was not applied: a leader
 * election on a loaded machine, or a transaction that kept conflicting), at most 20 times.
 */
async function retried(client: RawClient, ...commands: string[][]): Promise<string[]> {
  for (let attempt = 1;; attempt++) {
    const replies = await client.send(...commands);
    if (!replies.some((r) => r.startsWith("-TRYAGAIN")) || attempt >= 20) return replies;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The commands' replies, joined. */
async function run(client: RawClient, ...commands: string[][]): Promise<string> {
  return (await retried(client, ...commands)).join("");
}

/** One command's reply. */
async function ask(client: RawClient, ...args: string[]): Promise<string> {
  return (await retried(client, args))[0] ?? "";
}

const OK = "+OK\r\n", QUEUED = "+QUEUED\r\n";
const NOT_INTEGER = "-ERR value is not an integer or out of range\r\n";
const WRONGTYPE = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

/** A region router whose transactions across regions lose their commits (a dead coordinator). */
function losingCommits(router: RegionRouter, lose: (nth: number) => boolean): () => void {
  const real = router.crossRegion;
  const deps = real();
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
  router.crossRegion = () => ({ ...deps, env });
  return () => router.crossRegion = real;
}

/** GET through `client` until it answers `want` (locks of a dead coordinator wait their TTL). */
async function eventually(client: RawClient, k: string, want: string): Promise<void> {
  let got = "";
  for (let i = 0; i < 100; i++) {
    got = await client.one("GET", k);
    if (got === want) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(got, want, `GET ${k}`);
}

test("region resp txn node: MULTI/EXEC, WATCH and multi-key commands across regions", {
  timeout: 120_000,
}, async () => {
  const c = await startCluster(3, 20, undefined, SPLIT);
  const clients: RawClient[] = [];
  try {
    await c.leader();
    const client = c.client();
    await splitInto(c, client, 3);
    const a = key(3);
    const b = [94, 77, 62, 48].map(key).find((k) => regionOf(c, k) !== regionOf(c, a)) ?? "";
    assert.ok(b !== "", "two keys in different regions");
    const cKey = `${b}:c`, h = `${a}:h`;
    const [one, two, three] = [await resp(c, 1), await resp(c, 2), await resp(c, 3)];
    clients.push(one, two, three);

    // MULTI/EXEC over both regions: an error inside EXEC is that command's reply, the rest
    // apply (redis-server: the same bytes).
    assert.equal(await run(one, ["SET", a, "abc"], ["SET", b, "5"]), OK + OK);
    assert.equal(
      await run(one, ["MULTI"], ["INCR", a], ["INCRBY", b, "5"], ["GET", b], ["SET", cKey, "c"], [
        "EXEC",
      ]),
      OK + QUEUED.repeat(4) + "*4\r\n" + NOT_INTEGER + ":10\r\n$2\r\n10\r\n" + OK,
    );
    assert.equal(await ask(three, "GET", b), "$2\r\n10\r\n");
    assert.equal(await ask(three, "GET", a), "$3\r\nabc\r\n");
    // One transaction: its writes carry one revision in both regions.
    assert.equal(
      await run(one, ["MULTI"], ["SET", a, "x"], ["SET", b, "y"], ["EXEC"]),
      OK + QUEUED + QUEUED + "*2\r\n" + OK + OK,
    );
    const [ea, eb] = await Promise.all([client.getEntry(a), client.getEntry(b)]);
    assert.equal(fromUtf8(ea?.value ?? utf8("")) + fromUtf8(eb?.value ?? utf8("")), "xy");
    assert.equal(ea?.modRevision, eb?.modRevision, "one revision in both regions");

    // WATCH: a watched key changed by a client of another node aborts EXEC (the null array),
    // nothing of it applied; unchanged, EXEC applies.
    assert.equal(await run(one, ["SET", a, "1"], ["SET", b, "1"]), OK + OK);
    assert.equal(await ask(one, "WATCH", a, b), OK);
    assert.equal(await ask(two, "SET", a, "other"), OK);
    assert.equal(
      await run(one, ["MULTI"], ["SET", b, "w"], ["EXEC"], ["GET", b]),
      OK + QUEUED + "*-1\r\n" + "$1\r\n1\r\n",
    );
    assert.equal(
      await run(one, ["WATCH", a, b], ["MULTI"], ["SET", b, "w"], ["INCR", a], ["EXEC"]),
      OK + OK + QUEUED + QUEUED + "*2\r\n" + OK + NOT_INTEGER,
    );
    assert.equal(await ask(three, "GET", b), "$1\r\nw\r\n");
    // WRONGTYPE inside EXEC, from a hash in database 0 (region of `a`).
    assert.equal(await ask(one, "HSET", h, "f", "v"), ":1\r\n");
    assert.equal(
      await run(one, ["MULTI"], ["GET", h], ["SET", b, "z"], ["EXEC"]),
      OK + QUEUED + QUEUED + "*2\r\n" + WRONGTYPE + OK,
    );

    // Multi-key commands (redis-server: the same bytes).
    assert.equal(await ask(one, "MSET", a, "1", b, "2"), OK);
    const [ma, mb] = await Promise.all([client.getEntry(a), client.getEntry(b)]);
    assert.equal(ma?.modRevision, mb?.modRevision, "MSET at one revision");
    assert.equal(await ask(one, "MSETNX", a, "9", `${cKey}z`, "9"), ":0\r\n");
    assert.equal(
      await ask(three, "MGET", a, b, `${cKey}z`),
      "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n",
    );
    assert.equal(await ask(one, "DEL", a, b, `${cKey}z`), ":2\r\n");
    assert.equal(
      await run(
        one,
        ["SET", a, "v"],
        ["RENAME", a, b],
        ["GET", b],
        ["EXISTS", a, b],
        [
          "RENAMENX",
          b,
          a,
        ],
        ["RENAMENX", a, b],
        ["EXISTS", a, b],
      ),
      OK + OK + "$1\r\nv\r\n" + ":1\r\n" + ":1\r\n" + ":1\r\n" + ":1\r\n",
    );
    assert.equal(await ask(one, "RENAME", a, b), "-ERR no such key\r\n");
    assert.equal(await ask(one, "UNLINK", a, b), ":1\r\n");

    // MSETs from node 1 while node 3 reads both keys: never one without the other.
    let stop = false, reads = 0;
    const reader = (async () => {
      for (let i = 0; i < 400 && !stop; i++) {
        const got = await three.one("MGET", a, b);
        // A read that met a live lock too long answers a retryable error (read_locks.ts).
        if (/^-TRYAGAIN/.test(got)) continue;
        const m = /^\*2\r\n(?:\$-1|\$\d+\r\n(\d+))\r\n(?:\$-1|\$\d+\r\n(\d+))\r\n$/.exec(got);
        assert.ok(m !== null, `MGET answered ${JSON.stringify(got)}`);
        assert.equal(m[1], m[2], `MGET ${i}: half an MSET: ${JSON.stringify(got)}`);
        reads++;
      }
    })();
    for (let i = 1; i <= 20; i++) {
      const replies = await retried(one, ["MSET", a, String(i), b, String(i)], ["GET", a]);
      assert.deepEqual(replies, [OK, `$${String(i).length}\r\n${i}\r\n`], "pipeline order");
    }
    stop = true;
    await reader;
    assert.ok(reads > 0);

    // What a transaction across regions cannot carry is refused whole: an expiry.
    const refused = await run(one, ["MULTI"], ["SET", a, "e", "EX", "100"], ["SET", b, "e"], [
      "EXEC",
    ]);
    assert.match(refused, /^\+OK\r\n\+QUEUED\r\n\+QUEUED\r\n-.*expiry/);
    assert.equal(await ask(three, "MGET", a, b), "*2\r\n$2\r\n20\r\n$2\r\n20\r\n");
    // TXN_CROSS_REGION_KEYS_MAX bounds a run across regions, as a txn (docs/limits.md).
    const many = Array.from({ length: 1_024 }, (_, i) => [`${a}:${i}`, "m"]).flat();
    assert.match(await ask(one, "MSET", ...many, b, "m"), /^-.*1025 keys/);
    assert.equal(await ask(one, "EXISTS", `${a}:0`, b), ":1\r\n", "nothing written");

    // A coordinator dead after its commit point (the primary committed, the other commit
    // lost): readers on another node roll the rest forward.
    const router = c.servers.get(1)?.node.local.router;
    if (router === undefined) throw new Error("node 1");
    let restore = losingCommits(router, (nth) => nth > 1);
    assert.equal(await ask(one, "MSET", a, "after", b, "after"), OK);
    restore();
    assert.equal(await ask(three, "MGET", a, b), "*2\r\n$5\r\nafter\r\n$5\r\nafter\r\n");
    // One dead before it (no commit reached a region): its locks are rolled back after their
    // TTL, and nothing of it is ever seen.
    restore = losingCommits(router, () => true);
    assert.match(await ask(one, "MSET", a, "lost", b, "lost"), /^-/);
    restore();
    await eventually(three, a, "$5\r\nafter\r\n");
    await eventually(three, b, "$5\r\nafter\r\n");
    assert.equal(await ask(two, "MSET", a, "next", b, "next"), OK, "no lock left");

    // A prewrite conflicts with a hash of its key made after its start timestamp (a hash lives
    // outside the key index): an MSET racing an HSET never leaves a string beside a hash.
    const env = c.servers.get(1)?.node.local.txnSender.env();
    if (env === undefined) throw new Error("node 1");
    const early = await env.timestamp();
    const made = `${b}:made`;
    assert.equal(await ask(two, "HSET", made, "f", "v"), ":1\r\n");
    const late = await env.client.prewrite(0, {
      mutations: [{ kind: "put", key: utf8(made), value: utf8("s") }],
      primary: utf8(made),
      startTs: early,
      lockTtlMs: 600,
    });
    assert.equal(late.ok ? "ok" : late.error.kind, "writeConflict");
  } finally {
    for (const r of clients) r.close();
    await c.close();
  }
});
