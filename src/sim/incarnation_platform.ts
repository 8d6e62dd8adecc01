/**
 * The Platform one incarnation of a simulated node runs on: the node's disk,
 * its host on the simulated network and its own HostClock — each behind a
 * fence. When the incarnation dies (a crash, a wipe), promise chains it left
 * behind may still resume later (an fsync that resolves, a connection that
 * closes); the fence makes every file or network call they make fail with
 * IoError, so they can never touch the disk or the sockets of the next
 * incarnation. Its clock is stopped, so none of its timers fires again.
 */
import type { HostClock } from "../platform/sim/host_clock.ts";
import type {
  Conn,
  FetchHandler,
  File,
  FileStat,
  FileSystem,
  HttpServer,
  Listener,
  ListenOptions,
  Net,
  OpenOptions,
  Platform,
  TlsClientConfig,
} from "../platform/types.ts";
import { IoError } from "../util/errors.ts";

export class Fence {
  #dead = false;

  kill(): void {
    this.#dead = true;
  }

  get dead(): boolean {
    return this.#dead;
  }

  check(what: string): void {
    if (this.#dead) throw new IoError(`${what}: this process incarnation has died`);
  }
}

/**
 * A file whose fsync takes time and makes the data durable only when it
 * completes, so power can fail in the middle of one. (SimFileSystem makes
 * data durable when `sync()` is called and only delays the promise: with
 * that alone, anything sent between issuing an fsync and its completion
 * could never be caught promising more than the disk holds.)
 */
class SlowSyncFile implements File {
  constructor(readonly inner: File, readonly delay: () => Promise<void>) {}

  get path(): string {
    return this.inner.path;
  }
  size(): number {
    return this.inner.size();
  }
  read(offset: number, length: number): Uint8Array {
    return this.inner.read(offset, length);
  }
  readInto(into: Uint8Array, offset: number): number {
    return this.inner.readInto(into, offset);
  }
  write(offset: number, data: Uint8Array): void {
    this.inner.write(offset, data);
  }
  append(data: Uint8Array): void {
    this.inner.append(data);
  }
  truncate(size: number): void {
    this.inner.truncate(size);
  }
  sync(): Promise<void> {
    return this.delay().then(() => this.inner.sync());
  }
  close(): void {
    this.inner.close();
  }
}

class FencedFileSystem implements FileSystem {
  constructor(
    readonly inner: FileSystem,
    readonly fence: Fence,
    readonly delay: () => Promise<void>,
  ) {}

  open(path: string, options?: OpenOptions): File {
    this.fence.check(`open ${path}`);
    return new SlowSyncFile(this.inner.open(path, options), this.delay);
  }
  readFile(path: string): Uint8Array {
    this.fence.check(`read ${path}`);
    return this.inner.readFile(path);
  }
  rename(from: string, to: string): void {
    this.fence.check(`rename ${from}`);
    this.inner.rename(from, to);
  }
  remove(path: string): void {
    this.fence.check(`remove ${path}`);
    this.inner.remove(path);
  }
  list(dir: string): string[] {
    this.fence.check(`list ${dir}`);
    return this.inner.list(dir);
  }
  mkdir(path: string): void {
    this.fence.check(`mkdir ${path}`);
    this.inner.mkdir(path);
  }
  syncDir(path: string): Promise<void> {
    if (this.fence.dead) return Promise.reject(new IoError(`syncDir ${path}: dead incarnation`));
    return this.delay().then(() => this.inner.syncDir(path));
  }
  stat(path: string): FileStat | undefined {
    this.fence.check(`stat ${path}`);
    return this.inner.stat(path);
  }
}

class FencedNet implements Net {
  constructor(readonly inner: Net, readonly fence: Fence) {}

  listen(options: ListenOptions, onConn: (conn: Conn) => void): Promise<Listener> {
    if (this.fence.dead) return Promise.reject(new IoError("listen: dead incarnation"));
    return this.inner.listen(options, (conn) => {
      if (this.fence.dead) conn.close();
      else onConn(conn);
    });
  }
  async connect(hostname: string, port: number, tls?: TlsClientConfig): Promise<Conn> {
    this.fence.check(`connect ${hostname}:${port}`);
    const conn = await this.inner.connect(hostname, port, tls);
    if (this.fence.dead) {
      conn.close();
      throw new IoError(`connect ${hostname}:${port}: dead incarnation`);
    }
    return conn;
  }
}

/** HTTP handlers served in-process, by "host:port" (the simulation calls them directly). */
export class HttpHandlers {
  readonly #handlers = new Map<string, FetchHandler>();

  serve(fetch: FetchHandler, options: ListenOptions): Promise<HttpServer> {
    const address = `${options.hostname}:${options.port}`;
    if (this.#handlers.has(address)) {
      return Promise.reject(new IoError(`address in use: ${address}`));
    }
    this.#handlers.set(address, fetch);
    return Promise.resolve({
      port: options.port,
      close: () => {
        if (this.#handlers.get(address) === fetch) this.#handlers.delete(address);
        return Promise.resolve();
      },
    });
  }

  get(address: string): FetchHandler | undefined {
    return this.#handlers.get(address);
  }

  /** A crashed process's HTTP port goes away without a close. */
  drop(hostname: string): void {
    for (const a of [...this.#handlers.keys()]) {
      if (a.startsWith(`${hostname}:`)) this.#handlers.delete(a);
    }
  }
}

export interface IncarnationParts {
  readonly fs: FileSystem;
  readonly net: Net;
  readonly clock: HostClock;
  readonly http: HttpHandlers;
  readonly seed: () => number;
  /** Virtual ms each fsync of this node's disk takes. */
  readonly fsyncMs: number;
}

export function incarnationPlatform(parts: IncarnationParts, fence: Fence): Platform {
  return {
    runtime: "sim",
    fs: new FencedFileSystem(parts.fs, fence, () => {
      if (parts.fsyncMs === 0) return Promise.resolve();
      return new Promise((resolve) => parts.clock.setTimeout(resolve, parts.fsyncMs));
    }),
    net: new FencedNet(parts.net, fence),
    clock: parts.clock,
    randomSeed: parts.seed,
    serveHttp: (fetch, options) => {
      if (fence.dead) return Promise.reject(new IoError("serveHttp: dead incarnation"));
      return parts.http.serve(fetch, options);
    },
  };
}
