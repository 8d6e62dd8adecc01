/**
 * OrderedScreen (src/server/node/ordered_screen.ts): a peer's batches reach the driver in the
 * order they arrived, even when one of them is screened asynchronously (a region image's head
 * being read); other peers' batches do not wait; a screen that throws drops only its batch.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { OrderedScreen } from "../../src/server/node/ordered_screen.ts";
import type { NodeBatch } from "../../src/raft/multi/transport.ts";

function batch(from: number, tag: number): NodeBatch {
  // The tag rides in `to`: the screen passes batches through whole.
  return { from, to: tag, messages: [] };
}

/** Every promise hop queued so far runs (a timer turn follows the microtasks). */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

test("ordered screen: a peer's batch behind an image being screened waits for it", async () => {
  const received: string[] = [];
  const slow = new Map<number, () => void>();
  const screen = (b: NodeBatch): NodeBatch | Promise<NodeBatch> => {
    if (b.to % 10 !== 0) return b; // no image: synchronous
    return new Promise((resolve) => slow.set(b.to, () => resolve(b)));
  };
  const errors: unknown[] = [];
  const o = new OrderedScreen(
    screen,
    (b) => received.push(`${b.from}:${b.to}`),
    (e) => errors.push(e),
  );
  o.deliver(batch(1, 1)); // delivered at once
  o.deliver(batch(1, 10)); // an image: screened for a while
  o.deliver(batch(1, 2)); // the probe after it
  o.deliver(batch(2, 3)); // another peer: not held
  await settle();
  assert.deepEqual(received, ["1:1", "2:3"]);
  assert.equal(o.waiting(1), true);
  assert.equal(o.waiting(2), false);
  slow.get(10)?.();
  await settle();
  assert.deepEqual(received, ["1:1", "2:3", "1:10", "1:2"], "the image first, then the probe");
  assert.equal(o.waiting(1), false, "the queue is gone once drained");
  o.deliver(batch(1, 4));
  assert.deepEqual(received.at(-1), "1:4", "synchronous again");
  assert.deepEqual(errors, []);
});

test("ordered screen: a screen that throws drops its batch; the peer's next batches go on", async () => {
  const received: number[] = [];
  const errors: string[] = [];
  const screen = (b: NodeBatch): NodeBatch | Promise<NodeBatch> => {
    if (b.to === 10) return Promise.reject(new Error("bad image"));
    if (b.to === 20) return Promise.resolve(b);
    return b;
  };
  const o = new OrderedScreen(
    screen,
    (b) => received.push(b.to),
    (e) => errors.push(e instanceof Error ? e.message : String(e)),
  );
  o.deliver(batch(1, 10));
  o.deliver(batch(1, 1));
  o.deliver(batch(1, 20));
  o.deliver(batch(1, 2));
  await settle();
  assert.deepEqual(received, [1, 20, 2]);
  assert.deepEqual(errors, ["bad image"]);
  assert.equal(o.waiting(1), false);
});
