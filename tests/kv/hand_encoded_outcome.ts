/** Checks a hand-written outcome encoder's result against protobuf-es (tests/kv/*_outcome_codec_test.ts). */
import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type ClientResponse, ClientResponseSchema } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import type { Outcome } from "../../src/kv/apply.ts";
import { decodeOutcome, encodeOutcome } from "../../src/kv/outcome_codec.ts";

/**
 * `mine` (the encoder's bytes and message for `outcome`) equals protobuf-es's encoding and
 * message, decodes back to it, and the stored outcome reads back the same, copied or not.
 */
export function assertLikeProtobuf(
  mine: { readonly bytes: Uint8Array; readonly message: ClientResponse } | undefined,
  outcome: Outcome,
  label: string,
): void {
  assert.ok(mine !== undefined, label);
  const message = create(ClientResponseSchema, outcome);
  assert.deepEqual(mine.bytes, toBinary(ClientResponseSchema, message), label);
  assert.deepEqual(mine.message, message, label);
  assert.deepEqual(fromBinary(ClientResponseSchema, mine.bytes), message, label);
  const bytes = encodeOutcome(outcome);
  assert.deepEqual(decodeOutcome(bytes), message, label);
  assert.deepEqual(decodeOutcome(bytes.slice()), message, `${label}: read back from a session`);
}
