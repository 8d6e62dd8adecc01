/**
 * A connection's watch streams against a fake socket: back-pressure (a backed-up
 * socket stops sends and history reads), merged responses, the per-connection and
 * per-node limits.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import {
  type ClientRequest,
  ClientRequestSchema,
  ErrorCode,
  type WatchResponse,
} from "../../../src/gen/tinykv/v1/tinykv_pb.ts";
import {
  WATCH_EVENT_BYTES_MAX,
  WATCH_HISTORY_BATCH_EVENTS,
  WATCH_RESPONSE_BYTES_MAX,
  WATCH_SOCKET_QUEUE_BYTES_MAX,
  WATCHES_PER_CONNECTION_MAX,
  WATCHES_PER_NODE_MAX,
} from "../../../src/limits.ts";
import { SimClock } from "../../../src/platform/sim/sim_clock.ts";
import type { ResponseInit } from "../../../src/server/proto/request_handler.ts";
import { WatchStreams } from "../../../src/server/proto/watch_streams.ts";
import { WatchHub } from "../../../src/server/watch/watch_hub.ts";
import { utf8 } from "../../../src/util/bytes.ts";
import { FakeHistory } from "./fake_history.ts";

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

function setup(watchesMax?: number) {
  const history = new FakeHistory();
  const hub = new WatchHub({ source: history, clock: new SimClock(), watchesMax });
  const sent: ResponseInit[] = [];
  const socket = { queued: 0 };
  const streams = new WatchStreams(hub, {
    send: (r) => sent.push(r),
    queuedBytes: () => socket.queued,
    socketBacklogged: () => socket.queued > 0,
  });
  return { history, hub, sent, socket, streams };
}

let nextId = 1n;
function createRequest(key: string, startRevision = 0n): ClientRequest {
  return create(ClientRequestSchema, {
    requestId: nextId++,
    body: { case: "watchCreate", value: { key: utf8(key), startRevision } },
  });
}

function watchOf(r: ResponseInit): WatchResponse {
  assert.equal(r.body?.case, "watch");
  return r.body.value as WatchResponse;
}

const eventCount = (sent: ResponseInit[]) =>
  sent.reduce((n, r) => n + (r.body?.case === "watch" ? (r.body.value.events?.length ?? 0) : 0), 0);

test("watch streams: a backed-up socket stops sending and reading history until it drains", async () => {
  const t = setup();
  const revisions = 3 * WATCH_HISTORY_BATCH_EVENTS;
  for (let r = 1; r <= revisions; r++) t.hub.publish(t.history.append(r, ["k"]), r);
  t.socket.queued = WATCH_SOCKET_QUEUE_BYTES_MAX;
  t.streams.request(createRequest("k", 1n));
  for (let i = 0; i < 5; i++) await settle();
  assert.equal(t.sent.length, 1, "only created");
  assert.equal(watchOf(t.sent[0]).created, true);
  assert.equal(t.history.reads, 1, "one batch read, then it waits for the socket");
  t.socket.queued = 0;
  for (let i = 0; i < 50 && eventCount(t.sent) < revisions; i++) {
    t.streams.drain();
    await settle();
  }
  assert.equal(eventCount(t.sent), revisions);
  assert.equal(t.history.reads, 3, "three batches; the last reached the end: synced");
  t.hub.close();
});

test("watch streams: buffered revisions are merged into responses of bounded size", async () => {
  const t = setup();
  t.streams.request(createRequest("k"));
  t.socket.queued = WATCH_SOCKET_QUEUE_BYTES_MAX;
  const big = new Uint8Array(WATCH_RESPONSE_BYTES_MAX / 4);
  for (let r = 1; r <= 8; r++) {
    const events = t.history.append(r, ["k"]).map((e) => ({ ...e, kv: { ...e.kv, value: big } }));
    t.hub.publish(events, r);
  }
  await settle();
  t.socket.queued = 0;
  t.streams.drain();
  const batches = t.sent.slice(1).map((r) => watchOf(r).events.length);
  assert.equal(batches.reduce((a, b) => a + b, 0), 8);
  assert.ok(batches.length >= 2 && batches.every((n) => n >= 1 && n <= 4), `${batches}`);
  t.hub.close();
});

test("watch streams: the per-connection and per-node watch limits", () => {
  const t = setup();
  for (let i = 0; i < WATCHES_PER_CONNECTION_MAX; i++) t.streams.request(createRequest("k"));
  t.streams.request(createRequest("k"));
  const last = t.sent[t.sent.length - 1];
  assert.equal(last.error?.code, ErrorCode.FAILED_PRECONDITION);
  assert.equal(t.streams.open, WATCHES_PER_CONNECTION_MAX);
  t.streams.close();
  assert.equal(t.hub.active, 0, "closing the connection ends its watches");

  const hub = new WatchHub({ source: new FakeHistory(), clock: new SimClock() });
  const sink = { wake: () => {} };
  const spec = { range: { key: utf8("k"), rangeEnd: new Uint8Array() }, startRevision: 0 };
  for (let i = 0; i < WATCHES_PER_NODE_MAX; i++) {
    hub.create({ ...spec, prevKv: false, progressNotify: false }, sink);
  }
  assert.throws(
    () => hub.create({ ...spec, prevKv: false, progressNotify: false }, sink),
    /too many watches on this node/,
  );
  hub.close();
  const node = setup(1);
  node.streams.request(createRequest("a"));
  node.streams.request(createRequest("b"));
  assert.equal(node.sent[1].error?.code, ErrorCode.UNAVAILABLE);
  node.hub.close();
});

test("watch streams: a revision too large for one frame ends the stream with TOO_LARGE", async () => {
  const t = setup();
  t.streams.request(createRequest("k"));
  const huge = new Uint8Array(WATCH_EVENT_BYTES_MAX);
  const events = t.history.append(1, ["k"]).map((e) => ({ ...e, kv: { ...e.kv, value: huge } }));
  t.hub.publish(events, 1);
  await settle();
  assert.equal(t.sent.length, 2);
  assert.equal(t.sent[1].error?.code, ErrorCode.TOO_LARGE);
  assert.match(t.sent[1].error?.message ?? "", /revision 1 .* do not fit one frame/);
  assert.equal(t.hub.active, 0);
  assert.equal(t.streams.open, 0);
  t.streams.drain();
  assert.equal(t.sent.length, 2, "no canceled message after the error");
  t.hub.close();
});
