/**
 * Admin requests on the protobuf port (membership, leadership transfer,
 * snapshot). They carry the admin token when the node has one; the service
 * answers NOT_LEADER on a follower, which the client library follows.
 */
import type { ClientRequest } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { u64ToNumber } from "../../util/ids.ts";
import type { NodeStatus } from "../node/status_types.ts";
import { ServiceError } from "../kv_service.ts";

/** What a node offers to admins (NodeService implements it). */
export interface AdminService {
  addMember(id: number, address: string, learnerOnly?: boolean): Promise<NodeStatus>;
  removeMember(id: number): Promise<NodeStatus>;
  transferLeader(id: number): Promise<{ leader: number }>;
  snapshot(): Promise<{ index: number }>;
  status(): NodeStatus;
}

export interface AdminAccess {
  readonly service: AdminService;
  /** When set, admin requests must carry it. */
  readonly token?: string;
}

type AdminBody = Extract<
  ClientRequest["body"],
  { case: "memberAdd" | "memberRemove" | "transferLeader" | "snapshot" }
>;

export function isAdminBody(body: ClientRequest["body"]): body is AdminBody {
  return body.case === "memberAdd" || body.case === "memberRemove" ||
    body.case === "transferLeader" || body.case === "snapshot";
}

function membersOf(s: NodeStatus) {
  return s.members.map((m) => ({ id: BigInt(m.id), address: m.address, learner: m.learner }));
}

function adminResult(s: NodeStatus, snapshotIndex = 0) {
  return {
    body: {
      case: "admin" as const,
      value: {
        members: membersOf(s),
        leaderId: BigInt(s.leader ?? 0),
        snapshotIndex: BigInt(snapshotIndex),
      },
    },
  };
}

export async function handleAdmin(req: ClientRequest, body: AdminBody, access?: AdminAccess) {
  if (access === undefined) {
    // A node that serves no admin (one refusing to serve damaged data): another node can.
    throw new ServiceError(ErrorCode.UNAVAILABLE, "admin requests are not served here");
  }
  if (access.token !== undefined && req.adminToken !== access.token) {
    throw new ServiceError(ErrorCode.UNAUTHORIZED, "admin requests need the admin token");
  }
  const admin = access.service;
  switch (body.case) {
    case "memberAdd": {
      const id = u64ToNumber(body.value.id, "node id");
      return adminResult(
        await admin.addMember(id, body.value.address, body.value.learnerOnly),
      );
    }
    case "memberRemove":
      return adminResult(await admin.removeMember(u64ToNumber(body.value.id, "node id")));
    case "transferLeader":
      await admin.transferLeader(u64ToNumber(body.value.id, "node id"));
      return adminResult(admin.status());
    case "snapshot": {
      const { index } = await admin.snapshot();
      return adminResult(admin.status(), index);
    }
  }
}
