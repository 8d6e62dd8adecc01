import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { LinkProxy } from "./link_proxy.ts";

/** A sink that records what it receives, per connection, in arrival order. */
async function sink(): Promise<{ server: net.Server; port: number; received: string[] }> {
  const received: string[] = [];
  const server = net.createServer((s) => {
    s.on("data", (d: Uint8Array) => received.push(new TextDecoder().decode(d)));
    s.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const a = server.address();
  if (typeof a !== "object" || a === null) throw new Error("no port");
  return { server, port: a.port, received };
}

function dial(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => resolve(s));
    s.on("error", reject);
  });
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), what);
}

test("link proxy: forwards, cuts live connections, holds new ones until healed", async () => {
  const s = await sink();
  const p = await LinkProxy.start(s.port, () => 0.5);
  try {
    const a = await dial(p.port);
    a.write("one");
    await until(() => s.received.join("") === "one", "healthy link forwards");
    const closed = new Promise<void>((r) => a.once("close", () => r()));
    p.set({ down: true });
    await closed; // the cut connection is gone: bytes in flight are lost, not resent
    const b = await dial(p.port);
    b.write("two");
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(s.received.join(""), "one", "nothing crosses a down link");
    p.heal();
    await until(() => s.received.join("") === "onetwo", "held connection goes through on heal");
    assert.equal(p.resets, 1);
    b.destroy();
  } finally {
    await p.close();
    await new Promise<void>((r) => s.server.close(() => r()));
  }
});

test("link proxy: a slow link delays chunks but keeps their order", async () => {
  const s = await sink();
  const p = await LinkProxy.start(s.port, () => 0.9);
  try {
    p.set({ delayMs: 80, jitterMs: 40 });
    const a = await dial(p.port);
    const start = Date.now();
    for (let i = 0; i < 5; i++) {
      a.write(String(i));
      await new Promise((r) => setTimeout(r, 5));
    }
    await until(() => s.received.join("").length === 5, "all chunks arrive");
    assert.equal(s.received.join(""), "01234");
    assert.ok(Date.now() - start >= 80, "delivered no earlier than the delay");
    a.destroy();
  } finally {
    await p.close();
    await new Promise<void>((r) => s.server.close(() => r()));
  }
});
