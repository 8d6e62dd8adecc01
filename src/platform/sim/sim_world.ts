/**
 * One simulated world from one seed: PRNG, virtual clock, disk, trace. The
 * network is created per test with its own message type (`new SimNetwork`).
 */
import { createPrng, type Prng } from "../../util/prng.ts";
import { SimClock } from "./sim_clock.ts";
import { SimFileSystem, type SimFileSystemOptions } from "./sim_file_system.ts";
import { SimTrace } from "./sim_trace.ts";

export interface SimWorld {
  readonly seed: number;
  readonly prng: Prng;
  readonly clock: SimClock;
  readonly fs: SimFileSystem;
  readonly trace: SimTrace;
}

export function createSimWorld(
  seed: number,
  options: { fs?: Omit<SimFileSystemOptions, "trace">; trace?: boolean } = {},
): SimWorld {
  const prng = createPrng(seed);
  const clock = new SimClock();
  const trace = new SimTrace({ enabled: options.trace ?? true });
  const fs = new SimFileSystem(prng.fork(), clock, { ...options.fs, trace });
  return { seed, prng, clock, fs, trace };
}
