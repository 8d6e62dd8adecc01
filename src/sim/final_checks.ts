/**
 * The checks after the heal phase, on a whole, caught-up cluster:
 *
 * 1. Final reads: a new client reads every register and counter
 *    (linearizably) and the reads join the history; then the whole history
 *    must be linearizable, key by key (linearizability.ts).
 * 2. No acknowledged write lost: a linearizable scan of the insert keys must
 *    hold every acknowledged insert with its value, and no insert that
 *    definitely failed.
 * 3. Replicas equal: once every node has applied the same index, a local
 *    (serializable) full scan of each node's state machine must be identical, and so must
 *    region 1's descriptor, which matches the Raft configuration (descriptor_check.ts).
 *    The placement group has a leader, its members' images agree, and timestamps asked
 *    through every node increase (placement_check.ts).
 * 4. Revisions (rev_final.ts): every node's change history is the same, and
 *    every operation agrees with it (revision_check.ts).
 * 5. Watches and leases (coord_final.ts): let-go leases end, watches catch up,
 *    and both agree with the history.
 * With regions (nodes that split), 3 is checked region by region (region_final.ts) and 4 is
 * each key's revision order (rev_order_check.ts); the checks that read one history of the
 * whole store (4's history, 5's agreement, expiry, compaction) do not apply yet
 * (docs/simulation.md "With regions").
 * (Compaction is checked after every check that reads the whole history:
 * compaction_check.ts, from run_seed.ts.)
 */
import { TinyKvClient } from "../client/tinykv_client.ts";
import { fromUtf8, utf8 } from "../util/bytes.ts";
import { errorMessage } from "../util/errors.ts";
import type { History } from "./history.ts";
import { explainKey } from "./explain.ts";
import { checkHistory } from "./linearizability.ts";
import type { SimCluster } from "./sim_cluster.ts";
import type { SimNode } from "./sim_node.ts";
import { INSERT_PREFIX } from "./workload_keys.ts";
import { finalAccountsRead } from "./bank_txn_final.ts";
import { regionRevisionChecks, revisionChecks } from "./rev_final.ts";
import { regionErrors, regionsHeld, regionsSettled } from "./region_final.ts";
import { descriptorErrors } from "./descriptor_check.ts";
import { placementErrors } from "./placement_check.ts";
import { regionDivergence } from "./region_divergence.ts";
import type { TtlCheckReport } from "./ttl_check.ts";
import {
  checkCoordination,
  type CoordReport,
  leaseMarginMs,
  settleCoordination,
} from "./coord_final.ts";
import type { Coordination } from "./coordination.ts";
import type { RevHistory } from "./rev_model.ts";
import type { SimTiming } from "./sim_node.ts";
import type { RevCheckReport } from "./revision_check.ts";
import { PLACEMENT_HEARTBEAT_MS } from "../limits_ops.ts";

/**
 * How long the regions may take to reach one index with every removed replica dropped: a
 * replica is dropped on a tombstone, which its node hears on a heartbeat once every voter has
 * reported applying its removal on one (docs/regions.md, "Removed replicas"): two heartbeats
 * after a move that finished during the checks (regions seed 47 with blob files: dropped 4 s
 * after the move ended, past a 5 s wait that began before it).
 */
const REPLICAS_SETTLE_MS = 2 * PLACEMENT_HEARTBEAT_MS + 5000;

export interface CheckReport {
  readonly linearizable: boolean | "unknown";
  readonly failingKey?: string;
  /** Why the failing key's history is not linearizable, as far as it can be named. */
  readonly explanation?: string;
  /** Acknowledged inserts missing or changed, and failed ones present. */
  readonly lost: string[];
  /** Keys whose value differs between nodes (first few). */
  readonly diverged: string[];
  /** Final reads or scans that could not be made, histories that could not be read or differ. */
  readonly errors: string[];
  /** The revision checker's verdict (revision_check.ts). */
  readonly revisions?: RevCheckReport;
  /** The watch and lease checks (coord_final.ts). */
  readonly coordination?: CoordReport;
  /** The expiry check (ttl_check.ts; its violations are in `errors`). */
  readonly expiry?: TtlCheckReport;
  /** The committed history the checks read (for the compaction check, run last). */
  readonly history?: RevHistory;
}

export function finalClient(c: SimCluster): TinyKvClient {
  return new TinyKvClient({
    endpoints: c.kvEndpoints(),
    net: c.net.host("checker"),
    clock: c.clock,
    seed: 4242,
    deadlineMs: 10_000,
    attemptTimeoutMs: 1000,
  });
}

async function readRegisters(c: SimCluster, api: TinyKvClient, h: History): Promise<void> {
  for (const key of [...h.registerKeys].sort()) {
    const call = c.clock.nowMs();
    const v = await api.get(key);
    const value = v === undefined ? "" : fromUtf8(v);
    h.check({ kind: "get", key, value, call, ret: c.clock.nowMs() }, "ok");
  }
}

async function scanAll(
  scan: (cursor: Uint8Array | undefined) => Promise<{
    items: { key: Uint8Array; value: Uint8Array; version: number }[];
    nextCursor: Uint8Array | undefined;
  }>,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor: Uint8Array | undefined;
  for (let page = 0; page < 100_000; page++) {
    const p = await scan(cursor);
    for (const it of p.items) out.set(fromUtf8(it.key), `${fromUtf8(it.value)}@${it.version}`);
    cursor = p.nextCursor;
    if (cursor === undefined) break;
  }
  return out;
}

function lostInserts(h: History, stored: ReadonlyMap<string, string>): string[] {
  const lost: string[] = [];
  for (const ins of h.inserts) {
    const got = stored.get(ins.key)?.replace(/@\d+$/, "");
    if (ins.outcome === "ok" && got !== ins.value) lost.push(`${ins.key} acked, read ${got}`);
    if (ins.outcome === "fail" && got !== undefined) lost.push(`${ins.key} failed, but present`);
  }
  return lost;
}

/** Everything `node` holds, read from its own state machine. */
function localState(node: SimNode): Promise<Map<string, string>> {
  const service = node.server?.node;
  if (service === undefined) return Promise.resolve(new Map());
  return scanAll((cursor) => service.scan({ cursor, limit: 1000 }, "serializable"));
}

async function divergence(c: SimCluster): Promise<string[]> {
  const states = await Promise.all(c.nodes.map(localState));
  const first = states[0];
  const diverged: string[] = [];
  states.forEach((s, i) => {
    for (const k of new Set([...s.keys(), ...first.keys()])) {
      if (s.get(k) !== first.get(k)) {
        diverged.push(`${k}: ${c.nodes[0].name}=${first.get(k)} ${c.nodes[i].name}=${s.get(k)}`);
      }
    }
  });
  return diverged.slice(0, 5);
}

/**
 * Every node has applied the same index (no write is in flight any more); with regions, every
 * region on every node (region_final.ts).
 */
function sameApplied(c: SimCluster, regions: boolean): boolean {
  if (regions) return regionsSettled(c);
  const applied = c.nodes.map((n) => n.server?.node.status().appliedIndex ?? -1);
  return applied.every((a) => a >= 0 && a === applied[0]);
}

export async function finalChecks(
  c: SimCluster,
  h: History,
  co: Coordination,
  timing: SimTiming,
): Promise<CheckReport> {
  const errors: string[] = [];
  const api = finalClient(c);
  let stored = new Map<string, string>();
  try {
    await readRegisters(c, api, h);
    errors.push(...await finalAccountsRead(c, h));
    stored = await scanAll((cursor) => api.scan({ prefix: utf8(INSERT_PREFIX), cursor }));
  } catch (err) {
    errors.push(`final reads: ${errorMessage(err)}`);
  } finally {
    api.close();
  }
  const margin = leaseMarginMs(timing);
  const regions = timing.regionSplitBytes > 0;
  const settled = () => sameApplied(c, regions);
  const liveness = await settleCoordination(c, co, margin, settled);
  if (!await c.waitFor(settled, regions ? REPLICAS_SETTLE_MS : 5000)) {
    errors.push(`nodes did not reach one index${regions ? `: ${regionsHeld(c)}` : ""}`);
  } else errors.push(...descriptorErrors(c), ...(regions ? regionErrors(c) : []));
  let diverged: string[] = [];
  try {
    diverged = regions
      ? await regionDivergence(c, (scan) => scanAll((cursor) => scan({ cursor })))
      : await divergence(c);
  } catch (err) {
    errors.push(`replica scan: ${errorMessage(err)}`);
  }
  const rev = regions ? regionRevisionChecks(h) : await revisionChecks(c, h);
  errors.push(...rev.errors);
  await co.close();
  // Last: it lets time pass, and the checks above read the nodes at one applied index.
  errors.push(...await placementErrors(c));
  const coordination = rev.history === undefined
    ? undefined
    : checkCoordination(co, rev.history, margin, liveness);
  const lin = checkHistory(h.ops);
  return {
    linearizable: !lin.ok ? false : lin.unknown ? "unknown" : true,
    failingKey: lin.key,
    explanation: lin.key === undefined
      ? undefined
      : explainKey(h.ops.filter((o) => o.key === lin.key)),
    lost: errors.length > 0 ? [] : lostInserts(h, stored),
    diverged,
    errors,
    revisions: rev.report,
    expiry: rev.expiry,
    coordination,
    history: rev.history,
  };
}
