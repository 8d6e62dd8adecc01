/**
 * A simulated TCP network between named hosts, for running whole nodes
 * (their peer transport, client ports and the client library) over the
 * platform `Net`. `host(name)` is the `Net` of one process. Every random
 * choice comes from the injected PRNG and every delivery is a timer on the
 * SimClock, so a run replays exactly from its seed.
 *
 * Faults: one-way `cut`s and `partition`s (bytes wait at the cut; a
 * connection still cut after a random delay is reset; connects across a cut
 * time out), `reset` of the connections between two hosts, `crash` of a host
 * (its connections reset at the other end, its listeners vanish, and
 * callbacks meant for the dead process are dropped; `host(name)` again gives
 * the restarted process its `Net`), and `pause` of a host (a SIGSTOPped
 * process: what it is sent waits and fills the window, it sends and accepts
 * nothing until `resume`; pair it with `HostClock.pause`).
 */
import { assert } from "../../util/assert.ts";
import { IoError } from "../../util/errors.ts";
import type { Prng } from "../../util/prng.ts";
import type { Conn, Listener, ListenOptions, Net } from "../types.ts";
import type { SimClock } from "./sim_clock.ts";
import { SimConnection } from "./sim_conn.ts";
import { bindsOn, type HostRef, resolveHost, SimHosts } from "./sim_hosts.ts";
import { type ConnNetwork, emptyStats, type SimNetStats } from "./sim_stream.ts";
import type { SimNetOptions } from "./sim_net_options.ts";

export type { SimNetOptions, SimNetStats };

interface SimListener {
  readonly host: HostRef;
  readonly port: number;
  readonly onConn: (conn: Conn) => void;
}

export class SimNet {
  readonly stats: SimNetStats = emptyStats();
  readonly #hosts = new SimHosts();
  /** By "host:port". */
  readonly #listeners = new Map<string, SimListener>();
  /** Open connections, in creation order (iteration order is part of determinism). */
  readonly #conns = new Set<SimConnection>();
  /** Cut directed links "from>to" → the cut's number, so a reset timer knows its cut. */
  readonly #cuts = new Map<string, number>();
  #cutCount = 0;
  readonly #wire: ConnNetwork;

  constructor(
    readonly clock: SimClock,
    readonly prng: Prng,
    readonly options: SimNetOptions = {},
  ) {
    const min = options.delayMinMs ?? 1, max = options.delayMaxMs ?? 5;
    const resetMin = options.cutResetMinMs ?? 200, resetMax = options.cutResetMaxMs ?? 2000;
    assert(min >= 0 && min <= max, `delay bounds ${min}..${max}`);
    assert(resetMin >= 0 && resetMin <= resetMax, `cut reset bounds ${resetMin}..${resetMax}`);
    const hosts = this.#hosts;
    this.#wire = {
      clock,
      prng,
      windowBytes: options.windowBytes ?? 256 * 1024,
      stats: this.stats,
      rechunk: options.rechunk ?? true,
      scribbleReads: options.scribbleReads ?? true,
      delayMs: () => prng.range(min, max),
      isCut: (from, to) => this.isCut(from, to),
      isRunning: (ref) => hosts.isRunning(ref),
      runIn: (ref, fn) => hosts.runIn(ref, fn),
      delivered: (connId, to, bytes) => {
        if (options.traceBytes) this.#trace(`data ${connId} to ${to} ${bytes}`);
      },
    };
  }

  /** The `Net` of the current process on `name`; call again after `crash(name)`. */
  host(name: string): Net {
    const ref = this.#hosts.ref(name);
    // The simulated network carries plain bytes only: asking it for TLS is a setup mistake.
    const noTls = () => Promise.reject(new IoError("the simulated network has no TLS"));
    return {
      listen: (options, onConn) =>
        options.tls === undefined ? this.#listen(ref, options, onConn) : noTls(),
      connect: (hostname, port, tls) =>
        tls === undefined ? this.#connect(ref, hostname, port) : noTls(),
    };
  }

  /** Stops bytes from `from` to `to` (one way only). */
  cut(from: string, to: string): void {
    this.#cutLink(from, to);
    this.#trace(`cut ${from}>${to}`);
  }

  /** Splits hosts into groups that cannot reach each other (both ways). */
  partition(groups: readonly (readonly string[])[]): void {
    for (const a of groups) {
      for (const b of groups) {
        if (a === b) continue;
        for (const x of a) for (const y of b) this.#cutLink(x, y);
      }
    }
    this.#trace(`partition ${groups.map((g) => g.join(",")).join(" | ")}`);
  }

  /** Restores every link; bytes waiting at a cut go on. */
  heal(): void {
    this.#cuts.clear();
    this.#trace("heal");
    for (const conn of this.#conns) conn.unstall();
  }

  isCut(from: string, to: string): boolean {
    return this.#cuts.has(`${from}>${to}`);
  }

  /** Kills the process on `host`: see the file comment. */
  crash(host: string): void {
    this.#hosts.crash(host);
    this.stats.crashes++;
    this.#trace(`crash ${host}`);
    for (const [key, listener] of this.#listeners) {
      if (listener.host.name === host) this.#listeners.delete(key);
    }
    for (const conn of [...this.#conns]) {
      if (!conn.involves(host)) continue;
      this.#forget(conn, "crash");
      conn.abort(host, this.#wire.delayMs());
    }
  }

  /** Resets every open connection between `a` and `b`; returns how many. */
  reset(a: string, b: string): number {
    let count = 0;
    for (const conn of [...this.#conns]) {
      if (!conn.between(a, b) || !conn.open) continue;
      this.#forget(conn, "reset");
      conn.reset("reset");
      count++;
    }
    return count;
  }

  /** Stops the process on `host` (SIGSTOP): see the file comment. */
  pause(host: string): void {
    this.#hosts.pause(host);
    this.#trace(`pause ${host}`);
  }

  resume(host: string): void {
    if (!this.#hosts.isPaused(host)) return;
    const held = this.#hosts.resume(host);
    this.#trace(`resume ${host}`);
    const ref = this.#hosts.ref(host);
    for (const fn of held) this.clock.setTimeout(() => this.#hosts.runIn(ref, fn), 0);
    for (const conn of this.#conns) {
      if (conn.client.host.name === host) conn.client.hostResumed();
      if (conn.server.host.name === host) conn.server.hostResumed();
    }
  }

  /** Open connections (for tests and invariants). */
  connectionCount(): number {
    return this.#conns.size;
  }

  #listen(ref: HostRef, options: ListenOptions, onConn: (c: Conn) => void): Promise<Listener> {
    if (!this.#hosts.isAlive(ref)) return new Promise(() => {});
    const { hostname } = options;
    const where = `${hostname}:${options.port}`;
    if (!bindsOn(ref.name, hostname)) {
      return Promise.reject(
        new IoError(`Cannot listen on ${where}: not an address of ${ref.name}`),
      );
    }
    const inUse = (port: number) => this.#listeners.has(`${ref.name}:${port}`);
    const port = options.port === 0 ? this.#hosts.freeListenPort(ref.name, inUse) : options.port;
    if (inUse(port)) {
      return Promise.reject(new IoError(`Cannot listen on ${where}: address in use`));
    }
    const key = `${ref.name}:${port}`;
    const listener: SimListener = { host: ref, port, onConn };
    this.#listeners.set(key, listener);
    this.#trace(`listen ${key}`);
    return Promise.resolve({
      port,
      close: () => {
        if (this.#listeners.get(key) === listener) this.#listeners.delete(key);
        return Promise.resolve();
      },
    });
  }

  #connect(from: HostRef, hostname: string, port: number): Promise<Conn> {
    if (!this.#hosts.isAlive(from)) return new Promise(() => {});
    const to = resolveHost(from.name, hostname);
    const timeoutMs = this.options.connectTimeoutMs ?? 1000;
    return new Promise((resolve, reject) => {
      const fail = (why: string) =>
        this.#hosts.runIn(
          from,
          () => reject(new IoError(`Cannot connect to ${to}:${port}: ${why}`)),
        );
      const timeOut = () => {
        this.stats.timeouts++;
        this.#trace(`timeout ${from.name}>${to}:${port}`);
        fail("connection timed out");
      };
      if (this.#linkCut(from.name, to)) {
        this.clock.setTimeout(timeOut, timeoutMs);
        return;
      }
      const synMs = this.#wire.delayMs();
      this.clock.setTimeout(() => {
        if (!this.#hosts.isAlive(from)) return;
        if (this.#linkCut(from.name, to)) {
          this.clock.setTimeout(timeOut, Math.max(0, timeoutMs - synMs));
          return;
        }
        const listener = this.#listeners.get(`${to}:${port}`);
        if (listener === undefined) {
          this.stats.refused++;
          this.#trace(`refuse ${from.name}>${to}:${port}`);
          fail("connection refused");
          return;
        }
        const conn = this.#accept(from, listener, hostname);
        const synAckMs = this.#wire.delayMs();
        this.clock.setTimeout(() => this.#hosts.runIn(from, () => resolve(conn.client)), synAckMs);
      }, synMs);
    });
  }

  /** The SYN reached a listener: the connection exists; the process accepts it when running. */
  #accept(from: HostRef, listener: SimListener, dialed: string): SimConnection {
    const client = { host: from, port: this.#hosts.ephemeralPort(from.name) };
    const server = { host: listener.host, port: listener.port, dialed };
    const conn = new SimConnection(this.#wire, client, server, (c) => {
      if (this.#conns.delete(c)) this.#trace(`close ${c.id}`);
    });
    this.#conns.add(conn);
    this.stats.connects++;
    this.#trace(`connect ${conn.id}`);
    const key = `${listener.host.name}:${listener.port}`;
    this.#hosts.runIn(listener.host, () => {
      // Closing a listener resets the connections it had not accepted yet.
      if (this.#listeners.get(key) === listener) listener.onConn(conn.server);
      else if (this.#conns.has(conn)) {
        this.#forget(conn, "listener closed");
        conn.reset("listener closed");
      }
    });
    return conn;
  }

  #cutLink(from: string, to: string): void {
    const key = `${from}>${to}`;
    if (this.#cuts.has(key)) return;
    const cutNumber = ++this.#cutCount;
    this.#cuts.set(key, cutNumber);
    for (const conn of this.#conns) {
      if (!conn.between(from, to)) continue;
      const afterMs = this.prng.range(
        this.options.cutResetMinMs ?? 200,
        this.options.cutResetMaxMs ?? 2000,
      );
      this.clock.setTimeout(() => {
        if (this.#cuts.get(key) !== cutNumber || !this.#conns.has(conn)) return;
        this.#forget(conn, "cut");
        conn.reset(`link ${key} cut`);
      }, afterMs);
    }
  }

  /** Either direction cut: a handshake needs both. */
  #linkCut(a: string, b: string): boolean {
    return this.isCut(a, b) || this.isCut(b, a);
  }

  #forget(conn: SimConnection, why: string): void {
    this.#conns.delete(conn);
    this.stats.resets++;
    this.#trace(`reset ${conn.id} (${why})`);
  }

  #trace(event: string): void {
    this.options.trace?.record(this.clock.nowMs(), `tcp ${event}`);
  }
}
