/** Bounds of the placement service (issue 15); docs/limits.md documents each. */
const KiB = 1024;
const MiB = 1024 * KiB;

// ---- Placement state (src/placement/placement_state.ts) ----
/** Nodes the placement group tracks; a heartbeat of one more node is refused. */
export const PLACEMENT_NODES_MAX = 4_096;
/** Removed node ids remembered (their heartbeats are refused); past it the oldest is forgotten. */
export const PLACEMENT_REMOVED_NODES_MAX = 4_096;
/** Longest node address and zone name in a placement command, in bytes. */
export const PLACEMENT_ADDRESS_BYTES_MAX = 256;
export const PLACEMENT_ZONE_BYTES_MAX = 64;
/** Replicas of one region (and caught-up replicas) a region report may list. */
export const PLACEMENT_REPLICAS_MAX = 16;
/** Nodes one bootstrap command may list. */
export const PLACEMENT_BOOTSTRAP_NODES_MAX = 64;
/** Ids one allocation may take (region and replica ids share one counter). */
export const PLACEMENT_ID_BATCH_MAX = 1_024;
/** Outcomes of applied commands kept for their proposers (the most recent ones). */
export const PLACEMENT_OUTCOMES_KEPT = 4_096;
/** Largest encoded placement command; longer entries are refused without being read. */
export const PLACEMENT_COMMAND_BYTES_MAX = 64 * KiB;

// ---- Placement service on the node (src/server/placement/) ----
/**
 * Default interval of a node's heartbeat to the placement leader (and of the leader's scheduler
 * pass). At 1 s an idle 3-node cluster spent about twice the CPU of one without placement (region
 * 0 never went quiet); at 10 s it costs about 15 % more (bench/RESULTS.md), far inside the 30 min
 * replace timeout.
 */
export const PLACEMENT_HEARTBEAT_MS = 10_000;
/** Shortest and longest heartbeat interval accepted. */
export const PLACEMENT_HEARTBEAT_MS_MIN = 10;
export const PLACEMENT_HEARTBEAT_MS_MAX = 60_000;
/**
 * Default `--replace-timeout`: a node silent this long is down and its replicas are replaced.
 * Long enough that a restart, an upgrade or a short partition does not copy a node's data.
 */
export const PLACEMENT_REPLACE_TIMEOUT_MS = 30 * 60_000;
/** Longest `--replace-timeout` accepted (a day, the longest duration flag the CLI takes). */
export const PLACEMENT_REPLACE_TIMEOUT_MS_MAX = 24 * 3_600_000;
/**
 * Voters of the placement group (region 0): the first this many nodes of a new cluster, then
 * this many usable members as the cluster changes (placement_group_plan.ts).
 */
export const PLACEMENT_VOTERS = 3;
/**
 * How long `member remove` waits, once the node left region 1, for the placement group to stop
 * counting it (a learner caught up and promoted in its place), so the node can be stopped at
 * once; past it the command returns anyway and the group goes on changing.
 */
export const PLACEMENT_GROUP_LEAVE_WAIT_MS = 10_000;
/** Region reports one heartbeat may carry (the node's led regions beyond it wait a beat). */
export const PLACEMENT_REPORTS_PER_HEARTBEAT_MAX = 256;
/** Largest placement request or response body on the protobuf port. */
export const PLACEMENT_RPC_BYTES_MAX = 4 * MiB;
/**
 * Operators in flight at once, cluster-wide: the placement leader's scheduler starts no more
 * (one per region at most; each runs one membership change at a time).
 */
export const PLACEMENT_PLANNED_OPERATORS_MAX = 64;
/** Operators in flight that add or remove a replica on one node (bounds a node's copying). */
export const PLACEMENT_MOVES_PER_NODE_MAX = 4;
/**
 * Operators in flight that move a replica so that two adjacent small regions share their replicas
 * and the nodes can merge them (merge_checker.ts; within PLACEMENT_PLANNED_OPERATORS_MAX), so
 * merges never crowd out replica fixes and balance.
 */
export const PLACEMENT_MERGE_ALIGNS_MAX = 8;
/** Leadership transfers the leader balance starts in one scheduler pass. */
export const PLACEMENT_LEADER_TRANSFERS_PER_TICK_MAX = 8;
/** Leadership transfers in flight from or to one node. */
export const PLACEMENT_LEADER_TRANSFERS_PER_NODE_MAX = 4;
/** Leaders per node may differ by this much before a transfer is made (at least 1: no flapping). */
export const PLACEMENT_LEADER_TOLERANCE = 1;
/**
 * Scheduler passes between two attempts to hand region 0's leadership (the timestamp oracle) to
 * region 1's leader (oracle_place.ts): one minute at the default 10-s heartbeat, so a transfer
 * that does not take (the target cannot campaign yet) costs region 0 at most one election timeout
 * of refused proposals per minute.
 */
export const PLACEMENT_ORACLE_FOLLOW_BACKOFF_PASSES = 6;
/** An operator not finished after this long is dropped (and may be made again). */
export const PLACEMENT_OPERATOR_TIMEOUT_MS = 10 * 60_000;
/**
 * Regions a heartbeat lists as hosted by the node (the placement leader answers with those that
 * no longer list it); a node hosting more lists the next ones at its next heartbeat.
 */
export const PLACEMENT_HELD_PER_HEARTBEAT_MAX = 1_024;
/**
 * (node, region) conf versions the placement leader keeps from heartbeats' held lists (a removed
 * replica drops once every voter has applied its removal: held_confs.ts); past it, new pairs are
 * not kept and those replicas wait (a cluster this size has far more than 10⁵ regions per node).
 */
export const PLACEMENT_HELD_TRACKED_MAX = 1_000_000;
/**
 * Election timeouts a replica left out of its own configuration waits with no peer message
 * before it drops without placement's tombstone (region_operators.ts): a region merged away, or
 * placement not answering. Vote requests of a voter still counting it reset the wait.
 */
export const LEFT_OUT_QUIET_ELECTIONS = 20;
/** Step orders a node keeps at once (one per region it leads, from its last heartbeat's answer). */
export const OPERATOR_ORDERS_KEPT_MAX = PLACEMENT_REPORTS_PER_HEARTBEAT_MAX;
