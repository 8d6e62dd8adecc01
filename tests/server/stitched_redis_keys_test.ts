/**
 * Redis keys read across regions by a node holding some of them (src/server/node/
 * stitched_redis_keys.ts), with a fake host and fake remote regions: every walk equals the keys
 * of its span in order, cut at any limit; a remote part is one region's, never more than
 * REDIS_KEYS_PART_MAX keys; a count adds each region's once; a part refused as a changed route is
 * planned again, and a route that never settles fails UNAVAILABLE rather than answer with a gap.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type ClientResponse, ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { RedisType } from "../../src/kv/redis/meta_record.ts";
import { REDIS_KEYS_PART_MAX } from "../../src/limits_ops.ts";
import { type KeySpan, spanWithin } from "../../src/region/region_catalog.ts";
import { ServiceError } from "../../src/server/kv_service.ts";
import type { RedisKeysPage, RedisKeysQuery } from "../../src/server/redis_keys.ts";
import type { HostedRegion, RegionHost } from "../../src/server/node/region_host.ts";
import type { RemoteRegions } from "../../src/server/node/remote_regions.ts";
import { stitchedRedisKeys } from "../../src/server/node/stitched_redis_keys.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import { regionsAt, within } from "./fake_regions.ts";

const EMPTY = new Uint8Array(0);
const KEYS = Array.from({ length: 60 }, (_, i) => `k${String(i).padStart(3, "0")}`);
const typeOf = (k: string) => [RedisType.String, RedisType.Hash, RedisType.Set][k.length % 3];

/** The keys of a span, as a node's own read gives them. */
function keysOf(span: KeySpan, limit: number, count: boolean): RedisKeysPage {
  const all = KEYS.map(utf8).filter((k) => within(k, span));
  // Counts: database 0 its keys, database 3 twice as many, the others none.
  const counts = Array.from({ length: 16 }, (_, db) => [all.length, 0, 0, 2 * all.length][db] ?? 0);
  if (count) return { keys: [], more: false, counts };
  const keys = all.slice(0, limit).map((key) => ({ key, type: typeOf(fromUtf8(key)) }));
  return { keys, more: all.length > limit, counts: [] };
}

interface SentKeys {
  readonly case: string;
  readonly value: { start: Uint8Array; end: Uint8Array; limit: number; count: boolean };
}

/** A node holding regions `local` of those cut at `edges`; the first `refusals` sends refused. */
function setup(edges: string[], local: number[], refusals = 0) {
  const all = regionsAt(edges);
  const hosted = all.filter((r) => local.includes(r.id)).map((d) =>
    ({ kv: { descriptor: d } }) as unknown as HostedRegion
  );
  const sent: KeySpan[] = [];
  let refused = 0;
  const remote = {
    d: { requestTimeoutMs: 1000 },
    locate: (key: Uint8Array) => Promise.resolve(all.find((r) => within(key, r))),
    send(body: SentKeys, spans: KeySpan[]): Promise<ClientResponse> {
      assert.equal(body.case, "redisKeys");
      const span = spans[0];
      assert.ok(all.some((r) => !local.includes(r.id) && spanWithin(r, span)), "one remote region");
      if (!body.value.count) assert.ok(body.value.limit <= REDIS_KEYS_PART_MAX);
      if (refused < refusals) {
        refused++;
        throw new ServiceError(ErrorCode.EPOCH_NOT_MATCH, "the region split");
      }
      sent.push(span);
      const page = keysOf(span, body.value.limit, body.value.count);
      const value = { keys: page.keys, more: page.more, counts: page.counts.map(BigInt) };
      return Promise.resolve({ body: { case: "redisKeys", value } } as unknown as ClientResponse);
    },
  } as unknown as RemoteRegions;
  const host = { all: () => hosted } as unknown as RegionHost;
  const here = (q: Omit<RedisKeysQuery, "hereOnly">) => {
    assert.ok(hosted.some((r) => spanWithin(r.kv.descriptor, q.span)), "a local part");
    return Promise.resolve(keysOf(q.span, q.limit, q.count));
  };
  const d = { host, remote, here, consistency: "linearizable" as const };
  const read = (span: KeySpan, limit: number, count = false) =>
    stitchedRedisKeys(d, { db: 0, span, limit, count, hereOnly: false });
  return { read, sent };
}

const LAYOUTS: [string[], number[]][] = [
  [["k010", "k020", "k030", "k045"], [1, 3]],
  [["k010", "k020", "k030", "k045"], [2, 5]],
  [["k010", "k020", "k030", "k045"], [4]],
  [["k005"], [1]],
];

test("stitched Redis keys: every walk is the span's keys in order, at every limit", async () => {
  for (const [edges, local] of LAYOUTS) {
    const { read, sent } = setup(edges, local);
    for (const from of [undefined, "k000", "k009", "k010", "k031", "k059"]) {
      const span = { start: from === undefined ? EMPTY : utf8(from), end: EMPTY };
      for (const limit of [1, 2, 7, 11, 61, 100, 100_001]) {
        const got = await read(span, limit);
        const want = keysOf(span, limit, false);
        assert.deepEqual(
          got.keys.map((k) => fromUtf8(k.key)),
          want.keys.map((k) => fromUtf8(k.key)),
        );
        assert.deepEqual(got.keys.map((k) => k.type), want.keys.map((k) => k.type));
        if (!want.more) assert.equal(got.more, false, `${edges} ${local} ${from} ${limit}`);
      }
    }
    const bounded = await read({ start: utf8("k012"), end: utf8("k041") }, 100);
    assert.deepEqual(bounded.keys.map((k) => fromUtf8(k.key)), KEYS.slice(12, 41));
    assert.ok(sent.length > 0, "some parts were read elsewhere");
  }
});

test("stitched Redis keys: a count adds every region's keys once, database by database", async () => {
  for (const [edges, local] of LAYOUTS) {
    const { read } = setup(edges, local);
    const counts = (await read({ start: EMPTY, end: EMPTY }, 0, true)).counts;
    assert.deepEqual(counts, [KEYS.length, 0, 0, 2 * KEYS.length, ...new Array(12).fill(0)]);
  }
});

test("stitched Redis keys: a changed route is planned again; one that never settles fails", async () => {
  const [edges, local] = LAYOUTS[0];
  const again = setup(edges, local, 2);
  const all = await again.read({ start: EMPTY, end: EMPTY }, 100);
  assert.deepEqual(all.keys.map((k) => fromUtf8(k.key)), KEYS);
  const recount = setup(edges, local, 1);
  const counts = (await recount.read({ start: EMPTY, end: EMPTY }, 0, true)).counts;
  assert.equal(counts[0], KEYS.length);
  const never = setup(edges, local, 1_000);
  for (const count of [false, true]) {
    await assert.rejects(
      never.read({ start: EMPTY, end: EMPTY }, 100, count),
      (err: unknown) => err instanceof ServiceError && err.code === ErrorCode.UNAVAILABLE,
    );
  }
});
