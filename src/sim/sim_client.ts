/** A protobuf client of the simulated cluster, as every simulated client process makes one. */
import { TinyKvClient } from "../client/tinykv_client.ts";
import type { Clock, Net } from "../platform/types.ts";
import type { Prng } from "../util/prng.ts";

export interface SimClientEnv {
  readonly netOf: (name: string) => Net;
  readonly kvEndpoints: () => string[];
  readonly clock: Clock;
}

/**
 * Every node, starting at a random one (redirects find the leader); short attempts. Half the
 * clients (by their seed) route by region (docs/regions.md#routing), so every fault the
 * simulator injects also meets the route cache, stale-route errors and leader hints.
 */
export function simClient(
  env: SimClientEnv,
  name: string,
  prng: Prng,
  deadlineMs: number,
): TinyKvClient {
  const endpoints = env.kvEndpoints();
  const first = prng.int(endpoints.length);
  const seed = prng.int(0x7fff_ffff);
  return new TinyKvClient({
    endpoints: endpoints.map((_, i) => endpoints[(i + first) % endpoints.length]),
    net: env.netOf(name),
    clock: env.clock,
    seed,
    routing: seed % 2 === 0,
    deadlineMs,
    attemptTimeoutMs: Math.min(1000, deadlineMs),
  });
}
