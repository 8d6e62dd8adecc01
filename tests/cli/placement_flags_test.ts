/** The node's placement flags (src/cli/placement_flags.ts): values parsed, bad ones refused. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { placementFlagsOf } from "../../src/cli/placement_flags.ts";
import { UsageError } from "../../src/cli/usage_error.ts";

test("placement flags: heartbeat interval, replicas and replace timeout", () => {
  assert.deepEqual(
    placementFlagsOf({ "placement-heartbeat": "200ms", replicas: "5", "replace-timeout": "90" }),
    { heartbeatMs: 200, replicas: 5, replaceTimeoutMs: 90_000 },
  );
  assert.deepEqual(placementFlagsOf({ "placement-heartbeat": "2s" }), { heartbeatMs: 2000 });
  assert.deepEqual(placementFlagsOf({ "placement-heartbeat": "10" }), { heartbeatMs: 10 });
  assert.deepEqual(placementFlagsOf({}), {});
  for (const bad of ["9ms", "61s", "0", "fast", "-1s"]) {
    assert.throws(() => placementFlagsOf({ "placement-heartbeat": bad }), UsageError, bad);
  }
  assert.throws(() => placementFlagsOf({ replicas: "17" }), UsageError);
  assert.throws(() => placementFlagsOf({ "replace-timeout": "25h" }), UsageError);
});
