/**
 * Value generators shared by the engine benchmarks: `random` bytes (incompressible) and
 * `compressible` JSON-like records of the same length, whose fields come from small
 * vocabularies and random numbers (LZ4 keeps about a third of a 4 KiB block of them).
 */
import type { Prng } from "../src/util/prng.ts";

export type ValueShape = "random" | "compressible";

const CITIES = ["Berlin", "Lisbon", "Osaka", "Austin", "Nairobi", "Lima", "Oslo", "Pune"];
const PLANS = ["free", "team", "business", "enterprise"];
const enc = new TextEncoder();

function record(p: Prng, size: number): Uint8Array {
  const id = p.int(10_000_000);
  const json = JSON.stringify({
    id,
    user: `user_${id}`,
    city: CITIES[p.int(CITIES.length)],
    plan: PLANS[p.int(PLANS.length)],
    active: p.chance(0.5),
    score: p.int(1000),
    pad: "",
  });
  return enc.encode(json.padEnd(size, " ").slice(0, size));
}

/**
 * `valueAt(i)`: values of `size` bytes, as views into one buffer (one allocation).
 * Random values are windows 97 bytes apart in 1 MiB of random bytes (what
 * bench/engine_bench.ts always used); compressible ones cycle through `count` records.
 */
export function makeValues(
  shape: ValueShape,
  p: Prng,
  size: number,
  count = 10_000,
): (i: number) => Uint8Array {
  if (shape === "random") {
    const bytes = p.fill(new Uint8Array(1 << 20));
    return (i) => {
      const at = (i * 97) % (bytes.length - size);
      return bytes.subarray(at, at + size);
    };
  }
  const all = new Uint8Array(size * count);
  for (let i = 0; i < count; i++) all.set(record(p, size), i * size);
  return (i) => {
    const at = (i % count) * size;
    return all.subarray(at, at + size);
  };
}
