/**
 * The write load of the regions a node leads (src/server/node/region_load.ts): rates per window,
 * a split key that halves the sampled writes, none for a hot key, and the merge check's `busy`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SimClock } from "../../src/platform/sim/sim_clock.ts";
import {
  REGION_LOAD_SAMPLE_KEYS,
  REGION_LOAD_WINDOW_MS,
  RegionLoad,
} from "../../src/server/node/region_load.ts";
import type { RegionDescriptor } from "../../src/region/descriptor.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";

const region = (start: string, end: string): RegionDescriptor => ({
  id: 7,
  start: utf8(start),
  end: utf8(end),
  epoch: { version: 2, confVer: 1 },
  replicas: [],
});
const key = (i: number) => utf8(`k${String(i).padStart(4, "0")}`);

test("region load: the rate of the last whole window, or of the one in progress once higher", () => {
  const clock = new SimClock();
  const load = new RegionLoad(clock, 1);
  assert.equal(load.rate(7), 0, "nothing counted");
  for (let i = 0; i < 5_000; i++) load.record(7, key(i % 100));
  assert.equal(load.rate(7), 5_000 * 1000 / REGION_LOAD_WINDOW_MS, "the window in progress");
  clock.advance(REGION_LOAD_WINDOW_MS);
  load.record(7, key(1));
  assert.equal(load.rate(7), 500, "the last whole window's, above the new one's");
  clock.advance(REGION_LOAD_WINDOW_MS);
  assert.equal(load.rate(7), 0.1, "the window that just ended had one write");
  clock.advance(2 * REGION_LOAD_WINDOW_MS);
  assert.equal(load.rate(7), 0, "a gap of a whole window keeps nothing");
});

test("region load: the split key halves the sampled writes, inside the region", () => {
  const clock = new SimClock();
  const load = new RegionLoad(clock, 2);
  const r = region("k0000", "k1000");
  for (let i = 0; i < 20_000; i++) load.record(7, key(i % 1000));
  const cut = load.splitKey(r);
  assert.ok(cut !== undefined);
  const n = Number(fromUtf8(cut).slice(1));
  assert.ok(n > 350 && n < 650, `the cut ${fromUtf8(cut)} is near the middle of uniform writes`);
  // Writes over the lower tenth of the keys only: the cut follows them, not the range.
  const skewed = new RegionLoad(clock, 3);
  for (let i = 0; i < 20_000; i++) skewed.record(7, key(i % 100));
  const low = Number(fromUtf8(skewed.splitKey(r) ?? utf8("k9999")).slice(1));
  assert.ok(low > 20 && low < 80, `the cut k${low} halves the writes`);
});

test("region load: no split key for one hot key, a lopsided sample or one outside", () => {
  const clock = new SimClock();
  const hot = new RegionLoad(clock, 4);
  for (let i = 0; i < 10_000; i++) hot.record(7, key(i % 10 === 0 ? i % 1000 : 500));
  assert.equal(hot.splitKey(region("k0000", "k1000")), undefined, "90% on one key");
  const first = new RegionLoad(clock, 5);
  for (let i = 0; i < 1_000; i++) first.record(7, key(i % 2 === 0 ? 0 : 1));
  assert.equal(first.splitKey(region("k0001", "")), undefined, "the middle is the start");
  assert.equal(new RegionLoad(clock, 6).splitKey(region("", "")), undefined, "no writes");
});

test("region load: busy until a whole window shows the rate low; forgotten on a change", () => {
  const clock = new SimClock();
  const load = new RegionLoad(clock, 7);
  assert.equal(load.busy(7, 1000), true, "never led here: its writes are not known");
  load.leading(7);
  assert.equal(load.busy(7, 1000), true, "led here for less than a window");
  clock.advance(REGION_LOAD_WINDOW_MS);
  assert.equal(load.busy(7, 1000), false, "a whole window without a write");
  for (let i = 0; i < 2_600; i++) load.record(7, key(i));
  assert.equal(load.busy(7, 1000), true, "260 a second: above a quarter of 1,000");
  clock.advance(REGION_LOAD_WINDOW_MS);
  load.record(7, key(1));
  assert.equal(load.busy(7, 1000), true, "the last whole window's 260 a second");
  clock.advance(REGION_LOAD_WINDOW_MS);
  assert.equal(load.busy(7, 1000), false, "the last whole window had one write");
  load.forget(7);
  assert.equal(load.rate(7), 0);
  assert.equal(load.busy(7, 1000), true, "its range changed: not known again");
  // The sample stays bounded however many writes come.
  for (let i = 0; i < 100_000; i++) load.record(7, key(i % 1000));
  assert.ok(load.splitKey(region("", "")) !== undefined);
  assert.ok(REGION_LOAD_SAMPLE_KEYS <= 256);
});
