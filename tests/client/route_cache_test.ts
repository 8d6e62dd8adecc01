/**
 * The client's route cache (src/client/route_cache.ts) on its own: filling gaps with paged
 * `Regions` answers, taking a node's descriptor at the same version as the truth, refusing
 * older versions and malformed descriptors, and the bound on what one refresh asks.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RouteCache } from "../../src/client/route_cache.ts";
import type { RegionEntry } from "../../src/client/region_wire.ts";
import { TinyKvError } from "../../src/client/errors.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";

function region(id: number, start: string, end: string, version = 1, confVer = 1): RegionEntry {
  return {
    id,
    start: utf8(start),
    end: utf8(end),
    epoch: { version, confVer },
    replicas: [{ nodeId: id, role: "voter", zone: "", address: `10.0.0.${id}:7001` }],
    leaderId: id,
    approximateBytes: 0,
    approximateKeys: 0,
  };
}

const LAYOUT = [region(1, "", "d"), region(2, "d", "m"), region(3, "m", "t"), region(4, "t", "")];

/** Answers two regions per page, as a node with a small REGIONS_RESPONSE_MAX would. */
function pagedFetcher(calls: string[]) {
  return (start: Uint8Array, end: Uint8Array) => {
    calls.push(`${fromUtf8(start)}..${fromUtf8(end)}`);
    const hit = LAYOUT.filter((r) =>
      (r.end.length === 0 || fromUtf8(r.end) > fromUtf8(start)) &&
      (end.length === 0 || fromUtf8(r.start) < fromUtf8(end))
    );
    return Promise.resolve({ regions: hit.slice(0, 2), more: hit.length > 2 });
  };
}

test("route cache: cover() fills the gaps page by page; lookups then need no request", async () => {
  const calls: string[] = [];
  const cache = new RouteCache(pagedFetcher(calls));
  const all = await cache.cover({ start: utf8("b"), end: new Uint8Array(0) });
  assert.deepEqual(all.map((r) => r.id), [1, 2, 3, 4]);
  assert.deepEqual(calls, ["b..", "m.."]);
  assert.equal((await cache.locate(utf8("zz"))).id, 4);
  assert.equal(cache.leaderAddress(all[2]), "10.0.0.3:7001");
  assert.equal(cache.refreshes, 2);
});

test("route cache: a node's same-version descriptor wins; older versions and bad ones do not", () => {
  const cache = new RouteCache(() => Promise.reject(new Error("not asked")));
  cache.learn([region(1, "", "")], true);
  cache.learn([{ ...region(1, "", "", 1, 9), leaderId: 2 }], true);
  assert.equal(cache.lookup(utf8("k"))?.epoch.confVer, 9);
  // A restarted node of today's single group says conf version 1 again: still the truth.
  cache.learn([region(1, "", "", 1, 1)], true);
  assert.equal(cache.lookup(utf8("k"))?.epoch.confVer, 1);
  // After a split (version 2), a late answer with version 1 is ignored.
  cache.learn([region(1, "", "k", 2), region(5, "k", "", 2)], true);
  cache.learn([region(1, "", "", 1, 3)], true);
  assert.deepEqual(cache.all().map((r) => [r.id, r.epoch.version]), [[1, 2], [5, 2]]);
  // No voter, or start after end: left out.
  cache.learn([{ ...region(6, "a", "b", 3), replicas: [] }, region(7, "z", "a", 3)], true);
  assert.deepEqual(cache.all().map((r) => r.id), [1, 5]);
  cache.noteLeader(5, "10.9.9.9:7001");
  assert.equal(cache.leaderAddress(cache.all()[1]), "10.9.9.9:7001");
  cache.forget(5);
  assert.equal(cache.lookup(utf8("x")), undefined);
});

test("route cache: a key no region covers is UNAVAILABLE (ask elsewhere) after one refresh", async () => {
  const cache = new RouteCache(() =>
    Promise.resolve({ regions: [region(1, "", "m")], more: false })
  );
  await assert.rejects(
    cache.locate(utf8("q")),
    (e: unknown) => e instanceof TinyKvError && e.code === "UNAVAILABLE",
  );
  assert.equal(cache.refreshes, 1);
});

test("route cache: it never holds more than its bound; past it, it starts over and relearns", async () => {
  const many = Array.from({ length: 10 }, (_, i) => {
    const key = (n: number) => n === 0 || n === 10 ? "" : `k${n}`;
    return region(i + 1, key(i), key(i + 1));
  });
  const fetcher = (start: Uint8Array, end: Uint8Array) => {
    const hit = many.filter((r) =>
      (r.end.length === 0 || fromUtf8(r.end) > fromUtf8(start)) &&
      (end.length === 0 || fromUtf8(r.start) < fromUtf8(end))
    );
    return Promise.resolve({ regions: hit, more: false });
  };
  const cache = new RouteCache(fetcher, 4);
  for (const r of many) {
    cache.learn([r], true);
    assert.ok(cache.size <= 4, `size ${cache.size}`);
  }
  // The last ones learned are there; the first were dropped and are asked for again.
  assert.equal(cache.lookup(utf8("k9x"))?.id, 10);
  assert.equal(cache.lookup(utf8("a")), undefined);
  const found = await cache.locate(utf8("a"));
  assert.equal(found.id, 1);
  assert.ok(cache.size <= 4, `size ${cache.size}`);
});
