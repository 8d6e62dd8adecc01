/**
 * The server node's Raft (decision 0014, phase 1): the multi-region driver
 * (raft/multi/) on the node's shared log, running region 1 — the whole
 * keyspace — whose state machine is the KV engine, reached by peers through
 * the batch transport (multi_peer_transport.ts, batch_receiver.ts). The node
 * uses region 1's handle, a `RaftGroup`, where it used the single-group
 * RaftNode (docs/raft.md "From one group to region 1").
 *
 * Snapshots stay out of band, as they were (docs/raft.md "Region 1's
 * snapshots"): the Raft snapshot carries a marker, the sender streams the
 * engine's export in chunks, and the receiver imports the chunks into a
 * staging engine (snapshot_receiver.ts) that is swapped in before Raft sees
 * the marker. No image is ever held in memory.
 */
import { REGION_MODE_ONE, REGION_MODE_SPLIT } from "../peer/region_mode.ts";
import type { RaftMessage } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { ConfState } from "../../raft/core/messages.ts";
import { exportSnapshot } from "../../kv/kv_snapshot.ts";
import { ReadOnlyOption } from "../../raft/api.ts";
import { MIGRATED_REGION } from "../../raft/log_migration.ts";
import type { MultiLogStore } from "../../raft/multi_log_store.ts";
import { MultiRaftDriver } from "../../raft/multi/driver.ts";
import { MultiRaftLoop } from "../../raft/multi/driver_loop.ts";
import { LoopStallLog } from "./loop_stall_log.ts";
import {
  awaitsSnapshot,
  reportSnapshot,
  reportUnreachable,
} from "../../raft/multi/driver_reports.ts";
import type { RegionNode } from "../../raft/multi/region_node.ts";
import type { NodeBatch } from "../../raft/multi/transport.ts";
import type { RegionStateMachine } from "../../raft/multi/region_replica.ts";
import type { NodeHooks } from "../../raft/node_options.ts";
import { createPrng } from "../../util/prng.ts";
import { errorMessage } from "../../util/errors.ts";
import { raftMessageFromWire } from "../../wire/raft_codec.ts";
import { NodeBatchReceiver } from "../peer/batch_receiver.ts";
import { MultiPeerTransport } from "../peer/multi_peer_transport.ts";
import type { EngineHolder } from "./engine_holder.ts";
import type { ResolvedNodeOptions } from "./options.ts";
import type { SnapshotReceiver } from "./snapshot_receiver.ts";
import { RegionMembers } from "./region_members.ts";
import { PassAnswers } from "./pass_answers.ts";
import { OrderedScreen } from "./ordered_screen.ts";
import { PlacementNode } from "../placement/placement_node.ts";
import { PLACEMENT_REGION } from "../placement/placement_options.ts";
import { engineBytes } from "../placement/heartbeat_sender.ts";

/** The region the server node runs (the whole keyspace) until regions split. */
export const KV_REGION = MIGRATED_REGION;

/** Every Raft snapshot's data: a marker. The image is the engine, streamed (snapshot_*.ts). */
export const SNAPSHOT_MARKER = new TextEncoder().encode("tinykv-engine-snapshot v1");

export interface NodeRaftOptions {
  readonly o: ResolvedNodeOptions;
  readonly log: MultiLogStore;
  readonly engine: () => EngineHolder;
  readonly snapshots: SnapshotReceiver;
  /** Region 1's state machine (the KV engine) and hooks. */
  readonly sm: RegionStateMachine;
  readonly hooks: NodeHooks;
  /** A received snapshot is fully imported: swap the staging engine in (before Raft sees it). */
  readonly installSnapshot: () => Promise<void>;
  /**
   * Once regions split (or may), every region's snapshot is a region image (region_snapshots.ts)
   * from this source, assembled by the receiver and installed by the region's `restore`; never
   * the whole engine.
   */
  readonly regionImages?: {
    readonly on: () => boolean;
    readonly source: (region: number) => (() => AsyncIterable<Uint8Array>) | undefined;
  };
}

/** Whether a configuration lists `id` (voter or learner, incoming or outgoing). */
export function isMember(cs: ConfState, id: number): boolean {
  return [...cs.voters, ...cs.votersOutgoing, ...cs.learners, ...cs.learnersNext].includes(id);
}

/** What the node says in its peer Hello: snapshots' form and stamps follow it (region_mode.ts). */
function regionModeOf(n: NodeRaftOptions): number {
  return n.regionImages?.on() === true ? REGION_MODE_SPLIT : REGION_MODE_ONE;
}

/** Every region's Raft settings on this node. */
function raftOptions(o: ResolvedNodeOptions) {
  return {
    electionTicks: o.electionTicks,
    heartbeatTicks: o.heartbeatTicks,
    preVote: true,
    checkQuorum: true,
    // Followers forward writes at the service level (leader_forwarder.ts), where the
    // outcome can be tracked; a proposal on a node that just lost leadership is refused.
    disableProposalForwarding: true,
    readOnlyOption: o.readMode === "lease" ? ReadOnlyOption.LeaseBased : ReadOnlyOption.Safe,
  };
}

/** The driver, its loop and transport, and region 1's handle. */
export class NodeRaft {
  readonly driver: MultiRaftDriver;
  readonly loop: MultiRaftLoop;
  /** The loop's stalls, logged (loop_stall_log.ts). */
  readonly stalls: LoopStallLog;
  readonly transport: MultiPeerTransport;
  readonly receiver: NodeBatchReceiver;
  readonly group: RegionNode;
  /** Region 1's descriptor as its state machine applied it, membership included. */
  readonly members: RegionMembers;
  /** The placement service (region 0 on its members; heartbeats and timestamps everywhere). */
  readonly placement: PlacementNode;
  /** Every region's answers of one apply pass, given at its end (pass_answers.ts). */
  readonly answers = new PassAnswers();

  constructor(readonly n: NodeRaftOptions) {
    const o = n.o;
    const confState = () => n.log.group(KV_REGION).confState;
    this.members = new RegionMembers(KV_REGION, () => n.engine().kv, confState);
    this.transport = this.#transport(n);
    this.driver = new MultiRaftDriver({
      nodeId: o.id,
      log: n.log,
      transport: this.transport,
      raft: raftOptions(o),
      peers: [...o.peers.keys()].filter((id) => id !== o.id),
      snapshotEntries: o.compactEntries,
      // The driver multiplies the seed by a region factor: keep the product a safe integer.
      seed: o.seed % 0x7fff_ffff,
      incarnation: createPrng(o.seed).int(0x7fff_ffff),
      clock: o.clock,
      // One write in flight: its commit reaches the followers with the next append (≤ 2 ms).
      holdCommitNotices: true,
      applyPass: this.answers,
    });
    this.stalls = new LoopStallLog(o.logger, o.electionTimeoutMs / 2);
    this.loop = new MultiRaftLoop(this.driver, o.clock, o.tickMs, this.stalls);
    this.ordered = new OrderedScreen(
      (batch) => this.screen(batch),
      (batch) => this.#receive(batch),
      (err) => o.logger.warn("raft.screen", { error: errorMessage(err) }),
    );
    this.receiver = new NodeBatchReceiver({
      selfId: o.id,
      deliver: (batch) => this.ordered.deliver(batch),
      snapshotChunk: (from, region, wire) => this.#snapshotChunk(from, region, wire),
      unsized: () => n.regionImages?.on() === true,
      logger: o.logger,
      regionMode: () => regionModeOf(n),
    });
    // The log was bootstrapped (bootstrap.ts) before: adding a region that needs no
    // bootstrap save completes at once, so the handle exists when this returns.
    this.placement = new PlacementNode({
      o,
      driver: this.driver,
      log: n.log,
      addressOf: (id) => this.transport.peerAddress(id) ?? o.peers.get(id),
      usedBytes: () => engineBytes(n.engine().db),
      between: (task) => this.loop.between(task),
      members: () => this.members.descriptor.replicas.map((r) => r.nodeId),
    });
    // Region 0's messages on a node the placement group lists make its replica
    // (placement_rejoin.ts); the other regions' are region creation's (region_creation.ts).
    this.driver.onUnknownRegion = (r, m) => r === PLACEMENT_REGION && this.placement.seen(m);
    const region0 = this.placement.spec();
    const specs = [{ id: KV_REGION, sm: n.sm, hooks: n.hooks }];
    void this.driver.addRegions(region0 === undefined ? specs : [...specs, region0]);
    this.placement.opened();
    const group = this.driver.regionNode(KV_REGION);
    if (group === undefined) throw new Error(`region ${KV_REGION} did not open`);
    this.group = group;
  }

  #transport(n: NodeRaftOptions): MultiPeerTransport {
    const o = n.o;
    return new MultiPeerTransport({
      net: o.net,
      clock: o.clock,
      selfId: o.id,
      selfAddress: o.peers.get(o.id),
      clusterToken: o.clusterToken,
      onUnreachable: (id) => reportUnreachable(this.driver, id),
      onSnapshotStatus: (id, region, ok) => reportSnapshot(this.driver, region, id, ok),
      snapshotWanted: (region, m) => awaitsSnapshot(this.driver, region, m),
      regionSnapshotSource: (region) => {
        if (n.regionImages?.on() === true) return n.regionImages.source(region);
        return region === KV_REGION ? () => exportSnapshot(n.engine().db) : undefined;
      },
      logger: o.logger,
      regionMode: () => regionModeOf(n),
    });
  }

  /** Each peer's batches through `screen`, in order (ordered_screen.ts). */
  readonly ordered: OrderedScreen;
  /** Sees each batch before the driver (region_creation.ts drops images it may not install). */
  screen: (batch: NodeBatch) => NodeBatch | Promise<NodeBatch> = (batch) => batch;

  #receive(batch: NodeBatch): void {
    if (batch.messages.length === 0 && batch.beat === undefined) return;
    if (this.driver.receive(batch)) this.loop.kick();
  }

  /** Region 1's chunks go to the staging engine, never into memory whole. */
  #snapshotChunk(from: number, region: number, wire: RaftMessage): boolean {
    // Region images are assembled by the batch receiver and installed by the region's restore.
    if (region !== KV_REGION || this.n.regionImages?.on() === true) return false;
    this.n.snapshots.add(from, wire, async (first) => {
      await this.n.installSnapshot();
      const message = raftMessageFromWire(first, from, SNAPSHOT_MARKER);
      const batch = { from, to: this.n.o.id, messages: [{ region, message }] };
      if (this.driver.receive(batch)) this.loop.kick();
    }, () => reportUnreachable(this.driver, from));
    return true;
  }

  close(): void {
    this.placement.close();
    this.loop.stop();
    this.transport.close();
  }
}
