/**
 * Redis write outcomes encoded by hand (src/kv/redis_outcome_codec.ts): the same bytes and the
 * same message as protobuf-es, and everything else left to protobuf-es.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { ClientResponseSchema, ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import type { Outcome } from "../../src/kv/apply.ts";
import { encodeOutcome } from "../../src/kv/outcome_codec.ts";
import { encodeRedisOutcome } from "../../src/kv/redis_outcome_codec.ts";
import { assertLikeProtobuf } from "./hand_encoded_outcome.ts";
import { createPrng, type Prng } from "../../src/util/prng.ts";

const LENGTHS = [0, 1, 5, 126, 127, 128, 300, 16_383, 16_384, 70_000];
const DBS = [0, 1, 15, 127, 128, 300, 2 ** 31, 2 ** 32 - 1];

function redisOutcome(prng: Prng): Outcome {
  const reply = prng.fill(new Uint8Array(LENGTHS[prng.int(LENGTHS.length)]));
  const db = DBS[prng.int(DBS.length)];
  // Fields left out or given as their defaults encode alike.
  const value = prng.chance(0.2) ? {} : prng.chance(0.5) ? { reply } : { reply, db };
  return { body: { case: "redis", value } };
}

test("redis outcomes and batches of them: protobuf-es's bytes and message", () => {
  const prng = createPrng(14);
  for (let i = 0; i < 150; i++) {
    const outcome: Outcome = i % 3 === 0 ? redisOutcome(prng) : {
      body: {
        case: "redisBatch",
        value: { outcomes: Array.from({ length: prng.int(60) }, () => redisOutcome(prng)) },
      },
    };
    assertLikeProtobuf(encodeRedisOutcome(outcome), outcome, `case ${i}`);
  }
});

test("other outcomes are left to protobuf-es", () => {
  const reply = new Uint8Array([1, 2]);
  const others: Outcome[] = [
    { error: { code: ErrorCode.UNAVAILABLE, message: "no" } },
    { body: { case: "redis", value: { reply } }, error: { code: ErrorCode.TIMEOUT, message: "t" } },
    { requestId: 5n, body: { case: "redis", value: { reply } } },
    { body: { case: "write", value: { index: 3n } } },
    {
      body: {
        case: "redisBatch",
        value: {
          outcomes: [
            { body: { case: "redis", value: { reply } } },
            { error: { code: ErrorCode.INVALID_ARGUMENT, message: "bad" } },
          ],
        },
      },
    },
    { body: { case: "redis", value: { reply, db: -1 } } },
  ];
  for (const outcome of others) {
    assert.equal(encodeRedisOutcome(outcome), undefined);
    if (outcome.body?.case === "redis" && (outcome.body.value?.db ?? 0) < 0) continue;
    const bytes = encodeOutcome(outcome);
    assert.deepEqual(bytes, toBinary(ClientResponseSchema, create(ClientResponseSchema, outcome)));
  }
});
