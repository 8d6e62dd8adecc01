/**
 * The protobuf port's reads: get and scan, now or at a past store revision,
 * answered with each key's revision fields (docs/coordination.md#revisions).
 */
import { type ClientRequest, ErrorCode, ReadConsistency } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { KeyState } from "../../kv/key_state.ts";
import { keyValueOf } from "../../kv/key_value_wire.ts";
import { validateScan } from "../../kv/kv_scan.ts";
import { u64ToNumber } from "../../util/ids.ts";
import type { Consistency, KvService } from "../kv_service.ts";
import { errorResponse, type ResponseInit } from "./responses.ts";
import { handleRedisKeys } from "./redis_keys_handler.ts";

export function consistencyOf(c: ReadConsistency, fallback: Consistency): Consistency {
  if (c === ReadConsistency.SERIALIZABLE) return "serializable";
  if (c === ReadConsistency.LEASE) return "lease";
  if (c === ReadConsistency.LINEARIZABLE) return "linearizable";
  return fallback;
}

/** A key's state as GetResponse fields 3..6 and 8. */
function getFields(s: KeyState) {
  return {
    value: s.value,
    modRevision: BigInt(s.modRevision),
    createRevision: BigInt(s.createRevision),
    version: BigInt(s.version),
    lease: BigInt(s.lease),
    expireAtMs: BigInt(s.expireAtMs),
  };
}

export async function handleRead(
  req: ClientRequest,
  service: KvService,
  fallback: Consistency,
): Promise<ResponseInit> {
  const b = req.body;
  switch (b.case) {
    case "get": {
      const revision = u64ToNumber(b.value.revision, "revision");
      const consistency = consistencyOf(b.value.consistency, fallback);
      // The store revision the read saw (exact: the node reads both in one turn).
      const read = await service.get(b.value.key, consistency, revision);
      const s = read.state, seen = BigInt(read.revision);
      if (s === undefined) {
        return { body: { case: "get", value: { found: false, revision: seen } } };
      }
      return { body: { case: "get", value: { found: true, ...getFields(s), revision: seen } } };
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
        hereOnly: req.route !== undefined,
      };
      const why = validateScan(request);
      if (why !== undefined) return errorResponse(ErrorCode.INVALID_ARGUMENT, why);
      const page = await service.scan(request, consistencyOf(s.consistency, fallback));
      const revision = BigInt(page.revision ?? 0);
      const items = page.items.map(keyValueOf);
      return { body: { case: "scan", value: { items, nextCursor: page.nextCursor, revision } } };
    }
    case "redisKeys":
      return await handleRedisKeys(req, b.value, service, fallback);
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
    clusterId: s.clusterId ?? "",
    notMember: s.member === false,
    regionMode: s.regionMode ?? 0,
  };
}
