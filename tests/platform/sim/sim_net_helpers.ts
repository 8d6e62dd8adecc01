/** A small SimNet world for tests, and helpers that record what a connection sees. */
import { runUntil, runUntilSettled } from "../../../src/platform/sim/settle.ts";
import { SimClock } from "../../../src/platform/sim/sim_clock.ts";
import { SimNet, type SimNetOptions } from "../../../src/platform/sim/sim_net.ts";
import { SimTrace } from "../../../src/platform/sim/sim_trace.ts";
import type { Conn } from "../../../src/platform/types.ts";
import { createPrng, type Prng } from "../../../src/util/prng.ts";

export interface NetWorld {
  readonly clock: SimClock;
  readonly prng: Prng;
  readonly trace: SimTrace;
  readonly net: SimNet;
  /** Runs virtual time for `ms`, settling promises after every timer. */
  run(ms: number): Promise<void>;
  /** Runs until `promise` settles (at most a virtual minute). */
  drive<T>(promise: Promise<T>): Promise<T>;
}

export function netWorld(seed: number, options: SimNetOptions = {}): NetWorld {
  const clock = new SimClock();
  const prng = createPrng(seed);
  const trace = new SimTrace();
  const net = new SimNet(clock, prng.fork(), { trace, ...options });
  return {
    clock,
    prng,
    trace,
    net,
    run: async (ms) => void await runUntil(clock, () => false, ms),
    drive: (promise) => runUntilSettled(clock, promise, 60_000),
  };
}

/** Everything one end of a connection was told. */
export interface Recorder {
  readonly conn: Conn;
  readonly chunks: Uint8Array[];
  /** Each close, with its error if any. */
  readonly closes: (Error | undefined)[];
  drains: number;
  bytes(): Uint8Array;
}

export function record(conn: Conn): Recorder {
  const recorder: Recorder = {
    conn,
    chunks: [],
    closes: [],
    drains: 0,
    bytes: () => concat(recorder.chunks),
  };
  conn.setHandlers({
    onData: (chunk) => void recorder.chunks.push(chunk.slice()),
    onDrain: () => void recorder.drains++,
    onClose: (error) => void recorder.closes.push(error),
  });
  return recorder;
}

export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/** A listener on `host:port` whose accepted connections are recorded in order. */
export async function recordingServer(
  world: NetWorld,
  host: string,
  port = 7000,
): Promise<Recorder[]> {
  const accepted: Recorder[] = [];
  await world.net.host(host).listen({ hostname: host, port }, (c) => accepted.push(record(c)));
  return accepted;
}
