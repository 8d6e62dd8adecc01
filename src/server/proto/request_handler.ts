/**
 * Turns one protobuf ClientRequest into a call on the KvService and its
 * ClientResponse. Requests were decoded from untrusted bytes: every 64-bit
 * field is converted with a range check, every command validated before it
 * is proposed, and every failure becomes a typed error response.
 */
import { type ClientRequest, ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { type CommandFields, validateCommand } from "../../kv/command_codec.ts";
import { u64ToNumber } from "../../util/ids.ts";
import type { Consistency, KvService } from "../kv_service.ts";
import { type AdminAccess, handleAdmin, isAdminBody } from "./admin_handler.ts";
import { handleRead } from "./read_handler.ts";
import { errorResponse, type ResponseInit, responseOfError } from "./responses.ts";
import { checkRoute } from "./route_check.ts";
import { handleRegions } from "./regions_handler.ts";
import { handlePlacement } from "../placement/placement_handler.ts";

export type { ResponseInit };

/** Commands that answer with their own body (txn) rather than a WriteResponse. */
const EXECUTED: ReadonlySet<string | undefined> = new Set(["txn", "compact", "redis"]);

/** The command a write request proposes, or undefined for reads. */
function commandOf(req: ClientRequest): CommandFields | undefined {
  const session = {
    clientId: req.clientId,
    sequence: req.sequence,
    ackedSequence: req.ackedSequence,
  };
  const b = req.body;
  if (
    b.case === "put" || b.case === "delete" || b.case === "batch" ||
    b.case === "compareAndSet" || b.case === "increment" || b.case === "txn" ||
    b.case === "compact" || b.case === "expire" || b.case === "redis"
  ) {
    return { ...session, body: b };
  }
  return undefined;
}

export async function handleRequest(
  req: ClientRequest,
  service: KvService,
  defaultConsistency: Consistency,
  admin?: AdminAccess,
): Promise<ResponseInit> {
  try {
    u64ToNumber(req.clientId, "client id");
    u64ToNumber(req.sequence, "sequence");
    u64ToNumber(req.ackedSequence, "acked sequence");
    if ((req.clientId === 0n) !== (req.sequence === 0n)) {
      return errorResponse(ErrorCode.INVALID_ARGUMENT, "client id and sequence go together");
    }
    // A request routed with a stale region or epoch is refused before it runs.
    const refusal = checkRoute(req, service.regions);
    if (refusal !== undefined) return refusal;
    if (req.body.case === "regions") return handleRegions(req.body.value, service.regions);
    if (req.body.case === "regionTxn") {
      if (service.regionTxn === undefined) {
        return errorResponse(ErrorCode.FAILED_PRECONDITION, "this node serves no region requests");
      }
      return { body: await service.regionTxn(req.body.value) };
    }
    const p = req.body.case === "placement" ? req.body.value.body : undefined;
    if (p !== undefined) return await handlePlacement(req, p, service.placement, admin);
    const command = commandOf(req);
    if (command !== undefined) {
      // The request's own messages, read as they are: no Command is built just to check them.
      const problem = validateCommand(command);
      if (problem !== undefined) {
        const code = problem.tooLarge ? ErrorCode.TOO_LARGE : ErrorCode.INVALID_ARGUMENT;
        return errorResponse(code, problem.message);
      }
      if (EXECUTED.has(req.body.case)) return { body: await service.execute(command) };
      return { body: { case: "write", value: await service.write(command) } };
    }
    if (isAdminBody(req.body)) return await handleAdmin(req, req.body, admin);
    return await handleRead(req, service, defaultConsistency);
  } catch (err) {
    const response = responseOfError(err);
    if (response === undefined) throw err;
    return response;
  }
}
