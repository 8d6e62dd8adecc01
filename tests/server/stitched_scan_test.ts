/**
 * The stitching of a scan on a node holding some regions (src/server/node/stitched_scan.ts), over
 * fake parts: every page equals the same page of one scan over all keys (the node holding every
 * region), forward and reverse, with prefixes, offsets and limits ending inside a part; pages
 * resumed by their cursors read every key once, in order; a part whose region split meanwhile is
 * planned again; a route that never settles ends in UNAVAILABLE, never in a gap.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import type { KvScanPage, KvScanRequest } from "../../src/kv/kv_scan.ts";
import { compareEnd } from "../../src/region/descriptor.ts";
import { type KeySpan, scanSpanOf } from "../../src/region/region_catalog.ts";
import { ServiceError } from "../../src/server/kv_service.ts";
import {
  type ScanPart,
  type ScanParts,
  scanSpan,
  stitchedScan,
} from "../../src/server/node/stitched_scan.ts";
import { compareBytes, fromUtf8, utf8 } from "../../src/util/bytes.ts";

const EMPTY = new Uint8Array(0);
const KEYS = Array.from({ length: 60 }, (_, i) => `k${String(i).padStart(3, "0")}`);

function within(key: Uint8Array, span: KeySpan): boolean {
  return compareBytes(key, span.start) >= 0 && compareEnd(span.end, key) > 0;
}

/** One scan over every key: what a node holding every region answers. */
function wholeScan(r: KvScanRequest): KvScanPage {
  const span = scanSpan(r);
  let keys = KEYS.map(utf8).filter((k) => within(k, span));
  if (r.reverse) keys = keys.reverse();
  const limit = r.limit || 1000;
  const from = keys.slice(r.offset ?? 0);
  const items = from.slice(0, limit).map((key) => ({
    key,
    value: key,
    createRevision: 1,
    modRevision: 1,
    version: 1,
    lease: 0,
    expireAtMs: 0,
  }));
  const more = from.length > limit;
  return { items, nextCursor: more ? items[items.length - 1].key : undefined, revision: 7 };
}

/** Regions cut at `edges`; the odd ones "local", the rest "remote". Counts reads. */
class FakeParts implements ScanParts {
  reads = 0;
  remoteReads = 0;
  /** Refusals left: a remote part read fails as a changed route while this is above 0. */
  changes = 0;
  onChange: () => void = () => {};
  constructor(public edges: string[]) {}

  plan(span: KeySpan, _reverse: boolean): Promise<ScanPart[]> {
    const cuts = [EMPTY, ...this.edges.map(utf8), EMPTY];
    const parts: ScanPart[] = [];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const r = { start: cuts[i], end: cuts[i + 1] };
      const start = compareBytes(span.start, r.start) > 0 ? span.start : r.start;
      const end = compareEnd(r.end, span.end) < 0 ? r.end : span.end;
      if (compareEnd(end, start) > 0) parts.push({ span: { start, end }, local: i % 2 === 1 });
    }
    return Promise.resolve(parts);
  }

  read(part: ScanPart, request: KvScanRequest): Promise<KvScanPage> {
    this.reads++;
    assert.ok(this.reads < 1000, "bounded");
    assert.equal(compareBytes(request.start ?? EMPTY, part.span.start), 0);
    if (!part.local) {
      this.remoteReads++;
      if (this.changes > 0) {
        this.changes--;
        this.onChange();
        return Promise.reject(new ServiceError(ErrorCode.EPOCH_NOT_MATCH, "split"));
      }
    }
    return Promise.resolve(wholeScan(request));
  }
}

const text = (p: KvScanPage) => p.items.map((i) => fromUtf8(i.key));

const CASES: KvScanRequest[] = [
  {},
  { limit: 7 },
  { limit: 10, offset: 13 },
  { reverse: true, limit: 9 },
  { reverse: true, offset: 5, limit: 4 },
  { prefix: utf8("k02") },
  { start: utf8("k011"), end: utf8("k047"), limit: 12 },
  { start: utf8("k011"), end: utf8("k047"), reverse: true, limit: 12 },
  { cursor: utf8("k018"), limit: 5 },
  { cursor: utf8("k018"), limit: 5, reverse: true },
  { start: utf8("k030"), end: utf8("k030") },
];

test("stitched scan: every page equals the one scan over all keys", async () => {
  for (const edges of [["k010", "k020", "k030", "k040"], ["k005"], ["k0155", "k016", "k050"]]) {
    for (const c of CASES) {
      const parts = new FakeParts(edges);
      const got = await stitchedScan(parts, c);
      const want = wholeScan(c);
      const label = `${edges} ${JSON.stringify({ ...c, prefix: undefined })}`;
      assert.deepEqual(text(got), text(want), label);
      assert.deepEqual(got.nextCursor, want.nextCursor, label);
      // The first part's revision (an empty range reads no part).
      if (got.items.length > 0) assert.equal(got.revision, 7);
    }
  }
});

test("stitched scan: pages resumed by their cursor read every key once, in order", async () => {
  for (const reverse of [false, true]) {
    const parts = new FakeParts(["k010", "k020", "k030", "k040"]);
    const seen: string[] = [];
    let cursor: Uint8Array | undefined;
    for (let page = 0; page < 100; page++) {
      // 7 keys a page: pages end inside the remote parts [k000, k010) and [k020, k030).
      const p = await stitchedScan(parts, { limit: 7, reverse, cursor });
      seen.push(...text(p));
      cursor = p.nextCursor;
      if (cursor === undefined) break;
    }
    assert.deepEqual(seen, reverse ? [...KEYS].reverse() : KEYS);
    assert.ok(parts.remoteReads > 0);
  }
});

test("stitched scan: a part whose region split meanwhile is planned again", async () => {
  const parts = new FakeParts(["k030"]);
  parts.changes = 1;
  parts.onChange = () => parts.edges = ["k015", "k030", "k045"];
  const got = await stitchedScan(parts, {});
  assert.deepEqual(text(got), KEYS);
  assert.equal(parts.changes, 0);
});

test("stitched scan: a route that keeps changing fails UNAVAILABLE, never with a gap", async () => {
  const parts = new FakeParts(["k030"]);
  parts.changes = 100;
  await assert.rejects(
    stitchedScan(parts, { start: utf8("k000") }),
    (err: unknown) => err instanceof ServiceError && err.code === ErrorCode.UNAVAILABLE,
  );
  assert.ok(parts.reads <= 4, `bounded attempts (${parts.reads})`);
});

test("stitched scan: the span after a cursor", () => {
  const span = scanSpan({ prefix: utf8("a"), cursor: utf8("ab") });
  assert.deepEqual(span, { start: utf8("ab\0"), end: utf8("b") });
  assert.deepEqual(scanSpan({ cursor: utf8("m"), reverse: true }), {
    start: EMPTY,
    end: utf8("m"),
  });
  assert.deepEqual(scanSpanOf(EMPTY, EMPTY, EMPTY), { start: EMPTY, end: EMPTY });
});
