/**
 * A scripted peer socket for transport tests: a Net whose connections keep
 * what is written, report it as queued while the peer is "slow" (write
 * returns false, nothing drains), and drain on request.
 */
import { ANNOUNCED_BUFFER_START_BYTES, FRAME_BYTES_MAX } from "../../src/limits.ts";
import type { RaftMessage } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import type { Conn, ConnHandlers, Listener, Net } from "../../src/platform/types.ts";
import { FrameDecoder } from "../../src/util/frame.ts";
import { decodeWireFrame } from "../../src/wire/frame_codec.ts";

export class FakeConn implements Conn {
  readonly remoteAddress = "fake:1";
  /** When false, writes are queued and `write` returns false until `drain()`. */
  accepting = true;
  #queued: Uint8Array[] = [];
  #queuedBytes = 0;
  #handlers: ConnHandlers | undefined;
  readonly #decoder = new FrameDecoder(FRAME_BYTES_MAX, ANNOUNCED_BUFFER_START_BYTES);
  /** Raft messages that reached the peer (drained or written while accepting). */
  readonly delivered: RaftMessage[] = [];
  /** Region-tagged ones (Frame.region_raft) and liveness beats, in arrival order. */
  readonly regionDelivered: RaftMessage[] = [];
  beats = 0;
  /** Every byte ever given to `write`. */
  writtenBytes = 0;

  write(data: Uint8Array): boolean {
    this.writtenBytes += data.length;
    if (this.accepting && this.#queued.length === 0) {
      this.#deliver(data);
      return true;
    }
    this.#queued.push(data.slice());
    this.#queuedBytes += data.length;
    return false;
  }

  queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** The peer reads everything queued; `onDrain` fires. */
  drain(): void {
    for (const data of this.#queued) this.#deliver(data);
    this.#queued = [];
    this.#queuedBytes = 0;
    this.#handlers?.onDrain?.();
  }

  #deliver(data: Uint8Array): void {
    for (const payload of this.#decoder.push(data)) {
      const frame = decodeWireFrame(payload);
      if (frame.body.case === "raft") this.delivered.push(frame.body.value);
      if (frame.body.case === "regionRaft") this.regionDelivered.push(frame.body.value);
      if (frame.body.case === "liveness") this.beats++;
    }
  }

  /** Bytes from the peer (an answer to Hello). */
  reply(data: Uint8Array): void {
    this.#handlers?.onData(data);
  }

  pause(): void {}
  resume(): void {}
  close(): void {
    this.#handlers?.onClose?.();
  }
  setHandlers(handlers: ConnHandlers): void {
    this.#handlers = handlers;
  }
}

/** A Net that hands out FakeConns (one per connect) and never listens. */
export class FakeNet implements Net {
  readonly conns: FakeConn[] = [];

  connect(): Promise<Conn> {
    const conn = new FakeConn();
    this.conns.push(conn);
    return Promise.resolve(conn);
  }

  listen(): Promise<Listener> {
    return Promise.reject(new Error("FakeNet does not listen"));
  }
}

/** Lets queued microtasks and short timers run. */
export const settle = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms));
