/**
 * What the placement leader answers a request with (placement_node.ts `handle`, on the node that
 * leads region 0): the request's kind, served by its PlacementLeader.
 */
import type { PlacementLeader } from "./placement_leader.ts";
import type { PlacementNode } from "./placement_node.ts";
import type { PlacementAnswer, PlacementRequestBody } from "./placement_rpc.ts";
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { ServiceError } from "../kv_service.ts";
import { placementStatus } from "./placement_view.ts";
import { routeOf } from "./placement_route.ts";

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
    case "route":
      return { kind: "route", ...routeOf(node.state, b.key) };
    case "status":
      await leader.ready; // bootstrapped: every initial node is listed
      return { kind: "status", json: JSON.stringify(placementStatus(node)) };
  }
}

/** `a` if it is of the kind a request expects, else UNAVAILABLE (an older or confused peer). */
export function answerOf<K extends PlacementAnswer["kind"]>(
  a: PlacementAnswer,
  kind: K,
): Extract<PlacementAnswer, { kind: K }> {
  const matches = (x: PlacementAnswer): x is Extract<PlacementAnswer, { kind: K }> =>
    x.kind === kind;
  if (!matches(a)) throw new ServiceError(ErrorCode.UNAVAILABLE, `placement answered ${a.kind}`);
  return a;
}

/** Where a request goes when this node does not lead: the known leader, then `others`, once. */
export function targetsOf(self: number, lead: number, others: readonly number[]): number[] {
  const all = new Set([lead, ...others]);
  all.delete(0);
  all.delete(self);
  return [...all];
}
