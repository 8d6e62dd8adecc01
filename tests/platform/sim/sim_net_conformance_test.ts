/** The Net conformance suite against SimNet, driven in virtual time. */
import { runNetSuite } from "../../conformance/net_suite.ts";
import { runUntilSettled } from "../../../src/platform/sim/settle.ts";
import { SimClock } from "../../../src/platform/sim/sim_clock.ts";
import { SimNet } from "../../../src/platform/sim/sim_net.ts";
import { createPrng } from "../../../src/util/prng.ts";

const clock = new SimClock();
const net = new SimNet(clock, createPrng(7));
runNetSuite(
  "SimNet",
  net.host("127.0.0.1"),
  (promise) => runUntilSettled(clock, promise, 600_000),
);
