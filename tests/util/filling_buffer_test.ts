import { test } from "node:test";
import assert from "node:assert/strict";
import { FillingBuffer } from "../../src/util/filling_buffer.ts";
import { FrameDecoder } from "../../src/util/frame.ts";
import { RespParser } from "../../src/server/resp/resp_parser.ts";
import { ANNOUNCED_BUFFER_START_BYTES } from "../../src/limits.ts";

const MiB = 1024 * 1024;

test("FillingBuffer allocates as bytes arrive, not as announced", () => {
  const b = new FillingBuffer(100 * MiB, ANNOUNCED_BUFFER_START_BYTES);
  assert.equal(b.allocated, ANNOUNCED_BUFFER_START_BYTES);
  const chunk = new Uint8Array(1000).fill(7);
  for (let i = 0; i < 200; i++) b.append(chunk);
  assert.equal(b.filled, 200_000);
  assert.ok(b.allocated <= 2 * 200_000, `${b.allocated} allocated for 200,000 bytes`);
  assert.throws(() => b.bytes(), /before the announced length/);
  const small = new FillingBuffer(5, 4);
  small.append(new Uint8Array([1, 2]));
  small.append(new Uint8Array([3, 4, 5]));
  assert.deepEqual(small.bytes(), new Uint8Array([1, 2, 3, 4, 5]));
  assert.throws(() => small.append(new Uint8Array([6])), /more bytes than announced/);
});

test("FillingBuffer: a large value arrives whole and exact", () => {
  const total = 3 * MiB + 17;
  const b = new FillingBuffer(total, 1000);
  let sent = 0;
  for (let i = 0; sent < total; i++) {
    const n = Math.min(total - sent, 65_000 + i);
    b.append(new Uint8Array(n).fill(i & 0xff));
    sent += n;
  }
  const out = b.bytes();
  assert.equal(out.length, total);
  assert.equal(out[0], 0);
  assert.equal(out[total - 1], (Math.ceil(total / 65_000) - 1) & 0xff);
});

test("a lying frame prefix or bulk length costs the start buffer, not the announced size", () => {
  const frames = new FrameDecoder(200 * MiB, ANNOUNCED_BUFFER_START_BYTES);
  assert.deepEqual(frames.push(new Uint8Array([0x08, 0, 0, 0, 1, 2, 3])), []);
  assert.equal(frames.bufferedBytes, 7);
  const resp = new RespParser();
  assert.deepEqual(resp.push(new TextEncoder().encode("*2\r\n$3\r\nSET\r\n$100000000\r\nab")), []);
  assert.ok(resp.bufferedBytes <= ANNOUNCED_BUFFER_START_BYTES, `${resp.bufferedBytes} buffered`);
});
