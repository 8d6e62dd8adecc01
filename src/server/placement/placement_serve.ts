/**
 * What the placement leader answers a request with (placement_node.ts `handle`, on the node that
 * leads region 0): the request's kind, served by its PlacementLeader.
 */
import type { PlacementLeader } from "./placement_leader.ts";
import type { PlacementNode } from "./placement_node.ts";
import type { PlacementAnswer, PlacementRequestBody } from "./placement_rpc.ts";
import { placementStatus } from "./placement_view.ts";

export async function serve(
  node: PlacementNode,
  leader: PlacementLeader,
  b: PlacementRequestBody,
): Promise<PlacementAnswer> {
  const self = node.d.o.id;
  switch (b.kind) {
    case "heartbeat": {
      const orders = await leader.heartbeat(b.heartbeat);
      return { kind: "done", leaderId: self, orders };
    }
    case "allocate-ids":
      return { kind: "ids", first: await leader.allocate(b.count), count: b.count };
    case "drain":
      await leader.drain(b.nodeId);
      return { kind: "done", leaderId: self };
    case "timestamps": {
      const r = await leader.timestamps(b.count);
      return { kind: "timestamps", first: r.first, count: r.count };
    }
    case "status":
      await leader.ready; // bootstrapped: every initial node is listed
      return { kind: "status", json: JSON.stringify(placementStatus(node)) };
  }
}
