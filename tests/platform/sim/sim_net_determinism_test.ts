/**
 * SimNet replays from its seed: a busy scenario (echo traffic between four
 * hosts, with cuts, heals, resets, a crash and a pause) gives a byte-identical
 * trace for the same seed and a different one for another seed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Conn } from "../../../src/platform/types.ts";
import { netWorld } from "./sim_net_helpers.ts";

const HOSTS = ["n1", "n2", "n3", "n4"];

async function busyTrace(seed: number): Promise<string> {
  const world = netWorld(seed, { traceBytes: true, delayMaxMs: 20, cutResetMaxMs: 300 });
  const { net, prng, trace, clock } = world;
  const listen = (host: string) =>
    net.host(host).listen({ hostname: host, port: 7000 }, (conn) => {
      conn.setHandlers({ onData: (chunk) => void conn.write(chunk) }); // echo
    });
  for (const host of HOSTS) await listen(host);
  const conns: Conn[] = [];
  const dial = (from: string, to: string) =>
    net.host(from).connect(to, 7000).then((conn) => {
      conns.push(conn);
      conn.setHandlers({
        onData: (chunk) => trace.record(clock.nowMs(), `${from} got ${chunk.length} from ${to}`),
        onClose: (error) => trace.record(clock.nowMs(), `${from} closed ${error?.message ?? ""}`),
      });
    }, (error: Error) => trace.record(clock.nowMs(), `${from} failed ${error.message}`));
  for (let step = 0; step < 300; step++) {
    const from = HOSTS[prng.int(4)], to = HOSTS[prng.int(4)];
    if (prng.chance(0.1)) void dial(from, to);
    const conn = conns[prng.int(conns.length + 1)];
    if (conn !== undefined) conn.write(prng.fill(new Uint8Array(prng.range(1, 2000))));
    if (step === 60) net.partition([["n1", "n2"], ["n3", "n4"]]);
    if (step === 90) net.heal();
    if (step === 120) net.cut("n2", "n1");
    if (step === 150) net.reset("n3", "n4");
    if (step === 180) net.crash("n4");
    if (step === 190) await listen("n4");
    if (step === 200) net.pause("n3");
    if (step === 240) net.resume("n3");
    if (step === 260) net.heal();
    await world.run(prng.range(0, 10));
  }
  await world.run(5000);
  trace.record(clock.nowMs(), `stats ${JSON.stringify(net.stats)}`);
  return trace.text();
}

test("SimNet: the same seed gives a byte-identical trace; another seed differs", async () => {
  const first = await busyTrace(31);
  const again = await busyTrace(31);
  const other = await busyTrace(32);
  assert.ok(first.split("\n").length > 500, "the scenario is busy");
  for (const event of ["connect", "data", "reset", "crash", "pause", "cut", "heal"]) {
    assert.match(first, new RegExp(`tcp ${event}`), `trace has ${event}`);
  }
  assert.equal(again, first);
  assert.notEqual(other, first);
});
