/**
 * The protobuf port's lease requests (docs/coordination.md, Leases): grant
 * and revoke are replicated commands carrying the client's id and sequence
 * (a retry returns the saved result); keep-alive, time-to-live and list are
 * answered by the leader's lease keeper. Every id is range-checked here, at
 * the gateway; a failure becomes a typed error response.
 */
import { type ClientRequest, ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { DecodeError } from "../../util/coding.ts";
import { u64ToNumber } from "../../util/ids.ts";
import { type Principal, UNRESTRICTED } from "../../auth/principal.ts";
import { ServiceError } from "../kv_service.ts";
import type { LeaseResponseInit, LeaseService, Session } from "../node/lease_service.ts";
import type { ResponseInit } from "./request_handler.ts";

type Body = ClientRequest["body"];
export type LeaseBody = Extract<
  Body,
  { case: "leaseGrant" | "leaseRevoke" | "leaseKeepAlive" | "leaseTimeToLive" | "leaseList" }
>;

export function isLeaseBody(body: Body): body is LeaseBody {
  return body.case === "leaseGrant" || body.case === "leaseRevoke" ||
    body.case === "leaseKeepAlive" || body.case === "leaseTimeToLive" ||
    body.case === "leaseList";
}

function errorResponse(code: ErrorCode, message: string, leaderId = 0, leaderAddress = "") {
  return { error: { code, message, leaderId: BigInt(leaderId), leaderAddress } };
}

export async function handleLease(
  req: ClientRequest,
  body: LeaseBody,
  leases: LeaseService | undefined,
  principal: Principal = UNRESTRICTED,
): Promise<ResponseInit> {
  if (leases === undefined) {
    return errorResponse(ErrorCode.UNAVAILABLE, "this node does not serve leases");
  }
  try {
    const denial = await leaseDenial(principal, body, leases);
    if (denial !== undefined) return errorResponse(ErrorCode.PERMISSION_DENIED, denial);
    const value = await dispatch(req, body, leases);
    if (body.case === "leaseTimeToLive" && !principal.admin) {
      // Only the attached keys this user may read are listed.
      return { body: { case: "lease", value: { ...value, keys: readable(principal, value) } } };
    }
    return { body: { case: "lease", value } };
  } catch (err) {
    if (err instanceof ServiceError) {
      return errorResponse(err.code, err.message, err.leaderId, err.leaderAddress);
    }
    if (err instanceof DecodeError) return errorResponse(ErrorCode.INVALID_ARGUMENT, err.message);
    throw err;
  }
}

function dispatch(req: ClientRequest, b: LeaseBody, leases: LeaseService): Promise<
  LeaseResponseInit
> {
  switch (b.case) {
    case "leaseGrant":
      return leases.grant(sessionOf(req), b.value.ttlSeconds, u64ToNumber(b.value.id, "lease id"));
    case "leaseRevoke":
      if (b.value.expired) {
        throw new ServiceError(ErrorCode.INVALID_ARGUMENT, "only the leader revokes as expired");
      }
      return leases.revoke(sessionOf(req), u64ToNumber(b.value.id, "lease id"));
    case "leaseKeepAlive":
      return leases.keepAlive(u64ToNumber(b.value.id, "lease id"));
    case "leaseTimeToLive":
      return leases.timeToLive(u64ToNumber(b.value.id, "lease id"), b.value.keys);
    case "leaseList":
      return leases.list();
  }
}

/**
 * Leases: every logged-in user may grant, keep alive, list and look up (docs/protocol.md).
 * Revoking deletes the attached keys, so it needs write permission on every one of them.
 */
async function leaseDenial(
  p: Principal,
  body: LeaseBody,
  leases: LeaseService,
): Promise<string | undefined> {
  if (p.admin || body.case !== "leaseRevoke" || body.value.expired) return undefined;
  const id = u64ToNumber(body.value.id, "lease id");
  let keys: readonly Uint8Array[];
  try {
    keys = (await leases.timeToLive(id, true)).keys ?? [];
  } catch (err) {
    if (err instanceof ServiceError && err.code === ErrorCode.LEASE_NOT_FOUND) return undefined;
    throw err;
  }
  if (keys.every((k) => p.canWrite(k))) return undefined;
  return `user '${p.user}': no write permission on every key attached to lease ${id}`;
}

function readable(p: Principal, value: LeaseResponseInit): Uint8Array[] {
  return (value.keys ?? []).filter((k) => p.canRead(k));
}

/** The client's session, so the leader's dedup covers a retried grant or revoke. */
function sessionOf(req: ClientRequest): Session {
  u64ToNumber(req.clientId, "client id");
  u64ToNumber(req.sequence, "sequence");
  u64ToNumber(req.ackedSequence, "acked sequence");
  if ((req.clientId === 0n) !== (req.sequence === 0n)) {
    throw new ServiceError(ErrorCode.INVALID_ARGUMENT, "client id and sequence go together");
  }
  return { clientId: req.clientId, sequence: req.sequence, ackedSequence: req.ackedSequence };
}
