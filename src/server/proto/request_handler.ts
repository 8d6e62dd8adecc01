/**
 * Turns one protobuf ClientRequest into a call on the KvService and its
 * ClientResponse. Requests were decoded from untrusted bytes: every 64-bit
 * field is converted with a range check, every command validated before it
 * is proposed, and every failure becomes a typed error response.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  type ClientRequest,
  type ClientResponseSchema,
  ErrorCode,
  ReadConsistency,
} from "../../gen/tinykv/v1/tinykv_pb.ts";
import { type CommandInit, validateCommand } from "../../kv/command_codec.ts";
import { validateScan } from "../../kv/kv_scan.ts";
import { keyValueOf } from "../../kv/key_value_wire.ts";
import { create } from "@bufbuild/protobuf";
import { CommandSchema } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { DecodeError } from "../../util/coding.ts";
import { u64ToNumber } from "../../util/ids.ts";
import { type Consistency, type KvService, ServiceError } from "../kv_service.ts";
import { type AdminAccess, handleAdmin, isAdminBody } from "./admin_handler.ts";

export type ResponseInit = MessageInitShape<typeof ClientResponseSchema>;

function consistencyOf(c: ReadConsistency, fallback: Consistency): Consistency {
  if (c === ReadConsistency.SERIALIZABLE) return "serializable";
  if (c === ReadConsistency.LEASE) return "lease";
  if (c === ReadConsistency.LINEARIZABLE) return "linearizable";
  return fallback;
}

function errorResponse(code: ErrorCode, message: string, leaderId = 0, leaderAddress = "") {
  return { error: { code, message, leaderId: BigInt(leaderId), leaderAddress } };
}

/** The command a write request proposes, or undefined for reads. */
function commandOf(req: ClientRequest): CommandInit | undefined {
  const session = {
    clientId: req.clientId,
    sequence: req.sequence,
    ackedSequence: req.ackedSequence,
  };
  const b = req.body;
  if (
    b.case === "put" || b.case === "delete" || b.case === "batch" ||
    b.case === "compareAndSet" || b.case === "increment"
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
    const command = commandOf(req);
    if (command !== undefined) {
      const problem = validateCommand(create(CommandSchema, command));
      if (problem !== undefined) {
        const code = problem.tooLarge ? ErrorCode.TOO_LARGE : ErrorCode.INVALID_ARGUMENT;
        return errorResponse(code, problem.message);
      }
      return { body: { case: "write", value: await service.write(command) } };
    }
    if (isAdminBody(req.body)) return await handleAdmin(req, req.body, admin);
    return await handleRead(req, service, defaultConsistency);
  } catch (err) {
    if (err instanceof ServiceError) {
      const r = errorResponse(err.code, err.message, err.leaderId, err.leaderAddress);
      return { error: { ...r.error, compactedRevision: BigInt(err.compactedRevision) } };
    }
    if (err instanceof DecodeError) return errorResponse(ErrorCode.INVALID_ARGUMENT, err.message);
    throw err;
  }
}

async function handleRead(
  req: ClientRequest,
  service: KvService,
  fallback: Consistency,
): Promise<ResponseInit> {
  const b = req.body;
  switch (b.case) {
    case "get": {
      const consistency = consistencyOf(b.value.consistency, fallback);
      const revision = u64ToNumber(b.value.revision, "revision");
      const v = await service.get(b.value.key, consistency, revision);
      const value = v === undefined ? { found: false } : {
        found: true,
        value: v.value,
        modRevision: BigInt(v.modRevision),
        createRevision: BigInt(v.createRevision),
        version: BigInt(v.version),
        lease: BigInt(v.lease),
      };
      return { body: { case: "get", value } };
    }
    case "scan": {
      const s = b.value;
      const request = {
        prefix: s.prefix,
        start: s.start,
        end: s.end,
        limit: s.limit,
        offset: s.offset,
        cursor: s.cursor,
        reverse: s.reverse,
        revision: u64ToNumber(s.revision, "revision"),
      };
      const why = validateScan(request);
      if (why !== undefined) return errorResponse(ErrorCode.INVALID_ARGUMENT, why);
      const page = await service.scan(request, consistencyOf(s.consistency, fallback));
      const items = page.items.map(keyValueOf);
      return { body: { case: "scan", value: { items, nextCursor: page.nextCursor } } };
    }
    case "status":
      return { body: { case: "status", value: statusOf(service) } };
    default:
      return errorResponse(ErrorCode.INVALID_ARGUMENT, "request has no body");
  }
}

function statusOf(service: KvService) {
  const s = service.status();
  return {
    id: BigInt(s.id),
    role: s.role,
    term: BigInt(s.term),
    leaderId: BigInt(s.leader ?? 0),
    commitIndex: BigInt(s.commitIndex),
    appliedIndex: BigInt(s.appliedIndex),
    revision: BigInt(s.revision ?? 0),
    compactedRevision: BigInt(s.compactedRevision ?? 0),
    members: s.members.map((m) => ({ id: BigInt(m.id), address: m.address, learner: m.learner })),
  };
}
