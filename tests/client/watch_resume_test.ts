/**
 * The client's watch across nodes: two ports, each with its own hub over one
 * history (a replicated store). Killing the node a watch is on moves it to the
 * other, resuming after the last revision delivered: nothing missed or repeated.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { TinyKvError } from "../../src/client/errors.ts";
import type { WatchUpdate } from "../../src/client/watch_wire.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { CLIENT_WATCH_BUFFER_EVENTS_MAX } from "../../src/limits.ts";
import { KvPort } from "../../src/server/proto/kv_port.ts";
import { WatchHub } from "../../src/server/watch/watch_hub.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { LocalKvService } from "../server/local_kv_service.ts";
import { FakeHistory } from "../server/watch/fake_history.ts";
import { LinkProxy } from "../chaos/link_proxy.ts";

const platform = getPlatform();

async function node(history: FakeHistory) {
  const hub = new WatchHub({ source: history, clock: platform.clock, progressIntervalMs: 30 });
  const port = await KvPort.start({
    net: platform.net,
    hostname: "127.0.0.1",
    port: 0,
    service: await LocalKvService.open(),
    watch: hub,
  });
  return { hub, port, address: `127.0.0.1:${port.port}` };
}

function clientOf(endpoints: string[]): TinyKvClient {
  return new TinyKvClient({ endpoints, net: platform.net, clock: platform.clock, seed: 7 });
}

/** Takes updates until `enough` says so (bounded by a timeout). */
async function take(
  it: AsyncIterator<WatchUpdate>,
  enough: (all: WatchUpdate[]) => boolean,
): Promise<WatchUpdate[]> {
  const all: WatchUpdate[] = [];
  const deadline = Date.now() + 5000;
  while (!enough(all)) {
    const left = deadline - Date.now();
    assert.ok(left > 0, `timed out with ${JSON.stringify(all.map((u) => u.revision))}`);
    const r = await Promise.race([
      it.next(),
      new Promise<"timeout">((res) => setTimeout(() => res("timeout"), left)),
    ]);
    if (r === "timeout" || r.done) break;
    all.push(r.value);
  }
  return all;
}

test("client watch: a node going away moves the watch, no event missed or repeated", async () => {
  const history = new FakeHistory();
  const a = await node(history);
  const b = await node(history);
  const client = clientOf([a.address, b.address]);
  const write = (revision: number) => {
    const events = history.append(revision, [`k/${revision}`, "other"]);
    a.hub.publish(events, revision);
    b.hub.publish(events, revision);
  };
  try {
    for (let r = 1; r <= 5; r++) write(r);
    const watch = client.watch({ prefix: "k/" }, { fromRevision: 3 });
    const it = watch[Symbol.asyncIterator]();
    const keys = (us: WatchUpdate[]) => us.flatMap((u) => u.events.map((e) => fromUtf8(e.key)));
    const first = await take(it, (all) => keys(all).length >= 3);
    assert.deepEqual(keys(first), ["k/3", "k/4", "k/5"]);
    assert.equal(a.hub.active, 1, "the first endpoint serves it");
    await a.port.close();
    a.hub.close();
    for (let r = 6; r <= 9; r++) write(r);
    const rest = await take(it, (all) => keys(all).length >= 4);
    assert.deepEqual(keys(rest), ["k/6", "k/7", "k/8", "k/9"]);
    assert.equal(b.hub.active, 1);
    assert.equal(watch.nextRevision, 10);
    watch.cancel();
    const after = await it.next();
    assert.equal(after.done, true);
    for (let i = 0; i < 100 && b.hub.active > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(b.hub.active, 0, "cancel ends the server stream");
  } finally {
    client.close();
    a.hub.close();
    b.hub.close();
    await b.port.close();
  }
});

test("client watch: a compacted start ends with COMPACTED and the oldest revision", async () => {
  const history = new FakeHistory();
  const a = await node(history);
  const client = clientOf([a.address]);
  try {
    for (let r = 1; r <= 6; r++) a.hub.publish(history.append(r, ["x"]), r);
    history.compactedRevision = 4;
    const watch = client.watch("x", { fromRevision: 2 });
    await assert.rejects(
      (async () => {
        for await (const _ of watch) { /* nothing arrives */ }
      })(),
      (e: unknown) =>
        e instanceof TinyKvError && e.code === "COMPACTED" && e.compactedRevision === 4,
    );
  } finally {
    client.close();
    a.hub.close();
    await a.port.close();
  }
});

test("client watch: progress updates when asked, and a watch from now", async () => {
  const history = new FakeHistory();
  const a = await node(history);
  const client = clientOf([a.address]);
  try {
    a.hub.publish(history.append(1, ["x"]), 1);
    const watch = client.watch("x", { progressNotify: true });
    const it = watch[Symbol.asyncIterator]();
    const progress = await take(it, (all) => all.length >= 1);
    assert.deepEqual(progress, [{ events: [], revision: 1, progress: true }]);
    a.hub.publish(history.append(2, ["x"]), 2);
    const next = await take(it, (all) => all.some((u) => u.events.length > 0));
    const change = next.find((u) => u.events.length > 0)?.events[0];
    assert.equal(change?.modRevision, 2);
    assert.equal(fromUtf8(change?.value ?? new Uint8Array()), "x@2");
    watch.cancel();
  } finally {
    client.close();
    a.hub.close();
    await a.port.close();
  }
});

test("client watch: a consumer behind by more than its buffer still gets every event once", async () => {
  const history = new FakeHistory();
  const a = await node(history);
  const client = clientOf([a.address]);
  try {
    const watch = client.watch({ prefix: "k/" }, { fromRevision: 1 });
    const it = watch[Symbol.asyncIterator]();
    await new Promise((r) => setTimeout(r, 50));
    const perRevision = 1000;
    const revisions = Math.ceil(CLIENT_WATCH_BUFFER_EVENTS_MAX / perRevision) + 3;
    for (let r = 1; r <= revisions; r++) {
      const keys = Array.from({ length: perRevision }, (_, i) => `k/${r}/${i}`);
      a.hub.publish(history.append(r, keys), r);
      await new Promise((res) => setTimeout(res, 5));
    }
    await new Promise((r) => setTimeout(r, 100));
    const total = revisions * perRevision;
    const got = await take(it, (all) => all.reduce((n, u) => n + u.events.length, 0) >= total);
    const keys = got.flatMap((u) => u.events.map((e) => fromUtf8(e.key)));
    assert.equal(keys.length, total);
    assert.equal(new Set(keys).size, total, "no event repeated");
    const revs = got.flatMap((u) => u.events.map((e) => e.modRevision));
    assert.ok(revs.every((r, i) => i === 0 || r >= revs[i - 1]), "in revision order");
    watch.cancel();
  } finally {
    client.close();
    a.hub.close();
    await a.port.close();
  }
});

test("client watch: a node gone silent (connection open, nothing arrives) is left", async () => {
  const history = new FakeHistory();
  const a = await node(history);
  const b = await node(history);
  const proxy = await LinkProxy.start(a.port.port, Math.random);
  const client = clientOf([`127.0.0.1:${proxy.port}`, b.address]);
  const write = (revision: number) => {
    const events = history.append(revision, [`k/${revision}`]);
    a.hub.publish(events, revision);
    b.hub.publish(events, revision);
  };
  try {
    write(1);
    const watch = client.watch({ prefix: "k/" }, { fromRevision: 1, livenessMs: 100 });
    const it = watch[Symbol.asyncIterator]();
    const keys = (us: WatchUpdate[]) => us.flatMap((u) => u.events.map((e) => fromUtf8(e.key)));
    assert.deepEqual(keys(await take(it, (all) => keys(all).length >= 1)), ["k/1"]);
    assert.equal(a.hub.active, 1);
    proxy.set({ delayMs: 3_600_000 }); // nothing gets through, nothing is closed
    for (let r = 2; r <= 4; r++) write(r);
    const rest = await take(it, (all) => keys(all).length >= 3);
    assert.deepEqual(keys(rest), ["k/2", "k/3", "k/4"]);
    assert.equal(b.hub.active, 1, "moved to the node that answers");
    watch.cancel();
  } finally {
    client.close();
    proxy.heal();
    await proxy.close();
    a.hub.close();
    b.hub.close();
    await a.port.close();
    await b.port.close();
  }
});

test("client watch: closing the client ends its watches", async () => {
  const history = new FakeHistory();
  const a = await node(history);
  const client = clientOf([a.address]);
  try {
    const watch = client.watch("x");
    const it = watch[Symbol.asyncIterator]();
    for (let i = 0; i < 100 && a.hub.active === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(a.hub.active, 1);
    client.close();
    assert.equal((await take(it, () => false)).length, 0);
    assert.equal((await it.next()).done, true);
    for (let i = 0; i < 100 && a.hub.active > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(a.hub.active, 0);
    assert.equal(a.port.connections, 0, "no connection reopened");
  } finally {
    a.hub.close();
    await a.port.close();
  }
});

test("client watch: a cancel carrying a lower revision (a split) resumes after it", async () => {
  const history = new FakeHistory();
  const a = await node(history);
  const client = clientOf([a.address]);
  try {
    for (let r = 1; r <= 5; r++) a.hub.publish(history.append(r, [r === 1 ? "k" : "x"]), r);
    const watch = client.watch("k", { fromRevision: 1, progressNotify: true });
    const it = watch[Symbol.asyncIterator]();
    // k@1, then progress past 5: the client stands at 6.
    await take(it, (all) => all.some((u) => u.progress && u.revision >= 5));
    assert.equal(watch.nextRevision, 6);
    // The watch's keys moved at a split at revision 2: the node ends it with that revision.
    const [served] = a.hub.watchers();
    a.hub.cancel(served, "moved at a split", undefined, 2);
    for (let i = 0; i < 200 && a.hub.watchers().length === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const [resumed] = a.hub.watchers();
    assert.ok(resumed !== undefined && resumed !== served, "the client watches again");
    assert.equal(resumed.spec.startRevision, 3, "from the cancel's revision + 1");
    a.hub.publish(history.append(6, ["k"]), 6);
    const rest = await take(it, (all) => all.some((u) => u.events.length > 0));
    const keys = rest.flatMap((u) => u.events.map((e) => `${fromUtf8(e.key)}@${e.modRevision}`));
    assert.deepEqual(keys, ["k@6"]);
    watch.cancel();
  } finally {
    client.close();
    a.hub.close();
    await a.port.close();
  }
});
