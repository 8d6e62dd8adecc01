/** Shared helpers for the storage tests: a simulated world and byte/string conversion. */
import { createSimWorld, type SimWorld } from "../../src/platform/sim/sim_world.ts";
import { Db, type DbOptions } from "../../src/storage/db.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";

export const DIR = "db";

export function world(seed: number): SimWorld {
  return createSimWorld(seed, { trace: false });
}

export function openSim(w: SimWorld, options: DbOptions = {}): Promise<Db> {
  return Db.open(w.fs, DIR, options);
}

export function str(v: Uint8Array | undefined): string | undefined {
  return v === undefined ? undefined : fromUtf8(v);
}

export async function collect(
  it: AsyncIterable<[Uint8Array, Uint8Array]>,
): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for await (const [k, v] of it) out.push([fromUtf8(k), fromUtf8(v)]);
  return out;
}

/** Small sizes so a few hundred writes exercise flushes and compactions. */
export const SMALL: DbOptions = {
  memtableBytes: 4096,
  tableFileBytes: 2048,
  level1Bytes: 8192,
  blockCacheBytes: 16384,
};
