/**
 * What the RESP port knows about itself beyond one connection: its address,
 * clock, open connections (CLIENT LIST / KILL), counters (INFO stats, CONFIG
 * RESETSTAT) and configuration parameters (CONFIG GET / SET). One per port.
 */
import type { Clock, ProcessUsage } from "../../platform/types.ts";
import type { RespConnState } from "./resp_command.ts";
import type { ConfigRegistry } from "./resp_config_registry.ts";
import type { HttpWarning } from "./resp_http_guard.ts";
import type { RespWriter } from "./resp_writer.ts";

/** An open connection as the other connections see it. */
export interface RespClient {
  readonly state: RespConnState;
  readonly writer: RespWriter;
  /** Closes the connection now (CLIENT KILL of another connection). */
  kill(): void;
}

/** Counters of INFO stats; CONFIG RESETSTAT zeroes them. */
export interface RespStats {
  connectionsReceived: number;
  commandsProcessed: number;
  rejectedConnections: number;
}

export function newStats(): RespStats {
  return { connectionsReceived: 0, commandsProcessed: 0, rejectedConnections: 0 };
}

export interface RespNode {
  readonly clock: Clock;
  readonly processUsage?: () => ProcessUsage;
  readonly hostname: string;
  /** The listening port (known once the listener is up). */
  port(): number;
  /** Monotonic ms when the port started (INFO uptime). */
  readonly startedMs: number;
  readonly connectionsMax: number;
  readonly clients: ReadonlyMap<number, RespClient>;
  readonly stats: RespStats;
  readonly config: ConfigRegistry;
  /** Logs HTTP requests sent to the port (resp_http_guard.ts); absent: not logged. */
  readonly httpWarning?: HttpWarning;
  /** The platform's afterIo: how long the port's write batches gather (resp_write_batcher.ts). */
  readonly afterIo?: (fn: () => void) => void;
}
