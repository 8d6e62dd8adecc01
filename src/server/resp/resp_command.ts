/** Shared types of the RESP port's own command table (connection and node commands). */
import type { Authenticator } from "../../auth/authenticator.ts";
import type { WatchedKey } from "../../kv/redis/executor.ts";
import type { Consistency, KvService } from "../kv_service.ts";
import type { PubSubClient } from "../pubsub/pubsub_client.ts";
import type { RespWriter } from "./resp_writer.ts";
import type { RespNode } from "./resp_node.ts";
import type { ScanCursors } from "./scan_cursors.ts";

/** Per-connection state: HELLO, CLIENT SETNAME, SELECT, MULTI, WATCH, QUIT. */
export interface RespConnState {
  readonly id: number;
  /** The peer as "ip:port" (CLIENT LIST addr, CLIENT KILL ADDR). */
  readonly addr: string;
  /** Monotonic ms of the connect and of the last command (CLIENT LIST age, idle). */
  readonly connectedMs: number;
  lastCommandMs: number;
  /** The last command's name, "client|list" style (CLIENT LIST cmd). */
  lastCommand: string;
  name: string;
  /** CLIENT SETINFO. */
  libName: string;
  libVer: string;
  /** CLIENT NO-EVICT / NO-TOUCH: remembered and reported; TinyKV neither evicts nor tracks LRU. */
  noEvict: boolean;
  noTouch: boolean;
  /** The connection sent a write (WAIT waits for replicas only then). */
  wrote: boolean;
  /** The connection is gone: a pending WAIT or DEBUG SLEEP stops. */
  closed: boolean;
  quit: boolean;
  /** The selected database. */
  db: number;
  /** Inside MULTI: the queued commands; undefined outside a transaction. */
  multi: Uint8Array[][] | undefined;
  /** A command was refused while queuing: EXEC answers EXECABORT. */
  multiFailed: boolean;
  /** WATCHed keys with their watch tokens, by "db:key". */
  readonly watches: Map<string, WatchedKey>;
  /**
   * Keys ("db:key") a WATCH could not read (no quorum, timeout): the next EXEC must not run
   * unguarded, unless a later WATCH of the key read it.
   */
  readonly watchFailed: Set<string>;
  /**
   * The user the connection authenticated as; undefined: not yet (NOAUTH). With
   * authentication off every connection is "default", as on a Redis without passwords.
   */
  user: string | undefined;
  /** An AUTH or HELLO AUTH being checked: the commands behind it wait (resp_auth.ts). */
  authenticating: Promise<void> | undefined;
}

export function newConnState(id: number, addr = "", nowMs = 0): RespConnState {
  return {
    id,
    addr,
    connectedMs: nowMs,
    lastCommandMs: nowMs,
    lastCommand: "NULL",
    name: "",
    libName: "",
    libVer: "",
    noEvict: false,
    noTouch: false,
    wrote: false,
    closed: false,
    quit: false,
    db: 0,
    multi: undefined,
    multiFailed: false,
    watches: new Map(),
    watchFailed: new Set(),
    user: "default",
    authenticating: undefined,
  };
}

export interface RespContext {
  readonly service: KvService;
  readonly consistency: Consistency;
  readonly cursors: ScanCursors;
  readonly conn: RespConnState;
  readonly writer: RespWriter;
  /** The connection's pub/sub subscriptions, with the node's hub. */
  readonly pubsub: PubSubClient;
  /** What the port knows of the node and its other connections (INFO, CLIENT, CONFIG). */
  readonly node: RespNode;
  /** Users and permissions; undefined: authentication is off. */
  readonly auth?: Authenticator;
}

/** Writes one reply; runs in pipeline order once the command has finished. */
export type Reply = (w: RespWriter) => void;

/**
 * read: may run alongside other reads of the same connection; write: may run
 * alongside other writes (they enter the log in order); local: no data;
 * exclusive: runs alone, after everything before it (EXEC: it may change the
 * selected database for what follows).
 */
export type CommandKind = "read" | "write" | "local" | "exclusive";

export type Start = () => Reply | Promise<Reply>;

/**
 * `run` runs when the command's turn comes; `parse`, when given instead, runs
 * as soon as the command is parsed (MULTI, EXEC, DISCARD change how the
 * commands right behind them are taken) and returns what runs at its turn.
 */
export type RespCommandSpec =
  & {
    /** Redis arity: exact argument count including the name, or -N for "at least N". */
    readonly arity: number;
    readonly kind: CommandKind;
  }
  & (
    | { run(ctx: RespContext, args: readonly Uint8Array[]): Reply | Promise<Reply> }
    | { parse(ctx: RespContext, args: readonly Uint8Array[]): Start }
  );

/** A wrong command (syntax, bad number): `-ERR message`, retrying will not help. */
export class RespCommandError extends Error {
  override name = "RespCommandError";
}

/** One command of a connection's pipeline: started in order, answered in order. */
export interface Slot {
  readonly kind: CommandKind;
  readonly start: Start;
  started: boolean;
  done: boolean;
  reply: Reply | undefined;
  /** CLIENT REPLY OFF or SKIP: the command runs, its reply is not written. */
  silent?: boolean;
  /** Commands the slot answers, when more than one (a run of GETs, resp_get_run.ts). */
  readonly commands?: number;
}

/** A slot not yet started. */
export function newSlot(kind: CommandKind, start: Start): Slot {
  return { kind, start, started: false, done: false, reply: undefined };
}
