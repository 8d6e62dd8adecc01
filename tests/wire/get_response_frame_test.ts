import { test } from "node:test";
import assert from "node:assert/strict";
import { create, fromBinary } from "@bufbuild/protobuf";
import { ClientResponseSchema, FrameSchema } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { encodeGetResponseFrame, type GetAnswer } from "../../src/wire/get_response_frame.ts";
import { encodeWireFrame } from "../../src/wire/frame_codec.ts";
import { FRAME_HEADER_BYTES } from "../../src/util/frame.ts";

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

function generic(requestId: bigint, answer: GetAnswer): Uint8Array {
  return encodeWireFrame({
    case: "response",
    value: create(ClientResponseSchema, { requestId, body: { case: "get", value: answer } }),
  });
}

test("the hand-written get response frame is byte-identical to protobuf-es's", () => {
  const values = [undefined, new Uint8Array(0), new Uint8Array([0, 1, 255]), new Uint8Array(300)];
  const numbers = [undefined, 0n, 1n, 200n, 1n << 35n, MAX];
  for (const requestId of [0n, 1n, 127n, 128n, 300n, 1n << 40n, MAX]) {
    for (const found of [false, true]) {
      for (const value of values) {
        for (const n of numbers) {
          const answer = { found, value, modRevision: n };
          assert.deepEqual(encodeGetResponseFrame(requestId, answer), generic(requestId, answer));
        }
      }
    }
  }
});

test("every number field (3..8) is written, in number order, each where it belongs", () => {
  const fields = [
    "modRevision",
    "createRevision",
    "version",
    "lease",
    "revision",
    "expireAtMs",
  ] as const;
  const numbers = [undefined, 0n, 1n, 127n, 128n, 1n << 40n, MAX];
  for (let seed = 0; seed < 400; seed++) {
    const answer: Record<string, unknown> = { found: seed % 3 !== 0 };
    fields.forEach((f, i) => (answer[f] = numbers[(seed * (i + 3) + i * i) % numbers.length]));
    const a = answer as unknown as GetAnswer;
    const fast = encodeGetResponseFrame(BigInt(seed), a);
    assert.deepEqual(fast, generic(BigInt(seed), a), JSON.stringify(answer, (_, v) => `${v}`));
  }
  const a = {
    found: true,
    value: new Uint8Array([7]),
    modRevision: 10n,
    createRevision: 4n,
    version: 3n,
    lease: 99n,
    revision: 12n,
    expireAtMs: 1_767_225_600_123n,
  };
  const bytes = encodeGetResponseFrame(5n, a);
  assert.ok(bytes !== undefined);
  const frame = fromBinary(FrameSchema, bytes.subarray(FRAME_HEADER_BYTES));
  assert.equal(frame.body.case, "response");
  const body = frame.body.value?.body;
  assert.equal(body?.case, "get");
  const g = body.value;
  assert.deepEqual(
    [g.modRevision, g.createRevision, g.version, g.lease, g.revision, g.expireAtMs],
    [10n, 4n, 3n, 99n, 12n, 1_767_225_600_123n],
  );
});

test("ids or revisions past 2^53 are left to the generic encoder", () => {
  assert.equal(encodeGetResponseFrame(MAX + 1n, { found: false }), undefined);
  for (const f of ["modRevision", "createRevision", "version", "lease", "revision", "expireAtMs"]) {
    assert.equal(encodeGetResponseFrame(1n, { found: true, [f]: MAX + 1n }), undefined, f);
  }
});
