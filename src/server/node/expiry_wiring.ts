/** Starts a node's expiry sweeper (expiry_sweeper.ts) over a running NodeService (region 1). */
import { ExpirySweeper } from "./expiry_sweeper.ts";
import type { NodeService } from "./node_service.ts";
import { QuietExpiry } from "./quiet_expiry.ts";

export function startExpirySweeper(node: NodeService): ExpirySweeper {
  const o = node.o;
  const quiet = new QuietExpiry();
  const sweeper = new ExpirySweeper({
    clock: o.clock,
    isLeader: () => node.node.rawNode.isLeader,
    // A snapshot swaps the engine's state machine in: a new owner, read again.
    dueKeys: (nowMs, max) => quiet.dueKeys(node.engine, node.kv, node.kv.region, nowMs, max),
    execute: (command) => node.execute(command),
    log: (line) => o.logger.warn("expiry.sweep_failed", { error: line.replace(/^.*?sweep: /, "") }),
  }, o.expirySweepMs);
  sweeper.start();
  return sweeper;
}
