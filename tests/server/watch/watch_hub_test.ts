/** The watch hub against a fake history: catch-up, the switch to synced, limits, progress. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { KeyRange, KvEvent } from "../../../src/kv/key_state.ts";
import { WATCH_BUFFER_BYTES_MAX, WATCH_BUFFER_EVENTS_MAX } from "../../../src/limits.ts";
import { SimClock } from "../../../src/platform/sim/sim_clock.ts";
import { WatchHub } from "../../../src/server/watch/watch_hub.ts";
import type { Watcher } from "../../../src/server/watch/watcher.ts";
import type { WatchMessage, WatchSpec } from "../../../src/server/watch/watch_types.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";
import { createPrng } from "../../../src/util/prng.ts";
import { describe, FakeHistory } from "./fake_history.ts";

/** Lets the microtasks of finished history reads run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** A port that takes a watch's messages only when the test drains it. */
class Collector {
  readonly messages: WatchMessage[] = [];
  watcher: Watcher | undefined;
  wakes = 0;
  wake(): void {
    this.wakes++;
  }
  drain(limit = Infinity): void {
    for (let i = 0; i < limit; i++) {
      const m = this.watcher?.take(1 << 20);
      if (m === undefined) return;
      this.messages.push(m);
    }
  }
  events(): string[] {
    return this.messages.flatMap((m) => m.kind === "events" ? m.events.map(describe) : []);
  }
  last(): WatchMessage | undefined {
    return this.messages[this.messages.length - 1];
  }
}

const range = (key: string, end = ""): KeyRange => ({ key: utf8(key), rangeEnd: utf8(end) });
const spec = (r: KeyRange, startRevision: number, more: Partial<WatchSpec> = {}): WatchSpec => ({
  range: r,
  startRevision,
  prevKv: false,
  progressNotify: false,
  ...more,
});

function setup(more: { progressIntervalMs?: number; watchesMax?: number } = {}) {
  const history = new FakeHistory();
  const clock = new SimClock();
  const hub = new WatchHub({ source: history, clock, historyBatchEvents: 3, ...more });
  const watch = (s: WatchSpec) => {
    const c = new Collector();
    c.watcher = hub.create(s, c);
    return c;
  };
  const write = (revision: number, keys: string[]) => {
    hub.publish(history.append(revision, keys), revision);
  };
  return { history, clock, hub, watch, write };
}

test("watch hub: a synced watch gets the events in its range, in order, whole revisions", () => {
  const { hub, watch, write } = setup();
  const c = watch(spec(range("a", "c"), 0));
  assert.equal(c.watcher?.synced, true);
  write(1, ["a", "x", "b"]);
  write(2, ["c"]);
  write(3, ["-a"]);
  c.drain();
  assert.deepEqual(c.events(), ["a@1", "b@1", "-a@3"]);
  assert.deepEqual(c.messages.map((m) => m.kind === "events" && m.revision), [3]);
  hub.close();
  c.drain();
  assert.equal(c.last()?.kind, "canceled");
});

test("watch hub: catching up reads history in batches, then follows publishes", async () => {
  const { hub, watch, write, history } = setup();
  for (let r = 1; r <= 10; r++) write(r, [`k${r}`, "other"]);
  const c = watch(spec(range("k", "l"), 2));
  assert.equal(c.watcher?.synced, false);
  for (let i = 0; i < 20 && !c.watcher?.synced; i++) {
    await settle();
    c.drain();
  }
  assert.equal(c.watcher?.synced, true);
  write(11, ["k11"]);
  c.drain();
  const want = Array.from({ length: 10 }, (_, i) => `k${i + 2}@${i + 2}`);
  assert.deepEqual(c.events(), want);
  assert.ok(history.reads >= 3, "batches of 3 events need several reads");
  hub.close();
});

/**
 * Apply passes land (durable, then published) while history reads are in flight,
 * and each read sees the history as it was when it began or as it is when it
 * ends: every event must arrive once, in order, and no revision split in two.
 */
test("watch hub: no gap and no duplicate across the switch to synced (random interleavings)", async () => {
  for (let seed = 1; seed <= 40; seed++) {
    const prng = createPrng(seed);
    const { hub, watch, history } = setup();
    history.manual = true;
    let revision = 0;
    const unpublished: { events: KvEvent[]; revision: number }[] = [];
    const apply = () => {
      revision += prng.range(1, 3);
      const keys = ["a", "b", "x", "-a", "c"].filter(() => prng.chance(0.5));
      unpublished.push({ events: history.append(revision, keys.length ? keys : ["b"]), revision });
    };
    const publish = () => {
      const p = unpublished.shift();
      if (p !== undefined) hub.publish(p.events, p.revision);
    };
    for (let i = 0; i < 8; i++) apply(), publish();
    const start = prng.range(1, revision);
    const c = watch(spec(range("a", "c"), start));
    for (let step = 0; step < 300; step++) {
      const pick = prng.int(5);
      if (pick === 0 && revision < 60) apply();
      else if (pick === 1) publish();
      else if (pick === 2) history.finishRead(prng.chance(0.5));
      else if (pick === 3) c.drain(prng.range(1, 2));
      await settle();
    }
    while (unpublished.length > 0) publish();
    for (let i = 0; i < 100 && !(c.watcher?.synced && c.watcher.empty); i++) {
      history.finishRead(prng.chance(0.5));
      await settle();
      c.drain();
    }
    const want = history.events
      .filter((e) => e.kv.modRevision >= start && ["a", "b"].includes(fromUtf8(e.kv.key)))
      .map(describe);
    assert.deepEqual(c.events(), want, `seed ${seed}`);
    const revisionsPerMessage = c.messages.map((m) =>
      new Set(m.kind === "events" ? m.events.map((e) => e.kv.modRevision) : [])
    );
    for (let i = 1; i < revisionsPerMessage.length; i++) {
      const before = Math.max(0, ...revisionsPerMessage.slice(0, i).flatMap((s) => [...s]));
      assert.ok([...revisionsPerMessage[i]].every((r) => r > before), `seed ${seed}: split`);
    }
    hub.close();
  }
});

test("watch hub: past its buffer's events or bytes a watch is canceled as too slow", () => {
  const { hub, watch, write, history } = setup();
  const c = watch(spec(range("k", "l"), 0));
  write(1, ["k1"]);
  const many = Array.from({ length: WATCH_BUFFER_EVENTS_MAX }, (_, i) => `k/${i}`);
  write(2, many);
  assert.equal(hub.active, 0);
  assert.equal(hub.counters.canceledSlow, 1);
  c.drain();
  const m = c.last();
  assert.ok(m?.kind === "canceled" && m.reason.startsWith("watcher too slow"), JSON.stringify(m));
  assert.equal(c.events().length, 0, "the buffer is dropped");
  assert.equal(m.revision, 0, "nothing was delivered: resume from revision 1");

  const big = watch(spec(range("k", "l"), 0));
  write(3, ["k3"]);
  big.drain();
  write(4, ["k4"]);
  const huge = history.append(5, ["k5"]).map((e) => ({
    ...e,
    kv: { ...e.kv, value: new Uint8Array(WATCH_BUFFER_BYTES_MAX) },
  }));
  hub.publish(huge, 5);
  big.drain();
  assert.deepEqual(big.events(), ["k3@3"]);
  const end = big.last();
  assert.ok(end?.kind === "canceled" && end.reason.includes("resume from revision 4"));
  assert.equal(end.revision, 3);
  assert.equal(hub.counters.canceledSlow, 2);

  const alone = watch(spec(range("k", "l"), 0));
  hub.publish(huge.map((e) => ({ ...e, kv: { ...e.kv, modRevision: 6 } })), 6);
  alone.drain();
  assert.equal(alone.events().length, 1, "an empty buffer takes one revision of any size");
  hub.close();
});

test("watch hub: a compacted start is canceled with the compacted revision; a future one waits", async () => {
  const { hub, watch, write, history } = setup();
  for (let r = 1; r <= 5; r++) write(r, ["a"]);
  history.compactedRevision = 3;
  const old = watch(spec(range("a"), 2));
  await settle();
  old.drain();
  const m = old.last();
  assert.ok(m?.kind === "canceled" && m.compactRevision === 3, JSON.stringify(m));
  assert.match(m.reason, /revision 2 was compacted/);
  const ok = watch(spec(range("a"), 3));
  const future = watch(spec(range("a"), 8));
  assert.equal(future.watcher?.synced, true);
  for (let i = 0; i < 5; i++) await settle(), ok.drain();
  for (let r = 6; r <= 9; r++) write(r, ["a"]);
  ok.drain();
  future.drain();
  assert.deepEqual(ok.events(), ["a@3", "a@4", "a@5", "a@6", "a@7", "a@8", "a@9"]);
  assert.deepEqual(future.events(), ["a@8", "a@9"]);
  hub.close();
});

test("watch hub: an idle watch with progress_notify is told its revision each interval", () => {
  const { hub, watch, write, clock } = setup({ progressIntervalMs: 100 });
  const c = watch(spec(range("a"), 0, { progressNotify: true }));
  const quiet = watch(spec(range("a"), 0));
  write(1, ["b"]);
  clock.advance(100);
  c.drain();
  assert.deepEqual(c.messages, [{ kind: "progress", revision: 1 }]);
  write(2, ["a"]);
  clock.advance(50);
  write(3, ["b"]);
  clock.advance(50);
  c.drain();
  assert.equal(c.messages.length, 2, "not idle for a whole interval: no progress");
  assert.equal(c.last()?.kind, "events");
  clock.advance(200);
  c.drain();
  assert.deepEqual(c.last(), { kind: "progress", revision: 3 });
  quiet.drain();
  assert.ok(quiet.messages.every((m) => m.kind !== "progress"));
  hub.close();
  assert.equal(clock.pendingTimers(), 0);
});

test("watch hub: after a snapshot replaced the store, watches catch up from its history", async () => {
  const { hub, watch, write, history } = setup();
  write(1, ["a"]);
  const c = watch(spec(range("a"), 0));
  write(2, ["a"]);
  c.drain();
  // A snapshot brings revisions 3..6 that were never published here.
  for (let r = 3; r <= 6; r++) history.append(r, ["a", "b"]);
  hub.resync();
  assert.equal(c.watcher?.synced, false);
  for (let i = 0; i < 10; i++) await settle(), c.drain();
  write(7, ["a"]);
  c.drain();
  assert.deepEqual(c.events(), ["a@2", "a@3", "a@4", "a@5", "a@6", "a@7"]);
  history.compactedRevision = 20;
  for (let r = 8; r <= 20; r++) history.append(r, ["b"]);
  hub.resync();
  await settle();
  c.drain();
  const m = c.last();
  assert.ok(m?.kind === "canceled" && m.compactRevision === 20 && m.revision === 7);
  hub.close();
});

test("watch hub: the node's watch limit refuses one more", () => {
  const { hub, watch } = setup({ watchesMax: 2 });
  watch(spec(range("a"), 0));
  const second = watch(spec(range("a"), 0));
  assert.throws(() => watch(spec(range("a"), 0)), /too many watches on this node/);
  second.watcher && hub.cancel(second.watcher, "done");
  watch(spec(range("a"), 0));
  assert.equal(hub.active, 2);
  hub.close();
});
