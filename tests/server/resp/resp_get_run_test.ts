/**
 * Pipelined GETs answered as one run (resp_get_run.ts): the parser's fast path gives what the
 * general path gives, and a run answers each GET exactly as it would alone — in order with the
 * writes around it, with the node's read barrier met at once (a sole voter) or awaited, and with
 * one error per GET when the read fails. The binary's replies are compared with redis-server's in
 * tests/resp_diff/cases/strings_get_pipeline.txt.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../../src/gen/tinykv/v1/tinykv_pb.ts";
import { RESP_GET_RUN_MAX } from "../../../src/limits_ops.ts";
import type { KvStateMachine } from "../../../src/kv/state_machine.ts";
import { type KvService, ServiceError } from "../../../src/server/kv_service.ts";
import { isPlainGet } from "../../../src/server/resp/resp_get_name.ts";
import { type RespCommand, RespParser } from "../../../src/server/resp/resp_parser.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";
import { createPrng } from "../../../src/util/prng.ts";
import type { LocalKvService } from "../local_kv_service.ts";
import { bulk, cmd, err, RawClient, startServer } from "./resp_test_client.ts";

test("RESP parser: a GET by the fast path parses as by the general path, at any split", () => {
  const prng = createPrng(14);
  const shapes = [
    ["GET", "k"],
    ["get", "key:000000001234"],
    ["GeT", "mixed"],
    ["GET", ""],
    ["GET"],
    ["GET", "a", "b"],
    ["SET", "k", "v"],
    ["GET", "x".repeat(300)],
    ["GET", "line\r\nbreak"],
  ];
  for (let trial = 0; trial < 60; trial++) {
    const cmds = Array.from({ length: 12 }, () => shapes[prng.int(shapes.length)]);
    const stream = utf8(cmds.map((c) => cmd(...c)).join(""));
    const p = new RespParser();
    const got: RespCommand[] = [];
    for (let at = 0; at < stream.length;) {
      const n = 1 + prng.int(trial < 20 ? 3 : 64);
      got.push(...p.push(stream.subarray(at, at + n)));
      at += n;
    }
    assert.deepEqual(got.map((c) => c.map(fromUtf8)), cmds);
    // Only a GET of one key spelled GET or get is marked for a run (when it arrived whole).
    const plain = cmds.map((c) => c.length === 2 && (c[0] === "GET" || c[0] === "get"));
    got.forEach((c, i) => assert.ok(!isPlainGet(c) || plain[i], `${cmds[i]} marked`));
    assert.deepEqual(new RespParser().push(stream).map(isPlainGet), plain);
    assert.equal(p.bufferedBytes, 0);
  }
});

test("RESP parser: a GET over a limit fails as it did before the fast path", () => {
  const limits = { argsMax: 4, bulkBytesMax: 10, lineBytesMax: 32, commandBytesMax: 12 };
  const parse = (...args: string[]) => new RespParser(limits).push(utf8(cmd(...args)));
  assert.throws(() => parse("GET", "k".repeat(11)), /invalid bulk length/);
  assert.throws(() => parse("GET", "k".repeat(10)), /command too large/);
  assert.equal(parse("GET", "k".repeat(9)).length, 1);
  const chunk = utf8("*2\r\n$3\r\nGET\r\n$1\r\nkX\r\n");
  assert.throws(() => new RespParser().push(chunk), /not terminated by CRLF/);
});

/** `local` with some methods replaced (the others bound to it: it has private fields). */
function patched(local: LocalKvService, methods: Partial<KvService>): KvService {
  return new Proxy(local, {
    get(target, name) {
      const own = (methods as Record<string | symbol, unknown>)[name];
      if (own !== undefined) return own;
      const value = Reflect.get(target, name);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** The local service, answering reads in the turn they arrive as a sole voter's node does. */
function withReadNow(local: LocalKvService): KvService {
  return patched(local, {
    readStateNow: <T>(_c: unknown, read: (kv: KvStateMachine) => T) => ({ value: read(local.kv) }),
  });
}

const PIPELINE = [
  ["SET", "a", "1"],
  ["GET", "a"],
  ["GET", "b"],
  ["HSET", "h", "f", "v"],
  ["get", "h"],
  ["GET", "a"],
  ["SET", "a", "2"],
  ["GET", "a"],
  ["SELECT", "1"],
  ["GET", "a"],
  ["SET", "a", "one"],
  ["GET", "a"],
  ["SELECT", "0"],
  ["GET", "a"],
  ["GET", ""],
];
const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
const REPLIES = [
  "+OK\r\n",
  bulk("1"),
  "$-1\r\n",
  ":1\r\n",
  err(WRONGTYPE),
  bulk("1"),
  "+OK\r\n",
  bulk("2"),
  "+OK\r\n",
  "$-1\r\n",
  "+OK\r\n",
  bulk("one"),
  "+OK\r\n",
  bulk("2"),
  "$-1\r\n",
];

for (const [how, wrap] of [["awaited", undefined], ["met at once", withReadNow]] as const) {
  test(`RESP GET runs: replies in order around writes, the barrier ${how}`, async () => {
    const { server } = await startServer({ wrap });
    const c = await RawClient.connect(server.port);
    try {
      assert.deepEqual(await c.send(...PIPELINE), REPLIES);
      const before = await c.one("INFO", "stats");
      const total = (s: string) => Number(/total_commands_processed:(\d+)/.exec(s)?.[1]);
      const gets = Array.from({ length: 40 }, (_, i) => ["GET", i % 2 ? "a" : "nosuch"]);
      const replies = await c.send(...gets);
      assert.deepEqual(replies, gets.map((_, i) => i % 2 ? bulk("2") : "$-1\r\n"));
      // Each GET of a run counts as a command (INFO, then 40 GETs, then this INFO).
      assert.equal(total(await c.one("INFO", "stats")), total(before) + 41);
      // Past RESP_GET_RUN_MAX GETs in one write, the next run takes the rest, in order.
      const many = Array.from({ length: RESP_GET_RUN_MAX * 2 + 7 }, (_, i) => ["GET", `k${i % 3}`]);
      await c.send(["SET", "k0", "zero"], ["SET", "k2", "two"]);
      const answers = ["zero", undefined, "two"].map((v) => v === undefined ? "$-1\r\n" : bulk(v));
      assert.deepEqual(await c.send(...many), many.map((_, i) => answers[i % 3]));
    } finally {
      c.close();
      await server.close();
    }
  });
}

test("RESP GET runs: a read that fails answers every GET of the run with the error", async () => {
  const unavailable = new ServiceError(ErrorCode.UNAVAILABLE, "no leader");
  const { server } = await startServer({
    wrap: (local) => patched(local, { readState: () => Promise.reject(unavailable) }),
  });
  const c = await RawClient.connect(server.port);
  try {
    const replies = await c.send(["GET", "a"], ["GET", "b"], ["GET", "c"], ["PING"]);
    assert.equal(replies.length, 4);
    assert.match(replies[0], /^-\S+ /);
    assert.deepEqual(replies.slice(0, 3), [replies[0], replies[0], replies[0]]);
    assert.equal(replies[3], "+PONG\r\n");
  } finally {
    c.close();
    await server.close();
  }
});
