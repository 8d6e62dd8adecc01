/**
 * The first election without the wait (docs/decisions/0013-first-hour.md):
 *
 * - A node that is the only voter of its configuration campaigns as soon as it starts: it wins
 *   by its own vote, so a single node serves writes at once instead of after 1–2 s.
 * - On a fresh cluster (nothing beyond the bootstrap entry, bootstrap term, no leader yet) the
 *   voter with the lowest id pre-campaigns at start and then once per heartbeat interval until
 *   some node leads or the term moves on, so the cluster elects within a round trip of a
 *   majority being up. The others keep their randomized timeouts (the fallback when the
 *   lowest id is down).
 *
 * Both groups a fresh node starts with do this: region 1 (the data) and, on the first three
 * nodes, region 0 (the placement group, whose oracle stamps every write once regions split).
 * Their voters are listed in the same order, so the same node (the lowest id, node 1 in a new
 * cluster) campaigns first in both, and the oracle starts beside region 1's leader, where
 * OracleFollow would move it anyway (docs/regions.md).
 *
 * Raft's safety never depends on when a node campaigns; only liveness does. A pre-vote does
 * not raise the term and is refused by nodes that hear a leader, so the retries cannot depose
 * one; one node retrying cannot split a vote with itself.
 */
import type { Clock, TimerId } from "../../platform/types.ts";
import type { RaftGroup } from "../../raft/group.ts";
import { PLACEMENT_REGION } from "../placement/placement_options.ts";

/** The term and last index a bootstrapped cluster starts from (bootstrap.ts). */
const BOOTSTRAP_TERM = 1;
const BOOTSTRAP_INDEX = 1;

/** What the first election would do for this node now. */
export function firstElectionPlan(node: RaftGroup): "campaign" | "retry" | "none" {
  if (node.suppressVotes || node.failure !== undefined) return "none";
  const s = node.rawNode.status();
  const cs = s.confState;
  if (s.lead !== 0 || s.isLearner || !cs.voters.includes(s.id)) return "none";
  if (cs.votersOutgoing.length === 0 && cs.voters.length === 1) return "campaign";
  const fresh = s.term <= BOOTSTRAP_TERM && s.lastIndex <= BOOTSTRAP_INDEX &&
    cs.votersOutgoing.length === 0;
  return fresh && Math.min(...cs.voters) === s.id ? "retry" : "none";
}

/**
 * Starts the first election's campaigns; `retryMs` (the heartbeat interval) is how often the
 * lowest id retries on a fresh cluster. `stop` cancels the retries.
 */
export function startFirstElection(
  node: RaftGroup,
  clock: Clock,
  retryMs: number,
): { stop(): void } {
  let timer: TimerId | undefined;
  const attempt = () => {
    timer = undefined;
    const plan = firstElectionPlan(node);
    if (plan === "none") return;
    node.rawNode.campaign();
    node.kick();
    if (plan === "retry") timer = clock.setTimeout(attempt, retryMs);
  };
  attempt();
  return {
    stop: () => {
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}

/** What `startFirstElections` needs of a node (NodeService). */
export interface FirstElectionNode {
  /** Region 1. */
  readonly node: RaftGroup;
  readonly raft: { readonly driver: { regionNode(id: number): RaftGroup | undefined } };
  readonly o: { readonly clock: Clock; readonly heartbeatTicks: number; readonly tickMs: number };
}

/**
 * `startFirstElection` for region 1 and, on a placement voter, region 0, each retried once per
 * heartbeat interval; one `stop` for both.
 */
export function startFirstElections(n: FirstElectionNode): { stop(): void } {
  const retryMs = n.o.heartbeatTicks * n.o.tickMs;
  const started = [n.node, n.raft.driver.regionNode(PLACEMENT_REGION)].flatMap((g) =>
    g === undefined ? [] : [startFirstElection(g, n.o.clock, retryMs)]
  );
  return { stop: () => started.forEach((s) => s.stop()) };
}
