/**
 * A TinyKV node as the ports see it (KvService): Raft (driver + durable log)
 * replicating commands into the KV state machine on the storage engine.
 *
 * Writes: the leader proposes and answers once the entry is applied; a
 * follower forwards to the leader. Reads: linearizable by ReadIndex on any
 * node (lease-based when the node runs with `readMode: "lease"`), or
 * serializable from local state.
 */
import type { RaftMessage, WriteResponse } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { CommandInit } from "../../kv/command_codec.ts";
import type { KvEvent } from "../../kv/key_state.ts";
import type { KvScanPage, KvScanRequest } from "../../kv/kv_scan.ts";
import type { KvStateMachine } from "../../kv/state_machine.ts";
import { type Entry, MessageType, type Snapshot } from "../../raft/core/messages.ts";
import { RaftNode, ReadOnlyOption } from "../../raft/api.ts";
import { LogStore } from "../../raft/log_store.ts";
import type { Db } from "../../storage/db.ts";
import { createPrng } from "../../util/prng.ts";
import type { NodeStatus, StatusSource } from "./status_types.ts";
import {
  type CommandOutcome,
  type Consistency,
  type KeyRead,
  type KvService,
  writeOutcome,
} from "../kv_service.ts";
import { CommandPath } from "./command_path.ts";
import { revisionRead } from "./revision_reads.ts";
import { LeaderForwarder, peerHelloOf } from "./leader_forwarder.ts";
import { PeerTransport } from "../peer/peer_transport.ts";
import { Proposals } from "./proposals.ts";
import { raftMessageFromWire } from "../../wire/raft_codec.ts";
import { ReadBarrier } from "./read_barrier.ts";
import { NodeReadIssuer } from "./read_issuer.ts";
import { SnapshotReceiver } from "./snapshot_receiver.ts";
import { EngineHolder } from "./engine_holder.ts";
import { LeaderHistory } from "./leader_history.ts";
import { RaftEvents } from "./raft_events.ts";
import { FaultMonitor } from "./faults.ts";
import { catchUpBeforeVoting } from "./rebuild.ts";
import { exportSnapshot } from "../../kv/kv_snapshot.ts";
import { readMembers } from "../../kv/members.ts";
import type { RedisEvent } from "../../kv/redis/storage.ts";
import { AddressBook } from "../membership/address_book.ts";
import { applyEntries } from "./apply_entries.ts";
import { Membership } from "../membership/membership.ts";
import { describeNode, isHealthy } from "./status.ts";
import { bootstrapIfNew } from "./bootstrap.ts";
import { HistoryRetention } from "./history_retention.ts";
import {
  type NodeServiceOptions,
  type ResolvedNodeOptions,
  resolveNodeOptions,
} from "./options.ts";

export type { NodeServiceOptions, ResolvedNodeOptions } from "./options.ts";

/** Every Raft snapshot's data: a marker. The image is the engine, streamed (snapshot_*.ts). */
const SNAPSHOT_MARKER = new TextEncoder().encode("tinykv-engine-snapshot v1");

export class NodeService implements KvService, StatusSource {
  readonly proposals: Proposals;
  readonly reads: ReadBarrier;
  readonly transport: PeerTransport;
  readonly node: RaftNode;
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
    readonly logStore: LogStore,
    replicatedAddresses: ReadonlyMap<number, string>,
  ) {
    this.#snapshots = new SnapshotReceiver(o.fs, engine.incomingDir, o.clock, o.logger);
    this.leaderHistory = new LeaderHistory(o.clock);
    this.proposals = new Proposals(o.clock);
    this.#forwarder = new LeaderForwarder(o.net, o.clock, peerHelloOf(o));
    this.transport = new PeerTransport({
      net: o.net,
      clock: o.clock,
      selfId: o.id,
      selfAddress: o.peers.get(o.id),
      clusterToken: o.clusterToken,
      onUnreachable: (id) => this.node.rawNode.reportUnreachable(id),
      onSnapshotStatus: (id, ok) => this.node.rawNode.reportSnapshot(id, ok),
      snapshotSource: () => exportSnapshot(this.engine.db),
      logger: o.logger,
    });
    this.addresses = new AddressBook(
      o.peers,
      replicatedAddresses,
      (all) => this.transport.setPeers(all),
    );
    this.transport.setPeers(this.addresses.all());
    this.node = this.#createNode();
    this.#raftEvents = new RaftEvents(o.id, o.logger, () => this.node.rawNode, this.leaderHistory);
    this.membership = new Membership({
      selfId: o.id,
      node: this.node,
      clock: o.clock,
      appliedIndex: () => this.engine.kv.appliedIndex,
      addressOf: (id) => this.addresses.get(id),
      stepTimeoutMs: o.membershipStepTimeoutMs,
      electionTimeoutMs: o.electionTimeoutMs,
    });
    this.faults = new FaultMonitor(
      { node: () => this.node, engine: () => this.engine },
      o.clock,
      o.logger,
    );
    this.#commands = new CommandPath({
      node: () => this.node,
      proposals: this.proposals,
      forwarder: this.#forwarder,
      faults: this.faults,
      leader: () => this.#leader(),
      requestTimeoutMs: o.requestTimeoutMs,
      wallMs: () => o.clock.wallMs(),
    });
    this.retention = new HistoryRetention({
      clock: o.clock,
      isLeader: () => this.node.rawNode.isLeader,
      revision: () => this.kv.revision,
      compacted: () => this.kv.compactedRevision,
      execute: (command) => this.execute(command),
      logger: o.logger,
    }, o.autoCompact);
    this.#readIssuer = new NodeReadIssuer(o.id, () => this.node, () => this.kv.appliedIndex);
    this.reads = new ReadBarrier(this.#readIssuer, o.clock, o.requestTimeoutMs, o.id);
  }

  /**
   * Opens the node's engine and log from `dataDir` (bootstrapping a new
   * cluster). Every default of `options` is filled in here, once.
   */
  static async open(options: NodeServiceOptions): Promise<NodeService> {
    const o = resolveNodeOptions(options);
    o.fs.mkdir(o.dataDir);
    const engine = await EngineHolder.open(o.fs, o.dataDir, o.clock, o.seed, o.logger, o);
    const logStore = await LogStore.open(o.fs, `${o.dataDir}/raft`);
    await bootstrapIfNew(o, logStore, engine.kv);
    return new NodeService(o, engine, logStore, await readMembers(engine.db));
  }

  #createNode(): RaftNode {
    const o = this.o;
    return new RaftNode({
      raft: {
        id: o.id,
        electionTicks: o.electionTicks,
        heartbeatTicks: o.heartbeatTicks,
        prng: createPrng(o.seed),
        preVote: true,
        checkQuorum: true,
        // Followers forward writes at the service level (leader_forwarder.ts), where the
        // outcome can be tracked; a proposal on a node that just lost leadership is refused.
        disableProposalForwarding: true,
        readOnlyOption: o.readMode === "lease" ? ReadOnlyOption.LeaseBased : ReadOnlyOption.Safe,
      },
      logStore: this.logStore,
      transport: this.transport,
      stateMachine: {
        apply: (entries) => this.#apply(entries),
        restore: (snapshot) => this.#restore(snapshot),
        image: () => this.#image(),
      },
      // Bytes also bound it (RaftNode); why this many entries: options.ts.
      snapshotEntries: o.compactEntries,
      hooks: {
        onReadStates: (states) => {
          for (const s of states) this.reads.confirmed(s.context, s.index);
        },
        // A new leader (or none) drops unconfirmed reads: fail them now so clients retry.
        onSoftState: (soft) => {
          this.reads.abortUnconfirmed("leadership changed");
          this.#readIssuer.reconsider();
          this.#raftEvents.observe(soft);
        },
        onConfChange: (cc, cs, index) => {
          this.#readIssuer.reconsider();
          this.#raftEvents.confChanged(cc, cs, index);
        },
      },
      clock: o.clock,
      tickMs: o.tickMs,
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
      const { outcomes, memberWrites } = await applyEntries(this.engine.kv, entries, this.o);
      this.addresses.apply(memberWrites);
      const events = this.engine.kv.drainEvents();
      if (events.length > 0) this.onEvents?.(events, this.engine.kv.revision);
      const published = this.engine.kv.drainRedisEvents();
      if (published.length > 0) this.onRedisEvents?.(published);
      for (const e of entries) this.proposals.applied(e.index, e.term, outcomes.get(e.index));
      this.reads.applied();
    });
  }

  /**
   * The snapshot image for log compaction: the engine, made durable (its WAL is off); the
   * driver then drops log entries up to the applied index.
   */
  async #image(): Promise<Uint8Array> {
    await this.engine.flushApplied();
    return SNAPSHOT_MARKER;
  }

  /** Raft installs a snapshot: the engine must already hold it (swapped in on receipt). */
  #restore(snapshot: Snapshot): void {
    const applied = this.engine.kv.appliedIndex;
    if (snapshot.metadata.index <= Math.max(1, applied)) return;
    throw new Error(`snapshot at ${snapshot.metadata.index} is ahead of the engine (${applied})`);
  }

  start(): void {
    this.node.start();
    this.node.kick();
    this.faults.start();
    this.retention.start();
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

  /** A Raft message from an authenticated peer connection. */
  onRaftMessage(from: number, wire: RaftMessage): void {
    if (wire.type === MessageType.Snap) {
      this.#snapshots.add(from, wire, async (first) => {
        if (await this.engine.swapIn()) {
          this.onStoreReplaced?.();
          this.addresses.reset(await readMembers(this.engine.db));
          this.reads.applied();
        }
        if (this.node.receive(raftMessageFromWire(first, from, SNAPSHOT_MARKER))) this.node.kick();
      }, () => this.node.rawNode.reportUnreachable(from));
      return;
    }
    if (this.node.receive(raftMessageFromWire(wire, from))) this.node.kick();
  }

  #leader(): { id: number; address: string } {
    const id = this.node.rawNode.lead;
    return { id, address: id === 0 ? "" : this.addresses.get(id) ?? "" };
  }

  async write(command: CommandInit): Promise<WriteResponse> {
    return writeOutcome(await this.#commands.execute(command));
  }

  execute(command: CommandInit): Promise<CommandOutcome> {
    return this.#commands.execute(command);
  }

  async get(key: Uint8Array, consistency: Consistency, revision = 0): Promise<KeyRead> {
    if (revision === 0) {
      // Both in one turn: no apply can come between the state and the revision.
      return await this.readState(consistency, (kv) => ({
        state: kv.get(key),
        revision: kv.visibleRevision,
      }));
    }
    await this.#barrier(consistency);
    const kv = this.engine.kv;
    const state = await revisionRead(this.engine, () => kv.getAt(key, revision));
    return { state, revision };
  }

  async scan(request: KvScanRequest, consistency: Consistency): Promise<KvScanPage> {
    await this.#barrier(consistency);
    const kv = this.engine.kv;
    return await revisionRead(this.engine, () => kv.scan(request));
  }

  count(consistency: Consistency): Promise<number> {
    return this.readState(consistency, (kv) => kv.keyCount);
  }

  async readState<T>(consistency: Consistency, read: (kv: KvStateMachine) => T): Promise<T> {
    await this.#barrier(consistency);
    return this.engine.readNow(() => read(this.engine.kv));
  }

  readStateNow<T>(c: Consistency, read: (kv: KvStateMachine) => T): { value: T } | undefined {
    this.faults.check("read");
    if (c !== "serializable" && !this.reads.readyNow()) return undefined;
    return { value: this.engine.readNow(() => read(this.engine.kv)) };
  }

  /** The read barrier a consistency asks for (docs/design.md §2.5). */
  async #barrier(consistency: Consistency): Promise<void> {
    this.faults.check("read");
    if (consistency !== "serializable") await this.reads.wait();
  }

  status(): NodeStatus {
    const s = describeNode(this.o.id, this.node, this.kv, this.addresses, this.faults);
    return { ...s, clusterId: this.clusterId ?? null, watches: this.activeWatches?.() ?? 0 };
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
    this.node.stop();
    this.transport.close();
    this.#forwarder.close();
    this.proposals.failAll("node shutting down");
    await this.#snapshots.close();
    await this.engine.close();
    this.logStore.close();
  }
}
