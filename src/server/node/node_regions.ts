/**
 * How a node's regions are put together (docs/regions.md "The node holding many regions"): region
 * 1 as it always ran (first_region.ts), the host of the others (region_host.ts), the command
 * router (region_router.ts), reads over regions (node_reads.ts), the split check (only with
 * `regionSplitBytes` > 0), the other regions' expiry sweeps and history compaction
 * (region_services.ts), and placement's operators with the removal of replicas moved off it.
 */
import { stamping } from "./stamping.ts";
import type { RegionMembers } from "./region_members.ts";
import type { CommandPath } from "./command_path.ts";
import type { EngineHolder } from "./engine_holder.ts";
import type { FaultMonitor } from "./faults.ts";
import { FirstRegion } from "./first_region.ts";
import { RegionImageInstaller } from "./region_image_install.ts";
import { NodeReads } from "./node_reads.ts";
import { SharedCloses } from "./shared_closes.ts";
import type { ResolvedNodeOptions } from "./options.ts";
import type { Proposals } from "./proposals.ts";
import type { ReadBarrier } from "./read_barrier.ts";
import type { NodeRaft } from "./region_driver.ts";
import { RegionHost } from "./region_host.ts";
import { RegionCreation } from "./region_creation.ts";
import { RegionMembership } from "./region_membership.ts";
import { hostedRegions } from "./left_out.ts";
import { LEFT_OUT_QUIET_ELECTIONS, REGION_SPLIT_CHECK_MS } from "../../limits_ops.ts";
import { OperatorRunner } from "./region_operators.ts";
import { ReplicaRemoval } from "./region_removal.ts";
import { errorMessage } from "../../util/errors.ts";
import { confChangeAfter } from "./conf_change_after.ts";
import { RegionRouter } from "./region_router.ts";
import { RemoteRegions } from "./remote_regions.ts";
import { peerHelloOf } from "./leader_forwarder.ts";
import { RegionServices, type RegionServicesDeps } from "./region_services.ts";
import { nodeTimestamps, type ProposalTimestamps } from "./proposal_timestamps.ts";
import type { HostedRegion } from "./hosted_region.ts";
import { SplitCheck } from "./region_split_check.ts";
import { RegionLoad } from "./region_load.ts";
import { MergeCheck } from "./region_merge_check.ts";
import { lockedMergeHooks } from "./region_apply_pass.ts";
import { wireTxns } from "./region_txn_wiring.ts";
import type { RegionTxnService } from "./region_txn_service.ts";
import type { NodeTxnSender } from "./node_txn_sender.ts";
import type { TxnResolver } from "./txn_resolver.ts";
import type { AddressBook } from "../membership/address_book.ts";
import type { RedisEvent } from "../../kv/redis/storage.ts";
import { RedisKeyReads } from "./redis_key_reads.ts";

export interface NodeRegions {
  readonly first: FirstRegion;
  readonly host: RegionHost;
  readonly router: RegionRouter;
  readonly reads: NodeReads;
  /** The Redis key reads of RESP SCAN, KEYS and DBSIZE (redis_key_reads.ts). */
  readonly redisKeys: RedisKeyReads;
  readonly splitCheck: SplitCheck;
  /** The writes of the regions this node leads (the split by load: region_load.ts). */
  readonly load: RegionLoad;
  /** Merges adjacent small regions, with `regionMergeBytes` > 0 (region_merge_check.ts). */
  readonly mergeCheck: MergeCheck;
  readonly services: RegionServices;
  readonly creation: RegionCreation;
  /** A member removed from the cluster (region 1) leaves every region (region_membership.ts). */
  readonly membership: RegionMembership;
  /** The placement service's operator steps, run on the regions this node leads. */
  readonly operators: OperatorRunner;
  readonly removal: ReplicaRemoval;
  /**
   * Where the regions' leaders take their proposals' timestamps: on a node holding many regions
   * (or splitting); undefined on the one-region node, whose revisions are its log indexes.
   */
  timestamps(): ProposalTimestamps | undefined;
  /** Percolator requests to the regions this node leads, and its transport to the others. */
  readonly txns: RegionTxnService;
  readonly txnSender: NodeTxnSender;
  /** Finishes expired locks of the regions this node leads (on a node holding many regions). */
  readonly txnResolver: TxnResolver;
  /** RESP WATCH's tokens, each read by its key's region (keys_at.ts). */
  watchTokens(db: number, keys: readonly Uint8Array[]): Promise<number[]>;
  /** Start and stop the split check, the region services and (regions) the membership follower. */
  start(): void;
  stop(): void;
}

export interface NodeRegionsDeps {
  readonly o: ResolvedNodeOptions;
  readonly raft: NodeRaft & { readonly members: RegionMembers };
  readonly engine: () => EngineHolder;
  readonly proposals: Proposals;
  readonly reads: ReadBarrier;
  readonly faults: FaultMonitor;
  readonly addresses: AddressBook;
  /** Region 1's command path. */
  readonly commands: CommandPath;
  readonly onRedisEvents: (events: readonly RedisEvent[]) => void;
  /** The node is shutting down. */
  readonly closed: () => boolean;
}

export function wireRegions(d: NodeRegionsDeps): NodeRegions {
  const { o, raft } = d;
  const images = new RegionImageInstaller(d.engine, o.clock);
  const first = new FirstRegion(d.engine, raft.members, raft.group, d.proposals, d.reads, images);
  const host = new RegionHost({ ...d, images, first });
  first.onSplit = (report) => host.splitApplied(report);
  const creation = new RegionCreation({
    o,
    raft,
    engine: d.engine,
    images,
    on: () => host.regionSnapshots,
    known: (id) => host.knows(id),
    adopt: (kv) => host.adopt(kv),
    mergedByImage: lockedMergeHooks(d.engine, host, o.logger).mergedByImage,
    closed: d.closed,
  });
  host.release = (ids) => creation.release(ids);
  raft.screen = (batch) => creation.screen(batch);
  const stamps = nodeTimestamps(raft, o.clock, o.requestTimeoutMs);
  const timestamps = () => stamping(host) ? stamps : undefined;
  const remote = remoteRegions(d);
  const load = new RegionLoad(o.clock, o.seed);
  const router = new RegionRouter({
    o,
    host,
    timestamps,
    first: d.commands,
    faults: d.faults,
    addresses: d.addresses,
    remote,
    load: o.regionSplitLoad > 0 ? load : undefined,
  });
  const splitCheck = wireSplit(d, host, () => !host.adding && !creation.waiting, load);
  const services = regionServices(d, host, (r, command) => router.proposeHere(r, command));
  const reads = new NodeReads(host, d.engine, d.faults, remote);
  const redisKeys = new RedisKeyReads(reads, remote);
  const closes = new SharedCloses((r, at, ask) => router.closeAt(r, at, ask, true));
  const close = (r: HostedRegion, at: number, ask: boolean) => closes.closeAt(r, at, ask);
  reads.closeRegion = () => timestamps() === undefined ? undefined : close;
  reads.timestamp = () => timestamps() === undefined ? undefined : () => stamps.next();
  const { removal, operators, membership } = wireOperators(d, host);
  const mergeCheck = wireMerge(d, host, removal, load);
  const txn = wireTxns(d, { host, timestamps, reads, router });
  const start = () => {
    for (const part of [splitCheck, mergeCheck, services]) part.start();
    // Regions on the disk count: restarted with splitting off, a node still runs them (0020).
    if (host.regionSnapshots) membership.start(), txn.txnResolver.start();
    operators.start();
  };
  const stop = () => {
    for (const part of [splitCheck, mergeCheck, services, membership, operators]) part.stop();
    stamps.failAll(DOWN);
    txn.txnResolver.stop();
    txn.txnSender.close();
  };
  const parts = { first, host, router, reads, splitCheck, load, mergeCheck, services, creation };
  return { ...parts, redisKeys, ...txn, membership, operators, removal, timestamps, start, stop };
}

const DOWN = "node shutting down";

/** The split check: by size, and by load when `regionSplitLoad` is above 0. */
function wireSplit(
  d: NodeRegionsDeps,
  host: RegionHost,
  holdsEveryRegion: () => boolean,
  load: RegionLoad,
): SplitCheck {
  const o = d.o;
  return new SplitCheck({
    host,
    db: () => d.engine().db,
    ids: { next: () => placementId(d) },
    // Ids come from placement's counter, unique whatever regions this node holds: it only
    // waits for its splits' children and created replicas to be hosted.
    holdsEveryRegion,
    clock: o.clock,
    logger: o.logger,
    splitBytes: o.regionSplitBytes,
    splitLoad: o.regionSplitLoad,
    load,
    intervalMs: o.splitCheckMs,
  });
}

/** Where the node sends what no local region holds: its region's leader, found by placement. */
function remoteRegions(d: NodeRegionsDeps): RemoteRegions {
  const o = d.o;
  return new RemoteRegions({
    net: o.net,
    clock: o.clock,
    hello: peerHelloOf(o),
    selfId: o.id,
    requestTimeoutMs: o.requestTimeoutMs,
    route: (key) => d.raft.placement.route(key),
    addressOf: (id) => d.addresses.get(id),
  });
}

/** Who changes regions' members here: placement's steps, removals, members that left. */
function wireOperators(d: NodeRegionsDeps, host: RegionHost) {
  const { o, raft } = d;
  const membership = new RegionMembership({
    regions: () => host.all(),
    first: () => raft.group.rawNode.status().confState,
    selfId: o.id,
    replicas: o.placement.replicas,
    transferLeader: (region, to) => void raft.driver.transferLeader(region, to),
    clock: o.clock,
    logger: o.logger,
    intervalMs: o.splitCheckMs ?? REGION_SPLIT_CHECK_MS,
  });
  const removal = new ReplicaRemoval({
    o,
    raft,
    engine: d.engine,
    images: host.d.images,
    forget: (id) => host.forget(id),
    closed: d.closed,
  });
  const operators = new OperatorRunner({
    region: (id) => host.region(id),
    regions: () => hostedRegions(host), // replicas left out of their configuration too
    selfId: o.id,
    transferLeader: (region, to) => void raft.driver.transferLeader(region, to),
    removeReplica: (id, why) => removal.remove(id, why),
    addsSelfAfter: (id, index) => confChangeAfter(raft, o.id, id, index),
    reportSoon: () => raft.placement.heartbeats.soon(0),
    leftOutQuietMs: LEFT_OUT_QUIET_ELECTIONS * o.electionTimeoutMs,
    heard: (id, node, h) => raft.driver.region(id)?.heardFrom(node, h) ?? h,
    route: async (key) => (await raft.placement.route(key)).region,
    clock: o.clock,
    logger: o.logger,
    intervalMs: o.splitCheckMs ?? REGION_SPLIT_CHECK_MS,
  });
  raft.placement.heartbeats.onOrders = (a) => operators.receive(a.orders, a.tombstones);
  return { removal, operators, membership };
}

/** The merge check, and the removal of the replicas of regions merged away. */
function wireMerge(
  d: NodeRegionsDeps,
  host: RegionHost,
  removal: ReplicaRemoval,
  load: RegionLoad,
): MergeCheck {
  const { o, raft } = d;
  host.onMergedAway = (id, why) =>
    removal.remove(id, why === undefined ? "merged away" : `merged away: ${why}`);
  host.onSourceLost = (id, why) => removal.remove(id, why);
  return new MergeCheck({
    regions: () => host.settledWithMerged(),
    region: (id) => host.region(id),
    db: () => d.engine().db,
    raft,
    selfId: o.id,
    transferLeader: (region, to) => void raft.driver.transferLeader(region, to),
    removeMerged: (id) => removal.remove(id, "merged away"),
    markMerged: lockedMergeHooks(d.engine, host, o.logger).markMerged,
    retryHeld: () =>
      host.applyPass.holding === 0
        ? Promise.resolve()
        : d.engine().locked(() => host.applyPass.retry()),
    clock: o.clock,
    logger: o.logger,
    mergeBytes: o.regionMergeBytes,
    busy: o.regionSplitLoad > 0 ? (id) => load.busy(id, o.regionSplitLoad) : undefined,
    intervalMs: o.splitCheckMs,
  });
}

/** A split child's id from the placement service; undefined (split later) when it cannot answer. */
async function placementId(d: NodeRegionsDeps): Promise<number | undefined> {
  try {
    return await d.raft.placement.allocateIds(1);
  } catch (err) {
    d.o.logger.info("region.split_id_unavailable", { error: errorMessage(err) });
    return undefined;
  }
}

/** The expiry sweeps and history compaction of the regions other than region 1. */
function regionServices(
  d: NodeRegionsDeps,
  host: RegionHost,
  propose: RegionServicesDeps["propose"],
): RegionServices {
  const o = d.o;
  return new RegionServices({
    clock: o.clock,
    logger: o.logger,
    regions: () => host.all(),
    engine: d.engine,
    propose,
    sweepMs: o.expirySweepMs,
    retention: o.autoCompact,
    // A client's compaction, applied by region 1, reaches every other region (decision 0020).
    floor: () => host.d.first.kv.kv.compactedRevision,
  });
}
