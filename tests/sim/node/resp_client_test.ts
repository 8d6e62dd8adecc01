/** The simulation's own RESP encoder and reply parser. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeCommand, parseReply, RespErrorReply } from "../../../src/sim/resp_client.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";

test("resp client: commands are arrays of bulk strings", () => {
  assert.equal(
    fromUtf8(encodeCommand(["SET", "k", "vé"])),
    "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nvé\r\n",
  );
});

test("resp client: replies of every RESP2 type, and incomplete ones", () => {
  const bytes = utf8(
    "+OK\r\n-TRYAGAIN not now\r\n:42\r\n$3\r\nabc\r\n$-1\r\n*2\r\n$1\r\na\r\n$-1\r\n",
  );
  const replies = [];
  for (let at = 0; at < bytes.length;) {
    const r = parseReply(bytes, at);
    assert.ok(r !== undefined);
    replies.push(r.reply);
    at = r.next;
  }
  assert.equal(replies[0], "OK");
  assert.ok(replies[1] instanceof RespErrorReply && replies[1].code === "TRYAGAIN");
  assert.deepEqual(replies.slice(2), [42, "abc", null, ["a", null]]);
  assert.equal(parseReply(utf8("$5\r\nab"), 0), undefined);
  assert.equal(parseReply(utf8("*2\r\n:1\r\n"), 0), undefined);
  assert.throws(() => parseReply(utf8("?\r\n"), 0));
});
