/**
 * The placement leader hands region 0's leadership to region 1's leader (the rule and why:
 * src/placement/oracle_place.ts; docs/regions.md "The oracle follows region 1's leader"), so
 * the node that asks for most timestamps draws them from its own memory instead of by a round
 * trip per batch. Run once per scheduler pass while this node leads region 0; region 1's
 * leadership is read from this node's own replica of it (every member holds region 1), which is
 * fresher than placement's reports and carries the term.
 *
 * Only on a node with splitting on (`--region-split-bytes` > 0): a one-region node's writes take
 * no timestamps (their revisions are Raft indexes), so the oracle's place costs it nothing and
 * region 0 stays where its election put it.
 */
import {
  followRegion1,
  ORACLE_FOLLOW_START,
  type OracleCandidate,
  type OracleFollowState,
} from "../../placement/oracle_place.ts";
import type { PlacementState } from "../../placement/placement_state.ts";
import { PLACEMENT_ORACLE_FOLLOW_BACKOFF_PASSES } from "../../limits_ops.ts";
import { MIGRATED_REGION } from "../../raft/log_migration.ts";
import type { MultiRaftDriver } from "../../raft/multi/driver.ts";
import type { ResolvedNodeOptions } from "../node/options.ts";
import { PLACEMENT_REGION } from "./placement_options.ts";

/** Region 1: the cluster's membership, and until the first split every key. */
const MEMBERSHIP_REGION = MIGRATED_REGION;

export class OracleFollow {
  #state: OracleFollowState = ORACLE_FOLLOW_START;
  /** Region 0 transfers this node started (metrics, tests). */
  transfers = 0;
  /** Why the last pass moved nothing ("" after a transfer). */
  lastWhy = "";

  constructor(
    readonly o: ResolvedNodeOptions,
    readonly driver: MultiRaftDriver,
    readonly state: PlacementState,
  ) {}

  /** This node stopped leading region 0: a new term starts from nothing. */
  reset(): void {
    this.#state = ORACLE_FOLLOW_START;
  }

  /** One pass, while this node leads region 0. */
  pass(): void {
    const replica = this.driver.region(PLACEMENT_REGION), r0 = replica?.rawNode;
    if (this.o.regionSplitBytes <= 0 || !this.state.bootstrapped) return;
    if (replica === undefined || r0 === undefined || !r0.isLeader) return;
    const r1 = this.driver.region(MEMBERSHIP_REGION)?.rawNode;
    const s = r0.status();
    const candidates: OracleCandidate[] = [];
    for (const [id, p] of s.progress) {
      const voter = s.confState.voters.includes(id) && !p.isLearner;
      const heardRecently = replica.heardFrom(id, p.heardRecently);
      candidates.push({ id, voter, heardRecently, match: p.match });
    }
    const now = this.state.appliedMs;
    const d = followRegion1(this.#state, {
      self: this.o.id,
      region1: { leader: r1?.lead ?? 0, term: r1?.term ?? 0 },
      candidates,
      commit: s.commit,
      usable: (id) => this.state.view.isUsable(id, now),
    }, PLACEMENT_ORACLE_FOLLOW_BACKOFF_PASSES);
    this.#state = d.state;
    this.lastWhy = d.why;
    if (d.to === 0) return;
    this.transfers++;
    this.o.logger.info("placement.oracle_follows", { to: d.to, region1Term: r1?.term ?? 0 });
    this.driver.transferLeader(PLACEMENT_REGION, d.to);
    this.driver.loop?.kick();
  }
}
