/**
 * The heal phase: every fault is undone (network healed, paused nodes resumed,
 * disks given room, crashed nodes restarted), nodes whose data was lost or
 * damaged go through the operator's rebuild (remove, wipe, join, add), and
 * then the cluster must make progress within a bound: a leader whose
 * configuration has every node as a voter, and every node applied up to its
 * commit index. Failing that is a liveness failure of the seed.
 */
import { errorMessage } from "../util/errors.ts";
import { addMember, wipeAndRejoin } from "./membership_ops.ts";
import type { Roster } from "./roster.ts";
import type { SimCluster } from "./sim_cluster.ts";

export interface HealResult {
  readonly ok: boolean;
  /** Virtual ms from the start of the heal until the cluster was whole and caught up. */
  readonly ms: number;
  readonly reason?: string;
}

function undoFaults(c: SimCluster): void {
  c.net.heal();
  for (const n of c.nodes) {
    n.resume();
    n.disk.setCapacity(undefined);
  }
}

async function startDownNodes(c: SimCluster, roster: Roster): Promise<void> {
  for (const n of c.nodes) {
    if (n.state !== "down" || roster.intent(n.id) !== "member") continue;
    try {
      await n.start();
    } catch (err) {
      c.note(`heal: ${n.name} start failed: ${errorMessage(err)}`);
    }
  }
}

/** Faulty nodes (damage found at open) cannot be trusted: they are rebuilt too. */
function markFaulty(c: SimCluster, roster: Roster): void {
  for (const n of c.nodes) {
    const fault = n.status()?.fault;
    if (n.state === "faulty" || (fault !== null && fault !== undefined)) {
      const kind = (fault as { kind?: string } | null)?.kind;
      if (n.state === "faulty" || kind === "corruption") roster.needsRebuild(n.id);
    }
  }
}

async function rebuildOne(c: SimCluster, roster: Roster): Promise<void> {
  for (const n of c.nodes) {
    const intent = roster.intent(n.id);
    if (intent === "needs-rebuild") {
      const r = await wipeAndRejoin(c, n);
      if (r === "rejoined") roster.rejoined(n.id);
      else if (r === "removed") roster.joining(n.id);
      return;
    }
    if (intent === "joining") {
      if (n.state === "down") await n.start(true).catch(() => {});
      if (await addMember(c, n.id)) roster.rejoined(n.id);
      return;
    }
  }
}

/**
 * Whether the cluster is whole: one leader, every node a member and at least as many voters as
 * region 1 keeps (every node, or `--replicas` of them on nodes that split), everyone caught up.
 */
export function wholeAndCaughtUp(c: SimCluster, roster: Roster): boolean {
  const lead = c.leaderStatus();
  if (lead === undefined) return false;
  const byId = (a: number, b: number) => a - b;
  const members = lead.members.map((m) => m.id).sort(byId);
  if (members.join(",") !== c.ids.sort(byId).join(",")) return false;
  // At least that many: placement demotes a surplus (the founding peers) one heartbeat at a time.
  if (lead.members.filter((m) => !m.learner).length < c.wholeVoters) return false;
  return c.nodes.every((n) => {
    const s = n.server?.node.status();
    return roster.isMember(n.id) && s !== undefined && s.fault == null &&
      s.appliedIndex >= lead.commitIndex && s.leader === lead.id;
  });
}

export async function heal(c: SimCluster, roster: Roster, boundMs: number): Promise<HealResult> {
  const started = c.clock.nowMs();
  const deadline = started + boundMs;
  c.note("heal");
  undoFaults(c);
  markFaulty(c, roster);
  while (c.clock.nowMs() < deadline) {
    await startDownNodes(c, roster);
    if (c.nodes.every((n) => roster.isMember(n.id))) {
      const left = deadline - c.clock.nowMs();
      if (await c.waitFor(() => wholeAndCaughtUp(c, roster), Math.min(left, 2000))) {
        return { ok: true, ms: c.clock.nowMs() - started };
      }
      markFaulty(c, roster);
      await reAddLearners(c, roster);
      continue;
    }
    await rebuildOne(c, roster);
    await c.sleep(50);
  }
  return { ok: false, ms: c.clock.nowMs() - started, reason: describeStuck(c, roster) };
}

/**
 * A node left a learner (its promotion timed out) or missing: `member add` again resumes. Where
 * region 1 keeps fewer voters than members, learners are members as they are: placement
 * promotes one when region 1 is short of voters.
 */
async function reAddLearners(c: SimCluster, roster: Roster): Promise<void> {
  const lead = c.leaderStatus();
  if (lead === undefined) return;
  for (const n of c.nodes) {
    const m = lead.members.find((x) => x.id === n.id);
    if (m === undefined) roster.needsRebuild(n.id);
    else if (m.learner && c.firstRegionVoters === undefined) await addMember(c, n.id);
  }
}

function describeStuck(c: SimCluster, roster: Roster): string {
  const lead = c.leaderStatus();
  const nodes = c.nodes.map((n) => {
    const s = n.status();
    return `${n.name}:${n.state}/${roster.intent(n.id)}/${s?.role ?? "-"}` +
      `@${s?.appliedIndex ?? "-"}/${s?.commitIndex ?? "-"}`;
  });
  const members = lead?.members.map((m) => `${m.id}${m.learner ? "L" : ""}`).join(",") ?? "-";
  return `no whole, caught-up cluster: leader ${lead?.id ?? "none"} members [${members}] ` +
    nodes.join(" ");
}
