import { test } from "node:test";
import assert from "node:assert/strict";
import { ApplyPipeline } from "../../src/raft/apply_pipeline.ts";
import { type Entry, EntryType } from "../../src/raft/core/messages.ts";
import { AssertionError } from "../../src/util/assert.ts";

function entries(...indexes: number[]): Entry[] {
  return indexes.map((index) => ({
    term: 1,
    index,
    type: EntryType.Normal,
    data: new Uint8Array(),
  }));
}

function recordingPipeline(): { pipeline: ApplyPipeline; applied: number[] } {
  const applied: number[] = [];
  const pipeline = new ApplyPipeline((batch) => {
    for (const e of batch) applied.push(e.index);
    return Promise.resolve();
  });
  return { pipeline, applied };
}

test("apply pipeline: deferred entries are queued in order, after what was queued before", async () => {
  const { pipeline, applied } = recordingPipeline();
  pipeline.queue(entries(1, 2));
  pipeline.defer(entries(3));
  pipeline.queueDeferred();
  pipeline.defer(entries(4, 5));
  assert.ok(pipeline.busy);
  await pipeline.drain();
  assert.deepEqual(applied, [1, 2, 3, 4, 5]);
  assert.ok(!pipeline.busy);
});

test("apply pipeline: deferring again before the deferred entries were queued is refused", async () => {
  const { pipeline, applied } = recordingPipeline();
  pipeline.defer(entries(1, 2));
  // Replacing them would silently skip entries 1 and 2 on this node's state machine.
  assert.throws(() => pipeline.defer(entries(3)), AssertionError);
  await pipeline.drain();
  assert.deepEqual(applied, [1, 2]);
});
