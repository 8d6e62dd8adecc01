/**
 * Write and get responses framed by hand (src/server/proto/fast_response_frame.ts): the same
 * bytes as protobuf-es's frame, and anything else left to protobuf-es.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { ClientResponseSchema, ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { written } from "../../src/kv/apply.ts";
import { withRevision } from "../../src/kv/command_runner.ts";
import { decodeOutcome, encodeOutcome } from "../../src/kv/outcome_codec.ts";
import { fastResponseFrame } from "../../src/server/proto/fast_response_frame.ts";
import type { ResponseInit } from "../../src/server/proto/responses.ts";
import { encodeWireFrame } from "../../src/wire/frame_codec.ts";

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

function generic(response: ResponseInit): Uint8Array {
  return encodeWireFrame({ case: "response", value: create(ClientResponseSchema, response) });
}

test("a write's response frame, from the outcome a writer gets back: protobuf-es's bytes", () => {
  const ids = [0n, 1n, 127n, 128n, 300n, 1n << 40n, MAX];
  const outcomes = [
    written(1),
    withRevision(written(12_345, { existed: true }), 12_345),
    withRevision(written(7, { applied: false, previousValue: new Uint8Array(200) }), 6),
    withRevision(written(2 ** 40, { counter: 99n, deleted: 3 }), 2 ** 40),
  ];
  for (const requestId of ids) {
    for (const outcome of outcomes) {
      // As the port answers: the message decodeOutcome hands back, with the request's id.
      const response = { ...decodeOutcome(encodeOutcome(outcome)), requestId };
      const fast = fastResponseFrame(response);
      assert.ok(fast !== undefined);
      assert.deepEqual(fast, generic(response), `request ${requestId}`);
    }
  }
});

test("get responses still take their own path; errors, other bodies and large numbers none", () => {
  const get: ResponseInit = {
    requestId: 9n,
    body: { case: "get", value: { found: true, value: new Uint8Array([1]), modRevision: 4n } },
  };
  assert.deepEqual(fastResponseFrame(get), generic(get));
  const none: ResponseInit[] = [
    { requestId: 1n, error: { code: ErrorCode.UNAVAILABLE, message: "no" } },
    { requestId: 1n, body: { case: "write", value: { index: 1n } }, error: { code: 2 } },
    { requestId: MAX + 1n, body: { case: "write", value: { index: 1n } } },
    { requestId: 1n, body: { case: "write", value: { revision: MAX + 1n } } },
    { requestId: 1n, body: { case: "write", value: { counter: -5n } } },
    { requestId: 1n, body: { case: "txn", value: { succeeded: true } } },
  ];
  for (const response of none) assert.equal(fastResponseFrame(response), undefined);
});
