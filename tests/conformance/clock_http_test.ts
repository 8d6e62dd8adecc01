/** The real platform's clock, timers and HTTP serving, under the running runtime. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { getPlatform } from "../../src/platform/detect.ts";

const platform = getPlatform();

test(`${platform.runtime} clock: monotonic, timers fire in order, clearTimeout cancels`, async () => {
  const { clock } = platform;
  const start = clock.nowMs();
  const fired: string[] = [];
  await new Promise<void>((resolve) => {
    const cancelled = clock.setTimeout(() => fired.push("cancelled"), 5);
    clock.setTimeout(() => fired.push("b"), 20);
    clock.setTimeout(() => fired.push("a"), 1);
    clock.clearTimeout(cancelled);
    clock.setTimeout(resolve, 40);
  });
  assert.deepEqual(fired, ["a", "b"]);
  assert.ok(clock.nowMs() - start >= 39, `elapsed ${clock.nowMs() - start} ms`);
  assert.ok(Number.isSafeInteger(platform.randomSeed()));
  assert.notEqual(platform.randomSeed(), platform.randomSeed());
});

test(`${platform.runtime} serveHttp: serves a fetch handler on the port it reports`, async () => {
  const server = await platform.serveHttp(
    (req) => new Response(`hello ${new URL(req.url).pathname}`, { status: 201 }),
    { hostname: "127.0.0.1", port: 0 },
  );
  try {
    assert.ok(server.port > 0);
    const res = await fetch(`http://127.0.0.1:${server.port}/status`);
    assert.equal(res.status, 201);
    assert.equal(await res.text(), "hello /status");
  } finally {
    await server.close();
  }
});
