/**
 * The cluster as each member reports itself: one StatusRequest per member
 * over its protobuf port, in parallel, each bounded by a timeout, so one dead
 * or black-holed member cannot stall the view. Members that do not answer are
 * reported as unreachable. Used by `tinykv status` and by a node's /cluster
 * endpoint (the dashboard): nodes know each other's protobuf addresses, not
 * their HTTP ports.
 */
import type { Clock, Net } from "../platform/types.ts";
import { errorMessage } from "../util/errors.ts";
import { ClientConnection } from "./connection.ts";
import { type ClusterStatus, statusFromWire } from "./status_wire.ts";

export type { ClusterStatus };

export interface MemberAddress {
  readonly id: number;
  readonly address: string;
  readonly learner: boolean;
}

/** A member's own answer, or why there is none. */
export interface MemberReport extends MemberAddress {
  readonly status: ClusterStatus | undefined;
  readonly error: string | undefined;
}

export type Health = "ok" | "no-leader" | "catching-up" | "unreachable";

export interface MemberRow extends MemberAddress {
  readonly reachable: boolean;
  readonly role: string | null;
  readonly term: number | null;
  readonly leader: number | null;
  readonly commitIndex: number | null;
  readonly appliedIndex: number | null;
  /** Entries between the leader's commit index and this member's applied index. */
  readonly lag: number | null;
  readonly health: Health;
  readonly error: string | null;
}

export interface ClusterSummary {
  /** The member that answered as leader (highest term if several did); null if none. */
  readonly leader: number | null;
  readonly term: number;
  readonly members: readonly MemberRow[];
}

/** Asks nodes for their status, keeping one connection per address between calls. */
export class StatusProbe {
  readonly #conns = new Map<string, Promise<ClientConnection>>();

  constructor(
    readonly net: Net,
    readonly clock: Clock,
    readonly timeoutMs: number,
    /** Opens a connection (a node calls as a peer; a user's CLI authenticates first). */
    readonly open: (address: string) => Promise<ClientConnection> = (address) =>
      ClientConnection.open(net, clock, address),
  ) {}

  /** The status of the node at `address` (connect and answer within the timeout). */
  async ask(address: string): Promise<ClusterStatus> {
    try {
      const conn = await this.#timed(this.#connection(address), `connecting to ${address}`);
      const r = await conn.call({ case: "status", value: {} }, { timeoutMs: this.timeoutMs });
      if (r.error !== undefined) throw new Error(r.error.message);
      if (r.body.case !== "status") throw new Error(`unexpected ${r.body.case} response`);
      return statusFromWire(r.body.value);
    } catch (err) {
      this.#drop(address);
      throw err;
    }
  }

  #connection(address: string): Promise<ClientConnection> {
    let opening = this.#conns.get(address);
    if (opening === undefined) {
      opening = this.open(address);
      this.#conns.set(address, opening);
    }
    // A connection the peer closed since the last call (a restart) is replaced once.
    return opening.then((c) => {
      if (!c.closed) return c;
      const fresh = this.open(address);
      this.#conns.set(address, fresh);
      return fresh;
    });
  }

  #drop(address: string): void {
    const conn = this.#conns.get(address);
    this.#conns.delete(address);
    conn?.then((c) => c.close(), () => {});
  }

  #timed<T>(p: Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        reject(new Error(`${what}: no answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      p.then((v) => {
        this.clock.clearTimeout(timer);
        resolve(v);
      }, (err) => {
        this.clock.clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** Asks every member at once; `local` answers for one member without the network. */
  probe(members: readonly MemberAddress[], local?: ClusterStatus): Promise<MemberReport[]> {
    // Forget the connections of members that left (a long-lived probe behind /cluster).
    const current = new Set(members.map((m) => m.address));
    for (const address of [...this.#conns.keys()]) if (!current.has(address)) this.#drop(address);
    return Promise.all(members.map(async (m): Promise<MemberReport> => {
      if (local !== undefined && local.id === m.id) {
        return { ...m, status: local, error: undefined };
      }
      try {
        const status = await this.ask(m.address);
        if (status.id !== m.id) {
          return { ...m, status: undefined, error: `answered as node ${status.id}` };
        }
        return { ...m, status, error: undefined };
      } catch (err) {
        return { ...m, status: undefined, error: errorMessage(err) };
      }
    }));
  }

  close(): void {
    for (const address of [...this.#conns.keys()]) this.#drop(address);
  }
}

/**
 * One row per member: lag against the leader's commit index (or, with no
 * leader answering, the highest commit index reported); health as GET /health
 * judges it (a leader known and everything known committed applied).
 */
export function summarize(reports: readonly MemberReport[]): ClusterSummary {
  const answers = reports.flatMap((r) => r.status === undefined ? [] : [r.status]);
  const leaders = answers.filter((s) => s.role === "leader").sort((a, b) => b.term - a.term);
  const leader = leaders[0];
  const term = answers.reduce((t, s) => Math.max(t, s.term), 0);
  const reference = leader?.commitIndex ?? answers.reduce((c, s) => Math.max(c, s.commitIndex), 0);
  const members = reports.map((r): MemberRow => {
    const s = r.status;
    const base = { id: r.id, address: r.address, learner: r.learner };
    if (s === undefined) {
      return {
        ...base,
        reachable: false,
        role: null,
        term: null,
        leader: null,
        commitIndex: null,
        appliedIndex: null,
        lag: null,
        health: "unreachable",
        error: r.error ?? "no answer",
      };
    }
    const health: Health = s.leaderId === null
      ? "no-leader"
      : s.appliedIndex < s.commitIndex
      ? "catching-up"
      : "ok";
    return {
      ...base,
      reachable: true,
      role: s.role,
      term: s.term,
      leader: s.leaderId,
      commitIndex: s.commitIndex,
      appliedIndex: s.appliedIndex,
      lag: Math.max(0, reference - s.appliedIndex),
      health,
      error: null,
    };
  });
  return { leader: leader?.id ?? null, term: leader?.term ?? term, members };
}
