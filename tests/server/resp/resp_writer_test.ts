import { test } from "node:test";
import assert from "node:assert/strict";
import { RespWriter } from "../../../src/server/resp/resp_writer.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";

test("RespWriter encodes every reply type in RESP2 and RESP3", () => {
  const w = new RespWriter();
  w.ok().simple("PONG").error("ERR bad\r\nthing").integer(-3).bulk(utf8("v")).bulk(undefined);
  w.arrayHeader(2).bulkString("a").null().mapHeader(1).bulkString("k").integer(1);
  assert.equal(
    fromUtf8(w.take()),
    "+OK\r\n+PONG\r\n-ERR bad  thing\r\n:-3\r\n$1\r\nv\r\n$-1\r\n*2\r\n$1\r\na\r\n$-1\r\n" +
      "*2\r\n$1\r\nk\r\n:1\r\n",
  );
  assert.equal(w.length, 0);
  w.version = 3;
  w.null().mapHeader(2);
  assert.equal(fromUtf8(w.take()), "_\r\n%2\r\n");
});

test("RespWriter hands a large rendered range to the socket by reference, in order", () => {
  const w = new RespWriter();
  const big = new Uint8Array((1 << 20) + 10).fill(0x61);
  w.ok().raw(big, 5, 1 << 20).integer(7);
  assert.equal(w.length, 5 + (1 << 20) + 4);
  const parts = w.takeParts();
  assert.equal(parts.length, 3);
  assert.equal(fromUtf8(parts[0]), "+OK\r\n");
  assert.equal(parts[1].buffer, big.buffer, "the large range is not copied");
  assert.equal(parts[1].byteOffset, 5);
  assert.equal(parts[1].length, 1 << 20);
  assert.equal(fromUtf8(parts[2]), ":7\r\n");
  assert.equal(w.length, 0);
  // take() still gives one buffer: the same bytes, joined.
  w.raw(big, 0, 1 << 20).ok();
  const one = w.take();
  assert.equal(one.length, (1 << 20) + 5);
  assert.equal(fromUtf8(one.subarray(one.length - 5)), "+OK\r\n");
  assert.ok(one.subarray(0, 1 << 20).every((b) => b === 0x61));
  // Small ranges are copied into the buffer as before: one part.
  w.raw(big, 0, 100).ok();
  assert.equal(w.takeParts().length, 1);
});
