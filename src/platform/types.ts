/**
 * The platform interfaces: the only way TinyKV code reaches files, sockets,
 * time and randomness (docs/design.md §1). Adapters: `deno.ts`, `bun.ts` (real) and
 * `sim/` (deterministic, seeded). This file holds interfaces only; it may be
 * imported from any layer except `raft/core`.
 *
 * Files: reads and writes are synchronous (positional pread/pwrite into the
 * page cache measured fastest in both runtimes, docs/decisions/0001-toolchain.md), `sync()` is
 * asynchronous (fdatasync on a worker thread) so that concurrent writers can
 * queue behind one fsync (group commit) without blocking the event loop.
 */
import type { Prng } from "../util/prng.ts";

export type { Prng };

export type RuntimeName = "deno" | "bun" | "sim";

/** An open file. Offsets and sizes are byte counts. */
export interface File {
  readonly path: string;
  /** Current size, including writes not yet synced. */
  size(): number;
  /** Reads up to `length` bytes at `offset`; shorter only at end of file. */
  read(offset: number, length: number): Uint8Array;
  /** Reads into `into` at `offset`; returns bytes read (short only at end of file). */
  readInto(into: Uint8Array, offset: number): number;
  /** Writes all of `data` at `offset` (extends the file if needed). */
  write(offset: number, data: Uint8Array): void;
  /** Writes all of `data` at the end of the file. */
  append(data: Uint8Array): void;
  /** Cuts or extends (with zeros) the file to `size` bytes. */
  truncate(size: number): void;
  /** Makes every completed write durable (fdatasync). Rejects with IoError/NoSpaceError. */
  sync(): Promise<void>;
  /**
   * The same fdatasync on the calling thread, returning when it is done (throws IoError or
   * NoSpaceError): for a caller with nothing else to do meanwhile, it saves the hand-off to and
   * from a worker thread. Absent where it cannot block (the simulated disks): use `sync`.
   */
  syncNow?(): void;
  close(): void;
}

export interface OpenOptions {
  /** Create the file if it does not exist (default false). */
  readonly create?: boolean;
  /** Fail if the file exists (with `create`). */
  readonly exclusive?: boolean;
  /** Cut the file to zero bytes on open. */
  readonly truncate?: boolean;
  /** Open read-only (default: read-write). */
  readonly readOnly?: boolean;
}

export interface FileStat {
  readonly size: number;
  readonly isDirectory: boolean;
}

/**
 * Paths are strings joined with "/". Errors are typed: `IoError`,
 * `NoSpaceError`; a missing file gives `NotFoundError`.
 */
export interface FileSystem {
  open(path: string, options?: OpenOptions): File;
  /** Reads a whole file. */
  readFile(path: string): Uint8Array;
  /** Atomic on POSIX: replaces `to` if it exists. */
  rename(from: string, to: string): void;
  remove(path: string): void;
  /** Names (not paths) of the entries of a directory, sorted. */
  list(dir: string): string[];
  /** Creates a directory and its parents; no error if it exists. */
  mkdir(path: string): void;
  /** Makes the directory's entries (creates, renames, removes) durable. */
  syncDir(path: string): Promise<void>;
  /** Stat, or undefined if the path does not exist. */
  stat(path: string): FileStat | undefined;
}

/** A timer handle from `Clock.setTimeout`. */
export type TimerId = number;

/** Monotonic time and timers. */
export interface Clock {
  /** Milliseconds from an arbitrary origin; never goes backwards. */
  nowMs(): number;
  /**
   * Wall-clock time, whole Unix ms (the simulator: a fixed virtual epoch plus
   * its virtual time). Only the leader stamps it on commands and reads compare
   * key expiry with it; it may jump, so nothing else uses it.
   */
  wallMs(): number;
  setTimeout(fn: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId): void;
}

/** A TCP connection carrying bytes in order. */
export interface Conn {
  readonly remoteAddress: string;
  /**
   * TLS only: the other end presented a certificate that the configured CA signed
   * (an accepted connection whose listener has a `ca`; a dialled one verified the server).
   */
  readonly peerCertificateVerified?: boolean;
  /**
   * TLS only, with a verified certificate: the host names and IP addresses it names (its
   * subjectAltName DNS and IP entries, else its common name), lower case.
   */
  readonly peerCertificateNames?: readonly string[];
  /**
   * Queues `data` for sending. Returns false when the kernel did not take
   * it all (the rest is queued); `onDrain` fires when the queue is empty.
   */
  write(data: Uint8Array): boolean;
  /** Bytes accepted by `write` but not yet handed to the kernel. */
  queuedBytes(): number;
  /** Stops receiving `onData` until `resume()` (backpressure toward the peer). */
  pause(): void;
  resume(): void;
  /** Flushes queued bytes, then closes. */
  close(): void;
  /** Set the handlers once, right after the connection is made or accepted. */
  setHandlers(handlers: ConnHandlers): void;
}

export interface ConnHandlers {
  /** A chunk of bytes; the view is only valid during the call. */
  onData(chunk: Uint8Array): void;
  /** The write queue drained after a `write` returned false. */
  onDrain?(): void;
  /** The connection closed (by either side); `error` if it failed. */
  onClose?(error?: Error): void;
}

export interface Listener {
  readonly port: number;
  close(): Promise<void>;
  /**
   * TLS listeners: new connections use `tls` from now on, open ones keep theirs. Throws
   * (keeping the old settings) when the certificate, key or CA cannot be used.
   */
  setTls?(tls: TlsServerConfig): void;
}

/** PEM text (not file names): the platform never reads certificates itself. */
export interface TlsServerConfig {
  readonly cert: string;
  readonly key: string;
  /** CA certificates that sign the client certificates accepted (one or more, concatenated). */
  readonly ca?: string;
  /** Ask every client for a certificate (checked against `ca`: Conn.peerCertificateVerified). */
  readonly requestCert?: boolean;
  /** Refuse the handshake of a client without a certificate that `ca` signed. */
  readonly requireCert?: boolean;
  /** A handshake not finished by then is dropped. */
  readonly handshakeTimeoutMs: number;
  /** Sockets open at once, handshakes in progress included; further ones are closed. */
  readonly socketsMax: number;
}

/** What a TLS client presents and trusts (PEM text). */
export interface TlsClientConfig {
  /** CA certificates the server's certificate must chain to (default: the system's). */
  readonly ca?: string;
  /** A client certificate and its key, for servers that ask for one. */
  readonly cert?: string;
  readonly key?: string;
  /** The connect fails when the handshake has not finished by then. */
  readonly handshakeTimeoutMs: number;
}

export interface ListenOptions {
  readonly hostname: string;
  /** 0 picks a free port; the listener reports the real one. */
  readonly port: number;
  /** Serve TLS (absent: plain TCP, the fast path, unchanged). */
  readonly tls?: TlsServerConfig;
}

export interface Net {
  listen(options: ListenOptions, onConn: (conn: Conn) => void): Promise<Listener>;
  /**
   * Rejects with IoError (connection refused, unreachable, TLS handshake failed). With
   * `tls`, the connection resolves once the handshake verified the server's certificate
   * (against `tls.ca` and the host name or IP address dialled).
   */
  connect(hostname: string, port: number, tls?: TlsClientConfig): Promise<Conn>;
}

export type FetchHandler = (request: Request) => Response | Promise<Response>;

export interface HttpServer {
  readonly port: number;
  close(): Promise<void>;
  /** HTTPS servers: as Listener.setTls. */
  setTls?(tls: TlsServerConfig): void;
}

/** What the process uses, as the operating system counts it. */
export interface ProcessUsage {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** CPU time since the process started. */
  readonly cpuUserMs: number;
  readonly cpuSystemMs: number;
}

/**
 * One end of the channel to a background thread (a Web `Worker` in both runtimes).
 * Messages are structured clones; the buffers in `transfer` move instead of being copied.
 */
export interface WorkerChannel {
  post(message: unknown, transfer?: ArrayBuffer[]): void;
  /** `onError`: the other thread threw and did not catch it, or could not start. */
  setHandlers(onMessage: (message: unknown) => void, onError: (error: Error) => void): void;
  /** Stops the thread (main side); a no-op inside the worker. */
  close(): void;
}

/** Everything runtime-specific, passed explicitly from the composition root. */
export interface Platform {
  readonly runtime: RuntimeName;
  readonly fs: FileSystem;
  readonly net: Net;
  readonly clock: Clock;
  /**
   * How the storage engine's scans best copy small keys and values here (its option
   * `scanCopies`): JSC allocates small arrays cheaply (`slice`), V8 views of a shared
   * buffer (`slab`, the default when absent).
   */
  readonly scanCopies?: "slab" | "slice";
  /** A fresh seed for production PRNGs; the simulator returns its own derived seeds. */
  randomSeed(): number;
  serveHttp(fetch: FetchHandler, options: ListenOptions): Promise<HttpServer>;
  /** The process's memory and CPU use (real runtimes; the simulator has none). */
  processUsage?(): ProcessUsage;
  /**
   * Asks the runtime to collect garbage now (Bun; absent where it cannot be asked): after
   * a value of many MiB is applied, its transient copies would otherwise stack up in the
   * process's peak memory before the collector notices.
   */
  collectGarbage?(): void;
  /**
   * Runs `fn` once the I/O callbacks of the current event-loop turn have run (setImmediate):
   * work gathered from many sockets' data goes together. Absent in the simulator, whose
   * callers use a microtask (deterministic).
   */
  afterIo?(fn: () => void): void;
  /** The addresses a host name resolves to (getaddrinfo); absent in the simulator. */
  lookupHost?(name: string): Promise<string[]>;
  /**
   * Starts a thread running the storage engine's flush and compaction jobs
   * (src/storage_worker.ts); absent in the simulator, which runs them inline.
   */
  startStorageWorker?(): WorkerChannel;
  /** Inside that thread: its channel to the thread that started it. */
  storageWorkerParent?(): WorkerChannel;
}

/** Process-level operations used only by the binary's entry point. */
export interface ProcessHost {
  argv(): string[];
  exit(code: number): never;
  onShutdown(fn: () => void): void;
  /** SIGHUP: reload what can change without a restart (TLS certificates, the auth file). */
  onReload?(fn: () => void): void;
  env(name: string): string | undefined;
  writeStdout(text: string): void;
  writeStderr(text: string): void;
  /**
   * Standard input until its end, or its first `maxBytes + 1` bytes when it is
   * longer (so the caller can tell it was too long without buffering it all).
   */
  readStdin?(maxBytes: number): Promise<Uint8Array>;
}
