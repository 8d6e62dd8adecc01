import { test } from "node:test";
import assert from "node:assert/strict";
import { payloadBytes, transferAllowanceMs } from "../../src/client/client.ts";
import { CLIENT_TIMEOUT_BYTES_PER_SECOND } from "../../src/limits.ts";
import { ByteWriter } from "../../src/util/coding.ts";

test("client timeouts grow with the request payload (keys and values it carries)", () => {
  const key = new Uint8Array(10);
  const value = new Uint8Array(100 << 20);
  assert.equal(payloadBytes({ case: "put", value: { key, value } }), 10 + (100 << 20));
  const ops = [
    { op: { case: "put" as const, value: { key, value: new Uint8Array(5) } } },
    { op: { case: "delete" as const, value: { key } } },
  ];
  assert.equal(payloadBytes({ case: "batch", value: { ops } }), 10 + 5 + 10);
  assert.equal(payloadBytes({ case: "status", value: {} }), 0);
  assert.equal(transferAllowanceMs(0), 0);
  assert.equal(transferAllowanceMs(CLIENT_TIMEOUT_BYTES_PER_SECOND), 1000);
  // A 100 MiB put gets 25 s more than the defaults (3 s attempt, 10 s deadline).
  assert.equal(transferAllowanceMs(100 << 20), 25_000);
});

test("a reused ByteWriter drops a buffer grown by a large value on reset", () => {
  const w = new ByteWriter(64);
  w.bytes(new Uint8Array(4 << 20).fill(1));
  assert.equal(w.length, 4 << 20);
  assert.ok(w.capacity >= 4 << 20);
  w.reset();
  assert.equal(w.capacity, 64);
  w.u8(7);
  assert.deepEqual(w.finish(), new Uint8Array([7]));
  // Small contents keep working across resets (the buffer is reused).
  w.bytes(new Uint8Array(1000));
  const grown = w.capacity;
  for (let i = 0; i < 3; i++) {
    w.reset();
    w.varint(300);
    assert.deepEqual(w.view(), new Uint8Array([0xac, 0x02]));
    assert.equal(w.capacity, grown);
  }
});

test("ByteWriter.take hands a large buffer over without copying and keeps small ones", () => {
  const w = new ByteWriter(64);
  w.bytes(new Uint8Array(3 << 20).fill(9));
  const capacity = w.capacity;
  assert.ok(capacity >= 3 << 20 && capacity < 4 << 20, "a big jump gets 1/8 headroom, not 2×");
  const big = w.take();
  assert.equal(big.length, 3 << 20);
  assert.equal(big.buffer.byteLength, capacity, "no copy: the taken bytes are the old buffer");
  assert.equal(w.capacity, 64);
  w.bytes(new Uint8Array([1, 2, 3]));
  const small = w.take();
  assert.deepEqual(small, new Uint8Array([1, 2, 3]));
  w.u8(4);
  assert.deepEqual(small, new Uint8Array([1, 2, 3]), "a small take is a copy the writer reuses");
});
