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
