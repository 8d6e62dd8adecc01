/**
 * A node's lease requests as the ports see them. Grant and revoke are
 * replicated commands (through `execute`, which forwards to the leader on a
 * follower). Keep-alive, time-to-live and list are answered from the
 * leader's LeaseKeeper: a follower forwards them to the leader, without a
 * client id or sequence, since nothing is replicated.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  type ClientResponse,
  CommandSchema,
  ErrorCode,
  type LeaseResponse,
  type LeaseResponseSchema,
} from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { RequestBody } from "../../client/connection.ts";
import { type CommandInit, validateCommand } from "../../kv/command_codec.ts";
import { LEASE_TTL_SECONDS_MAX } from "../../limits.ts";
import { ServiceError } from "../kv_service.ts";
import type { LeaseInfo, LeaseKeeper } from "../leases/lease_keeper.ts";

export type LeaseResponseInit = MessageInitShape<typeof LeaseResponseSchema>;

/** The requesting client's session (its dedup identity), carried into the command. */
export interface Session {
  readonly clientId: bigint;
  readonly sequence: bigint;
  readonly ackedSequence: bigint;
}

/** Where the leader is, as this node knows it. */
export type LeaderRoute =
  | { readonly kind: "self" }
  | { readonly kind: "peer"; readonly address: string }
  | { readonly kind: "unknown" };

export interface LeaseServiceOptions {
  readonly keeper: LeaseKeeper;
  /** Proposes a replicated command and resolves with its applied result body. */
  readonly execute: (command: CommandInit) => Promise<ClientResponse["body"]>;
  /** The keys attached to a lease (KvStateMachine.leaseKeys). */
  readonly leaseKeys: (id: number) => Promise<Uint8Array[]>;
  /** Where the leader is, asked when this node's keeper does not lead. */
  readonly leader: () => LeaderRoute;
  readonly forward: (address: string, body: RequestBody, timeoutMs: number) => Promise<
    ClientResponse
  >;
  readonly timeoutMs: number;
  /** The current store revision, reported in each response. */
  readonly revision: () => number;
  /**
   * Whether the keeper may answer now (default: whenever it leads). The keeper
   * hears of a leadership change only at its next look at the node, so a node
   * Raft has just deposed (or a leader resumed after a pause) would answer
   * from deadlines no one else keeps: LEASE_NOT_FOUND for a live lease, or a
   * keep-alive the real leader never sees.
   */
  readonly serving?: () => boolean;
  /**
   * Confirms that a quorum still follows this node (a ReadIndex round) before
   * the keeper answers: Raft itself may not yet know it was deposed (a leader
   * resumed after a pause, or cut off), and its keeper's deadlines are then
   * not the ones the real leader keeps. Rejects when it cannot confirm.
   */
  readonly confirmLeadership?: () => Promise<void>;
}

/** Counts for /metrics. */
export interface LeaseRequestCounters {
  granted: number;
  revoked: number;
  keepAlives: number;
}

export function leaseInfoInit(info: LeaseInfo) {
  return {
    id: BigInt(info.id),
    grantedTtlSeconds: info.grantedTtlSeconds,
    remainingMs: BigInt(info.remainingMs),
  };
}

export function leaseNotFound(id: number | bigint): ServiceError {
  return new ServiceError(ErrorCode.LEASE_NOT_FOUND, `lease ${id} not found`);
}

export class LeaseService {
  readonly counters: LeaseRequestCounters = { granted: 0, revoked: 0, keepAlives: 0 };

  constructor(readonly o: LeaseServiceOptions) {}

  get minTtlSeconds(): number {
    return this.o.keeper.o.minTtlSeconds;
  }

  /**
   * Grants a lease (`id` 0: the cluster picks one). A TTL below the minimum is
   * raised to it here, before the command is proposed, so every replica
   * applies the same TTL.
   */
  async grant(session: Session, ttl: number, id: number): Promise<LeaseResponseInit> {
    if (ttl < 1 || ttl > LEASE_TTL_SECONDS_MAX) {
      throw new ServiceError(
        ErrorCode.INVALID_ARGUMENT,
        `lease TTL ${ttl} s is not 1 to ${LEASE_TTL_SECONDS_MAX} (LEASE_TTL_SECONDS_MAX) seconds`,
      );
    }
    const ttlSeconds = Math.max(ttl, this.minTtlSeconds);
    const body = await this.#execute({
      ...session,
      body: { case: "leaseGrant", value: { ttlSeconds, id: BigInt(id) } },
    });
    const r = leaseBodyOf(body);
    this.counters.granted++;
    const granted = r.lease;
    if (granted === undefined) return r;
    this.o.keeper.track(Number(granted.id));
    // The leader's keeper starts the lease with a full TTL when it sees it applied.
    const lease = {
      id: granted.id,
      grantedTtlSeconds: granted.grantedTtlSeconds,
      remainingMs: BigInt(granted.grantedTtlSeconds * 1000),
    };
    return { lease, revision: r.revision };
  }

  async revoke(session: Session, id: number): Promise<LeaseResponseInit> {
    const body = await this.#execute({
      ...session,
      body: { case: "leaseRevoke", value: { id: BigInt(id) } },
    });
    const r = leaseBodyOf(body);
    this.counters.revoked++;
    this.o.keeper.forget(id);
    return r;
  }

  keepAlive(id: number): Promise<LeaseResponseInit> {
    this.counters.keepAlives++;
    return this.#atLeader({ case: "leaseKeepAlive", value: { id: BigInt(id) } }, (k) => {
      const info = k.keepAlive(id);
      if (info === undefined) throw leaseNotFound(id);
      return Promise.resolve({ lease: leaseInfoInit(info), revision: this.#revision() });
    });
  }

  timeToLive(id: number, keys: boolean): Promise<LeaseResponseInit> {
    const body: RequestBody = { case: "leaseTimeToLive", value: { id: BigInt(id), keys } };
    return this.#atLeader(body, async (k) => {
      const info = k.timeToLive(id);
      if (info === undefined) throw leaseNotFound(id);
      const attached = keys ? await this.o.leaseKeys(id) : [];
      return { lease: leaseInfoInit(info), keys: attached, revision: this.#revision() };
    });
  }

  list(): Promise<LeaseResponseInit> {
    return this.#atLeader({ case: "leaseList", value: {} }, (k) => {
      const leases = k.list().sort((a, b) => a.id - b.id).map(leaseInfoInit);
      return Promise.resolve({ leases, revision: this.#revision() });
    });
  }

  /** Validates the command as every replicated one is, then proposes it. */
  #execute(command: CommandInit): Promise<ClientResponse["body"]> {
    const problem = validateCommand(create(CommandSchema, command));
    if (problem !== undefined) {
      const code = problem.tooLarge ? ErrorCode.TOO_LARGE : ErrorCode.INVALID_ARGUMENT;
      return Promise.reject(new ServiceError(code, problem.message));
    }
    return this.o.execute(command);
  }

  #revision(): bigint {
    return BigInt(this.o.revision());
  }

  /** Runs `local` on the leader's keeper: here when this node leads, else forwarded. */
  async #atLeader(
    body: RequestBody,
    local: (keeper: LeaseKeeper) => Promise<LeaseResponseInit>,
  ): Promise<LeaseResponseInit> {
    const serving = () => this.o.serving?.() ?? this.o.keeper.leading;
    if (serving()) {
      await this.o.confirmLeadership?.();
      if (serving()) return await local(this.o.keeper);
    }
    const route = this.o.leader();
    if (route.kind === "unknown") {
      throw new ServiceError(ErrorCode.NOT_LEADER, "no leader is known");
    }
    if (route.kind === "self") {
      // Raft made this node leader a moment ago; its keeper starts at the next Ready.
      throw new ServiceError(ErrorCode.UNAVAILABLE, "this node is becoming leader; retry");
    }
    const response = await this.o.forward(route.address, body, this.o.timeoutMs);
    const e = response.error;
    if (e !== undefined) {
      // The node asked turned out not to lead: nothing happened, the client may retry.
      const code = e.code === ErrorCode.NOT_LEADER ? ErrorCode.UNAVAILABLE : e.code;
      throw new ServiceError(code, e.message);
    }
    return leaseBodyOf(response.body);
  }
}

function leaseBodyOf(body: ClientResponse["body"]): LeaseResponse {
  if (body.case !== "lease") {
    throw new ServiceError(ErrorCode.UNAVAILABLE, `expected a lease response, got ${body.case}`);
  }
  return body.value;
}
