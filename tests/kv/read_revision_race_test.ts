/**
 * A current read takes the key's state and the store revision "in one turn"
 * (NodeService.get): the pair must be consistent at every moment an apply
 * pass can be interrupted, including right after the engine took the pass's
 * batch and before the state machine's own counters moved. Reading
 * `kv.revision` there reported revision 1 with a state written at 2.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { applyAll, b, openKv, put } from "./kv_helpers.ts";

test("kv: a key's state and the store revision read in one turn agree during an apply", async () => {
  const { kv } = await openKv();
  await applyAll(kv, [put("k", "v1")]);
  const applying = applyAll(kv, [put("k", "v2")]);
  // The apply pass is suspended on its engine write: a read runs now, as any queued one may.
  const state = kv.get(b("k"));
  const revision = kv.visibleRevision;
  const counted = kv.revision;
  await applying;
  assert.ok(state !== undefined);
  assert.equal(counted, 1, "the pass's counters had not moved yet");
  assert.ok(
    state.modRevision <= revision,
    `read state written at ${state.modRevision} with store revision ${revision}`,
  );
});
