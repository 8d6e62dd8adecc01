/**
 * The RESP port: accepts connections (at most CONNECTIONS_MAX), gives each a
 * RespSession over the node's KvService. Works on every node: the service
 * forwards writes to the leader and serves linearizable reads via ReadIndex.
 */
import type { Authenticator } from "../../auth/authenticator.ts";
import { CONNECTIONS_MAX } from "../../limits.ts";
import type { Clock, Conn, Listener, Net, ProcessUsage } from "../../platform/types.ts";
import type { Consistency, KvService } from "../kv_service.ts";
import { newConnState } from "./resp_command.ts";
import { defaultConfig } from "./resp_config_registry.ts";
import { newStats, type RespClient, type RespNode } from "./resp_node.ts";
import { RespSession } from "./resp_session.ts";
import { RespWriter } from "./resp_writer.ts";
import { ScanCursors } from "./scan_cursors.ts";
import { PubSubClient } from "../pubsub/pubsub_client.ts";
import { PubSubHub } from "../pubsub/pubsub_hub.ts";
import { writeMessage } from "./resp_pubsub.ts";
import { HttpWarning } from "./resp_http_guard.ts";

export interface RespServerOptions {
  readonly net: Net;
  /** TIME, LASTSAVE, INFO uptime, CLIENT LIST age/idle, WAIT and DEBUG SLEEP timers. */
  readonly clock: Clock;
  /** INFO memory and cpu; without it those sections report no usage. */
  readonly processUsage?: () => ProcessUsage;
  readonly hostname: string;
  readonly port: number;
  readonly service: KvService;
  /** Consistency of reads on this port (default linearizable). */
  readonly consistency?: Consistency;
  readonly connectionsMax?: number;
  /** The node's pub/sub hub (server.ts feeds it the applied messages); one of its own if not. */
  readonly pubsub?: PubSubHub;
  /** Users and permissions; absent: authentication is off. */
  readonly auth?: Authenticator;
  /** The node's log (HTTP requests sent to this port are logged there). */
  readonly log?: (line: string) => void;
  /** The platform's afterIo (writes of one event-loop turn gather into one entry). */
  readonly afterIo?: (fn: () => void) => void;
}

export class RespServer {
  readonly #clients = new Map<number, RespClient>();
  readonly #cursors = new ScanCursors();
  readonly node: RespNode;
  readonly #hub: PubSubHub;
  #listener: Listener | undefined;
  #nextId = 1;

  private constructor(readonly options: RespServerOptions) {
    this.#hub = options.pubsub ?? new PubSubHub();
    const connectionsMax = options.connectionsMax ?? CONNECTIONS_MAX;
    const port = () => this.port;
    this.node = {
      clock: options.clock,
      processUsage: options.processUsage,
      hostname: options.hostname,
      port,
      startedMs: options.clock.nowMs(),
      connectionsMax,
      clients: this.#clients,
      stats: newStats(),
      config: defaultConfig({ hostname: options.hostname, port, connectionsMax }),
      httpWarning: new HttpWarning(options.log ?? (() => {}), () => options.clock.nowMs()),
      afterIo: options.afterIo,
    };
    // The node's pub/sub hub owns notify-keyspace-events: CONFIG GET/SET reach it here.
    const notify = this.#hub.notifyConfig;
    this.node.config.register("notify-keyspace-events", {
      get: () => notify.get(),
      set: (value) => notify.set(value),
    });
  }

  static async start(options: RespServerOptions): Promise<RespServer> {
    const server = new RespServer(options);
    server.#listener = await options.net.listen(
      { hostname: options.hostname, port: options.port },
      (conn) => server.#accept(conn),
    );
    return server;
  }

  /** Connections refused because CONNECTIONS_MAX were open. */
  get refusedConnections(): number {
    return this.node.stats.rejectedConnections;
  }

  #accept(conn: Conn): void {
    const { node, options } = this;
    node.stats.connectionsReceived++;
    if (this.#clients.size >= node.connectionsMax) {
      node.stats.rejectedConnections++;
      const w = new RespWriter().error("ERR max number of clients reached");
      conn.write(w.take());
      conn.close();
      return;
    }
    const state = newConnState(this.#nextId++, conn.remoteAddress, node.clock.nowMs());
    // With users configured, a connection starts logged out (NOAUTH until AUTH or HELLO).
    if (options.auth !== undefined) state.user = undefined;
    const writer = new RespWriter();
    const pubsub = new PubSubClient(this.#hub, {
      deliver: (...m) => session.push((w) => writeMessage(w, ...m)),
    });
    const session: RespSession = new RespSession(conn, {
      service: options.service,
      consistency: options.consistency ?? "linearizable",
      cursors: this.#cursors,
      conn: state,
      writer,
      node,
      pubsub,
      auth: options.auth,
    }, () => {
      state.closed = true;
      this.#clients.delete(state.id);
      pubsub.clear();
    });
    this.#clients.set(state.id, { state, writer, kill: () => session.kill() });
  }

  get port(): number {
    return this.#listener?.port ?? this.options.port;
  }

  get connections(): number {
    return this.#clients.size;
  }

  async close(): Promise<void> {
    for (const c of [...this.#clients.values()]) c.kill();
    await this.#listener?.close();
  }
}
