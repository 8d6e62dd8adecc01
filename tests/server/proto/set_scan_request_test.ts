/**
 * `RedisKeysRequest` with `set_scan` (one SSCAN page of a set, for a node holding some regions:
 * src/server/node/set_scan_reads.ts) on the protobuf port: bad input from the wire (a database
 * past 15, a limit of 0 or past SCAN_LIMIT_MAX, a key the engine could not hold) is refused
 * INVALID_ARGUMENT before anything is read; a node without the reader refuses it; the resume
 * member and the pattern reach the read only when flagged (an empty one is a real one); a routed
 * request is read here only, and it is routed by its set's key.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  ClientRequestSchema,
  ErrorCode,
  RedisKeysRequestSchema,
} from "../../../src/gen/tinykv/v1/tinykv_pb.ts";
import { KV_KEY_BYTES_MAX, SCAN_LIMIT_MAX } from "../../../src/limits.ts";
import { RedisType } from "../../../src/kv/redis/meta_record.ts";
import { keySpan } from "../../../src/region/region_catalog.ts";
import type { KvService } from "../../../src/server/kv_service.ts";
import { handleRequest } from "../../../src/server/proto/request_handler.ts";
import { requestSpans } from "../../../src/server/proto/route_spans.ts";
import type { SetScanQuery } from "../../../src/server/redis_keys.ts";
import { utf8 } from "../../../src/util/bytes.ts";

type Init = MessageInitShape<typeof RedisKeysRequestSchema>;

function request(value: Init, routed = false) {
  return create(ClientRequestSchema, {
    body: { case: "redisKeys", value: { setScan: true, setKey: utf8("s"), ...value } },
    route: routed ? { regionId: 1n, epoch: { version: 1n, confVer: 1n } } : undefined,
  });
}

/** A service whose set holds a page of two members, more to follow; it records what it read. */
function service(asked: SetScanQuery[], withReader = true): KvService {
  const redisSetScan = (q: SetScanQuery) => {
    asked.push(q);
    const page = { items: [utf8("a"), utf8("")], next: utf8("") };
    return Promise.resolve({ type: RedisType.Set, page });
  };
  return (withReader ? { redisSetScan } : {}) as unknown as KvService;
}

test("SSCAN page request: bad input is refused before anything is read", async () => {
  const asked: SetScanQuery[] = [];
  const bad: Init[] = [
    { db: 16, limit: 10 },
    { limit: 0 },
    { limit: SCAN_LIMIT_MAX + 1 },
    { limit: 10, setKey: new Uint8Array(KV_KEY_BYTES_MAX + 1) },
  ];
  for (const value of bad) {
    const answer = await handleRequest(request(value), service(asked), "linearizable");
    assert.equal(answer.error?.code, ErrorCode.INVALID_ARGUMENT, JSON.stringify(value));
  }
  assert.equal(asked.length, 0);
  const none = await handleRequest(request({ limit: 1 }), service(asked, false), "linearizable");
  assert.equal(none.error?.code, ErrorCode.FAILED_PRECONDITION);
});

test("SSCAN page request: read as asked, here only when routed, routed by its key", async () => {
  const asked: SetScanQuery[] = [];
  const value = { db: 3, limit: SCAN_LIMIT_MAX, after: utf8("x"), pattern: utf8("p*") };
  const answer = await handleRequest(request(value), service(asked), "linearizable");
  const body = answer.body?.case === "redisKeys" ? answer.body.value : undefined;
  assert.equal(body?.keyType, RedisType.Set);
  assert.deepEqual(body?.members, [utf8("a"), utf8("")]);
  assert.deepEqual([body?.next, body?.hasNext], [utf8(""), true], "an empty last member");
  // Without the flags, neither the resume member nor the pattern is read.
  assert.deepEqual(asked[0], {
    db: 3,
    key: utf8("s"),
    after: undefined,
    options: { pattern: undefined, count: SCAN_LIMIT_MAX },
    hereOnly: false,
  });
  const flagged = { limit: 1, after: new Uint8Array(0), hasAfter: true, hasPattern: true };
  await handleRequest(request(flagged, true), service(asked), "linearizable");
  assert.deepEqual(asked[1].after, new Uint8Array(0));
  assert.deepEqual(asked[1].options.pattern, new Uint8Array(0));
  assert.equal(asked[1].hereOnly, true);
  // Routed by the set's key, whatever start and end say.
  const spans = requestSpans(request({ limit: 1, start: utf8("a"), end: utf8("b") }));
  assert.deepEqual(spans, [keySpan(utf8("s"))]);
});
