/**
 * The differential harness's own parts, without servers: the RESP reply parser, case files and
 * comparison rules. If these were wrong the differential test could pass on replies that differ.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCases, splitWords } from "./case_file.ts";
import { disagreement } from "./compare_replies.ts";
import { encodeCommand, type RawReply } from "./resp_conn.ts";
import { fromLatin1, latin1, parseReply, showReply } from "./resp_reply.ts";

function reply(raw: string): RawReply {
  const parsed = parseReply(fromLatin1(raw));
  assert.ok(parsed !== undefined && parsed.end === raw.length, `one whole reply: ${raw}`);
  return { raw, reply: parsed.reply };
}

test("resp reply: every RESP2 and RESP3 type parses, and partial replies wait for more", () => {
  const raw = "*4\r\n$3\r\na\r\n\r\n$-1\r\n:-7\r\n%1\r\n+k\r\n~2\r\n_\r\n,1.5\r\n";
  const whole = parseReply(fromLatin1(raw + "+next\r\n"));
  assert.equal(whole?.end, raw.length);
  assert.equal(
    showReply(whole.reply),
    '*["a\\r\\n", (nil $), (integer) -7, %[+"k", ~[(null), ,"1.5"]]]',
  );
  for (let cut = 0; cut < raw.length; cut++) {
    assert.equal(parseReply(fromLatin1(raw.slice(0, cut))), undefined, `cut at ${cut}`);
  }
  assert.deepEqual(parseReply(fromLatin1("*-1\r\n"))?.reply, { type: "*" });
  assert.throws(() => parseReply(fromLatin1("hello\r\n")), /not RESP/);
  assert.equal(
    latin1(encodeCommand(["SET", "k\xff", ""])),
    "*3\r\n$3\r\nSET\r\n$2\r\nk\xff\r\n$0\r\n\r\n",
  );
});

test("case files: words as redis-cli reads them, steps with connections and rules", () => {
  assert.deepEqual(splitWords(`SET "a b\\x00\\n" 'c"d' ""`), ["SET", "a b\x00\n", 'c"d', ""]);
  assert.throws(() => splitWords(`GET "open`), /unterminated/);
  const [c] = parseCases(
    "# c\n=== one\nSET k v\n@2 ~sorted KEYS *\n~sleep:10\n@3 ~recv\n~replies:2 SUBSCRIBE a b\n",
    "f.txt",
  );
  assert.equal(c.name, "one");
  assert.deepEqual(c.steps.map((s) => [s.line, s.conn, s.args.join(" "), s.replies]), [
    [3, 1, "SET k v", 1],
    [4, 2, "KEYS *", 1],
    [5, 1, "", 0],
    [6, 3, "", 1],
    [7, 1, "SUBSCRIBE a b", 2],
  ]);
  assert.deepEqual(c.steps[1].rule, { kind: "sorted" });
  const [raw] = parseCases('=== r\n~replies:0 ~raw "*-1\\r\\n"\n', "f.txt");
  assert.deepEqual([raw.steps[0].raw, raw.steps[0].replies, raw.steps[0].args], ["*-1\r\n", 0, []]);
  assert.throws(() => parseCases("=== r\n~raw a b\n", "f.txt"), /~raw takes one/);
  assert.throws(() => parseCases("GET k\n", "f.txt"), /f\.txt:1: a step before/);
  assert.throws(() => parseCases("=== a\n~bogus GET k\n", "f.txt"), /f\.txt:2: unknown rule/);
  assert.throws(() => parseCases("=== a\n~sleep:99999\n", "f.txt"), /~sleep over/);
  assert.throws(() => parseCases("=== a\n=== a\n", "f.txt"), /repeated/);
});

test("compare: exact is byte for byte; sorted, shape and range loosen only what they say", () => {
  const exact = { kind: "exact" } as const;
  assert.equal(disagreement(exact, reply("+OK\r\n"), reply("+OK\r\n")), undefined);
  assert.equal(disagreement(exact, reply("-ERR x \r\n"), reply("-ERR x\r\n")), "bytes differ");
  assert.equal(disagreement(exact, reply("$1\r\n1\r\n"), reply(":1\r\n")), "bytes differ");
  const sorted = { kind: "sorted" } as const;
  const ab = reply("*2\r\n$1\r\na\r\n*2\r\n$1\r\nx\r\n$1\r\ny\r\n");
  const ba = reply("*2\r\n*2\r\n$1\r\ny\r\n$1\r\nx\r\n$1\r\na\r\n");
  assert.equal(disagreement(sorted, ab, ba), undefined);
  const aa = reply("*2\r\n$1\r\na\r\n$1\r\na\r\n");
  assert.notEqual(disagreement(sorted, aa, reply("*1\r\n$1\r\na\r\n")), undefined);
  const shape = { kind: "shape" } as const;
  assert.equal(disagreement(shape, reply("$2\r\nab\r\n"), reply("$1\r\nc\r\n")), undefined);
  assert.notEqual(disagreement(shape, reply("$2\r\nab\r\n"), reply("$-1\r\n")), undefined);
  assert.notEqual(disagreement(shape, aa, reply("*1\r\n$1\r\na\r\n")), undefined);
  const range = { kind: "range", lo: 90n, hi: 100n } as const;
  assert.equal(disagreement(range, reply(":100\r\n"), reply(":95\r\n")), undefined);
  assert.notEqual(disagreement(range, reply(":100\r\n"), reply(":101\r\n")), undefined);
  assert.notEqual(disagreement(range, reply(":100\r\n"), reply("$2\r\n95\r\n")), undefined);
  assert.match(disagreement(range, reply(":5\r\n"), reply(":95\r\n")) ?? "", /redis's reply/);
  const late = new Error("no reply within 2000 ms");
  assert.equal(disagreement(exact, late, reply("+OK\r\n")), "one server did not reply");
});
