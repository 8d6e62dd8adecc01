import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { ClientRequestSchema } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { decodeWireFrame, encodeWireFrame, WireError } from "../../src/wire/frame_codec.ts";
import { FrameDecoder } from "../../src/util/frame.ts";
import { ANNOUNCED_BUFFER_START_BYTES, FRAME_BYTES_MAX } from "../../src/limits.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { createPrng } from "../../src/util/prng.ts";

test("wire frames round-trip a client request through the length-prefixed decoder", () => {
  const request = create(ClientRequestSchema, {
    requestId: 77n,
    clientId: 5n,
    sequence: 9n,
    body: { case: "put", value: { key: utf8("k"), value: utf8("v") } },
  });
  const bytes = encodeWireFrame({ case: "request", value: request });
  const [payload] = new FrameDecoder(FRAME_BYTES_MAX, ANNOUNCED_BUFFER_START_BYTES).push(bytes);
  const frame = decodeWireFrame(payload);
  assert.equal(frame.body.case, "request");
  if (frame.body.case !== "request") return;
  assert.equal(frame.body.value.requestId, 77n);
  assert.equal(frame.body.value.body.case, "put");
});

test("decodeWireFrame turns garbage into WireError, never another exception", () => {
  const prng = createPrng(1);
  let rejected = 0;
  for (let i = 0; i < 2000; i++) {
    const garbage = prng.fill(new Uint8Array(prng.int(40)));
    try {
      decodeWireFrame(garbage);
    } catch (err) {
      assert.ok(err instanceof WireError, String(err));
      rejected++;
    }
  }
  assert.ok(rejected > 1000, `rejected ${rejected}`);
  assert.throws(() => decodeWireFrame(new Uint8Array(0)), /no body/);
});
