/**
 * The coordination part of the final checks (docs/simulation.md). Before the
 * history is read: every lease its holder let go must have ended (expired or
 * revoked) within its TTL and a margin, and every watch must have delivered
 * up to the store's revision; then the watches end. After: each watch's
 * deliveries and each lease's story are checked against the history
 * (watch_delivery.ts, lease_check.ts), and the keep-alives end.
 */
import type { KvStateMachine } from "../kv/state_machine.ts";
import type { Coordination } from "./coordination.ts";
import { checkLeases } from "./lease_check.ts";
import type { RevHistory } from "./rev_model.ts";
import type { SimCluster } from "./sim_cluster.ts";
import type { SimTiming } from "./sim_node.ts";
import { checkWatch } from "./watch_delivery.ts";

/** How long a watch may take to deliver up to the store's revision once the cluster is whole. */
const WATCH_CATCH_UP_MS = 20_000;

export interface CoordReport {
  /** Watches and leases that did not finish as they must. */
  readonly liveness: string[];
  readonly watch: string[];
  readonly lease: string[];
  readonly watches: number;
  readonly events: number;
  readonly leases: number;
}

/** The keep-alive margin (lease_check.ts): the longest election timeout and one tick. */
export function leaseMarginMs(t: SimTiming): number {
  return 2 * t.electionTicks * t.tickMs + t.tickMs;
}

function leaderKv(c: SimCluster): KvStateMachine | undefined {
  const lead = c.leaderStatus();
  return lead === undefined ? undefined : c.node(lead.id).server?.node.kv;
}

/** Waits for let-go leases to end and watches to catch up; ends the watches. */
export async function settleCoordination(
  c: SimCluster,
  co: Coordination,
  marginMs: number,
  sameApplied: () => boolean,
): Promise<string[]> {
  const problems: string[] = [];
  const released = co.released;
  const longest = Math.max(0, ...co.leases.map((l) => l.ttlMs));
  const held = () => [...released].filter((id) => leaderKv(c)?.leaseTable.get(id) !== undefined);
  if (!await c.waitFor(() => held().length === 0, longest + marginMs + 10_000)) {
    problems.push(`leases let go still exist: ${held().slice(0, 5).join(",")}`);
  }
  await c.waitFor(sameApplied, 5000);
  const target = leaderKv(c)?.revision ?? 0;
  problems.push(...await co.watchers.finish(target, WATCH_CATCH_UP_MS));
  return problems;
}

export function checkCoordination(
  co: Coordination,
  h: RevHistory,
  marginMs: number,
  liveness: string[],
): CoordReport {
  const records = co.watchers.records;
  const watch = records.map((w) => checkWatch(w, h)).filter((v) => v !== undefined);
  return {
    liveness,
    watch: watch.slice(0, 5),
    lease: checkLeases(co.leases, h, marginMs),
    watches: records.length,
    events: records.reduce((n, w) => n + w.delivered.length, 0),
    leases: co.leases.length,
  };
}
