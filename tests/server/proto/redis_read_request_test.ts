/**
 * `RedisKeysRequest` with `command` (a Redis read of known keys, for a node holding some regions:
 * src/server/node/redis_command_reads.ts) on the protobuf port: bad input from the wire (a write
 * smuggled as a read, an unknown command, a wrong arity, a command without keys, a database past
 * 15, more than REDIS_PEER_READ_ARGS_MAX arguments or REDIS_PEER_READ_BYTES_MAX bytes) is refused
 * INVALID_ARGUMENT before anything is read; an unrouted request and a node without the reader are
 * refused; a reply over REDIS_PEER_READ_REPLY_BYTES_MAX is refused TOO_LARGE; a good one is read
 * here only and answered with the encoded reply, and it is routed by the command's keys; only peers
 * and admins may send it (request_access.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  ClientRequestSchema,
  ErrorCode,
  RedisKeysRequestSchema,
} from "../../../src/gen/tinykv/v1/tinykv_pb.ts";
import { bulk, type RedisReply } from "../../../src/kv/redis/reply.ts";
import { decodeReply } from "../../../src/kv/redis/reply_codec.ts";
import {
  REDIS_PEER_READ_ARGS_MAX,
  REDIS_PEER_READ_BYTES_MAX,
  REDIS_PEER_READ_REPLY_BYTES_MAX,
} from "../../../src/limits_ops.ts";
import { keySpan } from "../../../src/region/region_catalog.ts";
import type { Principal } from "../../../src/auth/principal.ts";
import type { KvService } from "../../../src/server/kv_service.ts";
import { accessDenial } from "../../../src/server/proto/request_access.ts";
import { handleRequest } from "../../../src/server/proto/request_handler.ts";
import { requestSpans } from "../../../src/server/proto/route_spans.ts";
import type { RedisReadQuery } from "../../../src/server/redis_keys.ts";
import { utf8 } from "../../../src/util/bytes.ts";

type Init = MessageInitShape<typeof RedisKeysRequestSchema>;

const args = (...words: string[]) => words.map(utf8);

function request(value: Init, routed = true) {
  return create(ClientRequestSchema, {
    body: { case: "redisKeys", value },
    route: routed ? { regionId: 7n, epoch: { version: 2n, confVer: 1n } } : undefined,
  });
}

/** A service answering every read with `reply`; it records what it read. */
function service(asked: RedisReadQuery[], reply: RedisReply, withReader = true): KvService {
  const redisRead = (q: RedisReadQuery) => {
    asked.push(q);
    return Promise.resolve(reply);
  };
  return (withReader ? { redisRead } : {}) as unknown as KvService;
}

test("Redis read request: bad input is refused before anything is read", async () => {
  const asked: RedisReadQuery[] = [];
  const many = Array.from({ length: REDIS_PEER_READ_ARGS_MAX }, () => utf8("k"));
  const bad: Init[] = [
    { command: args("SET", "k", "v") },
    { command: args("set", "k", "v", "GET") },
    { command: args("DEL", "k") },
    { command: args("FLUSHALL") },
    { command: args("NOSUCH", "k") },
    { command: args("GET") },
    { command: args("GET", "a", "b") },
    { command: args("PING") },
    { command: args("DBSIZE") },
    { command: args("OBJECT", "HELP") },
    { command: args("GET", "k"), db: 16 },
    { command: [utf8("MGET"), ...many] },
    { command: [utf8("GET"), new Uint8Array(REDIS_PEER_READ_BYTES_MAX)] },
  ];
  for (const value of bad) {
    const answer = await handleRequest(
      request(value),
      service(asked, bulk(undefined)),
      "linearizable",
    );
    const what = (value.command ?? []).slice(0, 3).map((a) => a.length);
    assert.equal(answer.error?.code, ErrorCode.INVALID_ARGUMENT, JSON.stringify(what));
  }
  assert.equal(asked.length, 0);
  const get = { command: args("GET", "k") };
  const unrouted = await handleRequest(
    request(get, false),
    service(asked, bulk(undefined)),
    "lease",
  );
  assert.equal(unrouted.error?.code, ErrorCode.FAILED_PRECONDITION);
  const none = await handleRequest(request(get), service(asked, bulk(undefined), false), "lease");
  assert.equal(none.error?.code, ErrorCode.FAILED_PRECONDITION);
  assert.equal(asked.length, 0);
});

test("Redis read request: read here, answered with the reply, routed by its keys", async () => {
  const asked: RedisReadQuery[] = [];
  const value = { db: 3, command: args("hscan", "h", "0", "COUNT", "2") };
  const answer = await handleRequest(request(value), service(asked, bulk(utf8("v"))), "lease");
  const body = answer.body?.case === "redisKeys" ? answer.body.value : undefined;
  assert.deepEqual(decodeReply(body?.reply ?? new Uint8Array(0)), bulk(utf8("v")));
  assert.deepEqual(asked, [{ db: 3, args: value.command, hereOnly: true }]);
  // Routed by the command's keys, whatever start, end and the set's key say.
  const mget = request({ command: args("MGET", "a", "b"), start: utf8("x"), setKey: utf8("s") });
  assert.deepEqual(requestSpans(mget), [keySpan(utf8("a")), keySpan(utf8("b"))]);
  const sintercard = request({ command: args("SINTERCARD", "2", "s1", "s2", "LIMIT", "1") });
  assert.deepEqual(requestSpans(sintercard), [keySpan(utf8("s1")), keySpan(utf8("s2"))]);
  assert.deepEqual(requestSpans(request({ command: args("PING") })), []);
});

test("Redis read request: a reply past REDIS_PEER_READ_REPLY_BYTES_MAX is TOO_LARGE", async () => {
  const asked: RedisReadQuery[] = [];
  const big = bulk(new Uint8Array(REDIS_PEER_READ_REPLY_BYTES_MAX));
  const value = { command: args("GET", "k") };
  const answer = await handleRequest(request(value), service(asked, big), "linearizable");
  assert.equal(answer.error?.code, ErrorCode.TOO_LARGE);
  assert.match(answer.error?.message ?? "", /REDIS_PEER_READ_REPLY_BYTES_MAX/);
});

test("Redis read request: only peers and admins may send it, whatever the user may read", () => {
  const user: Principal = {
    user: "u",
    admin: false,
    canRead: () => true,
    canWrite: () => true,
    canReadRange: () => true,
    canWriteRange: () => true,
  };
  const get = request({ command: args("GET", "k") });
  assert.match(accessDenial(user, get) ?? "", /peers only/);
  assert.equal(accessDenial({ ...user, admin: true }, get), undefined);
});
