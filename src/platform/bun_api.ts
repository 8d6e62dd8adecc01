/**
 * The few members of Bun's global API that the Bun adapter calls, typed
 * here instead of loading the full bun-types package: bun-types replaces
 * global DOM types (URL, Request, …) and would make the rest of the tree fail
 * to type-check under Deno (docs/style.md §2.19: a minimal local shim).
 */

export interface BunSocket<Data> {
  data: Data;
  readonly remoteAddress: string;
  readonly remotePort?: number;
  /** Bytes the kernel took; the rest must be written again after `drain`. */
  write(data: Uint8Array): number;
  end(): void;
  pause(): void;
  resume(): void;
  setNoDelay(noDelay?: boolean): boolean;
}

export interface BunSocketHandler<Data> {
  open?(socket: BunSocket<Data>): void;
  data?(socket: BunSocket<Data>, chunk: Uint8Array): void;
  drain?(socket: BunSocket<Data>): void;
  close?(socket: BunSocket<Data>, error?: Error): void;
  error?(socket: BunSocket<Data>, error: Error): void;
}

export interface BunTcpListener {
  readonly port: number;
  stop(closeActiveConnections?: boolean): void;
}

export interface BunServer {
  readonly port: number | undefined;
  stop(closeActiveConnections?: boolean): Promise<void>;
}

export interface BunApi {
  listen<Data>(options: {
    hostname: string;
    port: number;
    socket: BunSocketHandler<Data>;
  }): BunTcpListener;
  connect<Data>(options: {
    hostname: string;
    port: number;
    socket: BunSocketHandler<Data>;
  }): Promise<BunSocket<Data>>;
  serve(options: {
    hostname: string;
    port: number;
    fetch: (request: Request) => Response | Promise<Response>;
  }): BunServer;
  /** Runs the garbage collector; `sync` waits for it to finish. */
  gc(sync: boolean): void;
}

/** The `Bun` global; call only when running on Bun. */
export function bunApi(): BunApi {
  const api = (globalThis as { Bun?: BunApi }).Bun;
  if (api === undefined) throw new Error("The Bun adapter needs the Bun runtime");
  return api;
}
