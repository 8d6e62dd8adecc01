/**
 * The placement service inside a node (decision 0014 §7; docs/regions.md "The placement service
 * on the node"). On the placement group's members (region 0) it holds the replicated
 * PlacementState on the node's driver, and while it leads region 0 a PlacementLeader; every node
 * sends the heartbeat each interval and answers `timestamps` and `drain` — from memory when it
 * leads, else by asking the leader (heartbeat_sender.ts, placement_client.ts).
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { PlacementState } from "../../placement/placement_state.ts";
import type { MultiLogStore } from "../../raft/multi_log_store.ts";
import type { MultiRaftDriver, RegionSpec } from "../../raft/multi/driver.ts";
import type { RegionCatalog } from "../../region/region_catalog.ts";
import { bootstrapInfo } from "./placement_bootstrap_info.ts";
import { TimestampBatcher, type TimestampRange } from "../../txn/timestamp_service.ts";
import { ServiceError } from "../kv_service.ts";
import type { ResolvedNodeOptions } from "../node/options.ts";
import { HeartbeatSender } from "./heartbeat_sender.ts";
import { PlacementClient } from "./placement_client.ts";
import { type LeaderCounts, newLeaderCounts, type PlacementLeader } from "./placement_leader.ts";
import { PLACEMENT_REGION } from "./placement_options.ts";
import { PlacementProposer } from "./placement_proposer.ts";
import type { PlacementAnswer, PlacementRequestBody } from "./placement_rpc.ts";
import { checkPlacementRequest } from "./placement_request_check.ts";
import { InvalidArgumentError } from "../../util/errors.ts";
import { PlacementStore } from "./placement_store.ts";
import { type LeadershipCheck, region0Check } from "./leadership_check.ts";
import { answerOf, serve, targetsOf } from "./placement_serve.ts";
import { holdsRegion0, PlacementRejoin } from "./placement_rejoin.ts";
import type { Message } from "../../raft/core/messages.ts";
import { type PlacementRoute, routeOf } from "./placement_route.ts";
import { OracleFollow } from "./oracle_follow.ts";
import { GroupMember } from "./placement_group_member.ts";
import { newLeader } from "./placement_group.ts";
import { LeaderWait, WAITS_FOR_LEADER } from "./leader_wait.ts";

export interface PlacementNodeDeps {
  readonly o: ResolvedNodeOptions;
  readonly driver: MultiRaftDriver;
  readonly log: MultiLogStore;
  /** A node's client address as this node knows it. */
  readonly addressOf: (id: number) => string | undefined;
  /** Bytes this node's engine holds (its heartbeat's used bytes). */
  readonly usedBytes: () => number;
  /** Runs a task between driver rounds: a voter that lost region 0 gets it back there. */
  readonly between?: (task: () => Promise<void>) => void;
  /** The cluster's members as this node knows them (region 1): more nodes to ask for placement. */
  readonly members?: () => readonly number[];
}

export class PlacementNode {
  readonly state: PlacementState;
  readonly store: PlacementStore;
  readonly proposer: PlacementProposer;
  readonly client: PlacementClient;
  readonly heartbeats: HeartbeatSender;
  /** A voter that lost region 0 gets it back from its leader's messages. */
  readonly rejoin: PlacementRejoin;
  /** Hands region 0 (the oracle) to region 1's leader while this node leads region 0. */
  readonly oracle: OracleFollow;
  /** Whether this node may hold region 0, and dropping it once the group leaves it out. */
  readonly group: GroupMember;
  #member: boolean;
  #closed = false;
  #leader: PlacementLeader | undefined;
  readonly check: LeadershipCheck;
  #catalog: RegionCatalog | undefined;
  /** What this node served as placement leader, over every term it led. */
  readonly tsoCounts: LeaderCounts = newLeaderCounts();
  /** One request per turn of the event loop for every `nextTimestamp` of that turn. */
  readonly #batcher = new TimestampBatcher((count) => this.timestamps(count));
  #heardLeader = 0; // a non-member learns the leader from its heartbeats' answers
  /** A member's requests while region 0 has no leader known wait here for one (bounded). */
  readonly leaderWait: LeaderWait;

  constructor(readonly d: PlacementNodeDeps) {
    const o = d.o;
    const propose = (data: Uint8Array) => {
      const r = d.driver.propose(PLACEMENT_REGION, data);
      d.driver.loop?.kick(); // a round now, not at the next tick
      return r;
    };
    this.proposer = new PlacementProposer(propose, o.clock, o.requestTimeoutMs);
    this.check = region0Check(d.driver, o.clock, o.requestTimeoutMs);
    this.state = new PlacementState({
      replaceTimeoutMs: o.placement.replaceTimeoutMs,
      onOutcome: (x) => this.proposer.onOutcome(x),
      membersInRegion1: true,
    });
    this.store = new PlacementStore(o.fs, o.dataDir, this.state);
    this.oracle = new OracleFollow(o, d.driver, this.state);
    this.store.readStates = (states) => this.check.confirmed(states);
    this.#member = holdsRegion0(d.log);
    if (this.#member) this.store.load();
    this.group = new GroupMember(this, () => { // the group left this node out; replica gone
      this.#member = false;
      this.#leader = undefined;
      this.check.failAll();
      this.leaderWait.known(); // a request waiting for region 0's leader asks the voters now
    });
    this.rejoin = new PlacementRejoin({
      o,
      driver: d.driver,
      log: d.log,
      store: this.store,
      between: d.between,
      spec: () => this.#spec(),
      member: () => this.#member,
      mayHold: () => this.group.mayHold(),
      notListed: () => this.group.listedSoon(),
      caughtUp: () => this.heartbeats.soon(0),
      joined: () => this.#member = true,
      closed: () => this.#closed,
    });
    this.store.onApplied = () => this.rejoin.applied();
    this.client = new PlacementClient(
      o,
      // The group's voters, then every member (each forwards to the leader or names it): a node
      // whose `--peers` lists only nodes since gone still finds the group.
      () => targetsOf(o.id, this.leaderId, [...this.group.voters(), ...d.members?.() ?? []]),
      d.addressOf,
    );
    this.heartbeats = new HeartbeatSender(this, () => this.#catalog);
    this.leaderWait = new LeaderWait(o.clock);
  }

  /** Whether this node is a member of the placement group (holds region 0). */
  get member(): boolean {
    return this.#member;
  }

  /** Region 0's spec for the driver, on a member (undefined elsewhere). */
  spec(): RegionSpec | undefined {
    return this.#member ? this.#spec() : undefined;
  }

  #spec(): RegionSpec {
    return {
      id: PLACEMENT_REGION,
      sm: this.store,
      hooks: {
        onSoftState: () => {
          this.rejoin.leadershipChanged();
          this.#leadership();
          this.leaderWait.known();
          this.heartbeats.leaderSeen(this.leaderId);
        },
        onReadStates: (states) => this.rejoin.readStates(states),
        onConfChange: (_cc, _cs, index) => this.group.configured(index),
      },
    };
  }

  /** Region 0 was added to the driver at open: a rejoin a restart interrupted resumes. */
  opened(): void {
    if (this.#member) this.rejoin.resume();
  }

  /** A message of region 0, which this node does not hold (the driver's `onUnknownRegion`). */
  seen(m: Message): void {
    this.rejoin.seen(m);
  }

  /** The placement leader's node id as this node knows it (0: unknown). */
  get leaderId(): number {
    if (!this.member) return this.#heardLeader;
    return this.d.driver.region(PLACEMENT_REGION)?.rawNode.lead ?? 0;
  }

  /** This node's leader work while it leads region 0. */
  get leader(): PlacementLeader | undefined {
    return this.#current();
  }

  // The leader work, started again when its start failed (a proposal lost or timed out), or
  // before the soft-state hook when region 0 just elected this node (else a request failed).
  #current(): PlacementLeader | undefined {
    if (this.#leader?.failed === true) this.#leader = undefined;
    if (this.#leader === undefined) this.#leadership();
    return this.#leader;
  }

  #leadership(): void {
    const rn = this.d.driver.region(PLACEMENT_REGION)?.rawNode;
    if (rn?.isLeader === true) {
      if (this.#leader === undefined) {
        this.oracle.reset();
        this.#leader = newLeader(
          this,
          () => bootstrapInfo(this.d.o, this.#catalog, this.d.addressOf),
        );
        this.#leader.ready.catch((err) => {
          this.d.o.logger.warn("placement.leader_start_failed", { error: String(err) });
        });
      }
    } else if (this.#leader !== undefined) {
      this.#leader = undefined;
      this.check.failAll();
    }
  }

  /** Starts the heartbeats (the catalog lists the regions this node reports on). */
  start(catalog: RegionCatalog): void {
    this.#catalog = catalog;
    this.heartbeats.start();
    this.rejoin.start();
  }

  /**
   * A request from the port (or this node): served when this node leads; a member forwards once
   * (`forwarded` ones are not forwarded again); else NOT_LEADER. A non-member forwards only its
   * own (`fromPort` false): two non-members that each took the other for a voter passed one
   * request back and forth without end (the simulator's out-of-memory seeds).
   */
  async handle(
    b: PlacementRequestBody,
    forwarded = false,
    fromPort = false,
  ): Promise<PlacementAnswer> {
    try {
      checkPlacementRequest(b);
    } catch (err) {
      if (!(err instanceof InvalidArgumentError)) throw err;
      throw new ServiceError(ErrorCode.INVALID_ARGUMENT, `placement: ${err.message}`);
    }
    const leader = this.#current();
    if (leader !== undefined) return await serve(this, leader, b);
    // A drain is an admin request: only the leader serves it (the CLI follows the hint).
    if (b.kind === "drain" || forwarded || (fromPort && !this.member)) throw this.notLeader();
    if (this.group.votes() && this.leaderId === 0 && WAITS_FOR_LEADER.has(b.kind)) {
      // Region 0 is electing (a fresh cluster, a leader lost): wait for it (leader_wait.ts).
      const known = () => this.leaderId !== 0 || !this.group.votes();
      await this.leaderWait.forLeader(known, this.d.o.requestTimeoutMs);
      const now = this.#current();
      if (now !== undefined) return await serve(this, now, b);
    }
    const a = await this.client.send(b, this.member, undefined);
    if (a.kind === "done") this.#heardLeader = a.leaderId;
    return a;
  }

  /**
   * Admin (HTTP): marks node `id` draining, on the leader or through it. The caller checked the
   * admin credential; `adminToken` is this node's, which the leader checks in turn.
   */
  async drainNode(id: number, adminToken?: string): Promise<{ draining: number }> {
    const b = { kind: "drain" as const, nodeId: id };
    if (this.#current() !== undefined) await this.handle(b);
    else await this.client.send(b, true, adminToken);
    return { draining: id };
  }

  notLeader(): ServiceError {
    const id = this.leaderId;
    const address = id === 0 ? "" : this.d.addressOf(id) ?? "";
    return new ServiceError(ErrorCode.NOT_LEADER, "not the placement leader", id, address);
  }

  /** `count` new timestamps from the oracle (docs/transactions.md#timestamps). */
  async timestamps(count: number): Promise<TimestampRange> {
    const a = answerOf(await this.handle({ kind: "timestamps", count }), "timestamps");
    return { first: a.first, count: a.count };
  }

  /** `count` new region ids (a split's child), from the placement group's counter. */
  async allocateIds(count: number): Promise<number> {
    const a = answerOf(await this.handle({ kind: "allocate-ids", count }), "ids");
    if (a.count !== count) throw new ServiceError(ErrorCode.UNAVAILABLE, `${a.count} ids`);
    return a.first;
  }

  /** `key`'s region and leader: a member's copy, else the leader's (also where a copy lags). */
  async route(key: Uint8Array): Promise<PlacementRoute> {
    const own = this.member && this.state.bootstrapped ? routeOf(this.state, key) : undefined;
    if (own !== undefined && (own.region !== undefined || this.#current() !== undefined)) {
      return own;
    }
    return answerOf(await this.handle({ kind: "route", key }), "route");
  }

  /** One new timestamp, fetched with every other asked for in the same turn. */
  nextTimestamp(): Promise<number> {
    return this.#batcher.next();
  }

  /** One scheduler pass on the leader (the heartbeat sender calls it each interval). */
  tick(): void {
    const leader = this.#current();
    leader?.tick();
    if (leader !== undefined) this.oracle.pass();
  }

  close(): void {
    this.#closed = true;
    this.leaderWait.close();
    this.heartbeats.stop();
    this.client.close();
    this.proposer.failAll("node shutting down");
    this.#leader = undefined;
  }
}
