import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { decodeOutcome, encodeOutcome } from "../../src/kv/outcome_codec.ts";

test("outcomes: the node's own encoding is not decoded again; other bytes are", () => {
  const bytes = encodeOutcome({
    body: { case: "write", value: { index: 42n, existed: true, applied: true } },
  });
  const own = decodeOutcome(bytes);
  assert.equal(decodeOutcome(bytes), own, "the message it was encoded from");
  const copy = decodeOutcome(bytes.slice()); // as read back from a client session
  assert.notEqual(copy, own);
  assert.equal(copy.body.case, "write");
  assert.equal(copy.body.case === "write" ? copy.body.value.index : 0n, 42n);
  assert.deepEqual(copy.body.value, own.body.value);
  const failed = decodeOutcome(
    encodeOutcome({ error: { code: ErrorCode.TOO_LARGE, message: "too big" } }).slice(),
  );
  assert.equal(failed.error?.code, ErrorCode.TOO_LARGE);
});
