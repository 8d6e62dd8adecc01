/**
 * Plain write outcomes encoded by hand (src/kv/write_outcome_codec.ts): the same bytes and the
 * same message as protobuf-es, and anything unusual left to protobuf-es.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { ClientResponseSchema, ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { type Outcome, written } from "../../src/kv/apply.ts";
import { withRevision } from "../../src/kv/command_runner.ts";
import { decodeOutcome, encodeOutcome } from "../../src/kv/outcome_codec.ts";
import { encodeWriteOutcome } from "../../src/kv/write_outcome_codec.ts";
import { assertLikeProtobuf } from "./hand_encoded_outcome.ts";
import { createPrng, type Prng } from "../../src/util/prng.ts";

const NUMBERS = [
  0,
  1,
  127,
  128,
  300,
  16_384,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 40,
  Number.MAX_SAFE_INTEGER,
];
const LENGTHS = [0, 1, 5, 127, 128, 16_384, 70_000];

const pick = <T>(prng: Prng, xs: readonly T[]): T => xs[prng.int(xs.length)];

function writeOutcome(prng: Prng): Outcome {
  const outcome = written(pick(prng, NUMBERS), {
    applied: prng.chance(0.5),
    existed: prng.chance(0.5),
    previousValue: prng.chance(0.5) ? undefined : prng.fill(new Uint8Array(pick(prng, LENGTHS))),
    counter: prng.chance(0.5) ? undefined : BigInt(pick(prng, NUMBERS)),
    deleted: prng.chance(0.5) ? undefined : Math.min(pick(prng, NUMBERS), 2 ** 32 - 1),
  });
  return prng.chance(0.2) ? outcome : withRevision(outcome, pick(prng, NUMBERS));
}

test("write outcomes: protobuf-es's bytes and message", () => {
  const prng = createPrng(17);
  for (let i = 0; i < 400; i++) {
    const outcome = i === 0 ? { body: { case: "write" as const, value: {} } } : writeOutcome(prng);
    assertLikeProtobuf(encodeWriteOutcome(outcome), outcome, `case ${i}`);
  }
});

test("write outcomes protobuf-es must encode: errors, request ids, numbers past 2^53", () => {
  const others: Outcome[] = [
    { error: { code: ErrorCode.UNAVAILABLE, message: "no" } },
    {
      body: { case: "write", value: { index: 3n } },
      error: { code: ErrorCode.TIMEOUT, message: "t" },
    },
    { requestId: 5n, body: { case: "write", value: { index: 3n } } },
    { body: { case: "write", value: { index: 2n ** 53n } } },
    { body: { case: "write", value: { revision: 2n ** 64n - 1n } } },
    { body: { case: "write", value: { counter: -1n } } },
    { body: { case: "write", value: { counter: -(2n ** 63n) } } },
  ];
  for (const outcome of others) {
    assert.equal(encodeWriteOutcome(outcome), undefined);
    const message = create(ClientResponseSchema, outcome);
    const bytes = encodeOutcome(outcome);
    assert.deepEqual(bytes, toBinary(ClientResponseSchema, message));
    assert.deepEqual(decodeOutcome(bytes.slice()), message);
  }
});
