/**
 * Applying lease grants and revokes. A grant without an id takes the entry's
 * Raft index (unique in the cluster's history); a revoke deletes every key on
 * the lease at the revoke's revision, so watchers see the deletes together.
 */
import {
  ErrorCode,
  type LeaseGrantRequest,
  type LeaseRevokeRequest,
} from "../gen/tinykv/v1/tinykv_pb.ts";
import { u64ToNumber } from "../util/ids.ts";
import { failure, type Outcome } from "./apply.ts";
import type { RevisionWriter } from "./revision_writer.ts";

function leaseOutcome(id: number, ttlSeconds: number): Outcome {
  return {
    body: {
      case: "lease",
      value: { lease: { id: BigInt(id), grantedTtlSeconds: ttlSeconds, remainingMs: 0n } },
    },
  };
}

export function applyLeaseGrant(g: LeaseGrantRequest, index: number, w: RevisionWriter): Outcome {
  const id = g.id === 0n ? index : u64ToNumber(g.id, "lease id"); // validated before the log
  const why = w.leases.grantProblem(id);
  if (why !== undefined) return failure(ErrorCode.FAILED_PRECONDITION, why);
  w.leases.grant(id, g.ttlSeconds, w.ws);
  return leaseOutcome(id, g.ttlSeconds);
}

/** `keys`: the keys attached to the lease, read from the engine before this command. */
export function applyLeaseRevoke(
  r: LeaseRevokeRequest,
  keys: readonly Uint8Array[],
  w: RevisionWriter,
): Outcome {
  const id = u64ToNumber(r.id, "lease id");
  const lease = w.leases.get(id);
  if (lease === undefined) return failure(ErrorCode.LEASE_NOT_FOUND, `lease ${id} not found`);
  // Expired keys too: nothing may stay attached to a revoked lease.
  for (const key of keys) w.delete(key, w.stored(key));
  w.leases.remove(id, w.ws);
  return leaseOutcome(id, lease.ttlSeconds);
}
