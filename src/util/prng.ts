/**
 * Seeded pseudo-random numbers. Every random choice in TinyKV comes from an
 * injected `Prng` so that a simulation run is reproducible from its seed
 * (docs/style.md §2.4). The generator is sfc32 (Chris Doty-Humphrey's Small Fast
 * Counter): 128 bits of state, passes PractRand, and uses only 32-bit integer
 * operations, which V8 and JavaScriptCore both run fast.
 */
import { assert } from "./assert.ts";

export interface Prng {
  /** Uniform integer in [0, 2^32). */
  nextU32(): number;
  /** Uniform float in [0, 1). */
  nextFloat(): number;
  /** Uniform integer in [0, maxExclusive); maxExclusive in [1, 2^32]. */
  int(maxExclusive: number): number;
  /** Uniform integer in [min, max] inclusive. */
  range(min: number, max: number): number;
  /** True with probability `p` (0 ≤ p ≤ 1). */
  chance(p: number): boolean;
  /** Fills `out` with random bytes and returns it. */
  fill(out: Uint8Array): Uint8Array;
  /** An independent generator whose seed is drawn from this one. */
  fork(): Prng;
}

export class Sfc32 implements Prng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    assert(Number.isSafeInteger(seed), `Prng seed must be a safe integer, got ${seed}`);
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = (seed >>> 0) ^ Math.floor(seed / 0x1_0000_0000);
    this.#c ^= Math.floor(seed / 0x1_0000_0000) >>> 0;
    for (let i = 0; i < 15; i++) this.nextU32(); // mix the seed into all of the state
  }

  nextU32(): number {
    const a = this.#a, b = this.#b, c = this.#c, d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    this.#c = ((c << 21) | (c >>> 11)) + t | 0;
    return t >>> 0;
  }

  nextFloat(): number {
    return this.nextU32() / 0x1_0000_0000;
  }

  int(maxExclusive: number): number {
    assert(Number.isInteger(maxExclusive) && maxExclusive >= 1, `int(${maxExclusive})`);
    assert(maxExclusive <= 0x1_0000_0000, `int(${maxExclusive}) exceeds 2^32`);
    // Rejection sampling removes modulo bias.
    const limit = 0x1_0000_0000 - (0x1_0000_0000 % maxExclusive);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % maxExclusive;
    }
  }

  range(min: number, max: number): number {
    assert(min <= max, `range(${min}, ${max})`);
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    assert(p >= 0 && p <= 1, `chance(${p})`);
    return this.nextFloat() < p;
  }

  fill(out: Uint8Array): Uint8Array {
    for (let i = 0; i < out.length; i += 4) {
      let x = this.nextU32();
      for (let j = i; j < i + 4 && j < out.length; j++) {
        out[j] = x & 0xff;
        x >>>= 8;
      }
    }
    return out;
  }

  fork(): Prng {
    return new Sfc32(this.nextU32() * 0x20_0000 + (this.nextU32() >>> 11));
  }
}

/** Convenience constructor. */
export function createPrng(seed: number): Prng {
  return new Sfc32(seed);
}
