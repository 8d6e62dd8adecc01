/**
 * Byte-level mutations shared by the port fuzzers: each takes valid input and
 * returns a damaged copy, all choices drawn from the case's generator.
 */
import type { Prng } from "../../src/util/prng.ts";
import { concatBytes } from "../../src/util/bytes.ts";

export function randomBytes(prng: Prng, max: number): Uint8Array {
  return prng.fill(new Uint8Array(prng.int(max + 1)));
}

export function pick<T>(prng: Prng, items: readonly T[]): T {
  return items[prng.int(items.length)];
}

type Mutation = (prng: Prng, b: Uint8Array) => Uint8Array;

const MUTATIONS: readonly Mutation[] = [
  function flipBits(prng, b) {
    const out = b.slice();
    const flips = prng.range(1, 4);
    for (let i = 0; i < flips && out.length > 0; i++) out[prng.int(out.length)] ^= 1 << prng.int(8);
    return out;
  },
  function setByte(prng, b) {
    const out = b.slice();
    if (out.length > 0) {
      out[prng.int(out.length)] = pick(prng, [0, 0x7f, 0x80, 0xff, prng.int(256)]);
    }
    return out;
  },
  function truncate(prng, b) {
    return b.slice(0, prng.int(b.length + 1));
  },
  function dropSlice(prng, b) {
    const at = prng.int(b.length + 1);
    return concatBytes([b.subarray(0, at), b.subarray(Math.min(b.length, at + prng.range(1, 8)))]);
  },
  function insertRandom(prng, b) {
    const at = prng.int(b.length + 1);
    return concatBytes([b.subarray(0, at), randomBytes(prng, 16), b.subarray(at)]);
  },
  function duplicateSlice(prng, b) {
    const from = prng.int(b.length + 1);
    const to = Math.min(b.length, from + prng.range(1, 32));
    const at = prng.int(b.length + 1);
    return concatBytes([b.subarray(0, at), b.subarray(from, to), b.subarray(at)]);
  },
  function swapHalves(prng, b) {
    const at = prng.int(b.length + 1);
    return concatBytes([b.subarray(at), b.subarray(0, at)]);
  },
];

/** One to three random byte-level mutations of `b`. */
export function mutateBytes(prng: Prng, b: Uint8Array): Uint8Array {
  let out = b;
  const n = prng.range(1, 3);
  for (let i = 0; i < n; i++) out = pick(prng, MUTATIONS)(prng, out);
  return out;
}

/** Where to cut `length` bytes into pieces sent apart: none most often, else one to three cuts. */
export function pieceCuts(prng: Prng, length: number): number[] {
  if (length < 2 || prng.chance(0.6)) return [];
  const cuts = Array.from({ length: prng.range(1, 3) }, () => prng.range(1, length - 1));
  return cuts.sort((a, b) => a - b);
}
