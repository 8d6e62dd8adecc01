/**
 * A TinyKV node as the ports see it (KvService): Raft (driver + durable log)
 * replicating commands into the KV state machine on the storage engine.
 *
 * Writes: the leader proposes and answers once the entry is applied; a
 * follower forwards to the leader. Reads: linearizable by ReadIndex on any
 * node (lease-based when the node runs with `readMode: "lease"`), or
 * serializable from local state.
 */
import { ErrorCode, type RaftMessage, type WriteResponse } from "../gen/tinykv/v1/tinykv_pb.ts";
import { type CommandInit, encodeCommand } from "../kv/command_codec.ts";
import { type KvScanPage, type KvScanRequest, scanPage } from "../kv/kv_scan.ts";
import type { KvStateMachine, StoredValue } from "../kv/state_machine.ts";
import type { Clock, FileSystem, Net } from "../platform/types.ts";
import { ReadOnlyOption } from "../raft/core/config.ts";
import { type Entry, EntryType, MessageType, type Snapshot } from "../raft/core/messages.ts";
import { StateType, type StepError } from "../raft/core/raft.ts";
import { LogStore } from "../raft/log_store.ts";
import { RaftNode } from "../raft/node.ts";
import type { Db } from "../storage/db.ts";
import { createPrng } from "../util/prng.ts";
import type { NodeStatus, Role, StatusSource } from "./http/status_app.ts";
import { type Consistency, type KvService, ServiceError } from "./kv_service.ts";
import { LeaderForwarder } from "./leader_forwarder.ts";
import { PeerTransport } from "./peer_transport.ts";
import { Proposals } from "./proposals.ts";
import { raftMessageFromWire } from "./raft_codec.ts";
import { ReadBarrier } from "./read_barrier.ts";
import { SnapshotReceiver } from "./snapshot_receiver.ts";
import { EngineHolder } from "./engine_holder.ts";
import { payloadBytes, transferAllowanceMs } from "../wire/transfer_time.ts";
import { exportSnapshot } from "../kv/kv_snapshot.ts";

export interface NodeServiceOptions {
  readonly id: number;
  /** Protobuf/Raft address of every initial voter, this node included. */
  readonly peers: ReadonlyMap<number, string>;
  readonly fs: FileSystem;
  readonly dataDir: string;
  readonly net: Net;
  readonly clock: Clock;
  readonly seed: number;
  readonly readMode?: "linearizable" | "lease";
  readonly clusterToken?: string;
  readonly tickMs?: number;
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  /** How long a write or read may wait inside the node. */
  readonly requestTimeoutMs?: number;
  /** Compact the Raft log after this many applied entries (default 100,000, or 64 MiB). */
  readonly compactEntries?: number;
}

/**
 * The data of every Raft snapshot this node records: a marker. The real
 * image is the engine itself, streamed from a consistent engine snapshot when
 * a follower needs it (peer_transport.ts, snapshot_receiver.ts).
 */
const SNAPSHOT_MARKER = new TextEncoder().encode("tinykv-engine-snapshot v1");

function stepError(reason: StepError, leaderId: number, leaderAddress: string): ServiceError {
  if (reason === "no-leader") {
    return new ServiceError(ErrorCode.NOT_LEADER, "no leader is known", 0, "");
  }
  if (reason === "uncommitted-limit") {
    return new ServiceError(ErrorCode.UNAVAILABLE, "too many uncommitted writes; retry");
  }
  return new ServiceError(
    ErrorCode.UNAVAILABLE,
    `not accepted: ${reason}`,
    leaderId,
    leaderAddress,
  );
}

export class NodeService implements KvService, StatusSource {
  readonly proposals: Proposals;
  readonly reads: ReadBarrier;
  readonly transport: PeerTransport;
  readonly node: RaftNode;
  readonly #forwarder: LeaderForwarder;
  readonly #snapshots: SnapshotReceiver;
  readonly #timeoutMs: number;

  private constructor(
    readonly o: NodeServiceOptions,
    readonly engine: EngineHolder,
    readonly logStore: LogStore,
  ) {
    this.#snapshots = new SnapshotReceiver(o.fs, engine.incomingDir, o.clock);
    this.#timeoutMs = o.requestTimeoutMs ?? 5000;
    this.proposals = new Proposals(o.clock);
    this.#forwarder = new LeaderForwarder(o.net, o.clock);
    this.transport = new PeerTransport({
      net: o.net,
      clock: o.clock,
      selfId: o.id,
      clusterToken: o.clusterToken,
      onUnreachable: (id) => this.node.rawNode.reportUnreachable(id),
      onSnapshotStatus: (id, ok) => this.node.rawNode.reportSnapshot(id, ok),
      snapshotSource: () => exportSnapshot(this.engine.db),
    });
    this.transport.setPeers(o.peers);
    this.node = this.#createNode();
    this.reads = new ReadBarrier(
      {
        issue: (context) => {
          const r = this.node.readIndex(context);
          if (!r.ok) return r.reason;
          this.node.kick();
          return undefined;
        },
        appliedIndex: () => this.engine.kv.appliedIndex,
      },
      o.clock,
      this.#timeoutMs,
    );
  }

  /** Opens the node's engine and log from `dataDir` (bootstrapping a new cluster). */
  static async open(o: NodeServiceOptions): Promise<NodeService> {
    o.fs.mkdir(o.dataDir);
    const engine = await EngineHolder.open(o.fs, o.dataDir, o.clock, o.seed);
    const kv = engine.kv;
    const logStore = await LogStore.open(o.fs, `${o.dataDir}/raft`);
    const s = logStore.storage;
    if (s.snapshot().metadata.index === 0 && s.lastIndex() === 0) {
      const voters = [...o.peers.keys()].sort((a, b) => a - b);
      const confState = {
        voters,
        learners: [],
        votersOutgoing: [],
        learnersNext: [],
        autoLeave: false,
      };
      await logStore.save({
        hardState: { term: 1, vote: 0, commit: 1 },
        entries: [],
        snapshot: { metadata: { index: 1, term: 1, confState }, data: new Uint8Array(0) },
        mustSync: true,
      });
    }
    // The bootstrap snapshot (index 1) holds the empty state: apply it as an empty entry.
    if (kv.appliedIndex === 0 && s.snapshot().metadata.index === 1) {
      await kv.apply([{ index: 1, data: null }]);
    }
    return new NodeService(o, engine, logStore);
  }

  #createNode(): RaftNode {
    const o = this.o;
    return new RaftNode({
      raft: {
        id: o.id,
        electionTicks: o.electionTicks ?? 10,
        heartbeatTicks: o.heartbeatTicks ?? 1,
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
      // Each compaction flushes the engine and rolls the log: at 10,000 entries that was
      // ~1.5 stalls a second under load (bench/RESULTS.md); bytes also bound it (RaftNode).
      snapshotEntries: o.compactEntries ?? 100_000,
      hooks: {
        onReadStates: (states) => {
          for (const s of states) this.reads.confirmed(s.context, s.index);
        },
        // A new leader (or none) drops the reads the old one had not confirmed:
        // fail them now so clients retry at once instead of waiting for a timeout.
        onSoftState: () => this.reads.abortUnconfirmed("leadership changed"),
      },
      clock: o.clock,
      tickMs: o.tickMs ?? 100,
    });
  }

  get db(): Db {
    return this.engine.db;
  }

  get kv(): KvStateMachine {
    return this.engine.kv;
  }

  #apply(entries: readonly Entry[]): Promise<void> {
    return this.engine.locked(async () => {
      const outcomes = await this.engine.kv.apply(entries.map((e) => ({
        index: e.index,
        data: e.type === EntryType.Normal && e.data.length > 0 ? e.data : null,
      })));
      for (const e of entries) this.proposals.applied(e.index, e.term, outcomes.get(e.index));
      this.reads.applied();
    });
  }

  /**
   * The Raft snapshot image for log compaction: the engine is the image, so
   * make the applied state durable (the engine's WAL is off) and return the
   * marker. The driver then drops log entries up to the applied index.
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
  }

  /** A Raft message from an authenticated peer connection. */
  onRaftMessage(from: number, wire: RaftMessage): void {
    if (wire.type === MessageType.Snap) {
      this.#snapshots.add(from, wire, async (first) => {
        if (await this.engine.swapIn()) this.reads.applied();
        if (this.node.receive(raftMessageFromWire(first, from, SNAPSHOT_MARKER))) this.node.kick();
      }, () => this.node.rawNode.reportUnreachable(from));
      return;
    }
    if (this.node.receive(raftMessageFromWire(wire, from))) this.node.kick();
  }

  #leader(): { id: number; address: string } {
    const id = this.node.rawNode.raft.lead;
    return { id, address: id === 0 ? "" : this.o.peers.get(id) ?? "" };
  }

  write(command: CommandInit): Promise<WriteResponse> {
    this.#checkRunning();
    const raft = this.node.rawNode.raft;
    // A large value needs time to replicate: wait (and forward) as long as its client does.
    const timeoutMs = this.#timeoutMs + transferAllowanceMs(payloadBytes(command.body));
    if (raft.state !== StateType.Leader) {
      const leader = this.#leader();
      if (leader.address === "") {
        return Promise.reject(new ServiceError(ErrorCode.NOT_LEADER, "no leader is known"));
      }
      return this.#forwarder.forward(leader.address, command, timeoutMs);
    }
    if (this.proposals.full) {
      return Promise.reject(new ServiceError(ErrorCode.UNAVAILABLE, "too many writes in flight"));
    }
    const r = this.node.propose(encodeCommand(command));
    if (!r.ok) {
      const leader = this.#leader();
      return Promise.reject(stepError(r.reason, leader.id, leader.address));
    }
    const done = this.proposals.wait(raft.log.lastIndex(), raft.term, timeoutMs);
    this.node.kick();
    return done;
  }

  async get(key: Uint8Array, consistency: Consistency): Promise<StoredValue | undefined> {
    this.#checkRunning();
    if (consistency !== "serializable") await this.reads.wait();
    return await this.engine.read(() => Promise.resolve(this.engine.kv.get(key)));
  }

  async scan(request: KvScanRequest, consistency: Consistency): Promise<KvScanPage> {
    this.#checkRunning();
    if (consistency !== "serializable") await this.reads.wait();
    return await this.engine.read(() => scanPage(this.engine.db, request));
  }

  async count(consistency: Consistency): Promise<number> {
    this.#checkRunning();
    if (consistency !== "serializable") await this.reads.wait();
    return this.kv.keyCount;
  }

  #checkRunning(): void {
    if (this.node.failure !== undefined) {
      throw new ServiceError(ErrorCode.UNAVAILABLE, `node stopped: ${String(this.node.failure)}`);
    }
  }

  status(): NodeStatus {
    const raft = this.node.rawNode.raft;
    const cs = this.node.rawNode.status().confState;
    const role: Role = raft.state === StateType.Leader
      ? "leader"
      : raft.isLearner
      ? "learner"
      : raft.state === StateType.Follower
      ? "follower"
      : "candidate";
    const member = (id: number, learner: boolean) => ({
      id,
      address: this.o.peers.get(id) ?? "",
      learner,
      ...(role === "leader" ? { matchIndex: raft.trk.progress.get(id)?.match ?? 0 } : {}),
    });
    return {
      id: this.o.id,
      role,
      term: raft.term,
      leader: raft.lead === 0 ? null : raft.lead,
      commitIndex: raft.log.committed,
      appliedIndex: this.kv.appliedIndex,
      lastIndex: raft.log.lastIndex(),
      members: [
        ...cs.voters.map((id) => member(id, false)),
        ...cs.learners.map((id) => member(id, true)),
      ],
    };
  }

  /** Admin: compacts the Raft log now (after making the engine durable). */
  async snapshot(): Promise<{ index: number }> {
    return { index: await this.node.compactNow() };
  }

  /** Admin: moves leadership to `id` and waits until it leads (or an election timeout). */
  async transferLeader(id: number): Promise<{ leader: number }> {
    const raft = this.node.rawNode.raft;
    if (raft.state !== StateType.Leader) {
      throw new Error(`node ${this.o.id} is not the leader (leader: ${raft.lead || "unknown"})`);
    }
    if (!raft.trk.progress.has(id)) throw new Error(`node ${id} is not a member`);
    const r = this.node.rawNode.transferLeader(id);
    if (!r.ok) throw new Error(`transfer refused: ${r.reason}`);
    this.node.kick();
    const timeoutMs = 2 * (this.o.electionTicks ?? 10) * (this.o.tickMs ?? 100);
    for (let waited = 0; waited < timeoutMs; waited += 20) {
      await new Promise<void>((resolve) => this.o.clock.setTimeout(resolve, 20));
      if (raft.lead === id) return { leader: id };
    }
    throw new Error(`node ${id} did not take over within ${timeoutMs} ms`);
  }

  healthy(): boolean {
    const raft = this.node.rawNode.raft;
    return this.node.failure === undefined && raft.lead !== 0 &&
      this.kv.appliedIndex >= raft.log.committed;
  }

  async close(): Promise<void> {
    this.node.stop();
    this.transport.close();
    this.#forwarder.close();
    this.proposals.failAll("node shutting down");
    await this.#snapshots.close();
    await this.engine.close();
    this.logStore.close();
  }
}
