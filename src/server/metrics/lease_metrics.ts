/**
 * Lease metrics (docs/operations.md): lease requests served and expiries.
 * (The table's size, `tinykv_leases`, is with the node's metrics.)
 */
import type { NodeLeases } from "../node/node_leases.ts";
import type { MetricsRegistry } from "./registry.ts";

export function addLeaseMetrics(r: MetricsRegistry, leases: NodeLeases): void {
  const ops = r.counter(
    "tinykv_lease_requests_total",
    "Lease requests served by this node: granted, revoked (by clients), keep_alive.",
    ["kind"],
  );
  const expired = r.counter(
    "tinykv_leases_expired_total",
    "Leases this node revoked as leader because their TTL ran out, and expiry revokes retried.",
    ["result"],
  );
  r.onCollect(() => {
    const c = leases.service.counters;
    ops.set(c.granted, { kind: "granted" });
    ops.set(c.revoked, { kind: "revoked" });
    ops.set(c.keepAlives, { kind: "keep_alive" });
    const k = leases.keeper.counters;
    expired.set(k.expired, { result: "revoked" });
    expired.set(k.expiryRetries, { result: "retried" });
  });
}
