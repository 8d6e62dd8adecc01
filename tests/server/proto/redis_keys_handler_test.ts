/**
 * `RedisKeysRequest` on the protobuf port (src/server/proto/redis_keys_handler.ts): bad input from
 * the wire (a database past 15, a limit of 0 or past REDIS_KEYS_PART_MAX, an empty or inverted
 * span) is refused INVALID_ARGUMENT before anything is read; a node without the reader refuses
 * it; a routed request is read here only; and only peers and admins may send it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  ClientRequestSchema,
  ErrorCode,
  RedisKeysRequestSchema,
} from "../../../src/gen/tinykv/v1/tinykv_pb.ts";
import type { Principal } from "../../../src/auth/principal.ts";
import { REDIS_KEYS_PART_MAX } from "../../../src/limits_ops.ts";
import { RedisType } from "../../../src/kv/redis/meta_record.ts";
import type { KvService } from "../../../src/server/kv_service.ts";
import { handleRequest } from "../../../src/server/proto/request_handler.ts";
import { accessDenial } from "../../../src/server/proto/request_access.ts";
import type { RedisKeysQuery } from "../../../src/server/redis_keys.ts";
import { utf8 } from "../../../src/util/bytes.ts";

function request(value: MessageInitShape<typeof RedisKeysRequestSchema>, routed = false) {
  return create(ClientRequestSchema, {
    body: { case: "redisKeys", value },
    route: routed ? { regionId: 1n, epoch: { version: 1n, confVer: 1n } } : undefined,
  });
}

/** A service that answers one key and records what it was asked. */
function service(asked: RedisKeysQuery[], withReader = true): KvService {
  const redisKeys = (q: RedisKeysQuery) => {
    asked.push(q);
    const keys = [{ key: utf8("a"), type: RedisType.Hash }];
    return Promise.resolve({ keys, more: true, counts: [7, 0, 2] });
  };
  return (withReader ? { redisKeys } : {}) as unknown as KvService;
}

test("RedisKeysRequest: bad input is refused before anything is read", async () => {
  const asked: RedisKeysQuery[] = [];
  const bad: MessageInitShape<typeof RedisKeysRequestSchema>[] = [
    { db: 16, limit: 10 },
    { db: 4_000_000_000, limit: 10 },
    { limit: 0 },
    { limit: REDIS_KEYS_PART_MAX + 1 },
    { limit: 10, start: utf8("b"), end: utf8("a") },
    { limit: 10, start: utf8("a"), end: utf8("a") },
  ];
  for (const value of bad) {
    const answer = await handleRequest(request(value), service(asked), "linearizable");
    assert.equal(answer.error?.code, ErrorCode.INVALID_ARGUMENT, JSON.stringify(value));
  }
  assert.equal(asked.length, 0);
  const none = await handleRequest(request({ limit: 1 }), service(asked, false), "linearizable");
  assert.equal(none.error?.code, ErrorCode.FAILED_PRECONDITION);
});

test("RedisKeysRequest: read as asked, here only when routed", async () => {
  const asked: RedisKeysQuery[] = [];
  const value = { db: 3, start: utf8("a"), end: utf8("c"), limit: REDIS_KEYS_PART_MAX };
  const answer = await handleRequest(request(value), service(asked), "linearizable");
  assert.equal(answer.body?.case, "redisKeys");
  const body = answer.body?.case === "redisKeys" ? answer.body.value : undefined;
  assert.deepEqual(body?.keys?.map((k) => [k.key, k.type]), [[utf8("a"), RedisType.Hash]]);
  assert.equal(body?.more, true);
  assert.deepEqual(body?.counts, [7n, 0n, 2n]);
  assert.equal(asked[0].hereOnly, false);
  assert.equal(asked[0].db, 3);
  // A count needs no limit.
  await handleRequest(request({ count: true }), service(asked), "linearizable");
  assert.equal(asked[1].count, true);
  // Routed (a part of another node's read): never stitched again.
  await handleRequest(request({ limit: 1 }, true), service(asked), "linearizable");
  assert.equal(asked[2].hereOnly, true);
  assert.equal(asked.length, 3);
});

test("RedisKeysRequest: only peers and admins may send it", () => {
  const user: Principal = {
    user: "u",
    admin: false,
    canRead: () => true,
    canWrite: () => true,
    canReadRange: () => true,
    canWriteRange: () => true,
  };
  assert.match(accessDenial(user, request({ limit: 1 })) ?? "", /peers only/);
  assert.equal(accessDenial({ ...user, admin: true }, request({ limit: 1 })), undefined);
});
