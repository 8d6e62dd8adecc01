/**
 * Damage to a stopped node's stored data: one flipped bit in an SSTable or blob file, or in
 * a Raft log segment that is not the newest (the newest one's tail may be cut
 * back as a torn write, which is what a crash does, not what a bad disk does;
 * docs/operations-disk.md). The node must notice it when it opens or reads the
 * file, and must never serve the damaged bytes as data.
 */
import type { SimFileSystem } from "../platform/sim/sim_file_system.ts";
import type { Prng } from "../util/prng.ts";
import { DATA_DIR } from "./sim_node.ts";

function filesUnder(disk: SimFileSystem, dir: string): string[] {
  const out: string[] = [];
  for (const name of disk.stat(dir)?.isDirectory ? disk.list(dir) : []) {
    const path = `${dir}/${name}`;
    if (disk.stat(path)?.isDirectory) out.push(...filesUnder(disk, path));
    else out.push(path);
  }
  return out;
}

/** Flips one bit of one stored file; returns "path@offset", or undefined if none qualifies. */
export function corruptStoredFile(disk: SimFileSystem, prng: Prng): string | undefined {
  const files = filesUnder(disk, DATA_DIR);
  const tables = files.filter((f) => f.endsWith(".sst") || f.endsWith(".blob"));
  const segments = files.filter((f) => f.endsWith(".seg")).sort();
  const candidates = tables.length > 0 && prng.chance(0.7) ? tables : segments.slice(0, -1);
  const pool = candidates.length > 0 ? candidates : tables;
  const sized = pool.filter((f) => (disk.stat(f)?.size ?? 0) > 0);
  if (sized.length === 0) return undefined;
  const path = sized[prng.int(sized.length)];
  const offset = prng.int(disk.stat(path)?.size ?? 1);
  disk.flipByte(path, offset, prng.int(8));
  return `${path}@${offset}`;
}
