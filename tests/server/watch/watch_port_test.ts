/** Watch streams on the protobuf port: the frames, bad input, cancel, a closed connection. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ClientResponse, WatchResponse } from "../../../src/gen/tinykv/v1/tinykv_pb.ts";
import { ErrorCode } from "../../../src/gen/tinykv/v1/tinykv_pb.ts";
import { ClientConnection, type RequestBody } from "../../../src/client/connection.ts";
import { getPlatform } from "../../../src/platform/detect.ts";
import { KvPort } from "../../../src/server/proto/kv_port.ts";
import { WatchHub } from "../../../src/server/watch/watch_hub.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";
import { LocalKvService } from "../local_kv_service.ts";
import { FakeHistory } from "./fake_history.ts";

const platform = getPlatform();

async function setup(withHub = true) {
  const history = new FakeHistory();
  const hub = new WatchHub({ source: history, clock: platform.clock, progressIntervalMs: 50 });
  const service = await LocalKvService.open();
  const port = await KvPort.start({
    net: platform.net,
    hostname: "127.0.0.1",
    port: 0,
    service,
    watch: withHub ? hub : undefined,
  });
  const conn = await ClientConnection.open(platform.net, platform.clock, `127.0.0.1:${port.port}`);
  const write = (revision: number, keys: string[]) =>
    hub.publish(history.append(revision, keys), revision);
  const close = async () => {
    conn.close();
    hub.close();
    await port.close();
  };
  return { history, hub, port, conn, write, close };
}

/** Collects a stream's responses; `next()` waits for the next one (bounded). */
function collect(conn: ClientConnection, body: RequestBody) {
  const got: ClientResponse[] = [];
  let wake: (() => void) | undefined;
  const id = conn.openStream(body, {
    onResponse: (r) => {
      got.push(r);
      wake?.();
    },
    onClose: () => wake?.(),
  }, { timeoutMs: 1000 });
  let read = 0;
  const next = async (): Promise<ClientResponse> => {
    for (let i = 0; i < 100 && got.length <= read; i++) {
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 50);
      });
    }
    assert.ok(got.length > read, "no response in time");
    return got[read++];
  };
  return { id, got, next };
}

function watchOf(r: ClientResponse): WatchResponse {
  assert.equal(r.error, undefined, r.error?.message);
  assert.equal(r.body.case, "watch");
  return r.body.value as WatchResponse;
}

const create = (
  key: string,
  rangeEnd: string,
  more: Record<string, unknown> = {},
): RequestBody => ({
  case: "watchCreate",
  value: { key: utf8(key), rangeEnd: utf8(rangeEnd), ...more },
});

test("watch port: created, events in order, progress, then canceled after watch_cancel", async () => {
  const t = await setup();
  try {
    t.write(1, ["a"]);
    const s = collect(t.conn, create("a", "b", { startRevision: 1n, progressNotify: true }));
    const created = watchOf(await s.next());
    assert.equal(created.created, true);
    assert.equal(created.revision, 1n);
    const first = watchOf(await s.next());
    assert.deepEqual(first.events.map((e) => fromUtf8(e.kv?.key ?? utf8("?"))), ["a"]);
    t.write(2, ["ab", "b"]);
    t.write(3, ["-a"]);
    const evs: string[] = [];
    while (evs.length < 2) {
      const w = watchOf(await s.next());
      for (const e of w.events) {
        evs.push(`${e.type}:${fromUtf8(e.kv?.key ?? utf8(""))}@${e.kv?.modRevision}`);
      }
    }
    assert.deepEqual(evs, ["0:ab@2", "1:a@3"]);
    const progress = watchOf(await s.next());
    assert.deepEqual([progress.progress, progress.revision], [true, 3n]);
    const answer = await t.conn.call({ case: "watchCancel", value: { watchId: BigInt(s.id) } }, {
      timeoutMs: 1000,
    });
    assert.equal(answer.body.case, "watch");
    assert.equal(answer.error, undefined);
    let last = watchOf(await s.next());
    while (!last.canceled) last = watchOf(await s.next());
    assert.match(last.cancelReason, /canceled by the client/);
    assert.equal(last.revision, 3n);
    assert.equal(t.hub.active, 0);
  } finally {
    await t.close();
  }
});

test("watch port: an empty range, a missing key or no hub get a clear error", async () => {
  const t = await setup();
  const none = await setup(false);
  try {
    const cases: [RequestBody, ErrorCode, RegExp][] = [
      [create("b", "a"), ErrorCode.INVALID_ARGUMENT, /empty watch range/],
      [create("b", "b"), ErrorCode.INVALID_ARGUMENT, /empty watch range/],
      [create("", ""), ErrorCode.INVALID_ARGUMENT, /needs a key/],
    ];
    for (const [body, code, message] of cases) {
      const s = collect(t.conn, body);
      const r = await s.next();
      assert.equal(r.error?.code, code);
      assert.match(r.error?.message ?? "", message);
    }
    const all = collect(t.conn, create("", "\0"));
    assert.equal(watchOf(await all.next()).created, true, '"" to "\\0" is every key');
    const s = collect(none.conn, create("a", ""));
    assert.equal((await s.next()).error?.code, ErrorCode.UNAVAILABLE);
  } finally {
    await t.close();
    await none.close();
  }
});

test("watch port: a compacted start is canceled with compact_revision", async () => {
  const t = await setup();
  try {
    for (let r = 1; r <= 4; r++) t.write(r, ["a"]);
    t.history.compactedRevision = 3;
    const s = collect(t.conn, create("a", "", { startRevision: 2n }));
    assert.equal(watchOf(await s.next()).created, true);
    const end = watchOf(await s.next());
    assert.equal(end.canceled, true);
    assert.equal(end.compactRevision, 3n);
  } finally {
    await t.close();
  }
});

test("watch port: closing the connection drops its watches", async () => {
  const t = await setup();
  try {
    const s = collect(t.conn, create("a", ""));
    await s.next();
    collect(t.conn, create("b", ""));
    for (let i = 0; i < 100 && t.hub.active < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(t.hub.active, 2);
    t.conn.close();
    for (let i = 0; i < 100 && t.hub.active > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(t.hub.active, 0);
  } finally {
    await t.close();
  }
});
