/** Starts a node's expiry sweeper (expiry_sweeper.ts) over a running NodeService. */
import { dueKeys } from "../../kv/expiry_index.ts";
import { ExpirySweeper } from "./expiry_sweeper.ts";
import type { NodeService } from "./node_service.ts";

export function startExpirySweeper(node: NodeService): ExpirySweeper {
  const o = node.o;
  const sweeper = new ExpirySweeper({
    clock: o.clock,
    isLeader: () => node.node.rawNode.isLeader,
    // Through the engine holder: a snapshot swapping the engine in cannot tear the read.
    dueKeys: (nowMs, max) => node.engine.read(() => dueKeys(node.engine.db, nowMs, max)),
    execute: (command) => node.execute(command),
    log: (line) => o.logger.warn("expiry.sweep_failed", { error: line.replace(/^.*?sweep: /, "") }),
  }, o.expirySweepMs);
  sweeper.start();
  return sweeper;
}
