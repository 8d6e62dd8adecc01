/**
 * The parts a node holding some regions cuts a scan into (src/server/node/scan_parts.ts), with
 * a fake host and fake remote regions: runs of local regions are read here, every other stretch
 * is sent on cut at the remote regions' edges (never a span a local region holds, never one
 * across two remote regions); the stitched pages equal one scan over every key, both ways; a
 * forward page asks placement only for the regions it reads.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ClientResponse } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import type { KvScanPage, KvScanRequest } from "../../src/kv/kv_scan.ts";
import { compareEnd, type RegionDescriptor } from "../../src/region/descriptor.ts";
import { type KeySpan, spanWithin } from "../../src/region/region_catalog.ts";
import type { HostedRegion } from "../../src/server/node/region_host.ts";
import type { RemoteRegions } from "../../src/server/node/remote_regions.ts";
import { NodeScanParts } from "../../src/server/node/scan_parts.ts";
import { scanSpan, stitchedScan } from "../../src/server/node/stitched_scan.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import { regionsAt, within } from "./fake_regions.ts";

const EMPTY = new Uint8Array(0);
const KEYS = Array.from({ length: 50 }, (_, i) => `k${String(i).padStart(3, "0")}`);

/** The scan a remote part is sent as (the fields this test reads). */
interface SentScan {
  readonly case: string;
  readonly value: { start: Uint8Array; end: Uint8Array; limit: number; reverse: boolean };
}

function scanOf(r: KvScanRequest): KvScanPage {
  const span = scanSpan(r);
  let keys = KEYS.map(utf8).filter((k) => within(k, span));
  if (r.reverse) keys = keys.reverse();
  const limit = r.limit || 1000;
  const from = keys.slice(r.offset ?? 0);
  const items = from.slice(0, limit).map((key) => ({
    key,
    value: key,
    createRevision: 3,
    modRevision: 4,
    version: 1,
    lease: 0,
    expireAtMs: 0,
  }));
  const more = from.length > limit;
  return { items, nextCursor: more ? items[items.length - 1].key : undefined, revision: 9 };
}

/** The node's regions (`local`, ids of `all`) and the others, as placement reports them. */
function setup(edges: string[], local: number[]) {
  const all = regionsAt(edges);
  const mine = all.filter((r) => local.includes(r.id));
  const hosted = mine.map((d) => ({ kv: { descriptor: d } }) as unknown as HostedRegion);
  const sent: KeySpan[] = [];
  const scannedHere: KeySpan[] = [];
  let located = 0;
  const remote = {
    d: { requestTimeoutMs: 1000 },
    locate(key: Uint8Array) {
      located++;
      return Promise.resolve(all.find((r) => within(key, r)));
    },
    send(body: SentScan, spans: KeySpan[]): Promise<ClientResponse> {
      assert.equal(body.case, "scan");
      const span = spans[0];
      sent.push(span);
      assert.ok(all.some((r) => !local.includes(r.id) && spanWithin(r, span)), "one remote region");
      const v = body.value;
      assert.deepEqual({ start: v.start, end: v.end }, span);
      const page = scanOf({ start: v.start, end: v.end, limit: v.limit, reverse: v.reverse });
      const items = page.items.map((s) => ({
        ...s,
        createRevision: BigInt(s.createRevision),
        modRevision: BigInt(s.modRevision),
        version: 1n,
        lease: 0n,
        expireAtMs: 0n,
      }));
      const value = { items, nextCursor: page.nextCursor ?? EMPTY, revision: 9n };
      return Promise.resolve({ body: { case: "scan", value } } as unknown as ClientResponse);
    },
  } as unknown as RemoteRegions;
  const parts = new NodeScanParts({
    regions: () => hosted,
    remote,
    local: (r) => {
      const span = { start: r.start ?? EMPTY, end: r.end ?? EMPTY };
      scannedHere.push(span);
      assert.ok(mine.some((d) => spanWithin(d, span)) || covered(mine, span), "held here");
      return Promise.resolve(scanOf(r));
    },
    consistency: "linearizable",
    timeoutMs: 1000,
  });
  return { parts, sent, scannedHere, located: () => located };
}

/** Whether contiguous local regions hold the span. */
function covered(mine: RegionDescriptor[], span: KeySpan): boolean {
  let at = span.start;
  for (const d of mine) {
    if (!within(at, d)) continue;
    if (d.end.length === 0 || compareEnd(span.end, d.end) <= 0) return true;
    at = d.end;
  }
  return false;
}

const text = (p: KvScanPage) => p.items.map((i) => fromUtf8(i.key));

test("scan parts: local runs read here, the rest sent on per region, pages as one scan", async () => {
  const edges = ["k005", "k010", "k020", "k030", "k040"];
  for (const local of [[2, 3], [1, 4, 6], [5], [1, 2, 3, 4, 6]]) {
    for (const r of [{}, { limit: 7 }, { reverse: true, limit: 6 }, { offset: 3, limit: 30 }]) {
      const { parts, sent, scannedHere } = setup(edges, local);
      const got = await stitchedScan(parts, r);
      const want = scanOf(r);
      assert.deepEqual(text(got), text(want), `${local} ${JSON.stringify(r)}`);
      assert.deepEqual(got.nextCursor, want.nextCursor);
      if (Object.keys(r).length === 0) {
        // The whole keyspace: every stretch of it read, here or sent on.
        assert.ok(sent.length > 0 && scannedHere.length > 0);
      }
    }
  }
});

test("scan parts: a forward page asks placement only for the regions it reads", async () => {
  const { parts, located } = setup(["k005", "k010", "k020", "k030", "k040"], [2]);
  const page = await stitchedScan(parts, { limit: 2 });
  assert.deepEqual(text(page), ["k000", "k001"]);
  assert.equal(located(), 1);
});
