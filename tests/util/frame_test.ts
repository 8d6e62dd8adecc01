import { ANNOUNCED_BUFFER_START_BYTES, FRAME_BYTES_MAX } from "../../src/limits.ts";
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeFrame, FrameDecoder, FrameTooLargeError } from "../../src/util/frame.ts";
import { concatBytes } from "../../src/util/bytes.ts";
import { createPrng } from "../../src/util/prng.ts";

test("FrameDecoder reassembles frames split at every possible chunk boundary", () => {
  const prng = createPrng(11);
  const payloads = Array.from({ length: 50 }, (_, i) => prng.fill(new Uint8Array(i * 7)));
  const stream = concatBytes(payloads.map(encodeFrame));
  for (let trial = 0; trial < 50; trial++) {
    const dec = new FrameDecoder(FRAME_BYTES_MAX, ANNOUNCED_BUFFER_START_BYTES);
    const got: Uint8Array[] = [];
    let at = 0;
    while (at < stream.length) {
      const n = 1 + prng.int(trial < 10 ? 3 : 200);
      got.push(...dec.push(stream.subarray(at, at + n)));
      at += n;
    }
    assert.deepEqual(got, payloads);
    assert.equal(dec.bufferedBytes, 0);
  }
});

test("FrameDecoder rejects an oversized declared length before allocating", () => {
  const dec = new FrameDecoder(1024, ANNOUNCED_BUFFER_START_BYTES);
  const header = new Uint8Array([0xff, 0xff, 0xff, 0xf0]);
  assert.throws(() => dec.push(header), FrameTooLargeError);
  const dec2 = new FrameDecoder(1024, ANNOUNCED_BUFFER_START_BYTES);
  assert.deepEqual(dec2.push(new Uint8Array([0, 0])), []);
  assert.throws(() => dec2.push(new Uint8Array([4, 1])), /exceeds the 1024-byte limit/);
  assert.equal(
    new FrameDecoder(1024, ANNOUNCED_BUFFER_START_BYTES).push(encodeFrame(new Uint8Array(1024)))
      .length,
    1,
  );
});

test("FrameDecoder holds a truncated frame without emitting it", () => {
  const dec = new FrameDecoder(FRAME_BYTES_MAX, ANNOUNCED_BUFFER_START_BYTES);
  const frame = encodeFrame(new Uint8Array([1, 2, 3, 4, 5]));
  assert.deepEqual(dec.push(frame.subarray(0, 7)), []);
  assert.equal(dec.bufferedBytes, 7);
  assert.deepEqual(dec.push(frame.subarray(7)), [new Uint8Array([1, 2, 3, 4, 5])]);
});
