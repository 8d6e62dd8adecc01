/**
 * One simulated TinyKV process: the real server (`startServer`, so the
 * protobuf, RESP and peer ports, NodeService, kv/, storage/ and raft/ are the
 * production code) on a simulated disk, a host of the simulated network and
 * its own clock. Like a process it can be started, crashed (power loss: the
 * disk keeps only what was synced, or a torn prefix), stopped, restarted,
 * paused (SIGSTOP) and given a new disk. A node whose stored state fails a
 * checksum at start runs as a faulty node, as the binary does (src/cli/serve.ts).
 */
import { type FaultyServer, startFaultyServer } from "../server/faulty_server.ts";
import { type RunningServer, type ServerConfig, startServer } from "../server/server.ts";
import type { NodeStatus } from "../server/node/status_types.ts";
import { HostClock } from "../platform/sim/host_clock.ts";
import type { SimClock } from "../platform/sim/sim_clock.ts";
import { type CrashMode, SimFileSystem } from "../platform/sim/sim_file_system.ts";
import type { SimNet } from "../platform/sim/sim_net.ts";
import { SimTrace } from "../platform/sim/sim_trace.ts";
import { CorruptionError, errorMessage } from "../util/errors.ts";
import type { Prng } from "../util/prng.ts";
import { Fence, type HttpHandlers, incarnationPlatform } from "./incarnation_platform.ts";

export const KV_PORT = 7001;
export const RESP_PORT = 6379;
export const HTTP_PORT = 8001;
export const DATA_DIR = "data";
/** A clean stop (SIGTERM) that takes longer than this is a failure; the process is then killed. */
const STOP_MS = 10_000;

/** Raft timing for the simulation: short, so a seed covers many elections quickly. */
export interface SimTiming {
  readonly tickMs: number;
  readonly heartbeatTicks: number;
  readonly electionTicks: number;
  readonly compactEntries: number;
  /** Each disk's fsync takes a fixed 0..this many virtual ms: a crash can land during one. */
  readonly fsyncMaxMs: number;
  /** The nodes' `--region-split-bytes` (0: one region). */
  readonly regionSplitBytes: number;
  /** The nodes' `--region-merge-bytes` (0: never merge). */
  readonly regionMergeBytes: number;
  /** The nodes' `--region-split-load` (0: never split by load). */
  readonly regionSplitLoad: number;
  /** Engine values of at least this many bytes go to blob files (0: none; docs/storage.md). */
  readonly blobMinBytes: number;
}

export interface SimNodeEnv {
  readonly clock: SimClock;
  readonly net: SimNet;
  readonly http: HttpHandlers;
  readonly trace: SimTrace;
  readonly prng: Prng;
  readonly timing: SimTiming;
  /** Every initial voter's protobuf address (the identity derives from it; docs/membership.md). */
  readonly peers: ReadonlyMap<number, string>;
}

export type NodeState = "down" | "running" | "faulty";

interface Incarnation {
  readonly number: number;
  readonly clock: HostClock;
  readonly fence: Fence;
  server?: RunningServer;
  faulty?: FaultyServer;
}

export function nodeName(id: number): string {
  return `n${id}`;
}

export function kvAddress(id: number): string {
  return `${nodeName(id)}:${KV_PORT}`;
}

export function respAddress(id: number): string {
  return `${nodeName(id)}:${RESP_PORT}`;
}

/** The world's trace with this node's name on each line (several disks write to one trace). */
class HostTrace extends SimTrace {
  constructor(readonly inner: SimTrace, readonly host: string) {
    super({ enabled: false });
  }

  override record(timeMs: number, event: string): void {
    this.inner.record(timeMs, `${this.host} ${event}`);
  }
}

export class SimNode {
  readonly name: string;
  /** The node's disk; `replaceDisk` puts in a new, empty one. */
  disk: SimFileSystem;
  /** Clean stops that did not finish within STOP_MS ("n2 at 22081 ms"). */
  readonly stopsHung: string[] = [];
  /** How long this node's disk takes per fsync (drawn with each new disk). */
  fsyncMs = 0;
  #current: Incarnation | undefined;
  #incarnations = 0;
  #paused = false;

  constructor(readonly id: number, readonly env: SimNodeEnv) {
    this.name = nodeName(id);
    this.disk = this.#newDisk();
  }

  get state(): NodeState {
    if (this.#current?.server !== undefined) return "running";
    return this.#current?.faulty !== undefined ? "faulty" : "down";
  }

  get server(): RunningServer | undefined {
    return this.#current?.server;
  }

  get paused(): boolean {
    return this.#paused;
  }

  status(): NodeStatus | undefined {
    return this.#current?.server?.node.status() ?? this.#current?.faulty?.status();
  }

  #newDisk(): SimFileSystem {
    const trace = new HostTrace(this.env.trace, this.name);
    this.fsyncMs = this.env.prng.int(this.env.timing.fsyncMaxMs + 1);
    return new SimFileSystem(this.env.prng.fork(), this.env.clock, { trace });
  }

  #log(line: string): void {
    this.env.trace.record(this.env.clock.nowMs(), `${this.name} ${line}`);
  }

  /** Starts a new incarnation on the current disk; resolves once its ports listen. */
  async start(join = false): Promise<void> {
    if (this.#current !== undefined) throw new Error(`${this.name} is already up`);
    const inc: Incarnation = {
      number: ++this.#incarnations,
      clock: new HostClock(this.env.clock),
      fence: new Fence(),
    };
    this.#current = inc;
    this.#paused = false;
    const platform = incarnationPlatform({
      fs: this.disk,
      net: this.env.net.host(this.name),
      clock: inc.clock,
      http: this.env.http,
      seed: () => this.env.prng.int(0x7fff_ffff),
      fsyncMs: this.fsyncMs,
    }, inc.fence);
    const config = this.#config(join);
    this.#log(`start #${inc.number}${join ? " join" : ""}`);
    try {
      const server = await startServer(platform, config);
      if (inc.fence.dead) return void server.close().catch(() => {});
      inc.server = server;
    } catch (err) {
      if (inc.fence.dead) return;
      if (!(err instanceof CorruptionError)) {
        this.#log(`start failed: ${errorMessage(err)}`);
        this.#abandon("lose");
        throw err;
      }
      this.#log(`faulty: ${err.message}`);
      inc.faulty = await startFaultyServer(platform, config, err);
    }
  }

  #config(join: boolean): ServerConfig {
    const t = this.env.timing;
    return {
      id: this.id,
      peers: this.env.peers.has(this.id)
        ? this.env.peers
        : new Map([...this.env.peers, [this.id, kvAddress(this.id)]]),
      dataDir: DATA_DIR,
      httpPort: HTTP_PORT,
      respPort: RESP_PORT,
      tickMs: t.tickMs,
      heartbeatTicks: t.heartbeatTicks,
      electionTicks: t.electionTicks,
      compactEntries: t.compactEntries,
      regionSplitBytes: t.regionSplitBytes,
      regionMergeBytes: t.regionMergeBytes,
      regionSplitLoad: t.regionSplitLoad,
      blobMinBytes: t.blobMinBytes,
      // The revision checker reads the whole change history back (rev_final.ts).
      autoCompact: { revisions: 0, ageMs: 0 },
      join,
      log: (line) => this.#log(`log ${line}`),
    };
  }

  /** Power loss: the process stops at once and the disk forgets what was not synced. */
  crash(mode: CrashMode): void {
    if (this.#current === undefined) return;
    this.#log(`crash ${mode}`);
    this.#abandon(mode);
  }

  #abandon(mode: CrashMode): void {
    const inc = this.#current;
    if (inc === undefined) return;
    this.#current = undefined;
    this.#paused = false;
    inc.fence.kill();
    inc.clock.stopAll();
    this.env.net.crash(this.name);
    this.env.http.drop(this.name);
    this.disk.crash(mode);
  }

  /** A clean shutdown (SIGTERM): the server closes its ports, engine and log. */
  async stop(): Promise<void> {
    const inc = this.#current;
    if (inc === undefined) return;
    this.#log("stop");
    if (this.#paused) this.resume();
    const closing = (inc.server ?? inc.faulty)?.close() ?? Promise.resolve();
    const stopped = await Promise.race([
      closing.then(() => true, (err) => {
        this.#log(`stop failed: ${errorMessage(err)}`);
        return true;
      }),
      new Promise<false>((resolve) => this.env.clock.setTimeout(() => resolve(false), STOP_MS)),
    ]);
    if (!stopped) {
      // An operator would SIGKILL it; the page cache survives a killed process.
      this.#log(`stop hung for ${STOP_MS} ms; killed`);
      this.stopsHung.push(`${this.name} at ${this.env.clock.nowMs()} ms`);
    }
    if (this.#current !== inc) return;
    this.#current = undefined;
    inc.fence.kill();
    inc.clock.stopAll();
    this.env.net.crash(this.name);
    this.env.http.drop(this.name);
  }

  /** SIGSTOP: no timer fires and no byte is read or sent until `resume()`. */
  pause(): void {
    if (this.#current === undefined || this.#paused) return;
    this.#log("pause");
    this.#paused = true;
    this.#current.clock.pause();
    this.env.net.pause(this.name);
  }

  resume(): void {
    if (this.#current === undefined || !this.#paused) return;
    this.#log("resume");
    this.#paused = false;
    this.env.net.resume(this.name);
    this.#current.clock.resume();
  }

  /**
   * The node must be down: its data directory is lost (a new, empty disk).
   * With `keepIdentity`, the operator's rebuild: everything but IDENTITY is
   * gone (docs/operations-disk.md), so the node knows it lost its state.
   */
  async replaceDisk(keepIdentity = false): Promise<void> {
    if (this.#current !== undefined) throw new Error(`${this.name} is up; stop it first`);
    const identityPath = `${DATA_DIR}/IDENTITY`;
    const identity = keepIdentity && this.disk.stat(identityPath) !== undefined
      ? this.disk.readFile(identityPath)
      : undefined;
    this.#log(identity === undefined ? "new disk" : "new disk, IDENTITY kept");
    this.disk = this.#newDisk();
    if (identity === undefined) return;
    this.disk.mkdir(DATA_DIR);
    const f = this.disk.open(identityPath, { create: true });
    f.append(identity);
    await f.sync();
    f.close();
    await this.disk.syncDir(DATA_DIR);
  }

  /** Whether the node is rebuilding (does not vote until it has caught up). */
  rebuilding(): boolean {
    return this.#current?.server?.node.status().rebuilding === true;
  }
}
