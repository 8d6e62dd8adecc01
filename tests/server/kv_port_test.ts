/**
 * The protobuf port over real sockets with the real client library, against
 * a state machine without Raft.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { KvPort } from "../../src/server/proto/kv_port.ts";
import { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { TinyKvError } from "../../src/client/errors.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { KV_KEY_BYTES_MAX, KV_VALUE_BYTES_MAX } from "../../src/limits.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { LocalKvService } from "./local_kv_service.ts";

const platform = getPlatform();

async function setup() {
  const service = await LocalKvService.open();
  const port = await KvPort.start({ net: platform.net, hostname: "127.0.0.1", port: 0, service });
  const client = new TinyKvClient({
    endpoints: [`127.0.0.1:${port.port}`],
    net: platform.net,
    clock: platform.clock,
    seed: 1,
    deadlineMs: 5000,
  });
  return { service, port, client };
}

const text = (v: Uint8Array | undefined) => v === undefined ? undefined : fromUtf8(v);

test("protobuf port: put/get/delete/batch/compare-and-set/scan/status through the client", async () => {
  const { port, client } = await setup();
  try {
    assert.equal(await client.put("a", "1"), 1);
    assert.equal(text(await client.get("a")), "1");
    assert.equal(text(await client.get("a", { consistency: "serializable" })), "1");
    assert.equal(await client.delete("a"), true);
    assert.equal(await client.delete("a"), false);
    await client.batch([
      { type: "put", key: "p/1", value: "x" },
      { type: "put", key: "p/2", value: "y" },
      { type: "put", key: "q", value: "z" },
    ]);
    assert.equal(await client.compareAndSet("q", "wrong", "no"), false);
    assert.equal(await client.compareAndSet("q", "z", "z2"), true);
    assert.equal(await client.compareAndSet("new", undefined, "created"), true);
    assert.equal(text(await client.get("q")), "z2");
    const page = await client.scan({ prefix: "p/", limit: 1 });
    assert.deepEqual(page.items.map((i) => fromUtf8(i.key)), ["p/1"]);
    const next = await client.scan({ prefix: "p/", limit: 1, cursor: page.nextCursor });
    assert.deepEqual(next.items.map((i) => fromUtf8(i.key)), ["p/2"]);
    assert.equal(next.nextCursor, undefined);
    const status = await client.status();
    assert.equal(status.role, "leader");
    assert.equal(status.id, 1);
  } finally {
    client.close();
    await port.close();
  }
});

test("protobuf port: keys and values over the limit get TOO_LARGE and change nothing", async () => {
  const { port, client, service } = await setup();
  try {
    const bigKey = "k".repeat(KV_KEY_BYTES_MAX + 1);
    await assert.rejects(
      client.put(bigKey, "v"),
      (e: unknown) => e instanceof TinyKvError && e.code === "TOO_LARGE",
    );
    const bigValue = new Uint8Array(KV_VALUE_BYTES_MAX + 1);
    await assert.rejects(
      client.put("k", bigValue),
      (e: unknown) => e instanceof TinyKvError && e.code === "TOO_LARGE",
    );
    assert.equal(service.kv.appliedIndex, 0);
    assert.equal(await client.put("k", "ok"), 1, "the connection still works");
  } finally {
    client.close();
    await port.close();
  }
});

test("protobuf port: garbage, oversized and truncated frames close only that connection", async () => {
  const { port, client } = await setup();
  const send = async (bytes: Uint8Array, waitClose: boolean) => {
    const conn = await platform.net.connect("127.0.0.1", port.port);
    let got = 0;
    const closed = new Promise<void>((resolve) =>
      conn.setHandlers({ onData: (c) => void (got += c.length), onClose: () => resolve() })
    );
    conn.write(bytes);
    if (waitClose) await closed;
    else {
      await new Promise((r) => setTimeout(r, 50));
      conn.close();
    }
    return got;
  };
  try {
    // 4 GiB - 1 declared: refused on the prefix, before any allocation.
    assert.ok(await send(new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2]), true) > 0);
    // A well-framed payload that is not a Frame.
    assert.ok(await send(new Uint8Array([0, 0, 0, 3, 0xff, 0xff, 0xff]), true) > 0);
    // A truncated frame: the server waits for the rest; the client gives up.
    assert.equal(await send(new Uint8Array([0, 0, 0, 100, 1, 2, 3]), false), 0);
    assert.equal(await client.put("still", "serving"), 1);
    assert.equal(text(await client.get("still")), "serving");
  } finally {
    client.close();
    await port.close();
  }
});

test("protobuf port: 2,000 concurrent requests on one connection all complete", async () => {
  const { port, client } = await setup();
  try {
    const writes = Array.from({ length: 1000 }, (_, i) => client.put(`k${i}`, `v${i}`));
    const indexes = await Promise.all(writes);
    assert.equal(new Set(indexes).size, 1000);
    const reads = await Promise.all(Array.from({ length: 1000 }, (_, i) => client.get(`k${i}`)));
    reads.forEach((v, i) => assert.equal(text(v), `v${i}`));
  } finally {
    client.close();
    await port.close();
  }
});
