/**
 * Where the timestamp oracle runs (docs/regions.md "The oracle follows region 1's leader"): the
 * oracle lives on the placement leader (region 0's), and every write waits for a timestamp from
 * it. A region's leader asks for its proposals' timestamps; until the first split region 1 holds
 * every key, so its leader asks for all of them. When region 1 is led on another node each batch
 * costs an RPC to the oracle's node on top of the oracle's own leadership check: measured at
 * twice the cluster CPU per put and half the throughput (bench/RESULTS.md).
 *
 * So region 0's leadership follows region 1's, not the other way round: region 1's leader is
 * pinned (its configuration is the cluster's membership; placement never moves it, nodes refuse
 * orders for it, and `tinykv transfer-leader` is the operator's to use), so the oracle following
 * it cannot undo an operator's choice and never starts a cycle: region 1 never moves because of
 * region 0. Region 0 moves at most once per change of region 1's leader, plus retries spaced by
 * a backoff when a transfer does not take.
 *
 * The rule, checked by the placement leader once per scheduler pass (the heartbeat interval):
 * hand region 0's leadership to region 1's leader X when X is another node, X has led region 1
 * in the same term at the previous pass too (a leader that has held for a pass, not one in the
 * middle of elections), X is a voter of region 0 heard from within the election timeout with
 * its log at region 0's commit index, X is usable to placement (up, not draining), and no
 * attempt was made in the last `backoffPasses` passes. A pure function of what the pass sees.
 */

/** Region 1's leadership as the placement leader's node sees it (its own replica's Raft state). */
export interface Region1Lead {
  /** Region 1's leader in `term` (0: none known, or this node holds no region 1). */
  readonly leader: number;
  readonly term: number;
}

/** A voter of region 0 as its leader's Raft progress shows it. */
export interface OracleCandidate {
  readonly id: number;
  readonly voter: boolean;
  readonly heardRecently: boolean;
  readonly match: number;
}

export interface OracleFollowInput {
  /** This node, which leads region 0. */
  readonly self: number;
  readonly region1: Region1Lead;
  /** Region 0's members and their progress (the leader's view). */
  readonly candidates: readonly OracleCandidate[];
  /** Region 0's commit index. */
  readonly commit: number;
  /** Up and not draining, as placement sees the node. */
  readonly usable: (id: number) => boolean;
}

/** What the rule remembers between passes (dropped when this node stops leading region 0). */
export interface OracleFollowState {
  /** Region 1's leadership at the previous pass. */
  readonly seen: Region1Lead | undefined;
  /** Passes to wait before the next attempt (after an attempt that did not take). */
  readonly wait: number;
}

export const ORACLE_FOLLOW_START: OracleFollowState = { seen: undefined, wait: 0 };

export interface OracleFollowDecision {
  /** The node to hand region 0's leadership to now (0: none). */
  readonly to: number;
  readonly state: OracleFollowState;
  /** Why nothing moves (for logs and tests); "" when `to` is set. */
  readonly why: string;
}

/** One pass of the rule. `backoffPasses`: passes between two attempts. */
export function followRegion1(
  state: OracleFollowState,
  input: OracleFollowInput,
  backoffPasses: number,
): OracleFollowDecision {
  const { leader, term } = input.region1;
  const seen = { leader, term };
  const wait = Math.max(0, state.wait - 1);
  const stay = (why: string): OracleFollowDecision => ({ to: 0, state: { seen, wait }, why });
  if (leader === 0) return stay("region 1 has no known leader");
  if (leader === input.self) return stay("region 1 is led here");
  if (state.seen?.leader !== leader || state.seen.term !== term) {
    return stay("region 1's leader is new: wait a pass");
  }
  const c = input.candidates.find((x) => x.id === leader);
  if (c === undefined || !c.voter) return stay(`node ${leader} is no voter of region 0`);
  if (!c.heardRecently) return stay(`node ${leader} not heard from`);
  if (c.match < input.commit) return stay(`node ${leader} lags region 0's log`);
  if (!input.usable(leader)) return stay(`node ${leader} is down or draining`);
  if (state.wait > 0) return stay("an attempt was made lately");
  return { to: leader, state: { seen, wait: Math.max(1, backoffPasses) }, why: "" };
}
