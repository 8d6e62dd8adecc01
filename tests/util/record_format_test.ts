import { test } from "node:test";
import assert from "node:assert/strict";
import {
  readAllRecords,
  RECORD_BLOCK_BYTES,
  RecordReader,
  RecordWriter,
} from "../../src/util/record_format.ts";
import { CorruptionError } from "../../src/util/errors.ts";
import { concatBytes } from "../../src/util/bytes.ts";
import { createPrng, type Prng } from "../../src/util/prng.ts";

function randomRecords(prng: Prng, count: number, maxBytes: number): Uint8Array[] {
  return Array.from({ length: count }, () => {
    const size = prng.chance(0.1) ? prng.int(maxBytes + 1) : prng.int(200);
    return prng.fill(new Uint8Array(size));
  });
}

function writeAll(records: Uint8Array[]): Uint8Array {
  const w = new RecordWriter();
  for (const r of records) w.append(r);
  return w.take();
}

test("records: 200 random files round-trip, including records spanning many blocks", () => {
  const prng = createPrng(1);
  for (let i = 0; i < 200; i++) {
    const records = randomRecords(prng, 1 + prng.int(30), 3 * RECORD_BLOCK_BYTES);
    const file = writeAll(records);
    const got = readAllRecords(file, "test.log");
    assert.equal(got.tornTail, null);
    assert.equal(got.validBytes, file.length);
    assert.deepEqual(got.records.map((r) => r.payload), records);
  }
});

test("records: a writer resumed at a file's size continues the same block layout", () => {
  const prng = createPrng(2);
  const first = randomRecords(prng, 20, 50_000);
  const second = randomRecords(prng, 20, 50_000);
  const a = writeAll(first);
  const w = new RecordWriter(a.length);
  const offsets = second.map((r) => w.append(r));
  const b = w.take();
  const whole = new Uint8Array(a.length + b.length);
  whole.set(a);
  whole.set(b, a.length);
  const got = readAllRecords(whole, "resume.log");
  assert.deepEqual(got.records.map((r) => r.payload), [...first, ...second]);
  assert.deepEqual(got.records.slice(first.length).map((r) => r.offset), offsets);
});

test("records: a flipped bit anywhere is detected, never returned as data", () => {
  const prng = createPrng(3);
  const records = randomRecords(prng, 40, 2 * RECORD_BLOCK_BYTES);
  const file = writeAll(records);
  for (let trial = 0; trial < 2000; trial++) {
    const damaged = file.slice();
    const at = prng.int(damaged.length);
    damaged[at] ^= 1 << prng.int(8);
    let got: ReturnType<typeof readAllRecords> | undefined;
    try {
      got = readAllRecords(damaged, "flip.log");
    } catch (err) {
      assert.ok(err instanceof CorruptionError, String(err));
      assert.match(err.message, /flip\.log at offset \d+/);
      continue;
    }
    assert.ok(got.tornTail !== null, `flip at ${at} went unnoticed`);
    assert.ok(got.records.length < records.length);
    got.records.forEach((r, i) => assert.deepEqual(r.payload, records[i], `record ${i}`));
  }
});

test("records: damage followed by valid records is corruption, naming the offset", () => {
  const prng = createPrng(4);
  const records = Array.from({ length: 300 }, () => prng.fill(new Uint8Array(500)));
  const file = writeAll(records);
  const damaged = file.slice();
  damaged[1000] ^= 0x10;
  assert.throws(() => readAllRecords(damaged, "mid.log"), (err: unknown) => {
    assert.ok(err instanceof CorruptionError);
    assert.equal(err.file, "mid.log");
    assert.ok(err.offset <= 1000, `offset ${err.offset}`);
    return true;
  });
});

test("records: a file cut anywhere reads as its complete records plus a torn tail", () => {
  const prng = createPrng(5);
  const records = randomRecords(prng, 30, 2 * RECORD_BLOCK_BYTES);
  const w = new RecordWriter();
  const ends: number[] = [];
  for (const r of records) {
    w.append(r);
    ends.push(w.fileBytes);
  }
  const file = w.take();
  for (let trial = 0; trial < 500; trial++) {
    const cut = prng.int(file.length + 1);
    const reader = new RecordReader(file.subarray(0, cut), "cut.log");
    const got: Uint8Array[] = [];
    for (let r = reader.next(); r !== undefined; r = reader.next()) got.push(r.payload);
    const complete = ends.filter((e) => e <= cut).length;
    assert.deepEqual(got, records.slice(0, complete));
    const boundary = complete === 0 ? 0 : ends[complete - 1];
    if (cut > boundary && cut - boundary >= 7) {
      assert.ok(reader.tornTail !== null, `cut at ${cut} not reported`);
      assert.equal(reader.validBytes, boundary);
    }
    assert.ok(reader.validBytes <= cut);
  }
});

/** `payload` cut into up to four parts at random places. */
function cutInParts(prng: Prng, payload: Uint8Array): Uint8Array[] {
  const cuts = [0, payload.length];
  for (let k = prng.int(4); k > 0; k--) cuts.push(prng.int(payload.length + 1));
  cuts.sort((a, b) => a - b);
  return cuts.slice(1).map((end, i) => payload.subarray(cuts[i], end));
}

test("records: a record framed from parts through a sink writes the bytes `append` takes", () => {
  const prng = createPrng(3);
  for (let i = 0; i < 60; i++) {
    // Before it, records leave the block at a random place (a header's room or less, too).
    const before = randomRecords(prng, prng.int(4), RECORD_BLOCK_BYTES);
    const record = prng.fill(new Uint8Array(prng.int(40 * RECORD_BLOCK_BYTES)));
    const after = randomRecords(prng, prng.int(3), 2 * RECORD_BLOCK_BYTES);
    const whole = writeAll([...before, record, ...after]);
    const w = new RecordWriter();
    for (const r of before) w.append(r);
    const file = new Uint8Array(whole.length);
    let written = 0;
    const sink = (at: number, framed: Uint8Array) => {
      assert.equal(at, written, "pieces come in order, each where the last ended");
      file.set(framed, at);
      written += framed.length;
    };
    const start = w.appendParts(cutInParts(prng, record), sink);
    for (const r of after) w.append(r);
    file.set(w.take(), written);
    assert.deepEqual(file, whole);
    assert.equal(readAllRecords(file, "t.log").records[before.length].offset, start);
  }
});

test("records: a record starting with exactly a header's room left in the block, or less", () => {
  // 7 bytes left: an empty FIRST fragment there, the data in the next block (leveldb's layout).
  for (let left = 0; left <= 9; left++) {
    const filler = new Uint8Array(RECORD_BLOCK_BYTES - 7 - left);
    const record = new Uint8Array(100).map((_, i) => i);
    const whole = new RecordWriter();
    whole.append(filler);
    whole.append(record);
    const parts = new RecordWriter();
    parts.append(filler);
    const pieces: Uint8Array[] = [parts.take()];
    parts.appendParts([record.subarray(0, 30), record.subarray(30)], (_, b) => pieces.push(b));
    pieces.push(parts.take());
    const file = whole.take();
    assert.deepEqual(concatBytes(pieces), file, `${left} bytes left`);
    const got = readAllRecords(file, "t.log");
    assert.equal(got.tornTail, null);
    assert.deepEqual(got.records.map((r) => r.payload), [filler, record], `${left} bytes left`);
  }
});
