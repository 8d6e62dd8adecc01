/**
 * RESP reads of known keys on a node holding only some regions (docs/resp.md "On a node holding
 * some regions"): three in-process nodes with `--replicas 2`, and a node that holds no replica of
 * a split region (partial_layout.ts). A script of reads over strings, hashes (HSCAN pages too),
 * sets, TTLs and expiry times, database 1, RESP3, missing keys and wrong types, in that region
 * (read by its replicas) and in a region the node holds (read here), answers the same bytes as a
 * one-region node holding the same keys — and appends no log entry: no region is asked to append
 * a Redis command meanwhile and the regions' applied indexes stay (but for housekeeping), while
 * the node sends the remote region's reads to its replicas. Reads over two regions, and a key
 * over the engine's limit, still take the log and answer the same bytes. Then the region splits
 * under the node's cached route: its reads are refused as stale, routed again, and answer alike.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { containsKey } from "../../src/region/descriptor.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { decodeCommand } from "../../src/kv/command_codec.ts";
import { decodeRegionCommand } from "../../src/kv/region_command.ts";
import { startCluster, type TestCluster } from "./cluster_helpers.ts";
import { PARTIAL, type PartialLayout, partialLayout } from "./partial_layout.ts";
import { respRetrying, splitRegions } from "./region_lacking_helpers.ts";
import { noise } from "./region_split_helpers.ts";
import { RawClient } from "./resp/resp_test_client.ts";

interface Keys {
  /** In the region the node lacks: strings, a hash, a set, a key with an expiry time, none. */
  readonly str: string;
  readonly str2: string;
  readonly hash: string;
  readonly set: string;
  readonly timed: string;
  readonly missing: string;
  /** In a region the node holds. */
  readonly hereStr: string;
  readonly hereHash: string;
}

const FIELDS = Array.from({ length: 30 }, (_, i) => `f${String(i).padStart(2, "0")}`);
/** 2100-01-01: the expiry time both nodes answer alike (TTL itself moves with the clock). */
const AT = "4102444800";

async function write(resp: RawClient, k: Keys): Promise<void> {
  const ok = async (args: string[], reply: string) =>
    assert.equal(await respRetrying(resp, args), reply, args.join(" "));
  await ok(["SET", k.str, "hello world"], "+OK\r\n");
  await ok(["SET", k.str2, "2"], "+OK\r\n");
  await ok(["SET", k.timed, "t"], "+OK\r\n");
  await ok(["EXPIREAT", k.timed, AT], ":1\r\n");
  await ok(["HSET", k.hash, ...FIELDS.flatMap((f, i) => [f, `v${i}`])], `:${FIELDS.length}\r\n`);
  await ok(["SADD", k.set, "a", "b", "c", "m1", ""], ":5\r\n");
  await ok(["SET", k.hereStr, "here"], "+OK\r\n");
  await ok(["HSET", k.hereHash, "x", "1", "y", "2"], ":2\r\n");
  assert.equal(await resp.one("SELECT", "1"), "+OK\r\n");
  await ok(["SET", k.str, "db1"], "+OK\r\n");
  await ok(["HSET", k.hash, "only", "db1"], ":1\r\n");
  assert.equal(await resp.one("SELECT", "0"), "+OK\r\n");
}

/** Every page of an HSCAN iteration (at most 100), raw. */
async function hscanAll(resp: RawClient, key: string, options: string[]): Promise<string[]> {
  const pages: string[] = [];
  let cursor = "0";
  for (let i = 0; i < 100; i++) {
    const reply = await respRetrying(resp, ["HSCAN", key, cursor, ...options], true);
    pages.push(reply);
    const m = /^\*2\r\n\$\d+\r\n(\d+)\r\n/.exec(reply);
    if (m === null) return pages; // an error: the script compares it
    cursor = m[1];
    if (cursor === "0") return pages;
  }
  throw new Error(`more than 100 HSCAN pages of ${key}`);
}

/** Reads of keys in one region each: no log entry on the node lacking the remote one. */
async function readScript(resp: RawClient, k: Keys): Promise<string[]> {
  const out: string[] = [];
  const one = async (...args: string[]) => void out.push(await respRetrying(resp, args, true));
  const { str, str2, hash, set, timed, missing } = k;
  await one("GET", str);
  await one("GET", missing);
  await one("MGET", str, missing, str2);
  await one("STRLEN", str);
  await one("GETRANGE", str, "0", "4");
  await one("SUBSTR", str, "-5", "-1");
  await one("EXISTS", str, missing, str2, str);
  await one("TOUCH", str, missing);
  for (const key of [str, hash, set, missing]) await one("TYPE", key);
  await one("HGET", hash, "f03");
  await one("HGET", hash, "nope");
  await one("HMGET", hash, "f01", "nope", "f29");
  for (const c of ["HGETALL", "HKEYS", "HVALS", "HLEN"]) await one(c, hash);
  await one("HEXISTS", hash, "f10");
  await one("HSTRLEN", hash, "f10");
  for (const options of [[], ["COUNT", "1"], ["COUNT", "7"], ["MATCH", "f1*"], ["COUNT", "99"]]) {
    out.push(...await hscanAll(resp, hash, options));
  }
  out.push(...await hscanAll(resp, missing, []));
  await one("HSCAN", hash, "abc");
  await one("HSCAN", hash, "0", "COUNT", "0");
  await one("HSCAN", hash, "0", "MATCH");
  await one("SMEMBERS", set);
  await one("SISMEMBER", set, "m1");
  await one("SMISMEMBER", set, "a", "zz", "");
  await one("SCARD", set);
  await one("SINTER", set, missing);
  await one("SUNION", set, missing);
  await one("SDIFF", set, missing);
  await one("SINTERCARD", "1", set);
  for (const key of [str, missing]) await one("TTL", key);
  for (const key of [str, missing]) await one("PTTL", key);
  await one("EXPIRETIME", timed);
  await one("PEXPIRETIME", timed);
  await one("EXPIRETIME", str);
  // Wrong types: the executor's errors, as the one-region node's.
  await one("GET", hash);
  await one("HGET", str, "f");
  await one("SMEMBERS", hash);
  await one("HGETALL", set);
  await one("SCARD", str);
  await one("HSCAN", set, "0");
  // A region the node holds: read here.
  await one("GET", k.hereStr);
  await one("HGETALL", k.hereHash);
  // RESP3: the same reply trees, written as a map, a set and a null.
  assert.match(await resp.one("HELLO", "3"), /^%/);
  for (const c of ["HGETALL", "SMEMBERS", "TTL"]) await one(c, c === "SMEMBERS" ? set : hash);
  await one("GET", missing);
  await one("HSCAN", hash, "0", "COUNT", "5");
  assert.match(await resp.one("HELLO", "2"), /^\*/);
  assert.equal(await resp.one("SELECT", "1"), "+OK\r\n");
  await one("GET", str);
  await one("HGETALL", hash);
  out.push(...await hscanAll(resp, hash, []));
  await one("GET", str2);
  assert.equal(await resp.one("SELECT", "0"), "+OK\r\n");
  return out;
}

/** Reads that still take the log: keys in two regions, a key the engine cannot hold. */
async function logScript(resp: RawClient, k: Keys): Promise<string[]> {
  const out: string[] = [];
  const one = async (...args: string[]) => void out.push(await respRetrying(resp, args, true));
  await one("MGET", k.str, k.hereStr, k.missing);
  await one("EXISTS", k.hereStr, k.str);
  await one("GET", "k".repeat(5000));
  await one("GET", k.str);
  return out;
}

function keysFor(c: TestCluster, layout: PartialLayout): Keys {
  const { node, region, away, here } = layout;
  const inRegion = (name: string) => containsKey(region, utf8(name));
  const suffixes = [":t", ":u", ":h", ":s", ":x", ":none"];
  const names = away.map((k) => suffixes.map((s) => k + s)).find((n) => n.every(inRegion));
  if (names === undefined) throw new Error("no names in the region held elsewhere");
  const host = c.servers.get(node)?.node.local.host;
  const held = (name: string) => host?.regionFor(utf8(name)) !== undefined;
  const hereNames = here.map((k) => [`${k}:t`, `${k}:h`]).find((n) => n.every(held));
  if (hereNames === undefined) throw new Error("no names in a region the node holds");
  const [str, str2, hash, set, timed, missing] = names;
  return { str, str2, hash, set, timed, missing, hereStr: hereNames[0], hereHash: hereNames[1] };
}

/** The command an entry carries (a region's entries are wrapped with its route), else "other". */
function bodyOf(data: Uint8Array): string {
  let command = data;
  try {
    const r = decodeRegionCommand(data);
    if (r.kind !== "routed") return r.kind;
    command = r.command;
  } catch {
    // not wrapped: region 1's, or a node without region snapshots
  }
  const c = decodeCommand(command);
  return "body" in c ? c.body.case ?? "other" : "other";
}

/** Counts the Redis commands every region of `c` is asked to append from now on, by region. */
function countRedisProposals(c: TestCluster): Map<number, number> {
  const counts = new Map<number, number>();
  for (const s of c.servers.values()) {
    for (const r of s.node.local.host.all()) {
      const group = r.group;
      const propose = group.propose.bind(group);
      group.propose = (data) => {
        const body = bodyOf(data);
        if (body === "redis" || body === "redisBatch") {
          counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
        }
        return propose(data);
      };
    }
  }
  return counts;
}

/** Writes to `region`'s keys through its replicas until it splits (at most 300 puts, 120 s). */
async function splitOnce(c: TestCluster, layout: PartialLayout): Promise<void> {
  const { region, away } = layout;
  const current = splitRegions(c).find((d) => d.id === region.id) ?? region;
  const replicas = c.client(current.replicas.map((p) => p.nodeId));
  for (const s of c.servers.values()) s.node.local.splitCheck.start();
  const epoch = current.epoch.version;
  const grown = () => splitRegions(c).some((d) => d.id === region.id && d.epoch.version > epoch);
  // A put that fails (a leader moving under load) is not retried: only the split matters here.
  const deadline = Date.now() + 120_000;
  for (let i = 0; i < 300 && !grown() && Date.now() < deadline; i++) {
    await replicas.put(away[i % away.length], `w${i}-${noise(120)}`).catch(() => {});
  }
  for (const s of c.servers.values()) s.node.local.splitCheck.stop();
  assert.ok(grown(), `region ${region.id} split`);
}

/** Each region's highest applied index over the nodes holding it. */
function appliedIndexes(c: TestCluster): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of c.servers.values()) {
    for (const r of s.node.local.host.all()) {
      out.set(r.id, Math.max(out.get(r.id) ?? 0, r.kv.kv.appliedIndex));
    }
  }
  return out;
}

test("RESP reads on a node holding some regions: one region's bytes, no log entry", {
  timeout: 300_000,
}, async () => {
  const c = await startCluster(3, 20, undefined, PARTIAL);
  const single = await startCluster(1);
  const open: RawClient[] = [];
  const connect = async (cluster: TestCluster, id: number) => {
    const port = cluster.respPorts.get(id);
    if (port === undefined) throw new Error(`no RESP port for node ${id}`);
    const resp = await RawClient.connect(port);
    open.push(resp);
    return resp;
  };
  try {
    await c.leader();
    await single.leader();
    const layout = await partialLayout(c, c.client());
    const { node, region } = layout;
    const k = keysFor(c, layout);
    const local = () => c.servers.get(node)?.node.local;

    await write(await connect(c, region.replicas[0].nodeId), k);
    const reference = await connect(single, 1);
    await write(reference, k);
    const expected = [...await readScript(reference, k), ...await logScript(reference, k)];

    const resp = await connect(c, node);
    const here = local()?.host.regionFor(utf8(k.hereStr))?.id ?? 0;
    // The writes applied on every replica first: the reads then find them there.
    assert.equal(await respRetrying(resp, ["GET", k.hereStr], true), "$4\r\nhere\r\n");
    const redisProposed = countRedisProposals(c);
    const before = appliedIndexes(c);
    const sentBefore = local()?.router.d.remote?.forwarded ?? 0;
    const byLogBefore = local()?.redisKeys.readsByLog ?? 0;
    const got = await readScript(resp, k);
    const after = appliedIndexes(c);
    const sent = (local()?.router.d.remote?.forwarded ?? 0) - sentBefore;
    // A read refused while its region changed (a leader moving, a split settling: the cluster
    // is young) runs through the log instead, counted; every other read appends nothing. Through
    // the log each read was an entry (≥ 50 here).
    const byLog = (local()?.redisKeys.readsByLog ?? 0) - byLogBefore;
    assert.ok(byLog <= 3, `${byLog} reads refused by their region, run by the log`);
    const proposed = [...redisProposed.values()].reduce((a, b) => a + b, 0);
    assert.ok(proposed <= byLog, `Redis commands proposed: ${[...redisProposed]}; by log ${byLog}`);
    // Other entries still come meanwhile (a leader's first entry, a move placement began before
    // the layout froze, a compaction): far fewer than the reads.
    for (const id of [region.id, here]) {
      const grown = (after.get(id) ?? 0) - (before.get(id) ?? 0);
      assert.ok(grown < 20, `region ${id}'s applied index grew by ${grown} over the reads`);
    }
    // A move placement began before the layout froze may still bring the region here (then its
    // reads were read here, from some point on: no entry either).
    const cameHere = local()?.host.region(region.id) !== undefined;
    const what = `the remote region's reads were sent to its replicas (${sent}; here: ${cameHere})`;
    assert.ok(sent >= 50 || cameHere, what);
    got.push(...await logScript(resp, k));
    assert.deepEqual(got, expected);

    // The reference answered what the keys hold, and Redis's errors.
    assert.ok(expected.includes("$11\r\nhello world\r\n"));
    assert.ok(expected.includes(`:${AT}\r\n`), "EXPIRETIME");
    assert.ok(expected.includes("$3\r\ndb1\r\n"), "database 1");
    const wrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    assert.equal(expected.filter((r) => r === wrongType).length, 6);
    assert.ok(expected.includes("-ERR invalid cursor\r\n"));
    assert.ok(expected.some((r) => r.startsWith("%30\r\n")), "RESP3: HGETALL a map");
    assert.ok(expected.includes("_\r\n"), "RESP3: a null");
    assert.ok(!got.some((r) => /^-(TRYAGAIN|CLUSTERDOWN|TIMEOUT)/.test(r)), "no refusal left");

    // The region splits under the node's cached route: the next reads are refused as routed to a
    // stale epoch, the route is learned again, and they answer as before.
    const again = async (r: RawClient) => {
      const out: string[] = [];
      for (const args of [["GET", k.str], ["HGETALL", k.hash], ["SMEMBERS", k.set]]) {
        out.push(await respRetrying(r, args, true));
      }
      out.push(...await hscanAll(r, k.hash, ["COUNT", "4"]));
      return out;
    };
    const staleBefore = local()?.router.d.remote?.staleRoutes ?? 0;
    await splitOnce(c, layout);
    assert.deepEqual(await again(resp), await again(reference));
    const stale = (local()?.router.d.remote?.staleRoutes ?? 0) - staleBefore;
    assert.ok(stale > 0 || cameHere, `a stale route refused and learned again (${stale})`);
  } finally {
    for (const r of open) r.close();
    await c.close();
    await single.close();
  }
});
