/**
 * A region's snapshot installed into a shared engine (docs/regions.md "Region snapshots"):
 * only the region's own ranges change, a crash at any batch leaves either the whole image or
 * an empty uninitialized replica, and a bad image changes nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readImportMarker } from "../../src/kv/region_import_marker.ts";
import { openRegions } from "../../src/kv/region_open.ts";
import { importRegionSnapshot } from "../../src/kv/region_snapshot_import.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { CorruptionError } from "../../src/util/errors.ts";
import { b } from "./kv_helpers.ts";
import { imageOf, installedLines, lines, ownedBy, twoRegions } from "./region_import_helpers.ts";

const BOUNDS = { ops: 3, bytes: 64 };
const LEASE_5 = "5,0,0,0,0,0,0,0,5=";

/** Target and source engines; the source's region 2 image. */
async function setup(seed: number) {
  const target = await twoRegions(seed, false);
  const source = await twoRegions(seed + 1, true);
  const d2 = source.r2.descriptor;
  const image = imageOf(source.db, d2, source.r2.kv.appliedIndex);
  const owned = ownedBy(d2);
  const want = await installedLines(source.db, d2, source.r2.kv.appliedIndex);
  return { target, source, d2, image, owned, want };
}

/** Outside region 2's ranges: as before, plus lease 5 (the image's; the target lacked it). */
function assertOutside(before: string[], after: string[]): void {
  const added = after.filter((l) => !before.includes(l));
  assert.deepEqual(after.filter((l) => !added.includes(l)), before, "nothing else changed");
  assert.equal(added.length, 1);
  assert.ok(added[0].startsWith(LEASE_5), `only lease 5 was added: ${added[0]}`);
}

test("region snapshot import: the region becomes the source's, the other region is untouched", async () => {
  const { target, source, image, owned, want } = await setup(1);
  const before = lines(target.db, owned);
  assert.ok(before.inside.some((l) => l.startsWith("2,119=")), "stale w is in the target");
  const report = await importRegionSnapshot(target.db, image, BOUNDS);
  assert.ok(report.cleared > 10 && report.written > 10, JSON.stringify(report));
  const after = lines(target.db, owned);
  assert.deepEqual(after.inside, want, "region 2's records are the source's, byte for byte");
  assertOutside(before.outside, after.outside);
  // Reopened, both regions read as they should.
  const regions = await openRegions(target.db, [1]);
  for (const r of regions) r.kv.garbage.stop();
  const [r1, r2] = regions;
  assert.deepEqual([r1.descriptor.id, r2.descriptor.id], [1, 2]);
  assert.equal(r2.awaitingSnapshot, false);
  assert.deepEqual(r2.descriptor, source.r2.descriptor);
  assert.equal(r2.kv.appliedIndex, source.r2.kv.appliedIndex);
  assert.equal(r2.kv.revision, source.r2.kv.revision);
  const value = (r: typeof r1, k: string) => {
    const v = r.kv.get(b(k))?.value;
    return v === undefined ? undefined : fromUtf8(v);
  };
  assert.deepEqual(["n", "o", "q", "s", "w"].map((k) => value(r2, k)), [
    "2",
    "3",
    undefined,
    "leased",
    undefined,
  ]);
  assert.deepEqual(["a", "b", "e"].map((k) => value(r1, k)), ["2", "2", "leased"]);
  assert.equal(r1.kv.appliedIndex, target.r1.kv.appliedIndex);
});

test("region snapshot import: a bad image is refused and changes nothing", async () => {
  const { target, source, d2, image } = await setup(3);
  const all = () => lines(target.db, () => false).outside;
  const before = all();
  const pieces: Uint8Array[] = [];
  for await (const p of image.stream()) pieces.push(p);
  const from = (ps: Uint8Array[]) => ({ ...image, stream: () => toAsync(ps) });
  const flipped = pieces.map((p) => p.slice());
  flipped[5][10] ^= 0x40;
  const region1 = imageOf(source.db, source.r1.descriptor, source.r1.kv.appliedIndex);
  const wide = { ...d2, start: new Uint8Array(0) }; // region 1's keys are in the image
  const bad: [string, Parameters<typeof importRegionSnapshot>[1], string][] = [
    ["a flipped bit", from(flipped), "CorruptionError"],
    ["cut short", from(pieces.slice(0, -1)), "CorruptionError"],
    ["trailing bytes", from([...pieces, new Uint8Array([1])]), "CorruptionError"],
    ["region 1's image as region 2's", { ...region1, descriptor: d2 }, "CorruptionError"],
    [
      "keys outside the range",
      { ...imageOf(source.db, wide, image.index), descriptor: d2 },
      "CorruptionError",
    ],
    ["another applied index", { ...image, index: image.index + 1 }, "CorruptionError"],
    ["a range over region 1's", { ...image, descriptor: wide }, "InvalidArgumentError"],
    ["index 0", { ...image, index: 0 }, "InvalidArgumentError"],
  ];
  for (const [what, img, kind] of bad) {
    await assert.rejects(importRegionSnapshot(target.db, img, BOUNDS), { name: kind }, what);
    assert.deepEqual(all(), before, `${what}: the engine is unchanged`);
  }
});

async function* toAsync(pieces: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of pieces) yield p;
}

test("region snapshot import: an image that changes between its reads leaves the region empty", async () => {
  const { target, image, owned } = await setup(5);
  const before = lines(target.db, owned);
  let reads = 0;
  const changing = {
    ...image,
    async *stream() {
      const second = ++reads === 2;
      let i = 0;
      for await (const p of image.stream()) {
        const piece = second && i++ === 8 ? p.slice() : p;
        if (second && i === 9) piece[3] ^= 1;
        yield piece;
      }
    },
  };
  await assert.rejects(importRegionSnapshot(target.db, changing, BOUNDS), CorruptionError);
  const after = lines(target.db, owned);
  assert.equal(after.inside.length, 2, "only the descriptor and the marker");
  assert.equal(readImportMarker(target.db, 2)?.state, "awaiting");
  assert.deepEqual(after.outside, before.outside);
});
