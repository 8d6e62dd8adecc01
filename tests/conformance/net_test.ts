import { runNetSuite } from "./net_suite.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { NodeNet } from "../../src/platform/node_net.ts";

const platform = getPlatform();
runNetSuite(`${platform.runtime} adapter`, platform.net);
if (platform.runtime === "bun") runNetSuite("node:net under bun", new NodeNet());
