/** The fence between a crashed incarnation and the next, and fsyncs that power can interrupt. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { HostClock } from "../../../src/platform/sim/host_clock.ts";
import { SimClock } from "../../../src/platform/sim/sim_clock.ts";
import { SimFileSystem } from "../../../src/platform/sim/sim_file_system.ts";
import { SimNet } from "../../../src/platform/sim/sim_net.ts";
import { runUntilSettled } from "../../../src/platform/sim/settle.ts";
import { Fence, HttpHandlers, incarnationPlatform } from "../../../src/sim/incarnation_platform.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";
import { IoError } from "../../../src/util/errors.ts";
import { createPrng } from "../../../src/util/prng.ts";

function world(fsyncMs: number) {
  const clock = new SimClock();
  const disk = new SimFileSystem(createPrng(1), clock);
  const net = new SimNet(clock, createPrng(2));
  const fence = new Fence();
  const platform = incarnationPlatform({
    fs: disk,
    net: net.host("n1"),
    clock: new HostClock(clock),
    http: new HttpHandlers(),
    seed: () => 7,
    fsyncMs,
  }, fence);
  return { clock, disk, fence, platform };
}

test("sim node: a dead incarnation cannot touch the disk or the network", async () => {
  const { fence, platform } = world(0);
  platform.fs.mkdir("data");
  fence.kill();
  assert.throws(() => platform.fs.open("data/x", { create: true }), IoError);
  assert.throws(() => platform.fs.list("data"), IoError);
  await assert.rejects(platform.fs.syncDir("data"), IoError);
  await assert.rejects(platform.net.connect("n2", 7001), IoError);
  await assert.rejects(platform.net.listen({ hostname: "n1", port: 7001 }, () => {}), IoError);
});

test("sim node: data is durable when its fsync completes, not when it starts", async () => {
  const { clock, disk, platform } = world(5);
  platform.fs.mkdir("data");
  const f = platform.fs.open("data/log", { create: true });
  await runUntilSettled(clock, platform.fs.syncDir("data"), 100);
  f.append(utf8("acked"));
  const syncing = f.sync();
  clock.advance(4); // power fails 4 ms into a 5 ms fsync
  disk.crash("lose");
  assert.equal(disk.readFile("data/log").length, 0);
  await assert.rejects(runUntilSettled(clock, syncing, 100));

  const g = platform.fs.open("data/log");
  g.append(utf8("acked"));
  await runUntilSettled(clock, g.sync(), 100);
  disk.crash("lose");
  assert.equal(fromUtf8(disk.readFile("data/log")), "acked");
});
