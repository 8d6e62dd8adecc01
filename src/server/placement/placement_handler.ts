/**
 * `PlacementRequest` on the protobuf port: decoded (a bad body is
 * INVALID_ARGUMENT, never a crash), checked (a drain is an admin request: it
 * needs the admin token when the node has one), and handed to the node's
 * placement service, whose answer goes back encoded (placement_rpc.ts).
 */
import { type ClientRequest, ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { DecodeError } from "../../util/coding.ts";
import { InvalidArgumentError } from "../../util/errors.ts";
import { ServiceError } from "../kv_service.ts";
import type { AdminAccess } from "../proto/admin_handler.ts";
import type { ResponseInit } from "../proto/responses.ts";
import {
  decodePlacementRequest,
  encodePlacementAnswer,
  type PlacementAnswer,
  type PlacementRequest,
  type PlacementRequestBody,
} from "./placement_rpc.ts";

/** What the port needs of the node's placement service (PlacementNode). */
export interface PlacementPort {
  /** `fromPort`: sent by another node (placement_node.ts says who forwards what). */
  handle(
    b: PlacementRequestBody,
    forwarded?: boolean,
    fromPort?: boolean,
  ): Promise<PlacementAnswer>;
}

export async function handlePlacement(
  req: ClientRequest,
  bytes: Uint8Array,
  port: PlacementPort | undefined,
  admin: AdminAccess | undefined,
): Promise<ResponseInit> {
  if (port === undefined) {
    throw new ServiceError(ErrorCode.UNAVAILABLE, "this node runs no placement service");
  }
  let r: PlacementRequest;
  try {
    r = decodePlacementRequest(bytes);
  } catch (err) {
    throw invalid(err);
  }
  if (r.body.kind === "drain") {
    if (admin === undefined) {
      throw new ServiceError(ErrorCode.UNAVAILABLE, "admin requests are not served here");
    }
    if (admin.token !== undefined && req.adminToken !== admin.token) {
      throw new ServiceError(ErrorCode.UNAUTHORIZED, "drain needs the admin token");
    }
  }
  let answer: PlacementAnswer;
  try {
    answer = await port.handle(r.body, r.forwarded, true);
  } catch (err) {
    throw invalid(err);
  }
  return { body: { case: "placement", value: { body: encodePlacementAnswer(answer) } } };
}

/** Bad input becomes INVALID_ARGUMENT; everything else passes through. */
function invalid(err: unknown): unknown {
  if (err instanceof DecodeError || err instanceof InvalidArgumentError) {
    return new ServiceError(ErrorCode.INVALID_ARGUMENT, `placement: ${err.message}`);
  }
  return err;
}
