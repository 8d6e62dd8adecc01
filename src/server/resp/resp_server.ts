/**
 * The RESP port: accepts connections (at most CONNECTIONS_MAX), gives each a
 * RespSession over the node's KvService. Works on every node: the service
 * forwards writes to the leader and serves linearizable reads via ReadIndex.
 */
import { CONNECTIONS_MAX } from "../../limits.ts";
import type { Listener, Net } from "../../platform/types.ts";
import type { Consistency, KvService } from "../kv_service.ts";
import { newConnState } from "./resp_command.ts";
import { RespSession } from "./resp_session.ts";
import { RespWriter } from "./resp_writer.ts";
import { ScanCursors } from "./scan_cursors.ts";
import { PubSubClient } from "../pubsub/pubsub_client.ts";
import { PubSubHub } from "../pubsub/pubsub_hub.ts";
import { writeMessage } from "./resp_pubsub.ts";

export interface RespServerOptions {
  readonly net: Net;
  readonly hostname: string;
  readonly port: number;
  readonly service: KvService;
  /** Consistency of reads on this port (default linearizable). */
  readonly consistency?: Consistency;
  readonly connectionsMax?: number;
  /** The node's pub/sub hub (server.ts feeds it the applied messages); one of its own if not. */
  readonly pubsub?: PubSubHub;
}

export class RespServer {
  readonly #sessions = new Set<RespSession>();
  readonly #cursors = new ScanCursors();
  readonly #hub: PubSubHub;
  #listener: Listener | undefined;
  #nextId = 1;
  /** Connections refused because CONNECTIONS_MAX were open. */
  refusedConnections = 0;

  private constructor(readonly options: RespServerOptions) {
    this.#hub = options.pubsub ?? new PubSubHub();
  }

  static async start(options: RespServerOptions): Promise<RespServer> {
    const server = new RespServer(options);
    const max = options.connectionsMax ?? CONNECTIONS_MAX;
    server.#listener = await options.net.listen(
      { hostname: options.hostname, port: options.port },
      (conn) => {
        if (server.#sessions.size >= max) {
          server.refusedConnections++;
          const w = new RespWriter().error("ERR max number of clients reached");
          conn.write(w.take());
          conn.close();
          return;
        }
        const pubsub = new PubSubClient(server.#hub, {
          deliver: (...m) => session.push((w) => writeMessage(w, ...m)),
        });
        const session: RespSession = new RespSession(conn, {
          service: options.service,
          consistency: options.consistency ?? "linearizable",
          cursors: server.#cursors,
          conn: newConnState(server.#nextId++),
          writer: new RespWriter(),
          pubsub,
        }, () => {
          server.#sessions.delete(session);
          pubsub.clear();
        });
        server.#sessions.add(session);
      },
    );
    return server;
  }

  get port(): number {
    return this.#listener?.port ?? this.options.port;
  }

  get connections(): number {
    return this.#sessions.size;
  }

  async close(): Promise<void> {
    for (const s of [...this.#sessions]) s.conn.close();
    await this.#listener?.close();
  }
}
