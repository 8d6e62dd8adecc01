import { test } from "node:test";
import assert from "node:assert/strict";
import {
  checkDescriptor,
  containsKey,
  initialRegion,
  isStaleEpoch,
  mergeDescriptors,
  overlaps,
  type RegionDescriptor,
  splitDescriptor,
} from "../../src/region/descriptor.ts";
import { InvalidArgumentError } from "../../src/util/errors.ts";

const k = (s: string) => new TextEncoder().encode(s);

test("descriptor: the first region holds every key, the empty key included", () => {
  const r = initialRegion([1, 2, 3]);
  assert.equal(r.id, 1);
  for (const key of ["", "a", "\u00ff\u00ff\u00ff"]) assert.ok(containsKey(r, k(key)), key);
  checkDescriptor(r);
});

test("descriptor: a split ends the left at the key and starts the right there", () => {
  const [left, right] = splitDescriptor(initialRegion([1, 2, 3]), k("m"), 7);
  assert.deepEqual([left.id, right.id], [1, 7]);
  assert.ok(containsKey(left, k("l")) && !containsKey(left, k("m")));
  assert.ok(containsKey(right, k("m")) && containsKey(right, k("zzz")));
  assert.deepEqual(left.epoch, { version: 2, confVer: 1 });
  assert.deepEqual(right.epoch, { version: 2, confVer: 1 });
  assert.deepEqual(right.replicas, left.replicas);
  assert.ok(!overlaps(left, right));
});

test("descriptor: a split key outside the range or at its start is refused", () => {
  const [left, right] = splitDescriptor(initialRegion([1]), k("m"), 2);
  assert.throws(() => splitDescriptor(left, k("m"), 3), InvalidArgumentError);
  assert.throws(() => splitDescriptor(right, k("m"), 3), InvalidArgumentError);
  assert.throws(() => splitDescriptor(right, k("a"), 3), InvalidArgumentError);
  assert.throws(() => splitDescriptor(right, k("n"), right.id), InvalidArgumentError);
});

test("descriptor: a merge joins adjacent ranges, either side, above both versions", () => {
  const [left, right] = splitDescriptor(initialRegion([1, 2]), k("m"), 2);
  const [mid, rightmost] = splitDescriptor(right, k("t"), 3);
  const intoLeft = mergeDescriptors(left, mid);
  assert.deepEqual([intoLeft.id, intoLeft.start, intoLeft.end], [1, k(""), k("t")]);
  assert.equal(intoLeft.epoch.version, 4);
  const intoRight = mergeDescriptors(rightmost, mid);
  assert.deepEqual([intoRight.id, intoRight.start, intoRight.end], [3, k("m"), k("")]);
  assert.throws(() => mergeDescriptors(left, rightmost), /not adjacent/);
  const moved: RegionDescriptor = { ...mid, replicas: [{ nodeId: 9, role: "voter" }] };
  assert.throws(() => mergeDescriptors(left, moved), /voters differ/);
});

test("descriptor: malformed descriptors are refused with the reason", () => {
  const r = initialRegion([1, 2]);
  const cases: [RegionDescriptor, RegExp][] = [
    [{ ...r, id: 0 }, /positive/],
    [{ ...r, id: 2 ** 53 }, /positive/],
    [{ ...r, epoch: { version: 0, confVer: 1 } }, /version/],
    [{ ...r, start: k("b"), end: k("a") }, /below end/],
    [{ ...r, start: k("b"), end: k("b") }, /below end/],
    [{ ...r, replicas: [{ nodeId: 1, role: "voter" }, { nodeId: 1, role: "learner" }] }, /twice/],
    [{ ...r, replicas: [{ nodeId: 4, role: "learner" }] }, /no voter/],
    [{ ...r, replicas: [{ nodeId: -1, role: "voter" }] }, /node id/],
  ];
  for (const [bad, why] of cases) assert.throws(() => checkDescriptor(bad), why);
});

test("descriptor: an epoch is stale when either counter is behind", () => {
  assert.ok(isStaleEpoch({ version: 1, confVer: 5 }, { version: 2, confVer: 1 }));
  assert.ok(isStaleEpoch({ version: 3, confVer: 1 }, { version: 3, confVer: 2 }));
  assert.ok(!isStaleEpoch({ version: 3, confVer: 2 }, { version: 3, confVer: 2 }));
});
