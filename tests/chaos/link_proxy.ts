/**
 * A fault-injecting TCP proxy for one directed peer link (node i → node j).
 * TinyKV's peer transport sends i's Raft messages to j over a connection that
 * i opens, and j's messages to i over one that j opens, so cutting the proxy
 * i→j loses exactly the traffic from i to j: one-way loss without root.
 *
 * Faults, all changeable at any time:
 * - down: established connections are destroyed (bytes in flight are lost)
 *   and new ones are accepted but held unread, like a black hole; on heal the
 *   held connections are connected through.
 * - delayMs/jitterMs: every chunk is delivered that much later, in order.
 * - resetChance: each chunk destroys its connection with this probability —
 *   TCP cannot drop bytes inside a stream, so a "lossy" link loses whatever
 *   was in flight and makes the sender reconnect.
 */
import * as net from "node:net";

export interface LinkFault {
  readonly down: boolean;
  readonly delayMs: number;
  readonly jitterMs: number;
  readonly resetChance: number;
}

export const HEALTHY: LinkFault = { down: false, delayMs: 0, jitterMs: 0, resetChance: 0 };

interface Pair {
  readonly inbound: net.Socket;
  readonly outbound: net.Socket;
}

/** Chunks waiting for their delivery time, drained in order by one timer. */
class DelayedPipe {
  readonly #queue: { at: number; chunk: Uint8Array }[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastAt = 0;

  constructor(readonly dst: net.Socket) {}

  push(chunk: Uint8Array, delayMs: number): void {
    if (delayMs <= 0 && this.#queue.length === 0) {
      if (!this.dst.destroyed) this.dst.write(chunk);
      return;
    }
    const at = Math.max(this.#lastAt, Date.now() + delayMs);
    this.#lastAt = at;
    this.#queue.push({ at, chunk });
    this.#arm();
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#queue.length === 0) return;
    const wait = Math.max(0, this.#queue[0].at - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const now = Date.now();
      while (this.#queue.length > 0 && this.#queue[0].at <= now) {
        const { chunk } = this.#queue.shift()!;
        if (!this.dst.destroyed) this.dst.write(chunk);
      }
      this.#arm();
    }, wait);
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue.length = 0;
  }
}

export class LinkProxy {
  #fault: LinkFault = HEALTHY;
  readonly #pairs = new Set<Pair>();
  readonly #held = new Set<net.Socket>();
  /** Connections destroyed by faults (partition or loss). */
  resets = 0;
  /** Bytes forwarded from the dialing side (the link's direction), and connections made. */
  bytes = 0;
  connections = 0;

  private constructor(
    readonly server: net.Server,
    readonly port: number,
    readonly targetPort: number,
    readonly random: () => number,
  ) {}

  /** Listens on a free loopback port and forwards to `targetPort`. */
  static async start(targetPort: number, random: () => number): Promise<LinkProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const address = server.address();
    if (typeof address !== "object" || address === null) throw new Error("proxy has no port");
    const proxy = new LinkProxy(server, address.port, targetPort, random);
    server.on("connection", (socket) => proxy.#accept(socket));
    return proxy;
  }

  get fault(): LinkFault {
    return this.#fault;
  }

  set(fault: Partial<LinkFault>): void {
    const wasDown = this.#fault.down;
    this.#fault = { ...this.#fault, ...fault };
    if (this.#fault.down && !wasDown) {
      for (const p of [...this.#pairs]) this.#destroy(p);
    }
    if (!this.#fault.down && wasDown) {
      for (const s of [...this.#held]) {
        this.#held.delete(s);
        if (!s.destroyed) this.#connect(s);
      }
    }
  }

  heal(): void {
    this.set(HEALTHY);
  }

  #accept(socket: net.Socket): void {
    socket.on("error", () => {});
    if (this.#fault.down) {
      socket.pause();
      this.#held.add(socket);
      socket.once("close", () => this.#held.delete(socket));
      return;
    }
    this.#connect(socket);
  }

  #connect(inbound: net.Socket): void {
    const outbound = net.connect(this.targetPort, "127.0.0.1");
    outbound.on("error", () => {});
    const pair: Pair = { inbound, outbound };
    this.connections++;
    this.#pairs.add(pair);
    this.#pipe(pair, inbound, outbound);
    this.#pipe(pair, outbound, inbound);
    inbound.resume();
  }

  #pipe(pair: Pair, src: net.Socket, dst: net.Socket): void {
    const delayed = new DelayedPipe(dst);
    src.on("data", (chunk: Uint8Array) => {
      const f = this.#fault;
      if (f.down) return;
      if (f.resetChance > 0 && this.random() < f.resetChance) {
        this.#destroy(pair);
        return;
      }
      if (src === pair.inbound) this.bytes += chunk.length;
      delayed.push(chunk, f.delayMs + (f.jitterMs > 0 ? this.random() * f.jitterMs : 0));
    });
    src.once("close", () => {
      delayed.stop();
      this.#pairs.delete(pair);
      dst.destroy();
    });
  }

  #destroy(pair: Pair): void {
    if (!this.#pairs.delete(pair)) return;
    this.resets++;
    pair.inbound.destroy();
    pair.outbound.destroy();
  }

  async close(): Promise<void> {
    for (const p of [...this.#pairs]) this.#destroy(p);
    for (const s of this.#held) s.destroy();
    this.#held.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
