import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as baseLimits from "../src/limits.ts";
import * as opsLimits from "../src/limits_ops.ts";
import * as storageLimits from "../src/limits_storage.ts";

/**
 * src/limits.ts, the bounds added for security and operations in src/limits_ops.ts, and the
 * storage engine's blob files' in src/limits_storage.ts.
 */
const limits = { ...baseLimits, ...opsLimits, ...storageLimits };

test("limits: every limit is a positive safe integer and the load-time relations hold", () => {
  for (const [name, value] of Object.entries(limits)) {
    assert.ok(Number.isSafeInteger(value) && value > 0, `${name} = ${value}`);
  }
  assert.ok(limits.L0_FILES_SLOWDOWN < limits.L0_FILES_STOP);
  assert.ok(limits.VALUE_BYTES_MAX < limits.FRAME_BYTES_MAX);
  assert.ok(limits.FRAME_BYTES_MAX < 2 ** 32);
  // A stitched SCAN page reads COUNT (at most SCAN_LIMIT_MAX) keys and one more to know if more
  // follow; a part of KEYS, at most as many; all of one part's keys fit a frame.
  assert.equal(limits.REDIS_KEYS_PART_MAX, limits.SCAN_LIMIT_MAX + 1);
  assert.ok(limits.REDIS_KEYS_PART_MAX * limits.KEY_BYTES_MAX < limits.FRAME_BYTES_MAX);
  // A peer's Redis read: a GET of the largest value answers, and request and reply fit a frame.
  assert.ok(limits.REDIS_PEER_READ_REPLY_BYTES_MAX > limits.VALUE_BYTES_MAX);
  assert.ok(limits.REDIS_PEER_READ_REPLY_BYTES_MAX < limits.FRAME_BYTES_MAX);
  assert.ok(limits.REDIS_PEER_READ_BYTES_MAX < limits.FRAME_BYTES_MAX);
  assert.ok(limits.REDIS_PEER_READ_ARGS_MAX <= limits.RESP_ARGS_MAX);
});

test("limits: every limit in src/limits*.ts is documented in docs/limits.md", () => {
  const root = path.resolve(import.meta.dirname ?? ".", "..");
  const doc = fs.readFileSync(path.join(root, "docs", "limits.md"), "utf8");
  const missing = Object.keys(limits).filter((name) => !doc.includes(`\`${name}\``));
  assert.deepEqual(missing, []);
});
