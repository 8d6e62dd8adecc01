/**
 * A TinyKV node as the ports see it (KvService): Raft (driver + durable log)
 * replicating commands into the KV state machine on the storage engine.
 *
 * Writes: the leader proposes and answers once the entry is applied; a
 * follower forwards to the leader. Reads: linearizable by ReadIndex on any
 * node (lease-based when the node runs with `readMode: "lease"`), or
 * serializable from local state.
 */
import type { WriteResponse } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { CommandInit } from "../../kv/command_codec.ts";
import type { KvEvent } from "../../kv/key_state.ts";
import type { KvScanPage, KvScanRequest } from "../../kv/kv_scan.ts";
import type { KvStateMachine } from "../../kv/state_machine.ts";
import type { Entry } from "../../raft/core/messages.ts";
import type { RaftGroup } from "../../raft/group.ts";
import { openSharedLog } from "../../raft/log_migration.ts";
import type { MultiLogStore } from "../../raft/multi_log_store.ts";
import type { Db } from "../../storage/db.ts";
import type { NodeStatus, StatusSource } from "./status_types.ts";
import {
  type CommandOutcome,
  type Consistency,
  type KeyRead,
  type KvService,
  writeOutcome,
} from "../kv_service.ts";
import { CommandPath } from "./command_path.ts";
import { LeaderForwarder, peerHelloOf } from "./leader_forwarder.ts";
import { Proposals } from "./proposals.ts";
import { ReadBarrier } from "./read_barrier.ts";
import { NodeReadIssuer } from "./read_issuer.ts";
import { SnapshotReceiver } from "./snapshot_receiver.ts";
import { EngineHolder } from "./engine_holder.ts";
import { LeaderHistory } from "./leader_history.ts";
import { RaftEvents } from "./raft_events.ts";
import { FaultMonitor } from "./faults.ts";
import { catchUpBeforeVoting } from "./rebuild.ts";
import { isMember, KV_REGION, NodeRaft, SNAPSHOT_MARKER } from "./region_driver.ts";
import type { MultiPeerTransport } from "../peer/multi_peer_transport.ts";
import type { PeerSink } from "../proto/kv_port.ts";
import { WireError } from "../../wire/frame_codec.ts";
import { readMembers } from "../../kv/members.ts";
import type { RedisEvent } from "../../kv/redis/storage.ts";
import { AddressBook } from "../membership/address_book.ts";
import { applyEntries } from "./apply_entries.ts";
import { Membership } from "../membership/membership.ts";
import { isHealthy, statusOf } from "./status.ts";
import { bootstrapIfNew } from "./bootstrap.ts";
import { HistoryRetention } from "./history_retention.ts";
import { type NodeRegions, wireRegions } from "./node_regions.ts";
import { answerApplied } from "./pass_answers.ts";
import { leaveGroup } from "../placement/placement_group_member.ts";
import {
  firstRegionVoters,
  type NodeServiceOptions,
  type ResolvedNodeOptions,
  resolveNodeOptions,
} from "./options.ts";

export type { NodeServiceOptions, ResolvedNodeOptions } from "./options.ts";

export class NodeService implements KvService, StatusSource {
  readonly proposals: Proposals;
  readonly reads: ReadBarrier;
  /** The multi-region driver running region 1 (region_driver.ts). */
  readonly raft: NodeRaft;
  /** Region 1's handle: the Raft group of the whole keyspace. */
  readonly node: RaftGroup;
  /** The last configuration this node applied (its log's) has it: node_identity.ts. */
  readonly memberAtOpen: boolean;
  /** Recent leader changes this node saw (dashboard, /cluster). */
  readonly leaderHistory: LeaderHistory;
  readonly #forwarder: LeaderForwarder;
  readonly #raftEvents: RaftEvents;
  readonly #readIssuer: NodeReadIssuer;
  readonly #snapshots: SnapshotReceiver;
  readonly addresses: AddressBook;
  readonly membership: Membership;
  readonly faults: FaultMonitor;
  readonly #commands: CommandPath;
  readonly retention: HistoryRetention;
  /** The node's regions: region 1 and those its splits made (node_regions.ts). */
  readonly local: NodeRegions;
  /** Gets the key-value events of every apply pass (the watch hub); they are dropped without it. */
  onEvents: ((events: readonly KvEvent[], revision: number) => void) | undefined;
  /** Gets what Redis commands announced (the RESP port's pub/sub hub). */
  onRedisEvents: ((events: readonly RedisEvent[]) => void) | undefined;
  /** A snapshot replaced the store: its history jumped (the watch hub resynchronises). */
  onStoreReplaced: (() => void) | undefined;
  /** Watches open on this node (the watch hub), for status and the dashboard. */
  activeWatches: (() => number) | undefined;
  /** The data directory's cluster id (identity.ts), set by startServer; a joiner learns it. */
  clusterId: string | undefined;
  #closed = false;

  private constructor(
    readonly o: ResolvedNodeOptions,
    readonly engine: EngineHolder,
    readonly logStore: MultiLogStore,
    replicatedAddresses: ReadonlyMap<number, string>,
  ) {
    this.#snapshots = new SnapshotReceiver(o.fs, engine.incomingDir, o.clock, o.logger);
    this.leaderHistory = new LeaderHistory(o.clock);
    this.proposals = new Proposals(o.clock);
    this.#forwarder = new LeaderForwarder(o.net, o.clock, peerHelloOf(o));
    this.memberAtOpen = isMember(logStore.group(KV_REGION).confState, o.id);
    this.raft = this.#createRaft();
    this.node = this.raft.group;
    this.addresses = new AddressBook(
      o.peers,
      replicatedAddresses,
      (all) => this.transport.setPeers(all),
    );
    this.transport.setPeers(this.addresses.all());
    this.#raftEvents = new RaftEvents(o.id, o.logger, () => this.node.rawNode, this.leaderHistory);
    this.membership = new Membership({
      selfId: o.id,
      node: this.node,
      clock: o.clock,
      appliedIndex: () => this.engine.kv.appliedIndex,
      addressOf: (id) => this.addresses.get(id),
      stepTimeoutMs: o.membershipStepTimeoutMs,
      electionTimeoutMs: o.electionTimeoutMs,
      voters: firstRegionVoters(o),
      afterRemove: (id) => leaveGroup(this.raft.placement, id),
    });
    const held = { node: () => this.node, engine: () => this.engine };
    this.faults = new FaultMonitor(held, o.clock, o.logger);
    this.#commands = new CommandPath({
      node: () => this.node,
      proposals: this.proposals,
      forwarder: this.#forwarder,
      faults: this.faults,
      leader: () => this.#leader(),
      timing: o,
      entry: (data, ts) => this.local.host.entryFor(1, data, ts),
      timestamps: () => this.local.timestamps(),
    });
    this.retention = new HistoryRetention({
      clock: o.clock,
      isLeader: () => this.node.rawNode.isLeader,
      revision: () => this.kv.revision,
      index: () => this.local.timestamps() === undefined ? undefined : this.kv.appliedIndex,
      compacted: () => this.kv.compactedRevision,
      execute: (command) => this.#commands.execute(command), // region 1's, not every region's
      logger: o.logger,
    }, o.autoCompact);
    this.#readIssuer = new NodeReadIssuer(o.id, () => this.node, () => this.kv.appliedIndex);
    this.reads = new ReadBarrier(this.#readIssuer, o.clock, o.requestTimeoutMs, o.id);
    this.local = wireRegions({
      ...this,
      raft: this.raft,
      engine: () => this.engine,
      commands: this.#commands,
      onRedisEvents: (events) => this.onRedisEvents?.(events),
      closed: () => this.#closed,
    });
  }

  /**
   * Opens the node's engine and log from `dataDir` (bootstrapping a new
   * cluster). Every default of `options` is filled in here, once.
   */
  static async open(options: NodeServiceOptions): Promise<NodeService> {
    const o = resolveNodeOptions(options);
    o.fs.mkdir(o.dataDir);
    const engine = await EngineHolder.open(o.fs, o.dataDir, o.clock, o.seed, o.logger, o);
    const { log: logStore, migrated } = await openSharedLog(o.fs, o.dataDir);
    if (migrated) o.logger.info("raft.log_migrated", { region: 1 });
    await bootstrapIfNew(o, logStore, engine.kv);
    const node = new NodeService(o, engine, logStore, await readMembers(engine.db));
    await node.local.host.openAll([...o.peers.keys()]);
    return node;
  }

  #createRaft(): NodeRaft {
    return new NodeRaft({
      o: this.o,
      log: this.logStore,
      engine: () => this.engine,
      snapshots: this.#snapshots,
      sm: {
        apply: (entries) => this.#apply(entries),
        restore: (snapshot) =>
          this.local.first.restore(snapshot, () => {
            this.onStoreReplaced?.();
            this.reads.applied();
          }),
        // The image point: the engine made durable (its WAL is off); the log is then compacted.
        flush: () => this.engine.flushApplied(),
        image: () => SNAPSHOT_MARKER,
      },
      hooks: {
        onReadStates: (states) => {
          for (const s of states) this.reads.confirmed(s.context, s.index);
        },
        // A new leader (or none) drops unconfirmed reads: they go again once one is known.
        onSoftState: (soft) => {
          this.reads.leadershipChanged(soft.lead !== 0);
          this.#readIssuer.reconsider();
          this.#raftEvents.observe(soft);
        },
        onConfChange: (cc, cs, index) => {
          this.#readIssuer.reconsider();
          this.#raftEvents.confChanged(cc, cs, index);
        },
      },
      regionImages: {
        on: () => this.local.host.regionSnapshots,
        source: (region) => this.local.host.imageSource(region),
      },
      installSnapshot: async () => {
        if (await this.engine.swapIn()) {
          this.onStoreReplaced?.();
          this.addresses.reset(await readMembers(this.engine.db));
          this.reads.applied();
        }
      },
    });
  }

  /** The batch transport to the peers (one link per node, every region). */
  get transport(): MultiPeerTransport {
    return this.raft.transport;
  }

  /** What the protobuf port's peer connections deliver to: the driver's batch receiver. */
  peerSink(): PeerSink {
    return this.raft.receiver.sink({
      onRaftMessage: (from) => {
        throw new WireError(`a single-group Raft message from ${from}: this node runs regions`);
      },
      onPeerHello: (id, address) => this.onPeerHello(id, address),
      configuredAddress: (id) => this.addresses.configured(id),
    });
  }

  get db(): Db {
    return this.engine.db;
  }
  get kv(): KvStateMachine {
    return this.engine.kv;
  }

  /** Snapshot streams received from leaders (for metrics). */
  get snapshotsReceived(): Readonly<SnapshotReceiver["counts"]> {
    return this.#snapshots.counts;
  }

  #apply(entries: readonly Entry[]): Promise<void> {
    return this.engine.locked(async () => {
      const first = this.local.first;
      const done = await applyEntries(first.kv, entries, this.o, this.raft.members);
      first.applied(entries.reduce((n, e) => n + e.data.length, 0));
      this.addresses.apply(done.memberWrites);
      const events = this.engine.kv.drainEvents();
      if (events.length > 0) this.onEvents?.(events, this.engine.kv.revision);
      const published = this.engine.kv.drainRedisEvents();
      if (published.length > 0) this.onRedisEvents?.(published);
      answerApplied(this.raft.answers, this, entries, done.outcomes); // at the pass's end
    });
  }

  start(): void {
    this.node.start();
    this.node.kick();
    this.faults.start();
    this.retention.start();
    this.local.start();
    if (this.o.rebuild) {
      void catchUpBeforeVoting({
        node: this.node,
        reads: this.reads,
        clock: this.o.clock,
        fs: this.o.fs,
        dataDir: this.o.dataDir,
        appliedIndex: () => this.kv.appliedIndex,
        closed: () => this.#closed,
        logger: this.o.logger,
      }).catch((err) => this.o.logger.error("rebuild.failed", { error: String(err) }));
    }
  }

  onPeerHello(id: number, address: string): void {
    this.addresses.announce(id, address);
  }

  #leader(): { id: number; address: string } {
    const id = this.node.rawNode.lead;
    return { id, address: id === 0 ? "" : this.addresses.get(id) ?? "" };
  }

  async write(command: CommandInit): Promise<WriteResponse> {
    return writeOutcome(await this.local.router.execute(command));
  }

  execute(command: CommandInit): Promise<CommandOutcome> {
    return this.local.router.execute(command);
  }

  get(key: Uint8Array, consistency: Consistency, revision = 0): Promise<KeyRead> {
    return this.local.reads.get(key, consistency, revision);
  }

  scan(request: KvScanRequest, consistency: Consistency): Promise<KvScanPage> {
    return this.local.reads.scan(request, consistency);
  }

  count(consistency: Consistency): Promise<number> {
    return this.local.reads.count(consistency);
  }

  readState<T>(consistency: Consistency, read: (kv: KvStateMachine) => T): Promise<T> {
    return this.local.reads.readState(consistency, read);
  }

  readStateNow<T>(c: Consistency, read: (kv: KvStateMachine) => T): { value: T } | undefined {
    return this.local.reads.readStateNow(c, read);
  }

  status(): NodeStatus {
    return statusOf(this);
  }

  /** Admin: compacts the Raft log now (after making the engine durable). */
  async snapshot(): Promise<{ index: number }> {
    this.faults.check("read");
    return { index: await this.node.compactNow() };
  }

  /** Admin (leader): adds a member as a learner, then promotes it once caught up. */
  async addMember(id: number, address: string, learnerOnly = false): Promise<NodeStatus> {
    this.faults.check("read");
    await this.membership.add(id, address, { learnerOnly });
    return this.status();
  }

  /** Admin (leader): removes a member (the leader hands off leadership first). */
  async removeMember(id: number): Promise<NodeStatus> {
    this.faults.check("read");
    await this.membership.remove(id);
    return this.status();
  }

  /** Admin (leader): moves leadership to `id` and waits until it leads. */
  async transferLeader(id: number): Promise<{ leader: number }> {
    this.faults.check("read");
    await this.membership.transferLeader(id);
    return { leader: id };
  }

  healthy(): boolean {
    return isHealthy(this.node, this.kv, this.faults);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.faults.stop();
    this.retention.stop();
    this.local.stop();
    this.raft.close();
    this.local.router.close();
    this.local.host.close();
    this.#forwarder.close();
    this.proposals.failAll("node shutting down");
    await this.#snapshots.close();
    await this.engine.close();
    this.logStore.close();
  }
}
