/**
 * The Net conformance suite against SimNet, driven in virtual time: with the
 * defaults, and with a small window and long, uneven delays.
 */
import { runNetSuite } from "../../conformance/net_suite.ts";
import { runUntilSettled } from "../../../src/platform/sim/settle.ts";
import { SimClock } from "../../../src/platform/sim/sim_clock.ts";
import { SimNet, type SimNetOptions } from "../../../src/platform/sim/sim_net.ts";
import { createPrng } from "../../../src/util/prng.ts";

function runAgainstSimNet(name: string, seed: number, options: SimNetOptions): void {
  const clock = new SimClock();
  const net = new SimNet(clock, createPrng(seed), options);
  runNetSuite(name, net.host("127.0.0.1"), (promise) => runUntilSettled(clock, promise, 600_000));
}

runAgainstSimNet("SimNet", 7, {});
runAgainstSimNet("SimNet (4 KiB window, 1..80 ms)", 8, {
  windowBytes: 4096,
  delayMinMs: 1,
  delayMaxMs: 80,
});
