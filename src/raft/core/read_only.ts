/**
 * Pending ReadIndex requests on the leader (the `Safe` option): each waits
 * until a quorum acknowledges a heartbeat carrying its context, which proves
 * the leader was still leader when the request arrived (Raft thesis §6.4).
 * Requests are answered in arrival order; the queue is bounded.
 */
import { toHex } from "../../util/bytes.ts";
import type { ReadIndexMsg } from "./messages.ts";

export interface ReadIndexStatus {
  readonly req: ReadIndexMsg;
  /** Commit index when the request arrived: the read may be served once applied. */
  readonly index: number;
  readonly acks: Set<number>;
}

/** Result of a ReadIndex: serve the read once `index` is applied. */
export interface ReadState {
  readonly index: number;
  readonly context: Uint8Array;
}

export class ReadOnly {
  readonly #max: number;
  #pending = new Map<string, ReadIndexStatus>();
  #queue: string[] = [];

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#queue.length;
  }

  /** Queues a request; false when the queue is full or the context is already pending. */
  addRequest(index: number, req: ReadIndexMsg): boolean {
    const key = toHex(req.context);
    if (this.#pending.has(key) || this.#queue.length >= this.#max) return false;
    this.#pending.set(key, { req, index, acks: new Set() });
    this.#queue.push(key);
    return true;
  }

  /** Records that `id` acknowledged the heartbeat for `context`; returns its acks. */
  recvAck(id: number, context: Uint8Array): ReadonlySet<number> | undefined {
    const rs = this.#pending.get(toHex(context));
    if (rs === undefined) return undefined;
    rs.acks.add(id);
    return rs.acks;
  }

  /**
   * Removes and returns every request queued up to and including the one with
   * `context`: a quorum ack for a later heartbeat confirms all earlier ones.
   */
  advance(context: Uint8Array): ReadIndexStatus[] {
    const key = toHex(context);
    const at = this.#queue.indexOf(key);
    if (at < 0) return [];
    const done = this.#queue.slice(0, at + 1);
    this.#queue = this.#queue.slice(at + 1);
    const out: ReadIndexStatus[] = [];
    for (const k of done) {
      const rs = this.#pending.get(k);
      this.#pending.delete(k);
      if (rs !== undefined) out.push(rs);
    }
    return out;
  }

  lastPendingContext(): Uint8Array | undefined {
    const k = this.#queue[this.#queue.length - 1];
    return k === undefined ? undefined : this.#pending.get(k)?.req.context;
  }
}
