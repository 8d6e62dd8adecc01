/**
 * The client library's lease calls (docs/coordination.md, Leases). Grant and
 * revoke are replicated writes (a fresh sequence, reused by retries); keep-alive,
 * time-to-live and list are answered by the leader from memory, so they are
 * sent like reads: no sequence, retried on other endpoints until they succeed
 * or the cluster answers LEASE_NOT_FOUND.
 */
import type { ClientResponse, LeaseInfo, LeaseResponse } from "../gen/tinykv/v1/tinykv_pb.ts";
import { u64ToNumber } from "../util/ids.ts";
import type { ClientCore } from "./client.ts";
import { TinyKvError } from "./errors.ts";
import { KeepAliveHandle, type LeaseStatus } from "./lease_keep_alive.ts";

export type { LeaseStatus };

export interface GrantOptions {
  /** The id to grant (default: the cluster picks one). */
  readonly id?: number;
}

export interface TimeToLiveOptions {
  /** Also list the keys attached to the lease. */
  readonly keys?: boolean;
}

export interface LeaseTimeToLive extends LeaseStatus {
  /** The keys attached to the lease (with `keys: true`). */
  readonly keys: Uint8Array[];
}

function leaseOf(r: ClientResponse): LeaseResponse {
  if (r.body.case === "lease") return r.body.value;
  throw new TinyKvError("UNAVAILABLE", `expected a lease response, got ${r.body.case}`, true);
}

function statusOf(info: LeaseInfo | undefined): LeaseStatus {
  if (info === undefined) {
    throw new TinyKvError("UNAVAILABLE", "the lease response carries no lease", false);
  }
  return {
    id: u64ToNumber(info.id, "lease id"),
    grantedTtlSeconds: info.grantedTtlSeconds,
    remainingMs: u64ToNumber(info.remainingMs, "remaining ms"),
  };
}

function checkId(id: number): bigint {
  if (!Number.isSafeInteger(id) || id < 0) {
    throw new TinyKvError("INVALID_ARGUMENT", `lease id ${id} is not a whole number >= 0`, false);
  }
  return BigInt(id);
}

export async function grantLease(
  core: ClientCore,
  ttlSeconds: number,
  options: GrantOptions = {},
): Promise<LeaseStatus> {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > 0xffff_ffff) {
    throw new TinyKvError(
      "INVALID_ARGUMENT",
      `lease TTL ${ttlSeconds} is not a whole number of seconds >= 1`,
      false,
    );
  }
  const id = checkId(options.id ?? 0);
  const r = await core.write({ case: "leaseGrant", value: { ttlSeconds, id } });
  return statusOf(leaseOf(r).lease);
}

export async function revokeLease(core: ClientCore, id: number): Promise<void> {
  leaseOf(await core.write({ case: "leaseRevoke", value: { id: checkId(id) } }));
}

export async function keepAliveOnce(
  core: ClientCore,
  id: number,
  deadlineMs?: number,
): Promise<LeaseStatus> {
  const r = await core.read({ case: "leaseKeepAlive", value: { id: checkId(id) } }, deadlineMs);
  return statusOf(leaseOf(r).lease);
}

export function keepAlive(core: ClientCore, id: number): KeepAliveHandle {
  checkId(id);
  return new KeepAliveHandle(id, core.options.clock, (ms) => keepAliveOnce(core, id, ms));
}

export async function leaseTimeToLive(
  core: ClientCore,
  id: number,
  options: TimeToLiveOptions = {},
): Promise<LeaseTimeToLive> {
  const value = { id: checkId(id), keys: options.keys ?? false };
  const r = leaseOf(await core.read({ case: "leaseTimeToLive", value }));
  return { ...statusOf(r.lease), keys: r.keys };
}

export async function listLeases(core: ClientCore): Promise<LeaseStatus[]> {
  const r = leaseOf(await core.read({ case: "leaseList", value: {} }));
  return r.leases.map(statusOf);
}
