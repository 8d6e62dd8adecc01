/**
 * RedisBatch: many RESP clients' write requests in one log entry (docs/server.md, "Write
 * batching"). The codec's hand encoder writes protobuf-es's bytes, bad batches get a clear
 * error, and at apply each request gets its own outcome: one failing request leaves its
 * neighbours alone.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { CommandSchema } from "../../../src/gen/tinykv/v1/tinykv_pb.ts";
import { type CommandInit, decodeCommand, encodeCommand } from "../../../src/kv/command_codec.ts";
import { decodeReply } from "../../../src/kv/redis/reply_codec.ts";
import { REDIS_MULTI_COMMANDS_MAX } from "../../../src/limits.ts";
import { RESP_WRITE_BATCH_REQUESTS_MAX } from "../../../src/limits_ops.ts";
import { utf8 } from "../../../src/util/bytes.ts";
import { plain, RedisBench } from "./redis_helpers.ts";

type RequestInit = { db?: number; commands: { args: Uint8Array[] }[]; multi?: boolean };

const req = (db: number, ...commands: string[][]): RequestInit => ({
  db,
  commands: commands.map((c) => ({ args: c.map(utf8) })),
});

const batch = (requests: RequestInit[], proposedAtMs = 1_000_000n): CommandInit => ({
  proposedAtMs,
  body: { case: "redisBatch", value: { requests } },
});

test("redis batch codec: the hand encoder writes protobuf-es's bytes", () => {
  const shapes: RequestInit[][] = [
    [req(0, ["SET", "a", "1"])],
    [req(0, ["SET", "a", "1"]), req(3, ["INCR", "n"]), req(15, ["DEL", "x", "y"])],
    [req(0, ["SET", "k", "v"]), { ...req(1, ["SET", "a", ""], ["GET", "a"]), multi: true }],
    [{ db: 2, commands: [{ args: [new Uint8Array(70_000).fill(7)] }] }],
  ];
  for (const requests of shapes) {
    for (const ids of [{}, { clientId: 5n, sequence: 1n << 33n, ackedSequence: 3n }]) {
      const c: CommandInit = { ...batch(requests), ...ids };
      assert.deepEqual(encodeCommand(c), toBinary(CommandSchema, create(CommandSchema, c)));
    }
  }
});

test("redis batch codec: a bad batch is refused with a clear reason", () => {
  const problem = (c: CommandInit) => {
    const d = decodeCommand(encodeCommand(c));
    assert.ok(!("body" in d), "refused");
    return d;
  };
  assert.deepEqual(problem(batch([])), {
    tooLarge: false,
    message: "a Redis batch needs a request",
  });
  assert.deepEqual(problem(batch([req(0, ["SET", "a", "1"]), req(0)])), {
    tooLarge: false,
    message: "request 1: a Redis request needs a command",
  });
  assert.match(problem(batch([req(16, ["SET", "a", "1"])])).message, /^request 0: database 16/);
  const many = Array.from({ length: RESP_WRITE_BATCH_REQUESTS_MAX + 1 }, () => req(0, ["X"]));
  assert.equal(problem(batch(many)).tooLarge, true);
  const wide = Array.from({ length: 3 }, () => ({
    db: 0,
    commands: Array.from({ length: REDIS_MULTI_COMMANDS_MAX / 2 }, () => ({ args: [utf8("X")] })),
  }));
  assert.match(problem(batch(wide)).message, /commands in a batch/);
  // Garbage bytes are a malformed command, not a crash.
  const garbage = decodeCommand(new Uint8Array([0xb2, 0x01, 0xff, 0xff]));
  assert.ok(!("body" in garbage) && /^malformed command/.test(garbage.message));
});

async function applyBatch(b: RedisBench, requests: RequestInit[]) {
  const outcome = await b.service.execute(batch(requests));
  assert.equal(outcome.case, "redisBatch");
  return outcome.case === "redisBatch" ? outcome.value.outcomes : [];
}

const replyOf = (o: { body: { case?: string; value?: unknown } }) => {
  assert.equal(o.body.case, "redis");
  const r = (o.body.value as { reply: Uint8Array }).reply;
  const reply = decodeReply(r);
  return plain(reply.k === "array" && reply.items.length === 1 ? reply.items[0] : reply);
};

test("redis batch apply: each request has its own reply; a WRONGTYPE between leaves its neighbours", async () => {
  const b = await RedisBench.open();
  const outcomes = await applyBatch(b, [
    req(0, ["SET", "a", "1"]),
    req(0, ["SADD", "a", "x"]),
    req(0, ["SET", "b", "2"]),
    req(0, ["INCR", "b"]),
    req(4, ["SET", "a", "in-db-4"]),
    req(0, ["INCR", "a", "extra"]),
  ]);
  assert.deepEqual(outcomes.map(replyOf), [
    "OK",
    { err: "WRONGTYPE Operation against a key holding the wrong kind of value" },
    "OK",
    3,
    "OK",
    { err: "ERR wrong number of arguments for 'incr' command" },
  ]);
  assert.equal(plain(b.read(["GET", "a"])), "1");
  assert.equal(plain(b.read(["GET", "b"])), "3");
  assert.equal(plain(b.read(["GET", "a"], 4)), "in-db-4");
  assert.equal(plain(b.read(["DBSIZE"])), 2, "key counts move request by request");
  assert.equal(plain(b.read(["DBSIZE"], 4)), 1);
});

test("redis batch apply: a MULTI block inside a batch stays one atomic unit", async () => {
  const b = await RedisBench.open();
  await b.write(["SET", "w", "0"]);
  const outcomes = await applyBatch(b, [
    req(0, ["SET", "before", "1"]),
    { ...req(0, ["INCR", "w"], ["SADD", "before", "x"], ["INCR", "w"]), multi: true },
    req(0, ["GET", "w"]),
  ]);
  const multi = outcomes[1].body.value as { reply: Uint8Array };
  assert.deepEqual(plain(decodeReply(multi.reply)), [
    1,
    { err: "WRONGTYPE Operation against a key holding the wrong kind of value" },
    2,
  ]);
  assert.equal(replyOf(outcomes[2]), "2", "the later request sees the block's writes");
});

test("redis batch apply: one entry, one revision, and a history record per change", async () => {
  const b = await RedisBench.open();
  const kv = b.service.kv;
  const before = kv.revision;
  await applyBatch(b, [req(0, ["SET", "p", "1"]), req(0, ["SET", "q", "2"], ["SET", "r", "3"])]);
  assert.equal(kv.revision, before + 1);
  assert.equal(kv.get(utf8("p"))?.modRevision, kv.get(utf8("q"))?.modRevision);
  const all = { key: new Uint8Array(0), rangeEnd: new Uint8Array([0]) };
  const page = await kv.readHistory(kv.revision, all, { maxEvents: 10, prevKv: false });
  assert.deepEqual(
    page.events.map((e) => new TextDecoder().decode(e.kv.key)).sort(),
    ["p", "q", "r"],
    "the second request's changes do not overwrite the first's",
  );
});
