/**
 * A node's memtable size. Replicas take the same writes, so with one memtable size they fill and
 * flush in the same second: on three nodes sharing two cores, the three storage workers then
 * building their first tables at once (their flush code still compiling) left the main threads a
 * fraction of the machine, and one second of 3-node puts at 64 in flight fell from ~10,000 to
 * ~1,200 (bench/RESULTS.md, session 26). On separate machines the same lockstep slows every
 * replica's commit work at once. Each node's engine takes a size up to MEMTABLE_STAGGER_FRACTION
 * below the default, drawn from its seed (random per start; the simulator's, fixed), so replicas'
 * flushes drift apart.
 */
import { MEMTABLE_BYTES_MAX } from "../../limits.ts";
import { createPrng } from "../../util/prng.ts";

/** How far below MEMTABLE_BYTES_MAX a node's memtable may be (docs/limits.md). */
export const MEMTABLE_STAGGER_FRACTION = 0.25;

export function staggeredMemtableBytes(seed: number): number {
  const u = createPrng((seed ^ 0x6d656d74) >>> 0).nextFloat(); // in [0, 1)
  return Math.floor(MEMTABLE_BYTES_MAX * (1 - MEMTABLE_STAGGER_FRACTION * u));
}
