/**
 * The typed client API exported from mod.ts. Keys and values are bytes;
 * strings are accepted and UTF-8 encoded. Reads are linearizable unless asked
 * otherwise.
 */
import { ReadConsistency } from "../gen/tinykv/v1/tinykv_pb.ts";
import type {
  AdminResponse,
  ClientResponse,
  GetResponse,
  ScanResponse,
  StatusResponse,
  WriteResponse,
} from "../gen/tinykv/v1/tinykv_pb.ts";
import { toBytes } from "../util/bytes.ts";
import { u64ToNumber } from "../util/ids.ts";
import { ClientCore, type ClientOptions } from "./client.ts";
import {
  type ClusterStatus,
  memberFromWire,
  type MemberInfo,
  statusFromWire,
} from "./status_wire.ts";

export type { ClusterStatus, MemberInfo };
import { TinyKvError } from "./errors.ts";
import { Watch, type WatchOptions } from "./watch.ts";
import { rangeOf, type WatchTarget } from "./watch_wire.ts";

export type Bytes = string | Uint8Array;
export type Consistency = "linearizable" | "lease" | "serializable";

export interface ReadOptions {
  readonly consistency?: Consistency;
}

export interface ScanOptions extends ReadOptions {
  readonly prefix?: Bytes;
  readonly start?: Bytes;
  readonly end?: Bytes;
  readonly limit?: number;
  readonly offset?: number;
  readonly cursor?: Uint8Array;
  readonly reverse?: boolean;
}

export interface ScanPage {
  readonly items: { key: Uint8Array; value: Uint8Array; version: number }[];
  /** Pass as `cursor` to get the next page; undefined when the scan is done. */
  readonly nextCursor: Uint8Array | undefined;
}

export type BatchOp = { type: "put"; key: Bytes; value: Bytes } | { type: "del"; key: Bytes };

const CONSISTENCY: Record<Consistency, ReadConsistency> = {
  linearizable: ReadConsistency.LINEARIZABLE,
  lease: ReadConsistency.LEASE,
  serializable: ReadConsistency.SERIALIZABLE,
};

type Body = ClientResponse["body"];

function unexpected(body: Body, want: string): TinyKvError {
  return new TinyKvError("UNAVAILABLE", `expected a ${want} response, got ${body.case}`, true);
}

function writeOf(r: ClientResponse): WriteResponse {
  if (r.body.case === "write") return r.body.value;
  throw unexpected(r.body, "write");
}

function getOf(r: ClientResponse): GetResponse {
  if (r.body.case === "get") return r.body.value;
  throw unexpected(r.body, "get");
}

function scanOf(r: ClientResponse): ScanResponse {
  if (r.body.case === "scan") return r.body.value;
  throw unexpected(r.body, "scan");
}

function statusOf(r: ClientResponse): StatusResponse {
  if (r.body.case === "status") return r.body.value;
  throw unexpected(r.body, "status");
}

export class TinyKvClient {
  readonly #core: ClientCore;

  constructor(options: ClientOptions) {
    this.#core = new ClientCore(options);
  }

  get clientId(): number {
    return this.#core.clientId;
  }

  /** The options this client was made with (to make more clients like it). */
  get options(): ClientOptions {
    return this.#core.options;
  }

  /** Stores `value` at `key`; resolves with the Raft index of the write. */
  async put(key: Bytes, value: Bytes): Promise<number> {
    const r = await this.#core.write({
      case: "put",
      value: { key: toBytes(key), value: toBytes(value) },
    });
    return u64ToNumber(writeOf(r).index, "index");
  }

  /** The value at `key`, or undefined. */
  async get(key: Bytes, options: ReadOptions = {}): Promise<Uint8Array | undefined> {
    const r = await this.#core.read({
      case: "get",
      value: { key: toBytes(key), consistency: CONSISTENCY[options.consistency ?? "linearizable"] },
    });
    const g = getOf(r);
    return g.found ? g.value : undefined;
  }

  /** Deletes `key`; resolves true if it existed. */
  async delete(key: Bytes): Promise<boolean> {
    const r = await this.#core.write({ case: "delete", value: { key: toBytes(key) } });
    return writeOf(r).existed;
  }

  /** Applies every operation atomically. */
  async batch(ops: readonly BatchOp[]): Promise<number> {
    const r = await this.#core.write({
      case: "batch",
      value: {
        ops: ops.map((op) =>
          op.type === "put"
            ? { op: { case: "put", value: { key: toBytes(op.key), value: toBytes(op.value) } } }
            : { op: { case: "delete", value: { key: toBytes(op.key) } } }
        ),
      },
    });
    return u64ToNumber(writeOf(r).index, "index");
  }

  /**
   * Writes `next` (or deletes when `next` is null) only if the key's current
   * value equals `expected` (undefined: the key must not exist). Resolves
   * true when it applied.
   */
  async compareAndSet(
    key: Bytes,
    expected: Bytes | undefined,
    next: Bytes | null,
  ): Promise<boolean> {
    const r = await this.#core.write({
      case: "compareAndSet",
      value: {
        key: toBytes(key),
        expect: expected === undefined
          ? { case: "expectedModRevision", value: 0n }
          : { case: "expectedValue", value: toBytes(expected) },
        action: next === null
          ? { case: "delete", value: true }
          : { case: "newValue", value: toBytes(next) },
      },
    });
    return writeOf(r).applied;
  }

  /** One page of keys in order (by prefix or range). */
  async scan(options: ScanOptions = {}): Promise<ScanPage> {
    const r = await this.#core.read({
      case: "scan",
      value: {
        prefix: options.prefix === undefined ? new Uint8Array(0) : toBytes(options.prefix),
        start: options.start === undefined ? new Uint8Array(0) : toBytes(options.start),
        end: options.end === undefined ? new Uint8Array(0) : toBytes(options.end),
        limit: options.limit ?? 0,
        offset: options.offset ?? 0,
        cursor: options.cursor ?? new Uint8Array(0),
        reverse: options.reverse ?? false,
        consistency: CONSISTENCY[options.consistency ?? "linearizable"],
      },
    });
    const s = scanOf(r);
    return {
      items: s.items.map((kv) => ({
        key: kv.key,
        value: kv.value,
        version: u64ToNumber(kv.version, "version"),
      })),
      nextCursor: s.nextCursor.length > 0 ? s.nextCursor : undefined,
    };
  }

  /**
   * Streams the changes to a key, a prefix or a range, in revision order, from
   * `fromRevision` (default: the changes after now). Iterate it with `for await`;
   * `cancel()` ends it, as does `close()`. It survives the loss of its node
   * (docs/coordination.md).
   */
  watch(target: WatchTarget, options: WatchOptions = {}): Watch {
    return new Watch(this.#core, rangeOf(target), options);
  }

  /** The status of the node currently believed to lead. */
  async status(): Promise<ClusterStatus> {
    return statusFromWire(statusOf(await this.#core.read({ case: "status", value: {} })));
  }

  /**
   * Admin: adds node `id` listening at `address` (host:port of its protobuf
   * port). It joins as a learner and is promoted to voter once caught up,
   * unless `learnerOnly`. Resolves with the membership afterwards.
   */
  async addMember(
    id: number,
    address: string,
    options: { learnerOnly?: boolean } = {},
  ): Promise<MemberInfo[]> {
    const body = { id: BigInt(id), address, learnerOnly: options.learnerOnly ?? false };
    return membersOf(adminOf(await this.#core.read({ case: "memberAdd", value: body })));
  }

  /** Admin: removes node `id` (the leader first hands leadership to another voter). */
  async removeMember(id: number): Promise<MemberInfo[]> {
    const body = { id: BigInt(id) };
    return membersOf(adminOf(await this.#core.read({ case: "memberRemove", value: body })));
  }

  /** Admin: makes node `id` the leader; resolves once it leads. */
  async transferLeader(id: number): Promise<void> {
    await this.#core.read({ case: "transferLeader", value: { id: BigInt(id) } });
  }

  /** Admin: compacts the leader's Raft log; resolves with the index it is compacted to. */
  async snapshot(): Promise<number> {
    const r = adminOf(await this.#core.read({ case: "snapshot", value: {} }));
    return u64ToNumber(r.snapshotIndex, "snapshot index");
  }

  close(): void {
    this.#core.close();
  }
}

function adminOf(r: ClientResponse): AdminResponse {
  if (r.body.case === "admin") return r.body.value;
  throw unexpected(r.body, "admin");
}

function membersOf(r: AdminResponse): MemberInfo[] {
  return r.members.map(memberFromWire);
}
