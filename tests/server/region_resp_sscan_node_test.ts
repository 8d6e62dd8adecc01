/**
 * RESP SSCAN on a node holding only some regions (docs/resp.md "On a node holding some regions"):
 * three in-process nodes with `--replicas 2`, and a node that holds no replica of a split region
 * (partial_layout.ts). Sets in that region (read by its replicas), a set in a region the node
 * holds among several (read here), a set in database 1, a missing key and keys of other types:
 * every page of each iteration (COUNT 1 to capped, MATCH), and Redis 7's errors for bad input,
 * answer the same bytes as a one-region node holding the same keys. Then the set's region splits
 * in the middle of an SSCAN iteration: its cursor stays valid and every member is returned.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { containsKey } from "../../src/region/descriptor.ts";
import { compareBytes, utf8 } from "../../src/util/bytes.ts";
import { startCluster, type TestCluster } from "./cluster_helpers.ts";
import { PARTIAL, type PartialLayout, partialLayout } from "./partial_layout.ts";
import { respRetrying, splitRegions } from "./region_lacking_helpers.ts";
import { noise } from "./region_split_helpers.ts";
import { RawClient } from "./resp/resp_test_client.ts";

/** An SSCAN reply's cursor and members. */
function sscanPage(reply: string): { cursor: string; members: string[] } {
  const m = /^\*2\r\n\$\d+\r\n(\d+)\r\n\*(\d+)\r\n/.exec(reply);
  if (m === null) throw new Error(`not an SSCAN reply: ${JSON.stringify(reply)}`);
  const members = [...reply.slice(m[0].length).matchAll(/\$\d+\r\n([^\r]*)\r\n/g)].map((x) => x[1]);
  assert.equal(members.length, Number(m[2]));
  return { cursor: m[1], members };
}

/** Every page of an SSCAN iteration (at most 200), raw. */
async function sscanAll(resp: RawClient, key: string, options: string[]): Promise<string[]> {
  const pages: string[] = [];
  let cursor = "0";
  for (let i = 0; i < 200; i++) {
    const reply = await respRetrying(resp, ["SSCAN", key, cursor, ...options], true);
    pages.push(reply);
    cursor = sscanPage(reply).cursor;
    if (cursor === "0") return pages;
  }
  throw new Error(`more than 200 SSCAN pages of ${key}`);
}

/** Members of the big sets: m00..m39, and a few that only some patterns match. */
const MEMBERS = [
  ...Array.from({ length: 40 }, (_, i) => `m${String(i).padStart(2, "0")}`),
  "m",
  "x",
  "m1x",
  "",
];

interface Keys {
  /** Sets in the region the node lacks. */
  readonly awaySets: string[];
  /** A set in a region the node holds. */
  readonly hereSet: string;
  /** A string and a hash in the region the node lacks, and a name no key has there. */
  readonly string: string;
  readonly hash: string;
  readonly missing: string;
}

/** The sets and other keys, written through `resp` (SELECT 0 after). */
async function write(resp: RawClient, k: Keys): Promise<void> {
  const add = async (key: string, members: string[]) =>
    assert.equal(await respRetrying(resp, ["SADD", key, ...members]), `:${members.length}\r\n`);
  await add(k.awaySets[0], MEMBERS);
  await add(k.awaySets[1], ["a", "b"]);
  await add(k.hereSet, MEMBERS);
  assert.equal(await respRetrying(resp, ["SET", k.string, "v"]), "+OK\r\n");
  assert.equal(await respRetrying(resp, ["HSET", k.hash, "f", "v"]), ":1\r\n");
  assert.equal(await resp.one("SELECT", "1"), "+OK\r\n");
  await add(k.awaySets[0], ["db1-a", "db1-b", "db1-c"]);
  assert.equal(await resp.one("SELECT", "0"), "+OK\r\n");
}

const EMPTY = "*2\r\n$1\r\n0\r\n*0\r\n";
/** Replies of redis-server 7.0.15 to the bad input below. */
const ERRORS = [
  "-ERR invalid cursor\r\n",
  "-ERR syntax error\r\n",
  "-ERR value is not an integer or out of range\r\n",
  "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
  "-ERR wrong number of arguments for 'sscan' command\r\n",
];

/** Bad input, as redis-server 7.0.15 answers it (tests/server/resp/resp_sets_test.ts). */
function badInput(set: string, k: Keys): string[][] {
  return [
    ["SSCAN", set, "abc"],
    ["SSCAN", k.missing, "abc"],
    ["SSCAN", set, "-1"],
    ["SSCAN", set, "999"],
    ["SSCAN", set, "0", "COUNT", "0"],
    ["SSCAN", set, "0", "COUNT", "-1"],
    ["SSCAN", set, "0", "COUNT", "abc"],
    ["SSCAN", set, "0", "MATCH"],
    ["SSCAN", set, "0", "TYPE", "string"],
    ["SSCAN", set, "0", "FOO", "bar"],
    ["SSCAN", set],
    ["SSCAN", k.missing, "0"],
    ["SSCAN", k.missing, "0", "COUNT", "0"],
    ["SSCAN", k.string, "0"],
    ["SSCAN", k.string, "0", "COUNT", "0"],
    ["SSCAN", k.hash, "0", "MATCH"],
    ["SSCAN", "k".repeat(5000), "0"],
  ];
}

const OPTIONS = [
  ["COUNT", "1"],
  ["COUNT", "3"],
  [],
  ["COUNT", "7", "MATCH", "m1*"],
  ["MATCH", "*9"],
  ["MATCH", "m", "COUNT", "1"],
  ["MATCH", "x"],
  ["COUNT", "1000"],
  ["COUNT", "9999999999"],
];

/** The script both nodes answer: every reply, raw, in order. */
async function script(resp: RawClient, k: Keys): Promise<string[]> {
  const out: string[] = [];
  for (const set of [...k.awaySets, k.hereSet]) {
    for (const options of OPTIONS) out.push(...await sscanAll(resp, set, options));
  }
  for (const bad of badInput(k.awaySets[0], k)) {
    out.push(await respRetrying(resp, bad, true));
  }
  assert.equal(await resp.one("SELECT", "1"), "+OK\r\n");
  out.push(...await sscanAll(resp, k.awaySets[0], ["COUNT", "2"]));
  out.push(...await sscanAll(resp, k.awaySets[1], []));
  assert.equal(await resp.one("SELECT", "0"), "+OK\r\n");
  return out;
}

/** Names for the keys: `:s` sets beside the layout's keys, in the region asked. */
type Layout = PartialLayout;

function keysFor(c: TestCluster, layout: Layout): Keys {
  const { node, region, away, here } = layout;
  const inRegion = (name: string) => containsKey(region, utf8(name));
  const awaySets = away.map((k) => `${k}:s`).filter(inRegion).slice(0, 2);
  assert.equal(awaySets.length, 2, "two set names in the region held elsewhere");
  const host = c.servers.get(node)?.node.local.host;
  const hereSet = here.map((k) => `${k}:s`).find((k) => host?.regionFor(utf8(k)) !== undefined);
  if (hereSet === undefined) throw new Error("no set name in a region the node holds");
  const others = away.map((k) => [`${k}:t`, `${k}:h`, `${k}:none`]).find((n) => n.every(inRegion));
  if (others === undefined) throw new Error("no other names in the region held elsewhere");
  return { awaySets, hereSet, string: others[0], hash: others[1], missing: others[2] };
}

/** Writes to `region`'s keys through its replicas until it splits (at most 300 puts, 120 s). */
async function splitOnce(c: TestCluster, layout: Layout): Promise<void> {
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

test("RESP SSCAN on a node holding some regions answers as one region does", {
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
    assert.ok((local()?.host.all().length ?? 0) >= 2, "the node holds several regions");

    // Written through a node holding the region, and the same keys on the one-region node.
    await write(await connect(c, region.replicas[0].nodeId), k);
    const reference = await connect(single, 1);
    await write(reference, k);

    const remote = () => local()?.router.d.remote;
    const before = remote()?.forwarded ?? 0;
    const expected = await script(reference, k);
    const got = await script(await connect(c, node), k);
    assert.deepEqual(got, expected);
    const after = remote()?.forwarded ?? 0;
    // Says whether the region came to the node after all (a move placement began before it stopped).
    const here = local()?.host.region(region.id) !== undefined;
    assert.ok(
      after > before,
      `sets read elsewhere (sent ${before}, ${after}; region here: ${here})`,
    );

    // The reference answered what the sets hold, and Redis's errors.
    const pages = expected.filter((r) => r.startsWith("*2\r\n"));
    const whole = pages.find((r) => sscanPage(r).members.length === MEMBERS.length);
    const sorted = [...MEMBERS].sort((a, b) => compareBytes(utf8(a), utf8(b)));
    assert.deepEqual(whole && sscanPage(whole).members, sorted, "a whole page in byte order");
    assert.deepEqual(sscanPage(expected[expected.length - 2]).members, ["db1-c"]);
    assert.equal(expected[expected.length - 1], EMPTY, "database 1 has no second set");
    for (const line of ERRORS) assert.ok(expected.includes(line), line);
    assert.ok(!got.some((r) => /^-(TRYAGAIN|CLUSTERDOWN|TIMEOUT)/.test(r)), "no refusal left");

    // The set's region splits in the middle of an iteration: the cursor (a member) stays valid,
    // the node's route to the region is replaced, and every member is returned.
    const resp = await connect(c, node);
    const seen = new Set<string>();
    let cursor = "0";
    const page = async () => {
      const p = sscanPage(
        await respRetrying(resp, ["SSCAN", k.awaySets[0], cursor, "COUNT", "5"], true),
      );
      p.members.forEach((m) => seen.add(m));
      cursor = p.cursor;
    };
    for (let i = 0; i < 3; i++) await page();
    await splitOnce(c, layout);
    for (let i = 0; i < 40 && cursor !== "0"; i++) await page();
    assert.equal(cursor, "0", "the iteration ended");
    assert.deepEqual([...seen].sort(), [...MEMBERS].sort(), "every member once at least");
  } finally {
    for (const r of open) r.close();
    await c.close();
    await single.close();
  }
});
