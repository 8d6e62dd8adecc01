import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { ClientResponseSchema } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { encodeGetResponseFrame } from "../../src/wire/get_response_frame.ts";
import { encodeWireFrame } from "../../src/wire/frame_codec.ts";

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

test("the hand-written get response frame is byte-identical to protobuf-es's", () => {
  const values = [undefined, new Uint8Array(0), new Uint8Array([0, 1, 255]), new Uint8Array(300)];
  for (const requestId of [0n, 1n, 127n, 128n, 300n, 1n << 40n, MAX]) {
    for (const found of [false, true]) {
      for (const value of values) {
        for (const n of [undefined, 0n, 1n, 200n, 1n << 35n, MAX]) {
          const answer = {
            found,
            value,
            modRevision: n,
            createRevision: n === undefined ? undefined : n / 2n,
            version: n === undefined ? undefined : n % 7n,
            lease: n === 200n ? 5n : undefined,
            revision: n,
          };
          const generic = encodeWireFrame({
            case: "response",
            value: create(ClientResponseSchema, {
              requestId,
              body: { case: "get", value: answer },
            }),
          });
          assert.deepEqual(encodeGetResponseFrame(requestId, answer), generic);
        }
      }
    }
  }
});

test("ids or versions past 2^53 are left to the generic encoder", () => {
  assert.equal(encodeGetResponseFrame(MAX + 1n, { found: false }), undefined);
  for (const field of ["modRevision", "createRevision", "version", "lease", "revision"]) {
    assert.equal(encodeGetResponseFrame(1n, { found: true, [field]: MAX + 1n }), undefined);
  }
});
