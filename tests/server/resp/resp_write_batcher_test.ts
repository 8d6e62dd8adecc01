/**
 * The RESP port's write batcher (src/server/resp/resp_write_batcher.ts): writes of one turn
 * go into one RedisBatch entry in submission order, each answered by its own outcome; a
 * request that must go alone keeps its place; a batch that is not applied (a leader change)
 * fails every request in it the same way.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import {
  ClientResponseSchema,
  ErrorCode,
  RedisBatchResponseSchema,
} from "../../../src/gen/tinykv/v1/tinykv_pb.ts";
import type { CommandInit } from "../../../src/kv/command_codec.ts";
import { SimClock } from "../../../src/platform/sim/sim_clock.ts";
import {
  type CommandOutcome,
  type KvService,
  ServiceError,
} from "../../../src/server/kv_service.ts";
import { Proposals } from "../../../src/server/node/proposals.ts";
import {
  type RedisRequestInit,
  RespWriteBatcher,
} from "../../../src/server/resp/resp_write_batcher.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";
import {
  RESP_WRITE_BATCH_BYTES_MAX,
  RESP_WRITE_BATCH_REQUESTS_MAX,
} from "../../../src/limits_ops.ts";

const req = (...args: string[]): RedisRequestInit => ({
  db: 0,
  commands: [{ args: args.map(utf8) }],
});

/** A service whose execute records each command and answers through `answer`. */
function fakeService(answer: (c: CommandInit) => Promise<CommandOutcome>) {
  const seen: CommandInit[] = [];
  const unused = () => Promise.reject(new Error("not used"));
  const service: KvService = {
    write: unused,
    execute: (c) => (seen.push(c), answer(c)),
    get: unused,
    scan: unused,
    count: unused,
    readState: unused,
    status: () => {
      throw new Error("not used");
    },
  };
  return { service, seen };
}

/** What each recorded command carried: the first argument of each request, per entry. */
function shape(seen: readonly CommandInit[]): string[][] {
  return seen.map((c) => {
    const b = c.body;
    const requests = b?.case === "redisBatch" ? b.value.requests ?? [] : [];
    const all = b?.case === "redis" ? [b.value] : requests;
    return all.map((r) => (r.commands ?? []).map((x) => fromUtf8(x.args?.[1] ?? utf8(""))).join());
  });
}

/** Echo: each request's outcome is a RedisResponse whose reply is its key; "bad" fails. */
function echo(c: CommandInit): Promise<CommandOutcome> {
  const b = c.body;
  const one = (r: RedisRequestInit) => {
    const key = r.commands?.[0].args?.[1] ?? utf8("");
    if (fromUtf8(key) === "bad") {
      return { error: { code: ErrorCode.INVALID_ARGUMENT, message: "bad one" } };
    }
    return { body: { case: "redis" as const, value: { reply: key, db: 0 } } };
  };
  if (b?.case === "redis") {
    return Promise.resolve(create(ClientResponseSchema, one(b.value)).body);
  }
  const outcomes = (b?.case === "redisBatch" ? b.value.requests ?? [] : []).map(one);
  const value = create(RedisBatchResponseSchema, { outcomes });
  return Promise.resolve({ case: "redisBatch", value });
}

const keyOf = (o: CommandOutcome) => (o.case === "redis" ? fromUtf8(o.value.reply) : o.case);

test("write batcher: one turn's writes are one entry, each answered by its own outcome", async () => {
  const { service, seen } = fakeService(echo);
  const batcher = new RespWriteBatcher(service);
  const sent = ["a", "b", "c", "bad", "d"].map((k) => batcher.submit(req("SET", k, "v")));
  assert.deepEqual(seen, [], "nothing is proposed before the turn ends");
  const settled = await Promise.allSettled(sent);
  assert.deepEqual(shape(seen), [["a", "b", "c", "bad", "d"]]);
  assert.deepEqual(
    settled.map((s) => s.status === "fulfilled" ? keyOf(s.value) : (s.reason as Error).message),
    ["a", "b", "c", "bad one", "d"],
    "the failing request fails alone",
  );
  assert.deepEqual(batcher.counts, { batches: 1, batched: 5, alone: 0 });
});

test("write batcher: a request that must go alone keeps its place in the order", async () => {
  const { service, seen } = fakeService(echo);
  const batcher = new RespWriteBatcher(service);
  const multi = { ...req("SET", "m", "1"), multi: true };
  const sent = [
    batcher.submit(req("SET", "x", "1")),
    batcher.submit(req("SET", "y", "1")),
    batcher.submit(req("SET", "a", "1")),
    batcher.submit(req("INCR", "b")),
    batcher.submit(multi),
    batcher.submit(req("SET", "c", "1")),
    batcher.submit(req("DEL", "c", "e")),
    batcher.submit(req("FLUSHALL", "f")),
    batcher.submit(req("SET", "d", "1")),
  ];
  await Promise.all(sent);
  // A key written twice ends a batch (DEL c after SET c); order holds throughout.
  assert.deepEqual(shape(seen), [["x", "y", "a", "b"], ["m"], ["c"], ["c"], ["f"], ["d"]]);
});

test("write batcher: while entries are unanswered, new writes gather into the next", async () => {
  const gates: (() => void)[] = [];
  const { service, seen } = fakeService((c) =>
    new Promise((resolve) => gates.push(() => resolve(echo(c))))
  );
  const batcher = new RespWriteBatcher(service);
  const first = [batcher.submit(req("SET", "a", "1"))];
  await Promise.resolve();
  const second = [batcher.submit(req("SET", "b", "1"))];
  await Promise.resolve();
  const later = ["c", "d", "e"].map((k) => batcher.submit(req("SET", k, "1")));
  await Promise.resolve();
  assert.deepEqual(shape(seen), [["a"], ["b"]], "two in flight; the rest wait");
  gates[0]();
  await Promise.all(first);
  assert.deepEqual(shape(seen), [["a"], ["b"], ["c", "d", "e"]]);
  gates[1]();
  gates[2]();
  assert.deepEqual((await Promise.all([...second, ...later])).map(keyOf), ["b", "c", "d", "e"]);
});

test("write batcher: a leader change before the batch applies fails every request alike", async () => {
  const proposals = new Proposals(new SimClock());
  // Entries are appended at indexes 7, 8 and 9 (the batch) in term 3 ...
  let index = 7;
  const { service, seen } = fakeService(() => proposals.wait({ index: index++, term: 3 }, 1000));
  const batcher = new RespWriteBatcher(service);
  const sent = [batcher.submit(req("SET", "a", "1"))];
  await Promise.resolve(); // the turn ends: "a" is proposed
  sent.push(batcher.submit(req("SET", "b", "1")));
  await Promise.resolve();
  sent.push(...["c", "d", "e"].map((k) => batcher.submit(req("SET", k, "1"))));
  // ... and a new leader's entries of term 4 are applied there: none of them happens.
  const other = create(ClientResponseSchema, { body: { case: "write", value: { index: 7n } } });
  const overwrite = (i: number) => proposals.applied(i, 4, toBinary(ClientResponseSchema, other));
  overwrite(7); // "a" answered: the gathered three go as one batch, at index 9
  await Promise.allSettled(sent.slice(0, 1));
  assert.deepEqual(shape(seen), [["a"], ["b"], ["c", "d", "e"]]);
  overwrite(8);
  overwrite(9);
  const settled = await Promise.allSettled(sent);
  for (const s of settled) {
    assert.equal(s.status, "rejected");
    const e = s.status === "rejected" ? s.reason : undefined;
    assert.ok(e instanceof ServiceError && e.code === ErrorCode.UNAVAILABLE);
    assert.equal(e.message, "leader changed; the write was not applied");
  }
});

test("write batcher: RESP_WRITE_BATCH_REQUESTS_MAX and _BYTES_MAX cut batches; a larger write goes alone", async () => {
  const { service, seen } = fakeService(echo);
  const batcher = new RespWriteBatcher(service);
  const n = RESP_WRITE_BATCH_REQUESTS_MAX + 5;
  // One turn's writes go in entries of at most the max.
  await Promise.all(
    Array.from({ length: n }, (_, i) => batcher.submit(req("SET", `k${i}`, "v"))),
  );
  assert.deepEqual(seen.map((c) => shape([c])[0].length), [RESP_WRITE_BATCH_REQUESTS_MAX, 5]);
  seen.length = 0;
  const half = "x".repeat(RESP_WRITE_BATCH_BYTES_MAX / 2);
  const big = "y".repeat(RESP_WRITE_BATCH_BYTES_MAX + 1);
  const writes = [
    req("SET", "p0", "v"),
    req("SET", "p1", "v"),
    req("SET", "h1", half),
    req("SET", "h2", half), // with h1 over the byte bound: the next entry
    req("SET", "big", big), // over the bound alone: its own entry, in its place
    req("SET", "after", "v"),
  ];
  await Promise.all(writes.map((w) => batcher.submit(w)));
  assert.deepEqual(shape(seen), [["p0", "p1", "h1"], ["h2"], ["big"], ["after"]]);
});

test("write batcher: writes gather until the turn's I/O is done (afterIo), across connections", async () => {
  const gates: (() => void)[] = [];
  const { service, seen } = fakeService((c) =>
    new Promise((resolve) => gates.push(() => resolve(echo(c))))
  );
  const turnEnds: (() => void)[] = [];
  const batcher = new RespWriteBatcher(service, (fn) => turnEnds.push(fn));
  // Three connections' data callbacks in one turn, microtasks run between them (as under Bun).
  const first = batcher.submit(req("SET", "a", "1"));
  await Promise.resolve();
  const more = [batcher.submit(req("SET", "b", "1")), batcher.submit(req("SET", "c", "1"))];
  await Promise.resolve();
  more.push(batcher.submit(req("SET", "d", "1")));
  await Promise.resolve();
  assert.deepEqual(seen, [], "nothing proposed before the turn's end");
  assert.equal(turnEnds.length, 1, "one flush per turn");
  turnEnds.shift()?.();
  assert.deepEqual(shape(seen), [["a", "b", "c", "d"]]);
  // The next turn's writes form the second entry in flight; then the limit holds the rest.
  const next = [batcher.submit(req("SET", "e", "1"))];
  turnEnds.shift()?.();
  next.push(batcher.submit(req("SET", "f", "1")), batcher.submit(req("SET", "g", "1")));
  assert.equal(turnEnds.length, 0, "at the in-flight limit nothing is scheduled");
  assert.deepEqual(shape(seen), [["a", "b", "c", "d"], ["e"]]);
  gates[0]();
  assert.deepEqual((await Promise.all([first, ...more])).map(keyOf), ["a", "b", "c", "d"]);
  assert.deepEqual(shape(seen), [["a", "b", "c", "d"], ["e"], ["f", "g"]]);
  gates[1]();
  gates[2]();
  assert.deepEqual((await Promise.all(next)).map(keyOf), ["e", "f", "g"]);
});
