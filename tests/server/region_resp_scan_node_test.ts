/**
 * RESP SCAN, KEYS and DBSIZE on a node holding only some regions (docs/resp.md "On a node
 * holding some regions"): three in-process nodes with `--replicas 2` split, and placement leaves
 * a split region on two of them. The third node reads that region's keys from its replicas and
 * stitches them with its own: the same script of SCAN pages (COUNT, MATCH, TYPE, cursors that
 * resume inside the remote region), KEYS, DBSIZE and bad input, over the same keys (strings,
 * hashes, sets, database 1), answers the same bytes as a one-region node. Then the remote region
 * splits in the middle of a SCAN iteration: every key present for the whole iteration is returned.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { containsKey, type RegionDescriptor } from "../../src/region/descriptor.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { startCluster, type TestCluster } from "./cluster_helpers.ts";
import { lacking, PARTIAL_OPTIONS, respRetrying, splitRegions } from "./region_lacking_helpers.ts";
import { key, noise, putRetrying, until } from "./region_split_helpers.ts";
import { RawClient } from "./resp/resp_test_client.ts";

/** A SCAN reply's cursor and keys. */
function scanPage(reply: string): { cursor: string; keys: string[] } {
  const m = /^\*2\r\n\$\d+\r\n(\d+)\r\n\*(\d+)\r\n/.exec(reply);
  if (m === null) throw new Error(`not a SCAN reply: ${JSON.stringify(reply)}`);
  const keys = [...reply.slice(m[0].length).matchAll(/\$\d+\r\n([^\r]*)\r\n/g)].map((x) => x[1]);
  assert.equal(keys.length, Number(m[2]));
  return { cursor: m[1], keys };
}

/** Every page of a SCAN iteration (at most 400), raw. */
async function scanAll(resp: RawClient, options: string[]): Promise<string[]> {
  const pages: string[] = [];
  let cursor = "0";
  for (let i = 0; i < 400; i++) {
    const reply = await respRetrying(resp, ["SCAN", cursor, ...options], true);
    pages.push(reply);
    cursor = scanPage(reply).cursor;
    if (cursor === "0") return pages;
  }
  throw new Error("more than 400 SCAN pages");
}

/** Replies of Redis 7.0.15 (redis-server) to the same bad input. */
const INVALID_CURSOR = "-ERR invalid cursor\r\n";
const SYNTAX = "-ERR syntax error\r\n";
const NOT_INTEGER = "-ERR value is not an integer or out of range\r\n";

/** The script both nodes answer: every reply, raw, in order. */
async function script(resp: RawClient): Promise<string[]> {
  const out: string[] = [];
  const one = async (...args: string[]) => void out.push(await respRetrying(resp, args, true));
  await one("DBSIZE");
  await one("KEYS", "*");
  await one("KEYS", "k00*");
  await one("KEYS", "*:h");
  await one("INFO", "keyspace");
  // A hash's scan reads its key's region, wherever it is (a one-field hash: one page). One key
  // only: a Redis read through a region's log on such a node sometimes finds no answer from the
  // region's leader for minutes under load (the forwarding hang, not this feature's).
  await one("HSCAN", `${key(3)}:h`, "0");
  for (
    const options of [
      ["COUNT", "1"],
      ["COUNT", "3"],
      [],
      ["COUNT", "7", "MATCH", "k0*"],
      ["COUNT", "5", "TYPE", "hash"],
      ["COUNT", "4", "MATCH", "*:s", "TYPE", "set"],
      ["COUNT", "1000"],
      ["COUNT", "9999999999"],
    ]
  ) {
    out.push(...await scanAll(resp, options));
  }
  for (
    const bad of [
      ["SCAN", "abc"],
      ["SCAN", "123456789"],
      ["SCAN", "0", "COUNT", "0"],
      ["SCAN", "0", "COUNT", "-1"],
      ["SCAN", "0", "COUNT", "99999999999999999999"],
      ["SCAN", "0", "MATCH"],
      ["SCAN", "0", "FOO", "bar"],
      ["SCAN", "-1"],
      ["KEYS"],
      ["DBSIZE", "x"],
      // A literal prefix longer than any key: nothing matches (and nothing is sent).
      ["KEYS", `${"k".repeat(5000)}*`],
      ["SCAN", "0", "MATCH", `${"k".repeat(5000)}*`],
    ]
  ) await one(...bad);
  await one("SELECT", "1");
  await one("DBSIZE");
  await one("KEYS", "*");
  out.push(...await scanAll(resp, ["COUNT", "4"]));
  await one("SELECT", "0");
  return out;
}

/** The names of the hashes and sets `writeTyped` writes in database 0. */
function typedKeys(): string[] {
  const out: string[] = [];
  for (let i = 3; i < 100; i += 11) out.push(`${key(i)}:h`, `${key(i + 4)}:s`);
  return out;
}

/** Hashes, sets and database 1's strings, written through `resp`. */
async function writeTyped(resp: RawClient): Promise<void> {
  for (let i = 3; i < 100; i += 11) {
    assert.equal(await respRetrying(resp, ["HSET", `${key(i)}:h`, "f", "v"]), ":1\r\n");
    assert.equal(await respRetrying(resp, ["SADD", `${key(i + 4)}:s`, "m1", "m2"]), ":2\r\n");
  }
  assert.equal(await resp.one("SELECT", "1"), "+OK\r\n");
  for (let i = 1; i < 100; i += 7) {
    assert.equal(await respRetrying(resp, ["SET", key(i), "one"]), "+OK\r\n");
  }
  assert.equal(await resp.one("SELECT", "0"), "+OK\r\n");
}

type Layout = { node: number; region: RegionDescriptor };

/** Writes until a region split and placement left it off a node; that node and the region. */
async function splitAway(c: TestCluster, written: Map<string, string>): Promise<Layout> {
  const client = c.client();
  for (let i = 0; i < 400; i++) {
    const k = key((i * 37) % 100);
    written.set(k, `v${i}-${"y".repeat(120)}`);
    await putRetrying(client, k, written.get(k) ?? "");
    if (i >= 100 && splitRegions(c).length >= 1) break;
  }
  for (const s of c.servers.values()) s.node.local.splitCheck.stop();
  let found: Layout | undefined;
  const keys = [...written.keys()];
  await until(
    "a node lacks a split region",
    () => (found = lacking(c, keys, 3)) !== undefined,
    60_000,
  );
  if (found === undefined) throw new Error("unreachable");
  for (const s of c.servers.values()) s.node.local.operators.stop();
  return found;
}

test("RESP SCAN, KEYS and DBSIZE on a node holding some regions answer as one region does", {
  timeout: 300_000,
}, async () => {
  const c = await startCluster(3, 20, undefined, PARTIAL_OPTIONS);
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
    // Written before the splits: through one region, with nothing moving.
    await writeTyped(await connect(c, 1));
    const written = new Map<string, string>();
    const { node, region } = await splitAway(c, written);
    const inRegion = [...written.keys()].filter((k) => containsKey(region, utf8(k)));
    const remote = () => c.servers.get(node)?.node.local.router.d.remote;

    // The same keys on both: the strings, and hashes, sets and database 1 through RESP.
    const reference = await connect(single, 1);
    for (const [k, v] of written) assert.equal(await reference.one("SET", k, v), "+OK\r\n");
    await writeTyped(reference);

    const before = remote()?.forwarded ?? 0;
    const expected = await script(reference);
    const got = await script(await connect(c, node));
    assert.ok((remote()?.forwarded ?? 0) > before, "the node read the region's keys elsewhere");
    assert.deepEqual(got, expected);
    // The reference answered what the keys are (and Redis's errors).
    const strings = written.size, typed = typedKeys().length;
    assert.equal(expected[0], `:${strings + typed}\r\n`);
    for (const k of inRegion) assert.ok(expected[1].includes(`\r\n${k}\r\n`), k);
    const keyspace = `db0:keys=${strings + typed},expires=0,avg_ttl=0\r\ndb1:keys=15,`;
    assert.ok(expected.some((r) => r.includes(keyspace)), "INFO keyspace");
    assert.ok(expected.some((r) => r.startsWith("*2\r\n$1\r\n0\r\n*2\r\n$1\r\nf\r\n")), "HSCAN");
    assert.ok(!got.some((r) => /^-(TRYAGAIN|CLUSTERDOWN|TIMEOUT)/.test(r)), "no refusal left");
    for (const line of [INVALID_CURSOR, SYNTAX, NOT_INTEGER]) assert.ok(got.includes(line), line);
    assert.ok(got.includes("*2\r\n$1\r\n0\r\n*0\r\n"), "SCAN -1: an empty last page");

    // RANDOMKEY picks among every region's keys (an empty database: nil, as Redis); DBSIZE in
    // MULTI would run in one region's log and count its keys only: refused.
    const other = await connect(c, node);
    const names = new Set([...written.keys(), ...typedKeys()]);
    for (let i = 0; i < 5; i++) {
      const picked = /^\$\d+\r\n(.*)\r\n$/.exec(await respRetrying(other, ["RANDOMKEY"], true));
      assert.ok(picked !== null && names.has(picked[1]), `RANDOMKEY: ${picked?.[1]}`);
    }
    assert.equal(await other.one("SELECT", "2"), "+OK\r\n");
    assert.equal(await respRetrying(other, ["RANDOMKEY"], true), "$-1\r\n");
    assert.equal(await respRetrying(other, ["DBSIZE"], true), ":0\r\n");
    const exec = await other.send(["MULTI"], ["DBSIZE"], ["EXEC"]);
    assert.deepEqual(exec.slice(0, 2), ["+OK\r\n", "+QUEUED\r\n"]);
    assert.match(exec[2], /^-ERR the keys lie in regions .*not supported/);

    // The remote region splits in the middle of an iteration: its cursor (a key) stays valid,
    // and every key present throughout is returned.
    const resp = await connect(c, node);
    const seen = new Set<string>();
    let cursor = "0";
    for (let i = 0; i < 3; i++) {
      const page = scanPage(await respRetrying(resp, ["SCAN", cursor, "COUNT", "5"], true));
      page.keys.forEach((k) => seen.add(k));
      cursor = page.cursor;
    }
    const current = splitRegions(c).find((d) => d.id === region.id) ?? region;
    const keysNow = [...written.keys()].filter((k) => containsKey(current, utf8(k)));
    const replicas = c.client(current.replicas.map((p) => p.nodeId));
    for (const s of c.servers.values()) s.node.local.splitCheck.start();
    const epoch = current.epoch.version;
    const grown = () => splitRegions(c).some((d) => d.id === region.id && d.epoch.version > epoch);
    // A put that fails (a leader moving under load) is not retried: the key exists either way,
    // and only the split matters here. Bounded in count and time.
    const deadline = Date.now() + 120_000;
    for (let i = 0; i < 300 && !grown() && Date.now() < deadline; i++) {
      await replicas.put(keysNow[i % keysNow.length], `w${i}-${noise(120)}`).catch(() => {});
    }
    // The split check runs on its own interval: the puts may end before it has looked (CI saw
    // 300 puts in 3 s and no split yet). Bounded.
    await until(`region ${region.id} split`, grown, 30_000);
    for (const s of c.servers.values()) s.node.local.splitCheck.stop();
    for (let i = 0; i < 400 && cursor !== "0"; i++) {
      const page = scanPage(await respRetrying(resp, ["SCAN", cursor, "COUNT", "5"], true));
      page.keys.forEach((k) => seen.add(k));
      cursor = page.cursor;
    }
    assert.equal(cursor, "0", "the iteration ended");
    const missing = [...written.keys()].filter((k) => !seen.has(k));
    assert.deepEqual(missing, [], "every key present throughout was returned");
  } finally {
    for (const r of open) r.close();
    await c.close();
    await single.close();
  }
});
