/**
 * A watch moved between hubs (WatchHub.release/adopt, as a split moves a watch to its keys' new
 * region: src/server/node/node_watches.ts): the new hub goes on from the revision given, a read
 * the old hub had in flight is dropped, and a watch ended with `resumeAfter` reports that
 * revision in its cancel message.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SimClock } from "../../../src/platform/sim/sim_clock.ts";
import { WatchHub } from "../../../src/server/watch/watch_hub.ts";
import type { Watcher } from "../../../src/server/watch/watcher.ts";
import type { WatchMessage } from "../../../src/server/watch/watch_types.ts";
import { utf8 } from "../../../src/util/bytes.ts";
import { describe, FakeHistory } from "./fake_history.ts";

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

function drain(w: Watcher | undefined, into: WatchMessage[]): string[] {
  for (let i = 0; i < 100; i++) {
    const m = w?.take(1 << 20);
    if (m === undefined) break;
    into.push(m);
  }
  return into.flatMap((m) => m.kind === "events" ? m.events.map(describe) : []);
}

const spec = { range: { key: utf8("k"), rangeEnd: new Uint8Array(0) }, prevKv: false };

test("watch hub move: the adopting hub goes on from the revision given; the old read is dropped", async () => {
  const clock = new SimClock();
  // The parent's history up to the split at 4; the child's goes on from 5 with its own writes.
  const parent = new FakeHistory(), child = new FakeHistory();
  const old = new WatchHub({ source: parent, clock });
  for (const r of [1, 2, 3, 4]) old.publish(parent.append(r, r === 2 ? ["k"] : ["x"]), r);
  for (const r of [1, 2, 3, 4]) child.append(r, r === 2 ? ["k"] : ["x"]);
  const next = new WatchHub({ source: child, clock });
  parent.manual = true;
  const w = old.create({ ...spec, startRevision: 1, progressNotify: false }, { wake() {} });
  assert.equal(parent.pending.length, 1, "catching up: a read in flight on the old hub");
  // The split: the child writes k at 5 and 6 (applied before the watch moves).
  next.publish(child.append(5, ["k"]), 5);
  old.release(w);
  next.adopt(w, 1);
  assert.equal(w.hub, next);
  assert.equal(old.active, 0);
  assert.equal(next.active, 1);
  await settle();
  parent.finishRead(true); // the old hub's read ends late: its page must not be delivered
  await settle();
  const messages: WatchMessage[] = [];
  for (let i = 0; i < 10 && !w.synced; i++) {
    await settle();
    drain(w, messages);
  }
  assert.equal(w.synced, true);
  next.publish(child.append(6, ["k"]), 6);
  assert.deepEqual(drain(w, messages), ["k@2", "k@5", "k@6"], "each once, from the child");
  assert.equal(parent.reads, 1, "the old hub read no more");
  next.close();
  old.close();
});

test("watch hub move: a watch ended with resumeAfter reports that revision", () => {
  const clock = new SimClock();
  const history = new FakeHistory();
  const hub = new WatchHub({ source: history, clock });
  const w = hub.create({ ...spec, startRevision: 0, progressNotify: false }, { wake() {} });
  for (const r of [1, 2, 3]) hub.publish(history.append(r, ["k"]), r);
  const messages: WatchMessage[] = [];
  drain(w, messages);
  assert.equal(w.delivered, 3);
  hub.cancel(w, "moved at a split", undefined, 2);
  const last = w.take(1 << 20);
  assert.equal(last?.kind, "canceled");
  assert.equal(last?.kind === "canceled" && last.revision, 2);
  assert.equal(hub.active, 0);
});

/** Drains `w` while its catch-up reads go on (each read waits for the buffer to empty). */
async function drainAll(w: Watcher, into: WatchMessage[]): Promise<string[]> {
  let got = drain(w, into);
  for (let i = 0; i < 10; i++) {
    await settle();
    got = drain(w, into);
  }
  return got;
}

test("watch hub park: a parked watch takes nothing past the split, live or from history", async () => {
  const clock = new SimClock();
  const history = new FakeHistory();
  const hub = new WatchHub({ source: history, clock });
  const live = hub.create({ ...spec, startRevision: 0, progressNotify: false }, { wake() {} });
  hub.publish(history.append(1, ["k"]), 1);
  // A catching-up watch, its first read in flight when the split parks it.
  const behind = hub.create({ ...spec, startRevision: 1, progressNotify: false }, { wake() {} });
  // One apply pass: the split at 2 (k written there too), then a write of k at 3.
  const pass = [...history.append(2, ["k"]), ...history.append(3, ["k"])];
  hub.park(live, 2);
  hub.park(behind, 2);
  hub.publish(pass, 3);
  const seen: WatchMessage[] = [], seenBehind: WatchMessage[] = [];
  assert.deepEqual(await drainAll(live, seen), ["k@1", "k@2"], "nothing past the split");
  const reads = await drainAll(behind, seenBehind);
  assert.deepEqual(reads, ["k@1", "k@2"], "its reads stop at the split");
  assert.equal(live.announced, 2);
  assert.equal(behind.announced, 2);
  assert.equal(live.next, 3, "it goes on from the split + 1 when moved");
  // Whole here again (the node found its keys in this region): it reads what it skipped.
  hub.unpark(live);
  await drainAll(live, seen);
  hub.publish(history.append(4, ["k"]), 4);
  const all = await drainAll(live, seen);
  assert.deepEqual(all, ["k@1", "k@2", "k@3", "k@4"], "each once, in order");
  // Released to another hub, a parked watch is no longer parked.
  hub.release(behind);
  assert.equal(behind.parkedAt, undefined);
  hub.close();
});
