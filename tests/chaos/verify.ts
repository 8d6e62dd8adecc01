/**
 * End-of-run checks: heal everything, wait until every node has applied what
 * the leader committed, then read every key on every node (serializable reads
 * served by that node alone) and check the history for linearizability, lost
 * acknowledged inserts and diverging replicas.
 */
import { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { checkHistory, type Op } from "../../src/sim/linearizability.ts";
import type { ChaosCluster } from "./chaos_cluster.ts";
import type { HistoryOp } from "./workload.ts";

export interface Verdict {
  /** true, false, or "unknown" when the search ran out of budget. */
  readonly linearizable: boolean | "unknown";
  readonly failingKey?: string;
  readonly ackedInserts: number;
  /** Acknowledged inserts missing on some node, as "node:key". */
  readonly lost: string[];
  /** Keys whose final values differ between nodes. */
  readonly diverged: string[];
  /** Whether every node caught up with the leader's commit index in time. */
  readonly caughtUp: boolean;
  /** Nodes that exited without being killed (a crash, or a port they could not bind). */
  readonly crashes: string[];
  /** With regions: how many regions the first node holds at the end (undefined: not asked). */
  readonly regions?: number;
}

/** The number of regions node `id` lists at `GET /regions`, or undefined if it did not answer. */
async function regionCount(c: ChaosCluster, id: number): Promise<number | undefined> {
  try {
    const port = c.bin.nodes.get(id)?.httpPort;
    const res = await fetch(`http://127.0.0.1:${port}/regions`, {
      signal: AbortSignal.timeout(5000),
    });
    const body = await res.json() as { regions?: unknown[] };
    return Array.isArray(body.regions) ? body.regions.length : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitCaughtUp(c: ChaosCluster, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const l = await c.leader();
    const st = await c.statuses();
    const lead = l === undefined ? undefined : st.get(l.id);
    if (lead !== undefined && st.size === c.ids.length) {
      if ([...st.values()].every((s) => s.appliedIndex >= lead.commitIndex)) return true;
    }
    await sleep(100);
  }
  return false;
}

/**
 * Everything one node holds, read from that node alone (serializable; linearizable with regions:
 * each region's read index applied on that node first, then read from its own replica).
 */
async function readNode(
  c: ChaosCluster,
  id: number,
  consistency: "serializable" | "linearizable",
): Promise<Map<string, string>> {
  const client = new TinyKvClient({
    endpoints: [c.endpoints[c.ids.indexOf(id)]],
    net: c.clientNet,
    clock: getPlatform().clock,
    seed: 99 + id,
    deadlineMs: 10_000,
  });
  const out = new Map<string, string>();
  try {
    let cursor: Uint8Array | undefined;
    for (let page = 0; page < 10_000; page++) {
      const p = await client.scan({ cursor, limit: 1000, consistency });
      for (const it of p.items) out.set(fromUtf8(it.key), fromUtf8(it.value));
      cursor = p.nextCursor;
      if (cursor === undefined) break;
    }
  } finally {
    client.close();
  }
  return out;
}

/** The history as the checker sees it: inserts and definite failures out, unknowns open-ended. */
export function toCheckerOps(history: readonly HistoryOp[]): Op[] {
  const ops: Op[] = [];
  for (const h of history) {
    if (h.kind === "insert" || h.outcome === "fail") continue;
    const ret = h.outcome === "unknown" ? Infinity : h.ret;
    ops.push({
      kind: h.kind,
      key: h.key,
      value: h.value,
      expected: h.expected,
      applied: h.applied,
      call: h.call,
      ret,
    });
  }
  return ops;
}

/** Heals the cluster and checks the run. `keys` are the register keys. */
export async function verify(
  c: ChaosCluster,
  history: HistoryOp[],
  keys: readonly string[],
  now: () => number,
  regions = false,
): Promise<Verdict> {
  // A node that crashed is restarted here too, so the other checks still run;
  // the crash itself is in `crashes`.
  c.healAll();
  await c.waitLeader(30_000);
  const caughtUp = await waitCaughtUp(c, 30_000);
  const byNode = new Map<number, Map<string, string>>();
  const consistency = regions ? "linearizable" : "serializable";
  for (const id of c.ids) byNode.set(id, await readNode(c, id, consistency));
  const first = byNode.get(c.ids[0])!;
  // The final state, read linearizably after every operation completed, joins the history.
  const reader = new TinyKvClient({
    endpoints: c.endpoints,
    net: c.clientNet,
    clock: getPlatform().clock,
    seed: 98,
    deadlineMs: 10_000,
  });
  try {
    for (const k of keys) {
      const call = now();
      const v = await reader.get(k);
      const value = v === undefined ? "" : fromUtf8(v);
      history.push({ client: -1, kind: "get", key: k, value, call, ret: now(), outcome: "ok" });
    }
  } finally {
    reader.close();
  }
  const diverged = new Set<string>();
  for (const m of byNode.values()) {
    for (const k of new Set([...m.keys(), ...first.keys()])) {
      if (m.get(k) !== first.get(k)) diverged.add(k);
    }
  }
  const lost: string[] = [];
  let ackedInserts = 0;
  for (const h of history) {
    if (h.kind !== "insert" || h.outcome !== "ok") continue;
    ackedInserts++;
    for (const [id, m] of byNode) if (m.get(h.key) !== h.value) lost.push(`${id}:${h.key}`);
  }
  const lin = checkHistory(toCheckerOps(history));
  return {
    linearizable: !lin.ok ? false : lin.unknown ? "unknown" : true,
    failingKey: lin.key,
    ackedInserts,
    lost,
    diverged: [...diverged],
    caughtUp,
    crashes: [...c.bin.unexpectedExits],
    regions: regions ? await regionCount(c, c.ids[0]) : undefined,
  };
}
